package analytics_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/backoffice/analytics"
)

// T0 is the start of a bucket: a Monday at 10:00 UTC.
var T0 = time.Date(2030, 3, 4, 10, 0, 0, 0, time.UTC)

// testLayout is the floor of the golden tests: a door along y = 0 from x = 0 to 4 (in is towards +y), a
// shelf and a till 2 m square, and a queue 4 m by 2 m.
func testLayout() analytics.Layout {
	sq := func(x0, y0, x1, y1 float64) []analytics.XY {
		return []analytics.XY{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
	}
	return analytics.Layout{
		Store: "store-1", Space: event.SpaceFloor,
		Lines:  []analytics.Line{{Name: "door", A: analytics.XY{X: 0, Y: 0}, B: analytics.XY{X: 4, Y: 0}, Entrance: true}},
		Zones:  []analytics.Zone{{Name: "shelf", Polygon: sq(10, 10, 12, 12)}, {Name: "till", Polygon: sq(20, 10, 22, 12)}},
		Queues: []analytics.Zone{{Name: "q", Polygon: sq(30, 10, 34, 12)}},
	}.WithDefaults()
}

// pt is a point of a test path: seconds after T0 + 1 min, and the position.
type pt struct{ t, x, y float64 }

var base = float64(T0.Unix()) + 60

// path builds a path from exactly these points.
func path(pts ...pt) analytics.Path {
	var p analytics.Path
	for _, q := range pts {
		p = append(p, analytics.TimedXY{T: base + q.t, XY: analytics.XY{X: q.x, Y: q.y}})
	}
	return p
}

// walk builds a path through the waypoints, sampled every 0.5 s (as a minimised track is).
func walk(wps ...pt) analytics.Path {
	var out []pt
	for i := 1; i < len(wps); i++ {
		a, b := wps[i-1], wps[i]
		for t := a.t; t < b.t; t += 0.5 {
			f := (t - a.t) / (b.t - a.t)
			out = append(out, pt{t, a.x + f*(b.x-a.x), a.y + f*(b.y-a.y)})
		}
	}
	return path(append(out, wps[len(wps)-1])...)
}

// jitter returns points alternating between (x, y0) and (x, y1) every 0.5 s from t0 to t1.
func jitter(t0, t1, x, y0, y1 float64) []pt {
	var out []pt
	for i, t := 0, t0; t <= t1; i, t = i+1, t+0.5 {
		y := y0
		if i%2 == 1 {
			y = y1
		}
		out = append(out, pt{t, x, y})
	}
	return out
}

func cat(parts ...[]pt) []pt { return slices.Concat(parts...) }

// figures names every figure of acc: totals over all buckets, and per bucket ("b0." is T0's bucket).
func figures(acc analytics.Acc) map[string]float64 {
	f := map[string]float64{}
	for _, b := range acc.Buckets() {
		pre := fmt.Sprintf("b%d.", b.Start.Sub(T0)/analytics.BucketSize)
		for _, p := range []string{"", pre} {
			f[p+"arrivals"] += float64(b.Arrivals)
			f[p+"presence"] += b.Presence
			f[p+"entries"] += float64(b.Entries)
			for name, l := range b.Lines {
				f[p+name+".in"] += float64(l.In)
				f[p+name+".out"] += float64(l.Out)
				f[p+name+".tracks"] += float64(l.Tracks)
			}
			for kind, m := range map[string]map[string]*analytics.ZoneAgg{"": b.Zones, "queue.": b.Queues} {
				for name, z := range m {
					f[p+kind+name+".visits"] += float64(z.Visits)
					f[p+kind+name+".tracks"] += float64(z.Tracks)
					f[p+kind+name+".seconds"] += z.Seconds
					f[p+kind+name+".dwell_total"] += z.DwellSum
					f[p+kind+name+".peak"] = max(f[p+kind+name+".peak"], float64(slices.Max(append([]int{0}, z.Samples...))))
				}
			}
			for od, n := range b.OD {
				f[p+"od."+od.From+">"+od.To] += float64(n)
			}
			for _, h := range b.Heat {
				f[p+"heat.cells"]++
				f[p+"heat.visits"] += float64(h.Visits)
				f[p+"heat.seconds"] += h.Seconds
			}
			f[p+"peak"] = max(f[p+"peak"], float64(slices.Max(append([]int{0}, b.Samples...))))
		}
	}
	// Percentiles over all buckets, from the merged histograms.
	for _, kind := range []string{"", "queue."} {
		hists := map[string]analytics.Hist{}
		for _, b := range acc.Buckets() {
			m := b.Zones
			if kind != "" {
				m = b.Queues
			}
			for name, z := range m {
				if hists[name] == nil {
					hists[name] = analytics.Hist{}
				}
				hists[name].Add(z.Dwell)
			}
		}
		for name, h := range hists {
			f[kind+name+".p50"] = h.Quantile(0.5).Seconds()
			f[kind+name+".p90"] = h.Quantile(0.9).Seconds()
		}
	}
	return f
}

func TestGolden(t *testing.T) {
	l := testLayout()
	tests := []struct {
		name  string
		paths []analytics.Path
		want  map[string]float64 // figures not listed must be 0 (or absent) when listed in zero
		zero  []string
	}{
		{"walk in", []analytics.Path{walk(pt{0, 2, -2}, pt{4, 2, 2})},
			map[string]float64{"door.in": 1, "door.tracks": 1, "entries": 1, "arrivals": 1, "presence": 4}, []string{"door.out"}},
		{"walk out", []analytics.Path{walk(pt{0, 2, 2}, pt{4, 2, -2})},
			map[string]float64{"door.out": 1, "door.tracks": 1}, []string{"door.in", "entries"}},
		{"jitter across the line", []analytics.Path{path(cat([]pt{{0, 2, -2}}, jitter(2, 30, 2, -0.2, 0.2), []pt{{32, 2, -2}})...)},
			nil, []string{"door.in", "door.out", "door.tracks", "entries"}},
		{"jitter, then in", []analytics.Path{path(cat([]pt{{0, 2, -2}}, jitter(2, 30, 2, -0.25, 0.25), []pt{{32, 2, 2}})...)},
			map[string]float64{"door.in": 1, "door.tracks": 1, "entries": 1}, []string{"door.out"}},
		{"loitering on the line, then in", []analytics.Path{path(cat([]pt{{0, 2, -2}}, jitter(2, 120, 2, 0.1, 0), jitter(121, 200, 2.5, -0.29, 0.29), []pt{{202, 2, 2}})...)},
			map[string]float64{"door.in": 1}, []string{"door.out"}},
		{"in, out, in again", []analytics.Path{walk(pt{0, 2, -2}, pt{4, 2, 2}, pt{8, 2, -2}, pt{12, 2, 2})},
			map[string]float64{"door.in": 2, "door.out": 1, "door.tracks": 1, "entries": 1}, nil},
		{"around the end of the line", []analytics.Path{walk(pt{0, 6, -2}, pt{4, 6, 2})},
			nil, []string{"door.in", "door.out", "door.tracks"}},
		{"around the end, then out through the line", []analytics.Path{walk(pt{0, 6, -2}, pt{4, 6, 2}, pt{8, 2, 2}, pt{12, 2, -2})},
			map[string]float64{"door.out": 1}, []string{"door.in"}},
		{"fast walker, one step over the line", []analytics.Path{path(pt{0, 2, -3}, pt{1, 2, 3})},
			map[string]float64{"door.in": 1, "entries": 1}, nil},
		{"two people in", []analytics.Path{walk(pt{0, 1, -2}, pt{4, 1, 2}), walk(pt{0, 3, -2}, pt{4, 3, 2})},
			map[string]float64{"door.in": 2, "door.tracks": 2, "entries": 2, "arrivals": 2, "presence": 8, "peak": 2}, nil},
		{"dwell at the shelf", []analytics.Path{path(pt{0, 8, 11}, pt{2, 10, 11}, pt{3, 11, 11}, pt{33, 11, 11}, pt{34, 12, 11}, pt{36, 14, 11})},
			map[string]float64{"shelf.visits": 1, "shelf.tracks": 1, "shelf.seconds": 32, "shelf.dwell_total": 32, "shelf.p50": 32.5, "shelf.p90": 32.5,
				"od.shelf>shelf": 1}, []string{"till.visits"}},
		{"passing through is no visit", []analytics.Path{walk(pt{0, 8, 11}, pt{4, 14, 11})},
			nil, []string{"shelf.visits", "shelf.seconds", "od.shelf>shelf"}},
		{"swaying on the edge is one visit", []analytics.Path{path(pt{0, 9, 11}, pt{1, 11, 11}, pt{10, 11, 11}, pt{11, 9, 11}, pt{12, 9, 11},
			pt{13, 11, 11}, pt{20, 11, 11}, pt{21, 9, 11})},
			map[string]float64{"shelf.visits": 1, "shelf.seconds": 20, "shelf.p50": 20.5}, nil},
		{"leaving for longer than the debounce makes two visits", []analytics.Path{path(pt{0, 9, 11}, pt{1, 11, 11}, pt{10, 11, 11}, pt{11, 9, 11},
			pt{15, 9, 11}, pt{16, 11, 11}, pt{25, 11, 11}, pt{26, 9, 11})},
			map[string]float64{"shelf.visits": 2, "shelf.tracks": 1, "shelf.seconds": 20, "shelf.dwell_total": 20, "shelf.p50": 10.5}, nil},
		{"a track that ends inside a zone", []analytics.Path{path(pt{0, 8, 11}, pt{2, 10, 11}, pt{3, 11, 11}, pt{20, 11, 11})},
			map[string]float64{"shelf.visits": 1, "shelf.seconds": 18, "shelf.p50": 18.5}, nil},
		{"origin and destination", []analytics.Path{
			path(pt{0, 9, 11}, pt{1, 11, 11}, pt{11, 11, 11}, pt{12, 13, 11}, pt{19, 19, 11}, pt{20, 21, 11}, pt{30, 21, 11}, pt{31, 23, 11}),
			path(pt{0, 21, 11}, pt{10, 21, 11}, pt{11, 23, 11})},
			map[string]float64{"od.shelf>till": 1, "od.till>till": 1, "shelf.visits": 1, "till.visits": 2, "till.tracks": 2}, []string{"od.till>shelf"}},
		{"queue", []analytics.Path{
			path(pt{0, 29, 11}, pt{1, 31, 11}, pt{60.5, 31, 11}, pt{61.5, 29, 11}),
			path(pt{20, 29, 11}, pt{21, 31, 11}, pt{50.5, 31, 11}, pt{51.5, 29, 11})},
			map[string]float64{"queue.q.visits": 2, "queue.q.tracks": 2, "queue.q.seconds": 91, "queue.q.peak": 2,
				"queue.q.p50": 30.5, "queue.q.p90": 60.5}, nil},
		{"a fast walker leaves no gaps", []analytics.Path{path(pt{0, 0.25, 20.25}, pt{1, 5.25, 20.25})},
			map[string]float64{"heat.cells": 11, "heat.visits": 11, "heat.seconds": 1}, nil},
		{"a diagonal through a corner", []analytics.Path{path(pt{0, 0.1, 30.1}, pt{1, 1.1, 31.1})},
			map[string]float64{"heat.cells": 3, "heat.visits": 3, "heat.seconds": 1}, nil},
		{"standing still", []analytics.Path{path(pt{0, 0.25, 40.25}, pt{10, 0.25, 40.25})},
			map[string]float64{"heat.cells": 1, "heat.visits": 1, "heat.seconds": 10, "presence": 10}, nil},
		{"a cell visited twice is one visit", []analytics.Path{path(pt{0, 0.25, 50.25}, pt{1, 1.25, 50.25}, pt{2, 0.25, 50.25})},
			map[string]float64{"heat.cells": 3, "heat.visits": 3, "heat.seconds": 2}, nil},
		{"across a bucket boundary", []analytics.Path{walk(pt{830, 2, -2}, pt{850, 2, 2})},
			map[string]float64{"b0.arrivals": 1, "b0.presence": 10, "b1.presence": 10, "b1.door.in": 1, "b1.entries": 1,
				"b0.heat.seconds": 10, "b1.heat.seconds": 10}, []string{"b1.arrivals", "b0.door.in"}},
		{"a single point", []analytics.Path{path(pt{0, 11, 11})},
			map[string]float64{"arrivals": 1, "heat.cells": 1, "heat.visits": 1}, []string{"presence", "shelf.visits"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			acc := analytics.Acc{}
			for _, p := range tc.paths {
				analytics.Analyse(&l, p, acc)
			}
			got := figures(acc)
			for k, w := range tc.want {
				if math.Abs(got[k]-w) > 1e-6 {
					t.Errorf("%s = %g, want %g", k, got[k], w)
				}
			}
			for _, k := range tc.zero {
				if got[k] != 0 {
					t.Errorf("%s = %g, want 0", k, got[k])
				}
			}
			if t.Failed() {
				t.Logf("all figures: %v", sorted(got))
			}
		})
	}
}

func sorted(m map[string]float64) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	var b strings.Builder
	for _, k := range ks {
		fmt.Fprintf(&b, "%s=%g ", k, m[k])
	}
	return b.String()
}

