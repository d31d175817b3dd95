package control

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ashiato/ashiato/agent/control/schedule"
	"github.com/ashiato/ashiato/hal"
	"github.com/ashiato/ashiato/hal/haltest"
)

// world is a controller over the shared haltest rig: every camera start and stop, LED switch and announced
// state goes into one ordered History, whose invariants haltest checks.
type world struct {
	h   *haltest.History
	cam *haltest.Camera
	led *haltest.LED
	ctl *Controller

	mu     sync.Mutex
	frames int // frames read by Stream
}

// newWorld builds a controller over the rig. Every announced state is recorded as "state <mode> <cause>"
// and as the notice event it amounts to (paused and stopped say capture is off), and every Ready call as
// "ready".
func newWorld(t *testing.T, opts Options) *world {
	h := &haltest.History{}
	w := &world{
		h:   h,
		cam: &haltest.Camera{Format: hal.Format{Width: 8, Height: 4}, Frames: make(chan []byte), Errs: make(chan error, 1), Log: h},
		led: &haltest.LED{Log: h},
	}
	opts.Camera, opts.LED = w.cam, w.led
	opts.Stream = func(ctx context.Context, f hal.Format) error {
		fr := hal.Frame{Pix: make([]byte, f.Size())}
		for {
			if err := opts.Camera.ReadFrame(ctx, &fr); err != nil {
				return err
			}
			w.mu.Lock()
			w.frames++
			w.mu.Unlock()
		}
	}
	prevChanged := opts.Changed
	opts.Changed = func(s State) {
		h.Add("state " + s.Mode + " " + s.Cause.String())
		if s.Mode == Paused || s.Mode == Stopped {
			h.Add(haltest.NoticeOff)
		} else {
			h.Add(haltest.NoticeOn)
		}
		if prevChanged != nil {
			prevChanged(s)
		}
	}
	opts.Ready = func(ctx context.Context) { h.Add("ready") }
	var err error
	w.ctl, err = New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// run starts the controller and a frame every 100 ms; stop cancels both and returns Run's error.
func (w *world) run(ctx context.Context) (stop func() error) {
	ctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- w.ctl.Run(ctx) }()
	go w.cam.Feed(ctx, 100*time.Millisecond, nil)
	return func() error {
		cancel()
		err := <-errc
		synctest.Wait()
		return err
	}
}

func (w *world) count(what string) int { return w.h.Count(what) }

func (w *world) framesRead() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.frames
}

func TestPauseResumeAndExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, Options{PauseDefault: 10 * time.Minute})
		stop := w.run(t.Context())
		time.Sleep(time.Second)
		synctest.Wait()
		if s := w.ctl.State(); s.Mode != Capturing || !w.cam.IsStreaming() || !w.led.IsOn() || w.framesRead() == 0 {
			t.Fatalf("not capturing after 1s: %+v streaming=%v led=%v frames=%d", s, w.cam.IsStreaming(), w.led.IsOn(), w.framesRead())
		}

		w.ctl.Pause("棚卸し", 0)
		synctest.Wait()
		s := w.ctl.State()
		if s.Mode != Paused || s.Cause != CauseCommand || s.Note != "棚卸し" || s.Reason() != "遠隔操作（棚卸し）" ||
			!s.Until.Equal(s.Since.Add(10*time.Minute)) {
			t.Fatalf("after Pause: %+v", s)
		}
		if w.cam.IsStreaming() || w.led.IsOn() {
			t.Fatal("paused but the camera streams or the LED is on")
		}
		n := w.framesRead()
		time.Sleep(5 * time.Minute)
		if w.framesRead() != n {
			t.Fatal("frames read while paused")
		}
		w.ctl.Resume()
		synctest.Wait()
		if s := w.ctl.State(); s.Mode != Capturing || !w.cam.IsStreaming() {
			t.Fatalf("after Resume: %+v", s)
		}

		// A pause ends by itself; a remote pause's duration is capped at PauseMax (24h).
		w.ctl.Pause("", 48*time.Hour)
		synctest.Wait()
		s = w.ctl.State()
		if s.Cause != CauseCommand || s.Reason() != "遠隔操作" || s.Until.Sub(s.Since) != 24*time.Hour {
			t.Fatalf("capped pause: %+v", s)
		}
		time.Sleep(24*time.Hour - time.Second)
		synctest.Wait()
		if w.ctl.State().Mode != Paused {
			t.Fatal("pause ended early")
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if s := w.ctl.State(); s.Mode != Capturing || !w.cam.IsStreaming() {
			t.Fatalf("pause did not expire: %+v", s)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if s := w.ctl.State(); s.Mode != Stopped || s.Cause != CauseShutdown || w.led.IsOn() || w.cam.IsStreaming() {
			t.Fatalf("after shutdown: %+v led=%v", s, w.led.IsOn())
		}
		if got := w.count(haltest.CameraStart); got != 3 {
			t.Errorf("%d camera starts, want 3", got)
		}
		w.h.Check(t)
	})
}

