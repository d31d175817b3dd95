package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ashiato/ashiato/agent/config"
	"github.com/ashiato/ashiato/agent/control"
	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/agent/notice"
	"github.com/ashiato/ashiato/agent/ring"
	"github.com/ashiato/ashiato/hal"
	"github.com/ashiato/ashiato/hal/haltest"
)

// privacyStates returns the privacy messages, each repeat of the same state dropped.
func privacyStates(t *testing.T, ls []event.Line) []event.Privacy {
	t.Helper()
	var out []event.Privacy
	for _, p := range decode[event.Privacy](t, ls, event.LeafPrivacy) {
		if len(out) == 0 || out[len(out)-1].State != p.State || out[len(out)-1].Cause != p.Cause {
			out = append(out, p)
		}
	}
	return out
}

// stateNames lists privacy states as "state cause".
func stateNames(ps []event.Privacy) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.State+" "+p.Cause)
	}
	return out
}

func count(ls []event.Line, leaf string) int {
	n := 0
	for _, l := range ls {
		if strings.HasSuffix(l.Topic, "/"+leaf) {
			n++
		}
	}
	return n
}

func TestPauseWithButton(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		cfg := &config.Config{MQTT: config.MQTT{Broker: "stdout"}, Pause: config.Pause{DefaultDuration: config.Duration(time.Hour)}}
		r.start(t, ctx, cfg)
		go r.feed(ctx)

		time.Sleep(30 * time.Second)
		synctest.Wait()
		if !r.cam.IsStreaming() || !r.led.IsOn() {
			t.Fatal("not capturing after 30s")
		}
		before := r.out.lines(t)
		if count(before, event.LeafTracks) == 0 {
			t.Fatal("no track closed in 30s of a walking figure")
		}
		// Pause mid-walk: the open track must be closed and published while capture is paused.
		time.Sleep(time.Second)
		r.button.Press(time.Now())
		synctest.Wait()
		if r.cam.IsStreaming() || r.led.IsOn() {
			t.Fatal("camera streams or LED on after the press")
		}
		during := r.out.lines(t)
		if count(during, event.LeafTracks) <= count(before, event.LeafTracks) {
			t.Error("the open track was not published when capture paused")
		}
		ps := privacyStates(t, during)
		if last := ps[len(ps)-1]; last.State != event.PrivacyPaused || last.Cause != "button" ||
			last.Reason != control.CauseButton.Label() || last.Until == 0 {
			t.Fatalf("privacy after the press: %+v", last)
		}
		frames := r.cam.FramesRead()
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		if r.cam.FramesRead() != frames {
			t.Fatal("frames read while paused")
		}
		// The second press resumes.
		r.button.Press(time.Now())
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if !r.cam.IsStreaming() {
			t.Fatal("second press did not resume")
		}
		cancel()
		if err := <-r.errc; err != nil {
			t.Fatalf("Run: %v", err)
		}
		r.h.Check(t)

		ls := r.out.lines(t)
		states := stateNames(privacyStates(t, ls))
		want := []string{"capturing ", "paused button", "capturing ", "stopped shutdown"}
		if strings.Join(states, "|") != strings.Join(want, "|") {
			t.Errorf("privacy states %q, want %q", states, want)
		}
		// Retained notice, and the attestation in the final status.
		var noticeOK bool
		var final event.Status
		for _, l := range ls {
			switch {
			case strings.HasSuffix(l.Topic, "/"+event.LeafNotice):
				noticeOK = l.Retain && bytes.Equal(l.Payload, notice.Default().WithDefaults().JSON(event.Version))
			case strings.HasSuffix(l.Topic, "/"+event.LeafStatus):
				if err := json.Unmarshal(l.Payload, &final); err != nil {
					t.Fatal(err)
				}
			}
		}
		if !noticeOK {
			t.Error("no retained notice matching the effective notice")
		}
		a := final.Attestation
		if final.State != event.StateStopped || final.Capturing || a == nil || !a.IndicatorOK || a.Indicator != "gpio" ||
			!a.PanelOK || a.PanelLastRefresh == 0 || a.NoticeHash != notice.Default().WithDefaults().Hash() {
			t.Errorf("final status %+v attestation %+v", final, a)
		}
		if panelSays(r.pnl.Image) != haltest.NoticeOff {
			t.Error("panel not left showing that capture is off")
		}
	})
}

