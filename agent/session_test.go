package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ashiato/ashiato/agent/config"
	"github.com/ashiato/ashiato/agent/control"
	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/hal"
	"github.com/ashiato/ashiato/hal/haltest"
)

// TestPauseWipesWaitingFramesBeforeLEDOff sends pause commands whose free-text reason is each of the
// agent's own reason texts while frames wait in the ring behind a busy tracker. Every pause must make the
// waiting frames unreachable before the LED goes off, and no frame may be tracked after that.
func TestPauseWipesWaitingFramesBeforeLEDOff(t *testing.T) {
	for _, reason := range []string{"", "staff meeting", control.CauseShutdown.Label(), control.CauseEnd.Label(),
		control.CauseSchedule.Label(), control.CauseButton.Label()} {
		t.Run(strconv.Quote(reason), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newRig().bare()
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				r.tr.hold() // the tracker is busy with the first frame; the next ones wait in the ring
				r.start(t, ctx, &config.Config{MQTT: config.MQTT{Broker: "stdout"}})
				go r.feed(ctx)
				time.Sleep(2 * time.Second)
				synctest.Wait()
				if c := r.rg.Load().Counters(); c.Waiting != 2 {
					t.Fatalf("%d frames waiting in the ring, want 2 (4 slots, one held by the tracker, one by capture)", c.Waiting)
				}
				payload, err := json.Marshal(map[string]string{"reason": reason})
				if err != nil {
					t.Fatal(err)
				}
				r.command(event.LeafPause, string(payload))
				synctest.Wait()
				r.tr.release()
				synctest.Wait()
				time.Sleep(time.Second)
				synctest.Wait()
				if r.cam.IsStreaming() || r.led.IsOn() {
					t.Fatal("camera streams or LED on after the pause")
				}
				cancel()
				if err := <-r.errc; err != nil {
					t.Fatalf("Run: %v", err)
				}
				r.h.Check(t)

				// At the pause's LED off nothing waits in the ring, and no step follows it.
				evs := r.h.Events()
				off := -1
				for i, e := range evs {
					if e.What == haltest.LEDOff {
						off = i
						break
					}
				}
				if off < 0 {
					t.Fatalf("the LED never went off:\n%s", r.h)
				}
				for _, e := range evs[off:] {
					if strings.HasPrefix(e.What, "track ") {
						t.Errorf("frame tracked after the pause's LED off: %s", e.What)
					}
				}
				if off+1 >= len(evs) || evs[off+1].What != "waiting 0" {
					t.Errorf("frames still waiting in the ring when the LED went off for the pause")
				}
				if t.Failed() {
					t.Logf("history:\n%s", r.h)
				}
			})
		})
	}
}

// TestSessionBoundaryKeepsFrameSize: a camera that fails while a track is open and comes back at another
// resolution, while the tracker lags behind, publishes that track with the frame size it was seen at.
func TestSessionBoundaryKeepsFrameSize(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig().bare()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		r.start(t, ctx, &config.Config{MQTT: config.MQTT{Broker: "stdout"}})
		go r.feed(ctx)
		time.Sleep(3 * time.Second) // the figure has walked 3 s: its track is open
		synctest.Wait()
		r.tr.hold()
		time.Sleep(150 * time.Millisecond) // the next frame arrives and its step waits
		synctest.Wait()
		held, stepping := r.tr.last()
		if !stepping {
			t.Fatal("the tracker is not held in a step")
		}
		// The camera vanishes and comes back at 128×96 while the tracker is still busy.
		r.cam.SetFormat(hal.Format{Width: 128, Height: 96, FPS: 10})
		r.cam.Errs <- fmt.Errorf("v4l2: %w", hal.ErrGone)
		synctest.Wait()
		time.Sleep(5 * time.Second)
		synctest.Wait()
		r.tr.release()
		time.Sleep(5 * time.Second)
		cancel()
		if err := <-r.errc; err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("Run: %v", err)
		}
		r.h.Check(t)

		old := 0
		for _, tr := range decode[event.Track](t, r.out.lines(t), event.LeafTracks) {
			if tr.Points[0].F > held {
				continue // seen after the restart
			}
			old++
			if tr.W != fw || tr.H != fh {
				t.Errorf("track %s seen in the 160×120 session (frames %d…) published as %d×%d",
					tr.ID, tr.Points[0].F, tr.W, tr.H)
			}
		}
		if old == 0 {
			t.Fatal("no track of the first session was published")
		}
	})
}

