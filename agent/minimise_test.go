package agent

import (
	"context"
	"math"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ashiato/ashiato/agent/config"
	"github.com/ashiato/ashiato/agent/event"
)

// TestMinimisationAtTheSource: a live camera's tracks leave the sensor minimised by default (at most 2
// points a second, coordinates on a 1/1000 grid, a track shorter than 2 s withheld and counted); a replay's
// keep every point, unless asked.
func TestMinimisationAtTheSource(t *testing.T) {
	no, yes := false, true
	for _, tc := range []struct {
		name      string
		source    string
		enabled   *bool
		minimised bool
	}{
		{"live camera", "v4l2:/dev/video0", nil, true},
		{"live camera, turned off", "v4l2:/dev/video0", &no, false},
		{"replay", "y4m:clip.y4m", nil, false},
		{"replay, asked for", "y4m:clip.y4m", &yes, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newRig().bare()
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				cfg := &config.Config{Capture: config.Capture{Source: tc.source},
					MQTT:    config.MQTT{Broker: "stdout", StatsInterval: config.Duration(time.Second)},
					Privacy: config.Privacy{RequireLockedMemory: &no, Minimise: config.Minimise{Enabled: tc.enabled}}}
				r.button = nil
				r.start(t, ctx, cfg)
				go r.feed(ctx)
				time.Sleep(1500 * time.Millisecond) // a track has begun, 1.5 s long
				r.command(event.LeafPause, `{}`)    // and is closed by the pause
				time.Sleep(2 * time.Second)
				r.command(event.LeafResume, `{}`)
				time.Sleep(20 * time.Second)
				cancel()
				if err := <-r.errc; err != nil {
					t.Fatalf("Run: %v", err)
				}
				ls := r.out.lines(t)
				tracks := decode[event.Track](t, ls, event.LeafTracks)
				stats := decode[event.Stats](t, ls, event.LeafStats)
				status := decode[event.Status](t, ls, event.LeafStatus)
				if len(tracks) == 0 || len(stats) == 0 {
					t.Fatalf("%d tracks, %d stats", len(tracks), len(stats))
				}
				if got := status[len(status)-1].Attestation.Minimised; got != tc.minimised {
					t.Errorf("attestation says minimised %v, want %v", got, tc.minimised)
				}
				withheld := stats[len(stats)-1].TracksWithheld
				short := tracks[0].Points[len(tracks[0].Points)-1].T-tracks[0].Points[0].T < 2000
				if tc.minimised && (withheld == 0 || short) {
					t.Errorf("the 1.5 s track was published (withheld %d, first track short %v)", withheld, short)
				}
				if !tc.minimised && (withheld != 0 || !short) {
					t.Errorf("a track was withheld (%d) without minimisation, or the short one is missing", withheld)
				}
				for _, tr := range tracks {
					fast := false
					for i, p := range tr.Points {
						if i > 0 && i < len(tr.Points)-1 && p.T-tr.Points[i-1].T < 500 {
							fast = true
						}
						if tc.minimised && math.Abs(p.X*1000-math.Round(p.X*1000)) > 1e-6 {
							t.Fatalf("point %v is not on the 1/1000 grid", p)
						}
					}
					if fast == tc.minimised {
						t.Errorf("track %s of %d points: points less than 0.5 s apart %v, want %v", tr.ID, len(tr.Points), fast, !tc.minimised)
					}
				}
			})
		})
	}
}
