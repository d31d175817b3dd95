package agent

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ashiato/ashiato/agent/config"
	"github.com/ashiato/ashiato/agent/control"
	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/agent/notice"
	"github.com/ashiato/ashiato/agent/panel"
	"github.com/ashiato/ashiato/agent/ring"
	"github.com/ashiato/ashiato/hal"
	"github.com/ashiato/ashiato/hal/haltest"
)

// syncBuffer is the stdout sink, read by the test while the agent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// lines returns the messages written so far.
func (s *syncBuffer) lines(t *testing.T) []event.Line {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []event.Line
	sc := bufio.NewScanner(bytes.NewReader(s.b.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l event.Line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("stdout line is not JSON: %v: %s", err, sc.Bytes())
		}
		out = append(out, l)
	}
	return out
}

// rig is an agent over recording fakes: every camera start/stop, LED switch and panel draw goes into one
// ordered log.
type rig struct {
	mu  sync.Mutex
	log []string

	cam    *haltest.Camera
	led    *haltest.LED
	pnl    *haltest.Panel
	button *haltest.Button
	out    *syncBuffer
	errc   chan error

	noPanel bool // the agent runs without a panel: skip the panel rule
}

func (r *rig) add(s string) {
	r.mu.Lock()
	r.log = append(r.log, s)
	r.mu.Unlock()
}

type rigCamera struct{ r *rig }

func (c rigCamera) Start(ctx context.Context) (hal.Format, error) {
	f, err := c.r.cam.Start(ctx)
	if err == nil {
		c.r.add("start")
	}
	return f, err
}
func (c rigCamera) ReadFrame(ctx context.Context, f *hal.Frame) error {
	return c.r.cam.ReadFrame(ctx, f)
}
func (c rigCamera) Stop() error { c.r.add("stop"); return c.r.cam.Stop() }

type rigLED struct{ r *rig }

func (l rigLED) Set(on bool) error {
	err := l.r.led.Set(on)
	if err == nil {
		l.r.add(fmt.Sprintf("led %v", on))
	}
	return err
}

// rigPanel classifies every image drawn by its state bar: inverted (capturing or fault) or not (paused
// or stopped, which claim capture is off).
type rigPanel struct{ r *rig }

func (p rigPanel) Bounds() image.Rectangle { return p.r.pnl.Bounds() }
func (p rigPanel) Halt() error             { return p.r.pnl.Halt() }
func (p rigPanel) Draw(img image.Image, full bool) error {
	err := p.r.pnl.Draw(img, full)
	if err == nil {
		p.r.add("panel " + barMode(img))
	}
	return err
}

// barMode reads the state bar: "on" when it is inverted (mostly black), else "off".
func barMode(img image.Image) string {
	l := panel.LayoutFor(notice.Default(), panel.Size)
	black, all := 0, 0
	for y := l.Bar.Min.Y; y < l.Bar.Max.Y-2; y++ {
		for x := l.Bar.Min.X; x < l.Bar.Max.X; x++ {
			if r, _, _, _ := img.At(x, y).RGBA(); r < 0x8000 {
				black++
			}
			all++
		}
	}
	if black*2 > all {
		return "on"
	}
	return "off"
}

const fw, fh = 160, 120

// frame draws a bright person-sized block walking left to right over a dark floor.
func frame(k int) []byte {
	b := bytes.Repeat([]byte{40}, fw*fh)
	x0 := 5 + (k*3)%(fw-20)
	for y := 40; y < 100; y++ {
		for x := x0; x < x0+14; x++ {
			b[y*fw+x] = 220
		}
	}
	return b
}

func newRig() *rig {
	return &rig{
		cam:    &haltest.Camera{Format: hal.Format{Width: fw, Height: fh, FPS: 10}, Frames: make(chan []byte), Errs: make(chan error, 1)},
		led:    &haltest.LED{},
		pnl:    &haltest.Panel{},
		button: haltest.NewButton(),
		out:    &syncBuffer{},
		errc:   make(chan error, 1),
	}
}

func (r *rig) devices() Devices {
	return Devices{Camera: rigCamera{r}, LED: rigLED{r}, Indicator: "gpio", Panel: rigPanel{r}, Button: r.button}
}

// bareDevices is devices without a panel or a button (and tells check there is no panel rule).
func (r *rig) bareDevices() Devices {
	r.noPanel = true
	d := r.devices()
	d.Panel, d.Button = nil, nil
	return d
}

func (r *rig) start(ctx context.Context, cfg *config.Config) {
	go func() {
		r.errc <- Run(ctx, r.devices(), Options{Config: cfg, Stdout: r.out, DrainTimeout: time.Second})
	}()
}

