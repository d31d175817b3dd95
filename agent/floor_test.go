package agent

import (
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ashiato/ashiato/agent/config"
	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/agent/floor"
	"github.com/ashiato/ashiato/agent/tracker"
	"github.com/ashiato/ashiato/hal"
)

// testCalibration is a ceiling-corner view: the bottom corners of the image are 8 m apart at 1 m from
// the camera's foot, the rows at 30% down 10 m apart at 9 m.
var testCalibration = config.Calibration{
	Image: [][2]float64{{0, 1}, {1, 1}, {1, 0.3}, {0, 0.3}},
	Floor: [][2]float64{{-4, 1}, {4, 1}, {5, 9}, {-5, 9}},
}

func TestToSpace(t *testing.T) {
	h, ok, err := testCalibration.Homography()
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	format := hal.Format{Width: 640, Height: 480}
	pts := []tracker.Point{{Frame: 7, TimeMS: 1000, X: 320, Y: 480}, {Frame: 8, TimeMS: 1100, X: 100.5, Y: 300.25},
		{Frame: 9, TimeMS: 1200, X: 700, Y: 200}} // the last is right of the image: clamped to its edge

	plain := &emitter{log: slog.New(slog.DiscardHandler), fallbacks: &atomic.Uint64{}}
	space, img := plain.toSpace(pts, format)
	if space != event.SpaceImage || len(img) != len(pts) || img[0].X != 0.5 || img[0].Y != 1 || img[2].X != 1 {
		t.Fatalf("uncalibrated: %s %v", space, img)
	}

	r := &emitter{log: slog.New(slog.DiscardHandler), hom: &h, fallbacks: &atomic.Uint64{}}
	space, got := r.toSpace(pts, format)
	if space != event.SpaceFloor || len(got) != len(pts) {
		t.Fatalf("calibrated: %s %v", space, got)
	}
	for i, p := range got {
		X, Y, _ := h.Apply(img[i].X, img[i].Y)
		if p.F != pts[i].Frame || p.T != pts[i].TimeMS || math.Abs(p.X-X) > 0.0005 || math.Abs(p.Y-Y) > 0.0005 ||
			math.Abs(p.X*1000-math.Round(p.X*1000)) > 1e-6 || math.Abs(p.Y*1000-math.Round(p.Y*1000)) > 1e-6 {
			t.Errorf("point %d: %+v, want (%g, %g) to the millimetre", i, p, X, Y)
		}
	}
	if got[0].X != 0 || got[0].Y != 1 {
		t.Errorf("bottom centre at %+v, want (0, 1) m", got[0])
	}

	// A camera whose horizon is half-way down the image: a track reaching the upper half falls back to
	// image space as a whole.
	r.hom = &floor.Homography{1, 0, 0, 0, 1, 0, 0, 1, -0.5}
	if space, _ := r.toSpace(pts[:1], format); space != event.SpaceFloor {
		t.Fatal("the bottom centre does not map below a horizon half-way up")
	}
	space, fb := r.toSpace(pts, format)
	if space != event.SpaceImage || len(fb) != len(pts) || fb[0] != img[0] || fb[1] != img[1] || fb[2] != img[2] {
		t.Fatalf("fallback: %s %v, want %v", space, fb, img)
	}
	if n := r.fallbacks.Load(); n != 1 {
		t.Errorf("fallbacks counted %d, want 1", n)
	}
}

func TestRunPublishesFloorTracks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		r.start(t, ctx, &config.Config{MQTT: config.MQTT{Broker: "stdout"}, Calibration: testCalibration})
		go r.feed(ctx)
		time.Sleep(30 * time.Second)
		cancel()
		if err := <-r.errc; err != nil {
			t.Fatalf("Run: %v", err)
		}
		n := 0
		for _, l := range r.out.lines(t) {
			if !strings.HasSuffix(l.Topic, "/"+event.LeafTracks) {
				continue
			}
			var tr event.Track
			if err := json.Unmarshal(l.Payload, &tr); err != nil {
				t.Fatal(err)
			}
			n++
			if tr.Space != event.SpaceFloor || tr.W != fw || tr.H != fh {
				t.Fatalf("track in %q, %d×%d: %s", tr.Space, tr.W, tr.H, l.Payload)
			}
			// The figure walks left to right with its feet at 100 of 120 rows: about 2.3 m from the
			// camera's foot, from one side to the other.
			minX, maxX := math.Inf(1), math.Inf(-1)
			for _, p := range tr.Points {
				if p.Y < 1.5 || p.Y > 4 || math.Abs(p.X) > 6 {
					t.Fatalf("implausible floor point %+v in %s", p, l.Payload)
				}
				minX, maxX = min(minX, p.X), max(maxX, p.X)
			}
			if len(tr.Points) > 20 && maxX-minX < 1 {
				t.Errorf("a %d-point track spans only %.2f m", len(tr.Points), maxX-minX)
			}
		}
		if n == 0 {
			t.Fatal("no tracks in 30s of a walking figure")
		}
	})
}
