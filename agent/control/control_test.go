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

// entry is one thing that happened to a device, or one state the controller announced.
type entry struct {
	at   time.Time
	what string // "start", "stop", "led on", "led off", "state <mode>", "ready"
}

// world records every device call in one ordered log, so the invariants can be checked over the history.
type world struct {
	mu  sync.Mutex
	log []entry

	cam *haltest.Camera
	led *haltest.LED
	ctl *Controller

	frames int // frames read by Stream; guarded by mu
}

func (w *world) add(what string) {
	w.mu.Lock()
	w.log = append(w.log, entry{time.Now(), what})
	w.mu.Unlock()
}

type recCamera struct{ w *world }

func (c recCamera) Start(ctx context.Context) (hal.Format, error) {
	f, err := c.w.cam.Start(ctx)
	if err == nil {
		c.w.add("start")
	} else {
		c.w.add("start failed")
	}
	return f, err
}
func (c recCamera) ReadFrame(ctx context.Context, f *hal.Frame) error {
	return c.w.cam.ReadFrame(ctx, f)
}
func (c recCamera) Stop() error {
	err := c.w.cam.Stop()
	c.w.add("stop")
	return err
}

type recLED struct{ w *world }

func (l recLED) Set(on bool) error {
	err := l.w.led.Set(on)
	if err == nil {
		l.w.add(map[bool]string{true: "led on", false: "led off"}[on])
	}
	return err
}

// newWorld builds a controller over recording fakes. The camera delivers a frame every 100ms of (fake)
// time while streaming.
func newWorld(t *testing.T, opts Options) *world {
	w := &world{
		cam: &haltest.Camera{Format: hal.Format{Width: 8, Height: 4}, Frames: make(chan []byte), Errs: make(chan error, 1)},
		led: &haltest.LED{},
	}
	opts.Camera, opts.LED = recCamera{w}, recLED{w}
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
		w.add("state " + s.Mode + " " + s.Reason)
		if prevChanged != nil {
			prevChanged(s)
		}
	}
	opts.Ready = func(ctx context.Context) { w.add("ready") }
	var err error
	w.ctl, err = New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// feed sends frames every 100ms until ctx is done.
func (w *world) feed(ctx context.Context) {
	for {
		select {
		case w.cam.Frames <- nil:
		case <-ctx.Done():
			return
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return
		}
	}
}

// run starts the controller and the frame feeder; stop cancels both and returns Run's error.
func (w *world) run(ctx context.Context) (stop func() error) {
	ctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- w.ctl.Run(ctx) }()
	go w.feed(ctx)
	return func() error {
		cancel()
		err := <-errc
		synctest.Wait()
		return err
	}
}

// check asserts the LED invariants over the whole log: the LED is on whenever the camera streams (it goes
// on before start and off only after stop), the LED is off within 1 s of the camera stopping unless it
// failed, and no state announced while the camera streams claims that capture is off.
func (w *world) check(t *testing.T) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	led, streaming := false, false
	claimOff := true // before anything is announced, the panel may show anything
	var stoppedAt time.Time
	for i, e := range w.log {
		switch {
		case e.what == "led on":
			led, stoppedAt = true, time.Time{}
		case e.what == "led off":
			if streaming {
				t.Errorf("log[%d] %v: LED switched off while the camera streams\n%s", i, e.at, w.dump())
			}
			led, stoppedAt = false, time.Time{}
		case e.what == "start":
			if !led {
				t.Errorf("log[%d]: camera started with the LED off\n%s", i, w.dump())
			}
			if claimOff {
				t.Errorf("log[%d]: camera started while the notice said capture was off\n%s", i, w.dump())
			}
			streaming = true
		case e.what == "stop":
			if streaming {
				stoppedAt = e.at
			}
			streaming = false
		case strings.HasPrefix(e.what, "state "):
			mode := strings.Fields(e.what)[1]
			off := mode == Paused || mode == Stopped
			if off && streaming {
				t.Errorf("log[%d]: %q announced while the camera streams\n%s", i, e.what, w.dump())
			}
			claimOff = off
		}
		if led && !streaming && !stoppedAt.IsZero() && e.at.Sub(stoppedAt) > time.Second && w.led.Err == nil {
			t.Errorf("log[%d]: LED still on %v after the camera stopped\n%s", i, e.at.Sub(stoppedAt), w.dump())
			stoppedAt = time.Time{}
		}
	}
}

func (w *world) dump() string {
	var b strings.Builder
	for i, e := range w.log {
		fmt.Fprintf(&b, "  %3d %s %s\n", i, e.at.Format("15:04:05.000"), e.what)
	}
	return b.String()
}

func (w *world) count(what string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, e := range w.log {
		if e.what == what {
			n++
		}
	}
	return n
}

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
		if s.Mode != Paused || s.Reason != "棚卸し" || !s.Until.Equal(s.Since.Add(10*time.Minute)) {
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
		if s.Reason != ReasonRemote || s.Until.Sub(s.Since) != 24*time.Hour {
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
		if s := w.ctl.State(); s.Mode != Stopped || s.Reason != ReasonShutdown || w.led.IsOn() || w.cam.IsStreaming() {
			t.Fatalf("after shutdown: %+v led=%v", s, w.led.IsOn())
		}
		if got := w.count("start"); got != 3 {
			t.Errorf("%d camera starts, want 3", got)
		}
		w.check(t)
	})
}