// feed delivers a frame every 100ms whenever the camera streams, until ctx is done.
func (r *rig) feed(ctx context.Context) {
	for k := 0; ; {
		select {
		case r.cam.Frames <- frame(k):
			k++
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

// check asserts, over the whole log: the LED is on whenever the camera streams; the camera starts only
// while the panel's last image says capture is on; the panel never says capture is off while the
// camera streams.
func (r *rig) check(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	led, streaming, panelOn := false, false, r.noPanel
	for i, e := range r.log {
		switch e {
		case "led true":
			led = true
		case "led false":
			if streaming {
				t.Errorf("log[%d]: LED off while the camera streams: %v", i, r.log)
			}
			led = false
		case "start":
			if !led || !panelOn {
				t.Errorf("log[%d]: camera started with led=%v panel says on=%v: %v", i, led, panelOn, r.log)
			}
			streaming = true
		case "stop":
			streaming = false
		case "panel on":
			panelOn = true
		case "panel off":
			if streaming {
				t.Errorf("log[%d]: panel says capture is off while the camera streams: %v", i, r.log)
			}
			panelOn = false
		}
	}
}

func privacyStates(ls []event.Line) []event.Privacy {
	var out []event.Privacy
	for _, l := range ls {
		if strings.HasSuffix(l.Topic, "/"+event.LeafPrivacy) {
			var p event.Privacy
			json.Unmarshal(l.Payload, &p)
			if len(out) == 0 || out[len(out)-1].State != p.State || out[len(out)-1].Reason != p.Reason {
				out = append(out, p)
			}
		}
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
		r.start(ctx, cfg)
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
		ps := privacyStates(during)
		if last := ps[len(ps)-1]; last.State != event.PrivacyPaused || last.Reason != control.ReasonButton || last.Until == 0 {
			t.Fatalf("privacy after the press: %+v", last)
		}
		frames := r.cam.Reads
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		if r.cam.Reads != frames {
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
		r.check(t)

		ls := r.out.lines(t)
		var states []string
		for _, p := range privacyStates(ls) {
			states = append(states, p.State+" "+p.Reason)
		}
		want := []string{"capturing ", "paused " + control.ReasonButton, "capturing ", "stopped " + control.ReasonShutdown}
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
				json.Unmarshal(l.Payload, &final)
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
		if barMode(r.pnl.Image) != "off" {
			t.Error("panel not left showing that capture is off")
		}
	})
}

func TestCameraLossReopens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		r.start(ctx, &config.Config{MQTT: config.MQTT{Broker: "stdout"}})
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
		r.check(t)
		var states []string
		for _, p := range privacyStates(r.out.lines(t)) {
			states = append(states, p.State+" "+p.Reason)
		}
		if got := strings.Join(states, "|"); !strings.Contains(got, "fault "+control.ReasonGone+"|capturing ") {
			t.Errorf("privacy states %q lack the fault and the recovery", states)
		}
	})
}

func TestFiniteSourceErrorEndsRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig()
		devs := r.bareDevices()
		devs.Finite = true
		go r.feed(t.Context())
		bad := errors.New("y4m: truncated frame")
		go func() { time.Sleep(time.Second); r.cam.Errs <- bad }()
		err := Run(t.Context(), devs, Options{Config: &config.Config{MQTT: config.MQTT{Broker: "stdout"}}, Stdout: r.out})
		if !errors.Is(err, bad) {
			t.Fatalf("Run = %v, want the camera error", err)
		}
		if r.cam.IsStreaming() || r.led.IsOn() {
			t.Fatal("camera or LED left on")
		}
		r.check(t)
	})
}

// unlockedRings makes the agent's ring fail to lock, as it does for a user with a small RLIMIT_MEMLOCK.
func unlockedRings(t *testing.T) {
	newRing = func(o ring.Options) (*ring.Ring, error) { o.NoLock = true; return ring.New(o) }
	t.Cleanup(func() { newRing = ring.New })
}

func TestUnlockedRingRefusedWhenRequired(t *testing.T) {
	unlockedRings(t)
	synctest.Test(t, func(t *testing.T) {
		r := newRig()
		devs := r.bareDevices()
		go r.feed(t.Context())
		yes := true
		cfg := &config.Config{MQTT: config.MQTT{Broker: "stdout"}, Privacy: config.Privacy{RequireLockedMemory: &yes}}
		done := make(chan error, 1)
		go func() { done <- Run(t.Context(), devs, Options{Config: cfg, Stdout: r.out, DrainTimeout: time.Second}) }()
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
		r.check(t)
	})
}

func TestUnlockedRingReportedWhenAllowed(t *testing.T) {
	unlockedRings(t)
	synctest.Test(t, func(t *testing.T) {
		r := newRig()
		devs := r.bareDevices()
		ctx, cancel := context.WithCancel(t.Context())
		go r.feed(ctx)
		no := false
		cfg := &config.Config{MQTT: config.MQTT{Broker: "stdout", StatusInterval: config.Duration(time.Second)},
			Privacy: config.Privacy{RequireLockedMemory: &no}}
		done := make(chan error, 1)
		go func() { done <- Run(ctx, devs, Options{Config: cfg, Stdout: r.out, DrainTimeout: time.Second}) }()
		time.Sleep(5 * time.Second)
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run = %v", err)
		}
		var last event.Status
		for _, l := range r.out.lines(t) {
			if strings.HasSuffix(l.Topic, "/status") {
				json.Unmarshal(l.Payload, &last)
			}
		}
		if last.Frames == 0 || last.RingLocked || !slices.ContainsFunc(last.Warnings, func(w string) bool {
			return strings.Contains(w, "not locked")
		}) {
			t.Fatalf("final status %+v; want frames, ring_locked false and a warning", last)
		}
	})
}