func TestButtonToggles(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, Options{})
		stop := w.run(t.Context())
		time.Sleep(time.Second)
		w.ctl.Press()
		synctest.Wait()
		if s := w.ctl.State(); s.Mode != Paused || s.Cause != CauseButton || !s.Until.Equal(s.Since.Add(15*time.Minute)) {
			t.Fatalf("first press: %+v", s)
		}
		time.Sleep(time.Minute)
		w.ctl.Press()
		synctest.Wait()
		if s := w.ctl.State(); s.Mode != Capturing || !w.cam.IsStreaming() {
			t.Fatalf("second press: %+v", s)
		}
		stop()
		w.h.Check(t)
	})
}

func TestCameraStallReopensWithBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var restarts []time.Time
		w := newWorld(t, Options{})
		stop := w.run(t.Context())
		time.Sleep(time.Second)
		synctest.Wait()

		// The camera stalls, and then refuses to start four times.
		w.cam.SetStartErr(fmt.Errorf("v4l2: open: %w", hal.ErrGone))
		failAt := time.Now()
		w.cam.Errs <- fmt.Errorf("v4l2: no frame for 3s: %w", hal.ErrStalled)
		synctest.Wait()
		if s := w.ctl.State(); s.Mode != Fault || s.Cause != CauseStalled {
			t.Fatalf("after a stall: %+v", s)
		}
		if w.cam.IsStreaming() || w.led.IsOn() {
			t.Fatal("stalled camera left streaming or LED on")
		}
		for len(restarts) < 4 {
			before := w.count(haltest.CameraStartFailed)
			time.Sleep(100 * time.Millisecond)
			if w.count(haltest.CameraStartFailed) > before {
				restarts = append(restarts, time.Now())
			}
			if time.Since(failAt) > time.Minute {
				t.Fatalf("only %d restarts in a minute", len(restarts))
			}
		}
		if s := w.ctl.State(); s.Mode != Fault || s.Cause != CauseGone {
			t.Fatalf("camera gone: %+v", s)
		}
		// Backoff with jitter: the n-th wait is within [b/2, b] for b = 1s, 2s, 4s, 8s (±one poll step).
		prev := failAt
		for i, at := range restarts {
			b := time.Second << i
			if d := at.Sub(prev); d < b/2 || d > b+100*time.Millisecond {
				t.Errorf("restart %d after %v, want %v..%v", i, d, b/2, b)
			}
			prev = at
		}
		if got := w.ctl.Counters().Restarts; got != 4 {
			t.Errorf("Restarts = %d, want 4", got)
		}
		w.cam.SetStartErr(nil)
		time.Sleep(31 * time.Second)
		synctest.Wait()
		if s := w.ctl.State(); s.Mode != Capturing || !w.cam.IsStreaming() || !w.led.IsOn() {
			t.Fatalf("camera back but not capturing: %+v", s)
		}
		stop()
		w.h.Check(t)
	})
}

func TestLEDFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, Options{})
		broken := errors.New("gpioled: write failed")
		w.led.SetErr(broken)
		stop := w.run(t.Context())
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if s := w.ctl.State(); s.Mode != Fault || s.Cause != CauseLED {
			t.Fatalf("LED broken at start: %+v", s)
		}
		if n := w.count(haltest.CameraStart) + w.count(haltest.CameraStartFailed); n != 0 {
			t.Fatalf("camera started %d times with a broken LED", n)
		}
		if w.ctl.Counters().LEDOK {
			t.Fatal("Counters.LEDOK with a broken LED")
		}
		w.led.SetErr(nil)
		time.Sleep(31 * time.Second)
		synctest.Wait()
		if s := w.ctl.State(); s.Mode != Capturing || !w.cam.IsStreaming() || !w.ctl.Counters().LEDOK {
			t.Fatalf("LED repaired but not capturing: %+v", s)
		}

		// The LED fails while capturing: capture stops within LEDCheck (1s).
		w.led.SetErr(broken)
		time.Sleep(1100 * time.Millisecond)
		synctest.Wait()
		if w.cam.IsStreaming() {
			t.Fatal("camera still streams after the LED failed")
		}
		if s := w.ctl.State(); s.Mode != Fault || s.Cause != CauseLED {
			t.Fatalf("LED failed while capturing: %+v", s)
		}
		w.led.SetErr(nil)
		time.Sleep(time.Minute)
		synctest.Wait()
		if !w.cam.IsStreaming() {
			t.Fatal("did not recover after the LED came back")
		}
		stop()
		w.h.Check(t)
	})
}

func TestLEDCannotSwitchOffOnPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, Options{})
		stop := w.run(t.Context())
		time.Sleep(time.Second)
		// Only switching off fails: the camera must still be stopped, and the state says fault.
		w.led.SetErr(errors.New("stuck"))
		w.ctl.Pause("", time.Hour)
		synctest.Wait()
		if w.cam.IsStreaming() {
			t.Fatal("camera streams after a pause")
		}
		if s := w.ctl.State(); s.Mode != Fault || s.Cause != CauseLED {
			t.Fatalf("LED stuck on: %+v", s)
		}
		w.led.SetErr(nil)
		time.Sleep(3 * time.Second)
		synctest.Wait()
		if s := w.ctl.State(); s.Mode != Paused || w.led.IsOn() {
			t.Fatalf("LED off retried: %+v, led on %v", s, w.led.IsOn())
		}
		stop()
		w.h.Check(t)
	})
}

func TestSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The fake clock starts at 2000-01-01 00:00 UTC, a Saturday.
		sch, err := schedule.Parse("UTC", []string{"sat 09:00-17:00"})
		if err != nil {
			t.Fatal(err)
		}
		w := newWorld(t, Options{Schedule: sch, LEDCheck: time.Minute})
		stop := w.run(t.Context())
		time.Sleep(time.Hour)
		synctest.Wait()
		if s := w.ctl.State(); s.Mode != Stopped || s.Cause != CauseSchedule {
			t.Fatalf("before opening: %+v", s)
		}
		if w.count(haltest.CameraStart) != 0 || w.led.IsOn() {
			t.Fatal("camera started or LED on outside the opening hours")
		}
		time.Sleep(8*time.Hour + time.Second) // 09:00:01
		synctest.Wait()
		if s := w.ctl.State(); s.Mode != Capturing || !w.cam.IsStreaming() {
			t.Fatalf("after opening: %+v", s)
		}
		if h := w.ctl.State().Since.UTC().Hour(); h != 9 {
			t.Errorf("capture began at hour %d, want 9", h)
		}
		time.Sleep(8 * time.Hour) // 17:00:01
		synctest.Wait()
		if s := w.ctl.State(); s.Mode != Stopped || s.Cause != CauseSchedule || w.cam.IsStreaming() || w.led.IsOn() {
			t.Fatalf("after closing: %+v", s)
		}
		// A pause outside the hours shows as paused; resuming goes back to stopped, not capturing.
		w.ctl.Press()
		synctest.Wait()
		if w.ctl.State().Mode != Paused {
			t.Fatalf("press after hours: %+v", w.ctl.State())
		}
		w.ctl.Press()
		synctest.Wait()
		if s := w.ctl.State(); s.Mode != Stopped || s.Cause != CauseSchedule {
			t.Fatalf("resume after hours: %+v", s)
		}
		stop()
		if n := w.count(haltest.CameraStart); n != 1 {
			t.Errorf("%d starts, want 1", n)
		}
		w.h.Check(t)
	})
}

