package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/backoffice/ingest"
	"github.com/ashiato/ashiato/backoffice/sqlite"
	"github.com/ashiato/ashiato/internal/mosquittotest"
)

// twoMinuteTrack is a shopper seen for 2 minutes, a winding walk in floor space, at hz points a second:
// 10 Hz is what a sensor publishes without minimisation (1200 points, about 45 kB of JSON), 2 Hz what it
// publishes once it minimises at the source (240 points, about 9 kB).
func twoMinuteTrack(b *testing.B, sensor string, i int, t0 int64, hz int) []byte {
	tr := event.Track{V: 1, Sensor: sensor, ID: fmt.Sprintf("%024x", i+1), Space: event.SpaceFloor, W: 640, H: 480, Final: true}
	step := 1000 / int64(hz)
	for j := range 120 * hz {
		a := float64(j) / float64(10*hz)
		tr.Points = append(tr.Points, event.Point{F: uint64(j), T: t0 + int64(j)*step, X: 5 + 4*math.Cos(a) + 0.01*float64(i%50),
			Y: 5 + 3*math.Sin(1.3*a)})
	}
	p, err := json.Marshal(tr)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkIngest measures the collector end to end: messages published to a real Mosquitto by another
// client, received, validated, minimised and committed to SQLite (synchronous=FULL), then acknowledged.
// The figure is messages (2-minute tracks) per second from one collector process.
func BenchmarkIngest(b *testing.B) {
	for _, hz := range []int{10, 2} {
		b.Run(fmt.Sprintf("%dHz", hz), func(b *testing.B) { benchIngest(b, hz) })
	}
}

func benchIngest(b *testing.B, hz int) {
	broker := mosquittotest.Start(b, mosquittotest.Options{})
	store, err := sqlite.Open(context.Background(), b.TempDir(), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	c, err := ingest.New(store, ingest.Options{Brokers: []string{broker.URL()}, ClientID: "bench-office",
		Minimisation: backoffice.DefaultMinimisation()})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() { cancel(); <-done }()
	for !c.Receiving() {
		time.Sleep(10 * time.Millisecond)
	}
	pub := paho.NewClient(paho.NewClientOptions().AddBroker(broker.URL()).SetClientID("bench-pub").SetMaxResumePubInFlight(100))
	if tok := pub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		b.Fatal(tok.Error())
	}
	defer pub.Disconnect(100)
	t0 := time.Now().Add(-10 * time.Minute).UnixMilli()
	msgs := make([][]byte, b.N)
	for i := range msgs {
		msgs[i] = twoMinuteTrack(b, fmt.Sprintf("cam-%d", i%10), i, t0, hz)
	}
	b.SetBytes(int64(len(msgs[0])))
	b.ResetTimer()
	start := time.Now()
	toks := make([]paho.Token, len(msgs))
	for i, m := range msgs {
		toks[i] = pub.Publish(fmt.Sprintf("ashiato/v1/store-1/cam-%d/tracks", i%10), 1, false, m)
	}
	for _, tok := range toks {
		if !tok.WaitTimeout(time.Minute) || tok.Error() != nil {
			b.Fatal("publish", tok.Error())
		}
	}
	for {
		ks, err := store.Kept(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for _, k := range ks {
			n += k.Tracks + k.Dropped
		}
		if n == b.N {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}
