package agent

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/config"
	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/agent/notice"
	"github.com/ashiato/ashiato/agent/panel"
	"github.com/ashiato/ashiato/agent/publish"
	"github.com/ashiato/ashiato/agent/ring"
	"github.com/ashiato/ashiato/agent/tracker"
	"github.com/ashiato/ashiato/hal"
	"github.com/ashiato/ashiato/hal/haltest"
)

// fw and fh are the rig camera's frame size.
const fw, fh = 160, 120

// rig is an agent over the shared haltest fakes: every camera start and stop, LED switch, panel draw and
// tracker step goes into one ordered History, checked with History.Check. Commands are delivered in
// process, and the ring and the tracker are observed through the agent's seams.
type rig struct {
	h      *haltest.History
	cam    *haltest.Camera
	led    *haltest.LED
	pnl    *haltest.Panel // nil: the agent runs without a panel
	button *haltest.Button
	out    *syncBuffer
	cmds   chan publish.Message
	errc   chan error

	rg atomic.Pointer[ring.Ring] // the ring the agent made
	tr recTracker
}

// newRig returns a rig with a 160×120 camera, an LED, a panel and a button.
func newRig() *rig {
	h := &haltest.History{}
	r := &rig{
		h:      h,
		cam:    &haltest.Camera{Format: hal.Format{Width: fw, Height: fh, FPS: 10}, Frames: make(chan []byte), Errs: make(chan error, 1), Log: h},
		led:    &haltest.LED{Log: h},
		pnl:    &haltest.Panel{Log: h, Says: panelSays},
		button: haltest.NewButton(),
		out:    &syncBuffer{},
		cmds:   make(chan publish.Message, 16),
		errc:   make(chan error, 1),
	}
	r.tr.h = h
	return r
}

// bare drops the panel and the button.
func (r *rig) bare() *rig {
	r.pnl, r.button = nil, nil
	return r
}

func (r *rig) devices() Devices {
	d := Devices{Camera: r.cam, LED: probeLED{r}, Indicator: "gpio"}
	if r.pnl != nil {
		d.Panel = r.pnl
	}
	if r.button != nil {
		d.Button = r.button
	}
	return d
}

func (r *rig) seams() seams {
	return seams{
		newTracker: func(c tracker.Config) Tracker { r.tr.Tracker = tracker.New(c); return &r.tr },
		commands:   r.cmds,
		newRing: func(o ring.Options) (*ring.Ring, error) {
			rg, err := ring.New(o)
			if err == nil {
				r.rg.Store(rg)
			}
			return rg, err
		},
	}
}

// run runs the agent with cfg until ctx is done, and returns Run's error.
func (r *rig) run(ctx context.Context, cfg *config.Config) error {
	return run(ctx, r.devices(), Options{Config: cfg, Stdout: r.out, DrainTimeout: time.Second}, r.seams())
}

// start runs the agent in a goroutine until ctx is done; its error arrives on r.errc. If the test ends
// first (a failure), the agent is stopped and waited for then.
func (r *rig) start(t *testing.T, ctx context.Context, cfg *config.Config) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { r.errc <- r.run(ctx, cfg); close(done) }()
	t.Cleanup(func() {
		cancel()
		r.tr.release()
		<-done
	})
}

// feed delivers a frame of the walking figure every 100 ms whenever the camera streams, until ctx is done.
func (r *rig) feed(ctx context.Context) {
	r.cam.Feed(ctx, 100*time.Millisecond, func(k int) []byte { return haltest.Walker(fw, fh, k) })
}

// command delivers an inbound MQTT command to the agent, as the broker would.
func (r *rig) command(leaf, payload string) {
	top := event.Topics{Store: "demo-store", Sensor: "sensor-1"}
	r.cmds <- publish.Message{Topic: top.Topic(leaf), Payload: []byte(payload), QoS: 1}
}

// probeLED is the rig's LED; when it goes off it also records how many frames were waiting in the ring.
type probeLED struct{ r *rig }

func (l probeLED) Set(on bool) error {
	err := l.r.led.Set(on)
	if err == nil && !on {
		if rg := l.r.rg.Load(); rg != nil {
			l.r.h.Add(fmt.Sprintf("waiting %d", rg.Counters().Waiting))
		}
	}
	return err
}

// recTracker is the real tracker, recording every step ("track <seq>") in the rig's history. Once hold
// is called, steps wait until release.
type recTracker struct {
	Tracker
	h *haltest.History

	mu       sync.Mutex
	gate     chan struct{} // nil: steps run at once
	lastSeq  uint64
	stepping bool
}

func (t *recTracker) Step(f *hal.Frame) []tracker.Track {
	t.h.Add(fmt.Sprintf("track %d", f.Seq))
	t.mu.Lock()
	gate := t.gate
	t.lastSeq, t.stepping = f.Seq, true
	t.mu.Unlock()
	if gate != nil {
		<-gate
	}
	defer func() { t.mu.Lock(); t.stepping = false; t.mu.Unlock() }()
	return t.Tracker.Step(f)
}

// hold makes the next steps wait until release.
func (t *recTracker) hold() {
	t.mu.Lock()
	t.gate = make(chan struct{})
	t.mu.Unlock()
}

// release lets held steps run, and the next ones too. Releasing twice is harmless.
func (t *recTracker) release() {
	t.mu.Lock()
	if t.gate != nil {
		close(t.gate)
		t.gate = nil
	}
	t.mu.Unlock()
}

// last returns the sequence number of the latest frame stepped, and whether a step is under way.
func (t *recTracker) last() (uint64, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lastSeq, t.stepping
}

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
	t.Helper()
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

// decode unmarshals every message on leaf into a T.
func decode[T any](t *testing.T, ls []event.Line, leaf string) []T {
	t.Helper()
	var out []T
	for _, l := range ls {
		if strings.HasSuffix(l.Topic, "/"+leaf) {
			var v T
			if err := json.Unmarshal(l.Payload, &v); err != nil {
				t.Fatalf("%s payload: %v: %s", leaf, err, l.Payload)
			}
			out = append(out, v)
		}
	}
	return out
}

// panelSays reads the panel's state bar: inverted (mostly black) says capturing or fault, which does not
// claim capture is off; plain says paused or stopped.
func panelSays(img image.Image) string {
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
		return haltest.NoticeOn
	}
	return haltest.NoticeOff
}