// segments cuts p into segments as a sensor sends a long track: after cuts points each, every segment's
// Start rounded down to the minute and its times relative to its first point, as stored.
func segments(p analytics.Path, cuts ...int) []backoffice.Track {
	var out []backoffice.Track
	from := 0
	for i, to := range append(cuts, len(p)) {
		part := p[from:to]
		first := time.UnixMilli(int64(math.Round(part[0].T * 1000))).UTC()
		tr := backoffice.Track{Store: "store-1", Sensor: "entrance", ID: "0a1b2c", Seg: i, Final: to == len(p), Space: event.SpaceFloor,
			Start: first.Truncate(time.Minute), Minimised: true}
		for _, q := range part {
			tr.Points = append(tr.Points, backoffice.Point{T: int64(math.Round((q.T - part[0].T) * 1000)), X: q.X, Y: q.Y})
		}
		out = append(out, tr)
		from = to
	}
	return out
}

// TestSegmentsAreOnePath splits tracks into segments (the line crossed and a zone visited across the
// joins) and checks that every figure is the one of the whole track.
func TestSegmentsAreOnePath(t *testing.T) {
	l := testLayout()
	whole := walk(pt{0, 2, -2}, pt{40, 2, 2}, pt{60, 9, 11}, pt{62, 11, 11}, pt{150, 11, 11}, pt{152, 13, 11}, pt{160, 20, 11})
	// Cut in the middle of the door crossing (point 40 is at y = 0) and twice during the shelf visit,
	// in a different minute each.
	segs := segments(whole, 40, 150, 250)
	if len(segs) != 4 || segs[1].Start.Equal(segs[2].Start) {
		t.Fatalf("test setup: %d segments, starts %v", len(segs), []time.Time{segs[1].Start, segs[2].Start})
	}
	want := map[string]float64{"door.in": 1, "door.tracks": 1, "entries": 1, "arrivals": 1, "shelf.visits": 1, "shelf.tracks": 1,
		"od.shelf>shelf": 1}
	accWhole := analytics.Acc{}
	analytics.Analyse(&l, whole, accWhole)
	fw := figures(accWhole)
	for _, order := range [][]int{{0, 1, 2, 3}, {3, 1, 0, 2}} {
		var in []backoffice.Track
		for _, i := range order {
			in = append(in, segs[i])
		}
		p := analytics.Join(in, event.SpaceFloor, time.Minute)
		if len(p) != len(whole) {
			t.Fatalf("joined %d points, want %d", len(p), len(whole))
		}
		acc := analytics.Acc{}
		analytics.Analyse(&l, p, acc)
		got := figures(acc)
		for k, w := range want {
			if got[k] != w {
				t.Errorf("order %v: %s = %g, want %g", order, k, got[k], w)
			}
		}
		for _, k := range []string{"presence", "shelf.seconds", "shelf.dwell_total", "shelf.p50", "heat.seconds", "heat.visits"} {
			if math.Abs(got[k]-fw[k]) > 1e-6 {
				t.Errorf("order %v: %s = %g, the whole track's is %g", order, k, got[k], fw[k])
			}
		}
		// The joined path starts within the minute its rounded starts allow.
		if shift := whole[0].T - p[0].T; shift <= -60 || shift >= 60 {
			t.Errorf("joined path starts %.1f s before the track did", shift)
		}
		for k, s := range segs {
			if first := p[firstIndex(segs, k)].T; first < secs(s.Start) || first >= secs(s.Start)+60 {
				t.Errorf("segment %d placed at %.1f, outside its minute from %.1f", k, first, secs(s.Start))
			}
		}
	}
	if fw["shelf.dwell_total"] != 90 {
		t.Errorf("the whole track's dwell at the shelf is %g s, want 90", fw["shelf.dwell_total"])
	}
}

