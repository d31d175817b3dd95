package analytics_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/backoffice/analytics"
)

// benchTracks returns n minimised 2-minute tracks (240 points at 2 Hz) wandering through the test layout:
// in through the door, past the shelf, the till and the queue, and back out.
func benchTracks(n int) []backoffice.Track {
	var out []backoffice.Track
	for i := range n {
		tr := backoffice.Track{Store: "store-1", Sensor: "entrance", ID: fmt.Sprintf("%024x", i), Final: true,
			Space: event.SpaceFloor, Start: T0.Add(time.Duration(i%60) * time.Minute), Minimised: true}
		for k := range 240 {
			a := 2 * math.Pi * float64(k) / 240
			x := 17 + 15*math.Sin(a) + 0.3*math.Sin(float64(i+k))
			y := 10 - 11*math.Cos(a) + 0.3*math.Cos(float64(3*i+k))
			tr.Points = append(tr.Points, backoffice.Point{T: int64(k) * 500, X: math.Round(x*10) / 10, Y: math.Round(y*10) / 10})
		}
		out = append(out, tr)
	}
	return out
}

// BenchmarkAnalyse measures the analysis of one track: joining, lines, zones, queue, heatmap, OD.
func BenchmarkAnalyse(b *testing.B) {
	l := testLayout()
	trs := benchTracks(64)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		acc := analytics.Acc{}
		analytics.Analyse(&l, analytics.Join(trs[i%len(trs):i%len(trs)+1], event.SpaceFloor, time.Minute), acc)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "µs/track")
}

// BenchmarkComputeUnit measures a whole unit of 1000 tracks, encoding included, per track.
func BenchmarkComputeUnit(b *testing.B) {
	l := testLayout()
	trs := benchTracks(1000)
	b.ReportAllocs()
	b.ResetTimer()
	size := 0
	for range b.N {
		res := analytics.ComputeUnit(&l, T0, trs, time.Minute)
		size = 0
		for _, bk := range res.Buckets {
			size += len(bk.Encode())
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(trs))/1000, "µs/track")
	b.ReportMetric(float64(size)/float64(len(trs)), "stored-bytes/track")
}