func TestButtonToggles(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, Options{})
		stop := w.run(t.Context())
		time.Sleep(time.Second)
		w.ctl.Press()
		synctest.Wait()
		if s := w.ctl.State(); s.Mode != Paused || s.Reason != ReasonButton || !s.Until.Equal(s.Since.Add(15*time.Minute)) {
			t.Fatalf("first press: %+v", s)
		}
		time.Sleep(time.Minute)
		w.ctl.Press()
		synctest.Wait()
		if s := w.ctl.State(); s.Mode != Capturing || !w.cam.IsStreaming() {
			t.Fatalf("second press: %+v", s)
		}
		stop()
		w.check(t)
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
		w.cam.Mu.Lock()
		w.cam.StartErr = fmt.Errorf("v4l2: open: %w", hal.ErrGone)
		w.cam.Mu.Unlock()
		failAt := time.Now()
		w.cam.Errs <- fmt.Errorf("v4l2: no frame for 3s: %w", hal.ErrStalled)
		synctest.Wait()
		if s := w.ctl.State(); s.Mode != Fault || s.Reason != ReasonStalled {
			t.Fatalf("after a stall: %+v", s)
		}
		if w.cam.IsStreaming() || w.led.IsOn() {
			t.Fatal("stalled camera left streaming or LED on")
		}
		for len(restarts) < 4 {
			before := w.count("start failed")
			time.Sleep(100 * time.Millisecond)
			if w.count("start failed") > before {
				restarts = append(restarts, time.Now())
			}
			if time.Since(failAt) > time.Minute {
				t.Fatalf("only %d restarts in a minute", len(restarts))
			}
		}
		if s := w.ctl.State(); s.Mode != Fault || s.Reason != ReasonGone {
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
		w.cam.Mu.Lock()
		w.cam.StartErr = nil
		w.cam.Mu.Unlock()
		time.Sleep(31 * time.Second)
		synctest.Wait()
		if s := w.ctl.State(); s.Mode != Capturing || !w.cam.IsStreaming() || !w.led.IsOn() {
			t.Fatalf("camera back but not capturing: %+v", s)
		}
		stop()
		w.check(t)
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
		if s := w.ctl.State(); s.Mode != Fault || s.Reason != ReasonLED {
			t.Fatalf("LED broken at start: %+v", s)
		}
		if n := w.count("start") + w.count("start failed"); n != 0 {
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
		if s := w.ctl.State(); s.Mode != Fault || s.Reason != ReasonLED {
			t.Fatalf("LED failed while capturing: %+v", s)
		}
		w.led.SetErr(nil)
		time.Sleep(time.Minute)
		synctest.Wait()
		if !w.cam.IsStreaming() {
			t.Fatal("did not recover after the LED came back")
		}
		stop()
		w.check(t)
	})
}

func TestLEDCannotSwitchOffOnPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, Options{})
		stop := w.run(t.Context())
		time.Sleep(time.Second)
		// Only switching off fails: the camera must still be stopped, and the state says fault.
		w.led.Mu.Lock()
		w.led.Err = errors.New("stuck")
		w.led.Mu.Unlock()
		w.ctl.Pause("", time.Hour)
		synctest.Wait()
		if w.cam.IsStreaming() {
			t.Fatal("camera streams after a pause")
		}
		if s := w.ctl.State(); s.Mode != Fault || s.Reason != ReasonLED {
			t.Fatalf("LED stuck on: %+v", s)
		}
		w.led.SetErr(nil)
		time.Sleep(3 * time.Second)
		synctest.Wait()
		if s := w.ctl.State(); s.Mode != Paused || w.led.IsOn() {
			t.Fatalf("LED off retried: %+v, led on %v", s, w.led.IsOn())
		}
		stop()
		w.check(t)
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
		if s := w.ctl.State(); s.Mode != Stopped || s.Reason != ReasonSchedule {
			t.Fatalf("before opening: %+v", s)
		}
		if w.count("start") != 0 || w.led.IsOn() {
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
		if s := w.ctl.State(); s.Mode != Stopped || s.Reason != ReasonSchedule || w.cam.IsStreaming() || w.led.IsOn() {
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
		if s := w.ctl.State(); s.Mode != Stopped || s.Reason != ReasonSchedule {
			t.Fatalf("resume after hours: %+v", s)
		}
		stop()
		if w.count("start") != 1 {
			t.Errorf("%d starts, want 1", w.count("start"))
		}
		w.check(t)
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
		if s := w.ctl.State(); s.Mode != Stopped || s.Reason != ReasonEnd || w.led.IsOn() || w.cam.IsStreaming() {
			t.Fatalf("after the end: %+v", s)
		}
		w.check(t)
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
		w.check(t)
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
		w.check(t)
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
		w.check(t)
		w.mu.Lock()
		defer w.mu.Unlock()
		var got []string
		for _, e := range w.log {
			got = append(got, e.what)
		}
		seq := strings.Join(got, ",")
		for _, sub := range []string{
			"led on,state capturing ,ready,start",          // first start
			"stop,led off,state paused " + ReasonRemote,    // pause
			"led on,state capturing ,ready,start",          // resume after a minute
			"stop,led off,state stopped " + ReasonShutdown, // shutdown
		} {
			if !strings.Contains(seq, sub) {
				t.Errorf("log lacks %q:\n%s", sub, w.dump())
			}
		}
	})
}