// TestJoinOtherSpace leaves out segments in another space than the layout's.
func TestJoinOtherSpace(t *testing.T) {
	segs := segments(walk(pt{0, 2, -2}, pt{40, 2, 2}), 20)
	segs[1].Space = event.SpaceImage
	if p := analytics.Join(segs, event.SpaceFloor, time.Minute); len(p) != 20 {
		t.Errorf("joined %d points, want the 20 of the floor segment", len(p))
	}
	if p := analytics.Join(segs[1:], event.SpaceFloor, time.Minute); len(p) != 0 {
		t.Errorf("joined %d points of an image segment into a floor path", len(p))
	}
}

func secs(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// firstIndex is the index in the joined path of segment k's first point.
func firstIndex(segs []backoffice.Track, k int) int {
	n := 0
	for _, s := range segs[:k] {
		n += len(s.Points)
	}
	return n
}

// TestJoinSpreadsRoundedStarts checks that whole tracks whose starts were rounded to one minute are spread
// over that minute, each always at the same place.
func TestJoinSpreadsRoundedStarts(t *testing.T) {
	var firsts []float64
	for i := range 200 {
		tr := backoffice.Track{ID: fmt.Sprintf("%024x", i*7919), Final: true, Space: event.SpaceFloor, Start: T0, Minimised: true,
			Points: []backoffice.Point{{T: 0, X: 1, Y: 1}, {T: 4000, X: 5, Y: 1}}}
		p := analytics.Join([]backoffice.Track{tr}, event.SpaceFloor, time.Minute)
		if again := analytics.Join([]backoffice.Track{tr}, event.SpaceFloor, time.Minute); again[0].T != p[0].T {
			t.Fatal("the same track placed twice differently")
		}
		off := p[0].T - secs(T0)
		if off < 0 || off >= 60 {
			t.Fatalf("placed %.1f s after its rounded start", off)
		}
		firsts = append(firsts, off)
	}
	// Each 10-s sixth of the minute gets about a sixth of the tracks.
	var n [6]int
	for _, f := range firsts {
		n[int(f/10)]++
	}
	for i, c := range n {
		if c < 15 || c > 55 {
			t.Errorf("%d of 200 tracks placed in seconds %d-%d of the minute: %v", c, 10*i, 10*i+10, n)
		}
	}
	tr := backoffice.Track{ID: "ab", Final: true, Space: event.SpaceFloor, Start: T0.Add(1234 * time.Millisecond),
		Points: []backoffice.Point{{T: 0, X: 1, Y: 1}}}
	if p := analytics.Join([]backoffice.Track{tr}, event.SpaceFloor, time.Minute); p[0].T != secs(tr.Start) {
		t.Errorf("a track stored without minimisation moved from its start")
	}
}