func TestEndOfSourceAndFinite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, Options{Finite: true})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		errc := make(chan error, 1)
		go func() { errc <- w.ctl.Run(ctx) }()
		w.cam.Frames <- nil
		w.cam.Frames <- nil
		close(w.cam.Frames)
		if err := <-errc; err != nil {
			t.Fatalf("Run at end of source: %v", err)
		}
		if s := w.ctl.State(); s.Mode != Stopped || s.Cause != CauseEnd || w.led.IsOn() || w.cam.IsStreaming() {
			t.Fatalf("after the end: %+v", s)
		}
		w.h.Check(t)
	})
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, Options{Finite: true})
		w.cam.StartErr = errors.New("y4m: bad header")
		err := w.ctl.Run(t.Context())
		if err == nil || !strings.Contains(err.Error(), "bad header") {
			t.Fatalf("finite source that cannot start: %v", err)
		}
		if s := w.ctl.State(); s.Mode != Fault || w.led.IsOn() {
			t.Fatalf("after a failed finite start: %+v", s)
		}
		w.h.Check(t)
	})
}

func TestFatalStreamError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fatal := &FatalError{errors.New("ring not locked")}
		w := newWorld(t, Options{})
		w.ctl.opts.Stream = func(ctx context.Context, f hal.Format) error { return fatal }
		err := w.ctl.Run(t.Context())
		if !errors.Is(err, fatal) {
			t.Fatalf("Run = %v, want the fatal error", err)
		}
		if w.led.IsOn() || w.cam.IsStreaming() {
			t.Fatal("fatal error left the camera or LED on")
		}
		w.h.Check(t)
	})
}

// TestNoticeBeforeStart checks that resuming announces capturing and waits for Ready before the camera
// starts, and that stopping announces paused only after the camera stopped and the LED went off.
func TestNoticeBeforeStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, Options{})
		stop := w.run(t.Context())
		time.Sleep(time.Second)
		w.ctl.Pause("", time.Minute)
		time.Sleep(2 * time.Minute)
		stop()
		w.h.Check(t)
		var got []string
		for _, e := range w.h.Events() {
			if e.What != haltest.NoticeOn && e.What != haltest.NoticeOff {
				got = append(got, e.What)
			}
		}
		seq := strings.Join(got, ",")
		for _, sub := range []string{
			"led on,state capturing ,ready,camera start", // first start
			"camera stop,led off,state paused command",   // pause
			"led on,state capturing ,ready,camera start", // resume after a minute
			"camera stop,led off,state stopped shutdown", // shutdown
		} {
			if !strings.Contains(seq, sub) {
				t.Errorf("history lacks %q:\n%s", sub, w.h)
			}
		}
	})
}

// TestCauseIsTyped: a remote pause whose free text is one of the device's own labels is still a remote
// pause, and is shown as one.
func TestCauseIsTyped(t *testing.T) {
	for _, c := range []Cause{CauseSchedule, CauseShutdown, CauseEnd, CauseButton, CauseLED} {
		synctest.Test(t, func(t *testing.T) {
			w := newWorld(t, Options{})
			stop := w.run(t.Context())
			time.Sleep(time.Second)
			w.ctl.Pause(c.Label(), time.Minute)
			synctest.Wait()
			s := w.ctl.State()
			if s.Mode != Paused || s.Cause != CauseCommand || s.Reason() != "遠隔操作（"+c.Label()+"）" {
				t.Errorf("pause with the note %q: %+v, reason %q", c.Label(), s, s.Reason())
			}
			stop()
			w.h.Check(t)
		})
	}
}