// stuckWriter is a stdout sink that stops accepting writes once stuck is set, until unstuck is closed.
type stuckWriter struct {
	w       *syncBuffer
	stuck   atomic.Bool
	unstuck chan struct{}
}

func (s *stuckWriter) Write(p []byte) (int, error) {
	if s.stuck.Load() {
		<-s.unstuck
	}
	return s.w.Write(p)
}

// TestStuckSinkDoesNotHoldUpControl: the controller's state changes are announced outside its goroutine,
// so a stdout pipe that stops reading cannot keep a pause from being undone. It runs on the real clock:
// a stuck writer blocks on a mutex, which testing/synctest does not count as durably blocked.
func TestStuckSinkDoesNotHoldUpControl(t *testing.T) {
	r := newRig().bare()
	r.button = haltest.NewButton()
	r.led.Changed = make(chan bool, 16)
	out := &stuckWriter{w: r.out, unstuck: make(chan struct{})}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, r.devices(), Options{Config: &config.Config{MQTT: config.MQTT{Broker: "stdout"}},
			Stdout: out, DrainTimeout: time.Second}, r.seams())
	}()
	go r.feed(ctx)
	waitLED := func(want bool, what string) {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case on := <-r.led.Changed:
				if on == want {
					return
				}
			case <-timeout:
				close(out.unstuck)
				t.Fatalf("LED never went %v: %s", want, what)
			}
		}
	}
	waitLED(true, "capture did not start")
	out.stuck.Store(true)
	r.button.Press(time.Now()) // pause
	waitLED(false, "the pause was not carried out")
	r.button.Press(time.Now()) // resume, while the sink still does not read
	waitLED(true, "capture did not resume while the stdout sink was stuck: the controller waited for it")
	close(out.unstuck)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	r.h.Check(t)
}

// TestCommandFloodDoesNotFloodTheLog: 5000 bad commands in a burst are all counted, but the log carries
// only a few of their warnings and then how many it held back.
func TestCommandFloodDoesNotFloodTheLog(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig().bare()
		var logBuf syncBuffer
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, r.devices(), Options{Config: &config.Config{MQTT: config.MQTT{Broker: "stdout",
				StatsInterval: config.Duration(time.Second)}}, Stdout: r.out, DrainTimeout: time.Second,
				Logger: slog.New(slog.NewTextHandler(&logBuf, nil))}, r.seams())
		}()
		go r.feed(ctx)
		time.Sleep(time.Second)
		for i := range 5000 {
			r.command(event.LeafPause, fmt.Sprintf(`{"reason":"x","bogus":%d}`, i))
		}
		time.Sleep(2 * time.Minute)
		r.command(event.LeafPause, `{"bogus":true}`) // a new period: says how many were held back
		time.Sleep(2 * time.Second)
		if !r.led.IsOn() {
			t.Error("a rejected command paused capture")
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
		logged := strings.Count(logBuf.b.String(), `msg="command rejected"`)
		if logged > 10 {
			t.Errorf("%d warnings logged for 5001 rejected commands; want a handful", logged)
		}
		if !strings.Contains(logBuf.b.String(), "suppressed=") {
			t.Error("the log does not say how many warnings it held back")
		}
		stats := decode[event.Stats](t, r.out.lines(t), event.LeafStats)
		if got := stats[len(stats)-1].CommandsRejects; got != 5001 {
			t.Errorf("commands_rejected %d, want 5001: the count must not be limited", got)
		}
	})
}