func TestCameraLossReopens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		r.start(t, ctx, &config.Config{MQTT: config.MQTT{Broker: "stdout"}})
		go r.feed(ctx)
		time.Sleep(5 * time.Second)
		r.cam.Errs <- fmt.Errorf("v4l2: %w", hal.ErrGone)
		synctest.Wait()
		if r.cam.IsStreaming() || r.led.IsOn() {
			t.Fatal("lost camera left streaming or the LED on")
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if !r.cam.IsStreaming() {
			t.Fatal("camera not reopened after 2s")
		}
		cancel()
		if err := <-r.errc; err != nil {
			t.Fatalf("Run: %v", err)
		}
		r.h.Check(t)
		states := stateNames(privacyStates(t, r.out.lines(t)))
		if got := strings.Join(states, "|"); !strings.Contains(got, "fault camera-gone|capturing ") {
			t.Errorf("privacy states %q lack the fault and the recovery", states)
		}
	})
}

func TestFiniteSourceErrorEndsRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig().bare()
		devs := r.devices()
		devs.Finite = true
		go r.feed(t.Context())
		bad := errors.New("y4m: truncated frame")
		go func() { time.Sleep(time.Second); r.cam.Errs <- bad }()
		err := run(t.Context(), devs, Options{Config: &config.Config{MQTT: config.MQTT{Broker: "stdout"}}, Stdout: r.out}, r.seams())
		if !errors.Is(err, bad) {
			t.Fatalf("Run = %v, want the camera error", err)
		}
		if r.cam.IsStreaming() || r.led.IsOn() {
			t.Fatal("camera or LED left on")
		}
		r.h.Check(t)
	})
}

// unlocked makes the rig's ring fail to lock, as it does for a user with a small RLIMIT_MEMLOCK.
func (r *rig) unlocked() seams {
	sm := r.seams()
	sm.newRing = func(o ring.Options) (*ring.Ring, error) { o.NoLock = true; return ring.New(o) }
	return sm
}

func TestUnlockedRingRefusedWhenRequired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig().bare()
		go r.feed(t.Context())
		yes := true
		cfg := &config.Config{MQTT: config.MQTT{Broker: "stdout"}, Privacy: config.Privacy{RequireLockedMemory: &yes}}
		done := make(chan error, 1)
		go func() {
			done <- run(t.Context(), r.devices(), Options{Config: cfg, Stdout: r.out, DrainTimeout: time.Second}, r.unlocked())
		}()
		var err error
		select {
		case err = <-done:
		case <-time.After(time.Minute):
			t.Fatal("Run kept going with an unlocked ring that the configuration requires to be locked")
		}
		if !errors.Is(err, ErrUnlockedRing) || !strings.Contains(err.Error(), "require_locked_memory") {
			t.Fatalf("Run = %v; want ErrUnlockedRing with advice", err)
		}
		if r.cam.IsStreaming() || r.led.IsOn() {
			t.Fatal("camera or LED left on after refusing to run")
		}
		r.h.Check(t)
	})
}

func TestUnlockedRingReportedWhenAllowed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig().bare()
		ctx, cancel := context.WithCancel(t.Context())
		go r.feed(ctx)
		no := false
		cfg := &config.Config{MQTT: config.MQTT{Broker: "stdout", StatusInterval: config.Duration(time.Second)},
			Privacy: config.Privacy{RequireLockedMemory: &no}}
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, r.devices(), Options{Config: cfg, Stdout: r.out, DrainTimeout: time.Second}, r.unlocked())
		}()
		time.Sleep(5 * time.Second)
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run = %v", err)
		}
		ss := decode[event.Status](t, r.out.lines(t), event.LeafStatus)
		last := ss[len(ss)-1]
		if last.Frames == 0 || last.RingLocked || !slices.ContainsFunc(last.Warnings, func(w string) bool {
			return strings.Contains(w, "not locked")
		}) {
			t.Fatalf("final status %+v; want frames, ring_locked false and a warning", last)
		}
	})
}