// TestStopCause: Stream learns from its context why its session ended, before the LED goes off.
func TestStopCause(t *testing.T) {
	sch, err := schedule.Parse("UTC", []string{"sat 00:00-00:10"}) // the fake clock starts Saturday 00:00
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts Options
		act  func(w *world, cancel context.CancelFunc)
		want Cause
	}{
		{"command", Options{}, func(w *world, _ context.CancelFunc) { w.ctl.Pause("x", time.Minute) }, CauseCommand},
		{"button", Options{}, func(w *world, _ context.CancelFunc) { w.ctl.Press() }, CauseButton},
		{"schedule", Options{Schedule: sch}, func(w *world, _ context.CancelFunc) { time.Sleep(10 * time.Minute) }, CauseSchedule},
		{"led", Options{}, func(w *world, _ context.CancelFunc) { w.led.SetErr(errors.New("broken")); time.Sleep(2 * time.Second) }, CauseLED},
		{"shutdown", Options{}, func(w *world, cancel context.CancelFunc) { cancel() }, CauseShutdown},
	} {
		synctest.Test(t, func(t *testing.T) {
			got := make(chan string, 1)
			w := newWorld(t, tc.opts)
			stream := w.ctl.opts.Stream
			w.ctl.opts.Stream = func(ctx context.Context, f hal.Format) error {
				err := stream(ctx, f)
				c, ok := StopCause(ctx)
				got <- fmt.Sprintf("%v %v led=%v", c, ok, w.led.IsOn())
				return err
			}
			ctx, cancel := context.WithCancel(t.Context())
			stop := w.run(ctx)
			time.Sleep(time.Second)
			tc.act(w, cancel)
			synctest.Wait()
			if want := fmt.Sprintf("%v true led=true", tc.want); len(got) == 0 || <-got != want {
				t.Errorf("%s: stream saw a different end, want %q", tc.name, want)
			}
			stop()
		})
	}
}

func TestCheckPauseLength(t *testing.T) {
	for _, d := range []time.Duration{0, time.Second, time.Hour, 24 * time.Hour} {
		if err := CheckPauseLength(d); err != nil {
			t.Errorf("CheckPauseLength(%v) = %v", d, err)
		}
	}
	for _, d := range []time.Duration{-time.Second, time.Millisecond, 24*time.Hour + time.Second} {
		if err := CheckPauseLength(d); err == nil || err.Error() != "must be between 1s and 24h0m0s" {
			t.Errorf("CheckPauseLength(%v) = %v", d, err)
		}
	}
}

// TestHeartbeat: Run answers from its loop, saying whether frames should flow; a controller that is not
// in its loop does not answer.
func TestHeartbeat(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, Options{})
		beat := func() (streaming, ok bool) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			defer cancel()
			return w.ctl.Heartbeat(ctx)
		}
		if _, ok := beat(); ok {
			t.Fatal("a controller that is not running answered")
		}
		stop := w.run(t.Context())
		time.Sleep(time.Second)
		synctest.Wait()
		if streaming, ok := beat(); !ok || !streaming {
			t.Errorf("capturing: streaming %v, answered %v; want both", streaming, ok)
		}
		w.ctl.Pause("", time.Hour)
		synctest.Wait()
		if streaming, ok := beat(); !ok || streaming {
			t.Errorf("paused: streaming %v, answered %v; want an answer that frames need not flow", streaming, ok)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if _, ok := beat(); ok {
			t.Error("a controller whose Run returned answered")
		}
	})
}
