// Package agent runs the sensor pipeline: camera → locked frame ring → tracker → MQTT, with the capture
// indicator and the notice panel kept truthful.
//
// Run wires the stages into one errgroup. Each stage is a func(ctx) error:
//
//   - capture is the state machine of package control. It alone switches the LED and starts and stops the
//     camera: LED on before the camera starts, camera stopped before the LED goes off. It pauses on the
//     button or an MQTT command, stops outside the opening hours, and reopens a failed camera with backoff.
//     While streaming, frames move into ring slots; a live camera never blocks on the tracker (when the ring
//     is full the oldest waiting frame is wiped and counted as dropped), while a source that can wait (a
//     replay with -pace asap, Devices.Backpressure) waits for a free slot so every frame is tracked. Privacy zones are blanked in the slot
//     before it is handed over. When capture pauses, the frames waiting in the ring are wiped.
//   - track takes slots oldest first, runs the pure tracker on them, wipes and releases them, and turns
//     closed tracks into messages. When capture pauses or stops, open tracks are closed and published; when
//     it resumes after a gap, the background model starts afresh.
//   - button and commands turn presses and MQTT cmd/pause and cmd/resume into requests to capture.
//   - status publishes the retained status and the periodic stats.
//
// Outside the errgroup, the publisher (package publish) delivers messages and never blocks the stages, and
// the display (package display) keeps the panel current; both outlive the stages so that the final state
// is shown and published.
//
// Every capture state change is published retained on the privacy topic and drawn on the panel. The notice
// is published retained on the notice topic at start; the configuration, and so the notice, cannot change
// while the agent runs: a new notice needs a restart.
//
// The agent sees devices only through package hal. It never imports periph, webcam or board: only the main
// package wires real devices in.
package agent

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ashiato/ashiato/agent/command"
	"github.com/ashiato/ashiato/agent/config"
	"github.com/ashiato/ashiato/agent/control"
	"github.com/ashiato/ashiato/agent/display"
	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/agent/floor"
	"github.com/ashiato/ashiato/agent/harden"
	"github.com/ashiato/ashiato/agent/panel"
	"github.com/ashiato/ashiato/agent/publish"
	"github.com/ashiato/ashiato/agent/ring"
	"github.com/ashiato/ashiato/agent/tracker"
	"github.com/ashiato/ashiato/agent/zones"
	"github.com/ashiato/ashiato/hal"
)

// Devices are the hardware seams the agent drives.
type Devices struct {
	Camera hal.Camera // required
	LED    hal.LED    // required: the capture indicator
	// Indicator names what LED is: "gpio", "ledclass", "virtual" (replayed and synthetic sources) or "none"
	// (development only).
	Indicator string
	// Panel shows the notice and the capture state; nil means none. Replayed and synthetic sources may
	// pass a display.PNGPanel.
	Panel  hal.Panel
	Button hal.Button // the pause button; nil means none
	// Backpressure is for sources that can wait, such as a file replayed as fast as possible: capture then
	// waits for a free ring slot instead of dropping the oldest frame, so every frame is tracked and a
	// replay gives the same result on any CPU. A live camera cannot wait; it must be false there.
	Backpressure bool
	// Finite is for replayed and synthetic sources: a camera error ends Run with that error instead of
	// reopening the camera. The end of a source always ends Run.
	Finite bool
}

// Options are Run's inputs besides the devices.
type Options struct {
	Config *config.Config // required; defaults are applied by Run
	// Broker overrides Config.MQTT.Broker; main sets it to the embedded broker's URL. "" means the config's.
	Broker string
	// Stdout receives the JSON lines when the broker is "stdout"; nil means os.Stdout.
	Stdout    io.Writer
	Logger    *slog.Logger // nil discards
	Version   string       // firmware build version, for status
	Hardening harden.State // what the process's hardening read back as, for the attestation
	// DrainTimeout bounds how long Run waits at the end for the broker to acknowledge closed tracks;
	// 0 means 30s.
	DrainTimeout time.Duration
	// PanelWait bounds how long capture waits for the panel to show "capturing" before the camera starts;
	// 0 means 30s. A panel that fails or is slower does not stop capture.
	PanelWait time.Duration
}

// Counters are the agent's running totals.
type Counters struct {
	Frames, FramesDropped         uint64
	TracksClosed, TracksPublished uint64
	InView                        int
	Capturing, RingLocked         bool
	RingFill, RingSlots           int
}

// minFrameSide is the smallest frame width and height the agent accepts from a camera.
const minFrameSide = 32

// newRing makes the frame ring; tests replace it to exercise an unlocked ring.
var newRing = ring.New

// ErrUnlockedRing is returned when the ring could not be locked and the configuration requires it.
var ErrUnlockedRing = errors.New("agent: frame ring could not be locked in RAM")

// resetGap is the longest pause after which the tracker keeps its background model.
const resetGap = 10 * time.Second

type runner struct {
	cfg  config.Config
	raw  *config.Config
	devs Devices
	pub  *publish.Publisher
	ctl  *control.Controller
	disp *display.Display // nil without a panel
	log  *slog.Logger
	opts Options
	top  event.Topics
	segs map[uint64]segState // by tracker id: tracks sent in segments so far; track goroutine only

	privMu sync.Mutex // serialises publishPrivacy

	started    time.Time
	configHash string
	noticeHash string
	cleartext  []string // status warnings about the broker link, fixed at start

	mu     sync.Mutex
	ring   *ring.Ring // set by the first capture session once the frame size is known
	format hal.Format

	ringOnce  sync.Once
	ringReady chan struct{} // closed once ring is set
	capDone   chan struct{} // closed when capture has ended for good
	paused    chan struct{} // capacity 1: capture paused or stopped; the tracker flushes

	seq      uint64        // next frame number; owned by the capture session running
	boundary atomic.Uint64 // the first frame number of the latest capture session

	frames       atomic.Uint64
	tracksClosed atomic.Uint64
	inView       atomic.Int64
	rejects      atomic.Uint64

	hom            *floor.Homography // image (normalised) to floor metres; nil: tracks stay in image space
	floorFallbacks atomic.Uint64     // track messages sent in image space because a point did not map

	statsMu     sync.Mutex // guards the fps estimate
	statsFrames uint64
	statsAt     time.Time
}

// Run runs the pipeline until ctx is done or a finite source ends. At the end every open track is closed
// and published, and Run waits (up to DrainTimeout) for the broker to acknowledge them. It returns nil after
// a clean end (end of replay or ctx cancelled), or the error that ended capture.
func Run(ctx context.Context, devs Devices, opts Options) error {
	if devs.Camera == nil || devs.LED == nil || opts.Config == nil {
		return errors.New("agent: Run needs a camera, an LED and a config")
	}
	r := &runner{
		cfg: opts.Config.WithDefaults(), raw: opts.Config, devs: devs, opts: opts,
		log: opts.Logger, started: time.Now(),
		ringReady: make(chan struct{}), capDone: make(chan struct{}), paused: make(chan struct{}, 1),
		segs: map[uint64]segState{},
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.opts.DrainTimeout == 0 {
		r.opts.DrainTimeout = 30 * time.Second
	}
	if r.opts.PanelWait == 0 {
		r.opts.PanelWait = 30 * time.Second
	}
	r.top = event.Topics{Store: r.cfg.Sensor.Store, Sensor: r.cfg.Sensor.ID}
	if devs.Indicator == "none" {
		r.log.Warn("DEVELOPMENT ONLY: capturing without an indicator LED (privacy.indicator = none); status carries a warning")
	}
	r.configHash = r.raw.Hash()
	notice := r.raw.EffectiveNotice()
	r.noticeHash = notice.Hash()
	if h, ok, err := r.cfg.Calibration.Homography(); err != nil {
		return fmt.Errorf("agent: %w", err)
	} else if ok {
		r.hom = &h
	}
	sched, err := r.cfg.Schedule.Parse()
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	broker := opts.Broker
	if broker == "" {
		broker = r.cfg.MQTT.Broker
	}
	user, pass, err := r.raw.Credentials()
	if err != nil {
		return err
	}
	if r.cleartext = cleartextWarnings(broker, pass != ""); r.cleartext != nil {
		r.log.Warn(r.cleartext[0])
	}
	r.pub, err = publish.New(publish.Config{
		Broker: broker, ClientID: r.cfg.MQTT.ClientID, Topics: r.top, Stdout: opts.Stdout,
		OutboxMessages: r.cfg.MQTT.OutboxMessages, OutboxBytes: r.cfg.MQTT.OutboxBytes,
		Status: r.statusBody, Username: user, Password: pass,
		CAFile: r.cfg.MQTT.CAFile, CertFile: r.cfg.MQTT.CertFile, KeyFile: r.cfg.MQTT.KeyFile,
		ServerName: r.cfg.MQTT.ServerName, Logger: r.log,
	})
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	if devs.Panel != nil {
		r.disp, err = display.New(display.Options{
			Panel: devs.Panel, Notice: notice, Location: sched.Location(), Logger: r.log,
		})
		if err != nil {
			return fmt.Errorf("agent: %w", err)
		}
	}
	r.ctl, err = control.New(control.Options{
		Camera: devs.Camera, LED: devs.LED, Stream: r.stream, Changed: r.changed, Ready: r.ready,
		Schedule: sched, PauseDefault: r.cfg.Pause.DefaultDuration.D(), PauseMax: r.cfg.Pause.MaxDuration.D(),
		Finite: devs.Finite, Logger: r.log,
	})
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}

	// The publisher outlives ctx: after a signal it must still deliver the tracks closed at shutdown.
	pubCtx, pubCancel := context.WithCancel(context.Background())
	pubDone := make(chan error, 1)
	go func() { pubDone <- r.pub.Run(pubCtx) }()
	defer func() {
		pubCancel()
		<-pubDone
	}()
	r.pub.SetRetained(r.top.Topic(event.LeafNotice), notice.JSON(event.Version))

	// The display outlives the stages too, so that the panel is left showing the final state.
	dispCancel := func() {}
	if r.disp != nil {
		dctx, cancel := context.WithCancel(context.Background())
		dispDone := make(chan struct{})
		go func() { r.disp.Run(dctx); close(dispDone) }()
		dispCancel = func() { cancel(); <-dispDone }
	}

	g, gctx := errgroup.WithContext(ctx)
	auxCtx, auxCancel := context.WithCancel(gctx) // inputs end with capture
	defer auxCancel()
	trackDone := make(chan struct{})
	g.Go(func() error {
		defer close(r.capDone)
		defer auxCancel()
		return r.ctl.Run(gctx)
	})
	g.Go(func() error { defer close(trackDone); return r.track(gctx) })
	g.Go(func() error { return r.status(gctx, trackDone) })
	g.Go(func() error { return r.commands(auxCtx) })
	if devs.Button != nil {
		g.Go(func() error { return r.button(auxCtx) })
	}
	err = g.Wait()
	dispCancel()

	r.mu.Lock()
	rg := r.ring
	r.mu.Unlock()
	if rg != nil {
		if cerr := rg.Close(); cerr != nil {
			r.log.Error("closing ring", "err", cerr)
		}
	}

	// Deliver what was closed, then say goodbye.
	dctx, cancel := context.WithTimeout(context.Background(), r.opts.DrainTimeout)
	defer cancel()
	r.publishPrivacy()
	r.pub.RefreshStatus()
	if derr := r.pub.Drain(dctx); derr != nil {
		c := r.pub.Counters()
		derr = fmt.Errorf("agent: %d closed tracks not acknowledged by the broker: %w", c.OutboxDepth, derr)
		err = errors.Join(err, derr)
	}
	if cerr := r.pub.Close(dctx); cerr != nil {
		r.log.Warn("closing MQTT session", "err", cerr)
	}
	return err
}

// stream is one capture session's frame loop, called by the controller after the camera started: it moves
// frames into ring slots until ctx is done or the camera fails or ends.
func (r *runner) stream(ctx context.Context, format hal.Format) error {
	if format.Width < minFrameSide || format.Height < minFrameSide {
		return &control.FatalError{Err: fmt.Errorf("agent: camera format %dx%d is too small to track people (at least %dx%d)",
			format.Width, format.Height, minFrameSide, minFrameSide)}
	}
	rg, err := r.ringFor(format)
	if err != nil {
		return err
	}
	var zoneList []zones.Polygon
	for _, z := range r.cfg.Tracker.PrivacyZones {
		zoneList = append(zoneList, zones.Polygon(z))
	}
	mask := zones.New(zoneList, format.Width, format.Height)
	r.boundary.Store(r.seq)
	start := r.seq
	for {
		var s *ring.Slot
		if r.devs.Backpressure {
			s, err = rg.AcquireWait(ctx)
		} else {
			s, err = rg.Acquire()
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return &control.FatalError{Err: fmt.Errorf("agent: %w", err)}
		}
		s.Frame.Seq = r.seq
		err = r.devs.Camera.ReadFrame(ctx, &s.Frame)
		if err != nil {
			rg.Abandon(s)
			switch {
			case ctx.Err() != nil:
				return ctx.Err()
			case errors.Is(err, io.EOF):
				r.log.Info("source ended", "frames", r.seq)
				return io.EOF
			default:
				return fmt.Errorf("agent: capture stopped after %d frames: %w", r.seq-start, err)
			}
		}
		if s.Frame.Width != format.Width || s.Frame.Height != format.Height || s.Frame.Stride < s.Frame.Width {
			rg.Abandon(s)
			return fmt.Errorf("agent: camera delivered a %dx%d frame, stride %d, after announcing %dx%d",
				s.Frame.Width, s.Frame.Height, s.Frame.Stride, format.Width, format.Height)
		}
		s.Frame.Seq = r.seq
		mask.Apply(&s.Frame) // privacy zones are blanked before anything else reads the frame
		rg.Put(s)
		r.seq++
		r.frames.Add(1)
	}
}

// ringFor returns the ring, making it on the first session. A later session whose frames do not fit the
// slots is a fatal error: the process restarts with a ring of the new size.
func (r *runner) ringFor(format hal.Format) (*ring.Ring, error) {
	r.mu.Lock()
	rg := r.ring
	r.mu.Unlock()
	if rg != nil {
		if format.Size() > rg.SlotSize() {
			return nil, &control.FatalError{Err: fmt.Errorf("agent: camera format changed to %dx%d, larger than the ring's slots",
				format.Width, format.Height)}
		}
		r.mu.Lock()
		r.format = format
		r.mu.Unlock()
		return rg, nil
	}
	rg, err := newRing(ring.Options{Slots: r.cfg.Capture.RingSlots, SlotSize: format.Size()})
	if err != nil {
		return nil, &control.FatalError{Err: fmt.Errorf("agent: %w", err)}
	}
	if !rg.Locked() {
		if r.raw.RequireLocked() {
			rg.Close()
			return nil, &control.FatalError{Err: fmt.Errorf("%w: %v; set privacy.require_locked_memory = false only for development",
				ErrUnlockedRing, rg.LockErr())}
		}
		r.log.Warn("frame ring is not locked in RAM; frames could reach swap", "err", rg.LockErr())
	}
	r.mu.Lock()
	r.ring, r.format = rg, format
	r.mu.Unlock()
	r.ringOnce.Do(func() { close(r.ringReady) })
	r.log.Info("frame ring ready", "width", format.Width, "height", format.Height, "fps", format.FPS,
		"slots", r.cfg.Capture.RingSlots, "ring_locked", rg.Locked())
	return rg, nil
}

// changed is called by the controller with every new capture state, after the devices are in it.
func (r *runner) changed(s control.State) {
	r.publishPrivacy()
	if r.disp != nil {
		r.disp.Show(panel.State{Mode: s.Mode, Reason: s.Reason, Since: s.Since})
	}
	if s.Mode != control.Capturing {
		// A pause wipes the frames still waiting; at the end of a replay or at shutdown they are tracked.
		if s.Reason != control.ReasonEnd && s.Reason != control.ReasonShutdown {
			r.mu.Lock()
			rg := r.ring
			r.mu.Unlock()
			if rg != nil {
				if n := rg.Wipe(); n > 0 {
					r.log.Info("wiped waiting frames", "frames", n)
				}
			}
		}
		select {
		case r.paused <- struct{}{}:
		default:
		}
	}
	r.pub.RefreshStatus()
}

// ready waits, before the camera starts, until the panel shows the state last shown, bounded by PanelWait.
func (r *runner) ready(ctx context.Context) {
	if r.disp == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, r.opts.PanelWait)
	defer cancel()
	if err := r.disp.Sync(ctx); err != nil && errors.Is(err, context.DeadlineExceeded) {
		r.log.Warn("panel did not finish drawing in time; starting capture anyway", "waited", r.opts.PanelWait)
	}
}

// publishPrivacy publishes the current capture state, retained.
func (r *runner) publishPrivacy() {
	// Read and publish under one lock: the status tick and a state change may both publish, and a stale
	// read must not overwrite a newer state (a "paused" retained while the camera streams again).
	r.privMu.Lock()
	defer r.privMu.Unlock()
	s := r.ctl.State()
	if s.Mode == "" {
		return
	}
	p := event.Privacy{V: event.Version, State: s.Mode, Reason: s.Reason, Since: s.Since.UnixMilli(),
		ForSeconds: max(0, time.Since(s.Since).Seconds())}
	if !s.Until.IsZero() {
		p.Until = s.Until.UnixMilli()
	}
	b, _ := json.Marshal(p)
	r.pub.SetRetained(r.top.Topic(event.LeafPrivacy), b)
}

// track feeds ring slots to the tracker until capture has ended and the ring is drained.
func (r *runner) track(ctx context.Context) error {
	select {
	case <-r.ringReady:
	case <-r.capDone:
		return nil // capture never started
	}
	r.mu.Lock()
	rg := r.ring
	r.mu.Unlock()
	tr := tracker.New(tracker.Config{
		ProcWidth:  r.cfg.Tracker.ProcWidth,
		MaxCoast:   r.cfg.Tracker.MaxCoast.D(),
		MinHits:    r.cfg.Tracker.MinHits,
		ROI:        r.cfg.Tracker.ROI,
		Shadows:    r.cfg.Tracker.Shadows,
		EdgeInView: r.cfg.Tracker.EdgeInView,
	})
	// Frames keep flowing until capture ends; then what is left in the ring is still tracked.
	nctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-r.capDone:
			cancel()
		case <-nctx.Done():
		}
	}()
	var lastSeq uint64
	var lastTime, lastSegCheck time.Time
	seen := false
	for {
		s, flush, err := r.next(nctx, rg)
		if flush {
			r.emit(tr.Flush())
			tr.Wipe() // no image-like state outlives capture
			r.inView.Store(0)
			continue
		}
		if err != nil {
			if s, _ = rg.TryNext(); s == nil {
				break
			}
		}
		if b := r.boundary.Load(); seen && lastSeq < b && s.Frame.Seq >= b {
			// The first frame of a new capture session: the last one's tracks end here, and after a
			// longer gap the background has changed too.
			r.emit(tr.Flush())
			if s.Frame.Time.Sub(lastTime) > resetGap {
				tr.Reset()
			}
		}
		seen, lastSeq, lastTime = true, s.Frame.Seq, s.Frame.Time
		closed := tr.Step(&s.Frame)
		rg.Release(s)
		r.inView.Store(int64(tr.InView()))
		r.emit(closed)
		// Long-open tracks go out in segments, checked once a second of frame time.
		// (s is released: use the copy of its time taken above.)
		if lastTime.Sub(lastSegCheck) >= time.Second || lastTime.Before(lastSegCheck) {
			lastSegCheck = lastTime
			r.emitSegments(tr.TakeSegments(r.cfg.MQTT.SegmentTime.D()))
		}
	}
	r.emit(tr.Flush())
	tr.Wipe()
	r.inView.Store(0)
	return nil
}

// next returns the oldest waiting slot, blocking until there is one. It returns flush = true instead when
// capture has paused or stopped and the ring is empty, and an error when ctx is done.
func (r *runner) next(ctx context.Context, rg *ring.Ring) (*ring.Slot, bool, error) {
	if s, err := rg.TryNext(); s != nil || err != nil {
		return s, false, err
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var flush atomic.Bool
	helper := make(chan struct{})
	go func() {
		defer close(helper)
		select {
		case <-r.paused:
			flush.Store(true)
			cancel()
		case <-wctx.Done():
		}
	}()
	s, err := rg.Next(wctx)
	cancel()
	<-helper // the helper has either taken the pause signal or not; it decides nothing after this
	if s != nil && flush.Load() {
		// A frame and the pause signal arrived together: track the frame now and keep the signal for the
		// next call, once the ring is empty.
		select {
		case r.paused <- struct{}{}:
		default:
		}
	}
	if s == nil && flush.Load() && ctx.Err() == nil {
		return nil, true, nil
	}
	return s, false, err
}

// emit publishes closed tracks: a track never segmented gets a fresh random id and goes out whole
// (seg 0, final); a segmented one goes out as its final segment, under the id its segments carried.
func (r *runner) emit(tracks []tracker.Track) {
	for _, t := range tracks {
		if len(t.Points) == 0 {
			continue
		}
		sg, ok := r.segs[t.ID]
		if !ok {
			sg = segState{id: newTrackID()}
		}
		delete(r.segs, t.ID)
		r.publishTrack(t, sg.id, sg.next, true)
	}
}

// emitSegments publishes the parts of long-open tracks that TakeSegments returned, each under its track's
// random id with the next segment number and final false.
func (r *runner) emitSegments(parts []tracker.Track) {
	for _, t := range parts {
		if len(t.Points) == 0 {
			continue
		}
		sg, ok := r.segs[t.ID]
		if !ok {
			sg = segState{id: newTrackID()}
		}
		r.publishTrack(t, sg.id, sg.next, false)
		sg.next++
		r.segs[t.ID] = sg
	}
}

// segState is the published identity of a track sent in segments: its random id and the next segment
// number. Only the track goroutine touches it.
type segState struct {
	id   string
	next int
}

// publishTrack encodes one track message (a whole track or one segment) and queues it. tracks_closed
// counts these messages, so a track sent in n segments counts n.
func (r *runner) publishTrack(t tracker.Track, id string, seg int, final bool) {
	r.mu.Lock()
	format := r.format
	r.mu.Unlock()
	space, points := r.toSpace(t.Points, format)
	msg := event.Track{
		V: event.Version, Sensor: r.cfg.Sensor.ID, ID: id, Space: space,
		W: format.Width, H: format.Height, Seg: seg, Final: final, Points: points,
	}
	b, err := json.Marshal(msg)
	if err != nil {
		r.log.Error("encoding track", "err", err)
		return
	}
	r.tracksClosed.Add(1)
	r.pub.Enqueue(publish.Message{Topic: r.top.Topic(event.LeafTracks), Payload: b, QoS: 1})
}

// toSpace converts one message's points from pixels to its space: floor metres (rounded to the
// millimetre) when the agent is calibrated, else fractions of the image. One message never mixes spaces:
// if any point does not map to the floor (it lies beyond the horizon), all of them are sent in image
// space, and the fallback is counted and logged.
func (r *runner) toSpace(pts []tracker.Point, format hal.Format) (string, []event.Point) {
	out := make([]event.Point, 0, len(pts))
	for _, p := range pts {
		out = append(out, event.Point{F: p.Frame, T: p.TimeMS,
			X: clamp01(p.X / float64(format.Width)), Y: clamp01(p.Y / float64(format.Height))})
	}
	if r.hom == nil {
		return event.SpaceImage, out
	}
	floorPts := make([]event.Point, len(out))
	for i, p := range out {
		X, Y, ok := r.hom.Apply(p.X, p.Y)
		if !ok {
			if n := r.floorFallbacks.Add(1); n&(n-1) == 0 { // log the 1st, 2nd, 4th, 8th, …
				r.log.Warn("track point beyond the calibrated floor's horizon; track sent in image space",
					"x", p.X, "y", p.Y, "fallbacks", n)
			}
			return event.SpaceImage, out
		}
		floorPts[i] = event.Point{F: p.F, T: p.T, X: math.Round(X*1000) / 1000, Y: math.Round(Y*1000) / 1000}
	}
	return event.SpaceFloor, floorPts
}

func clamp01(v float64) float64 { return min(max(v, 0), 1) }

// newTrackID returns 96 random bits as hex. Track ids are never derived from anything observable.
func newTrackID() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("BUG: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// commands turns MQTT commands into pause and resume requests until ctx is done. Rejected commands are
// logged and counted.
func (r *runner) commands(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-r.pub.Commands():
			r.command(m)
		}
	}
}

// command acts on one inbound command. command.Parse rejects (and this counts) anything but a live,
// well-formed pause or resume of this sensor, including the empty payload that clears a retained message.
func (r *runner) command(m publish.Message) {
	c, err := command.Parse(r.top, m.Topic, m.Payload, m.Retain)
	if err != nil {
		r.rejects.Add(1)
		r.log.Warn("command rejected", "topic", m.Topic, "err", err)
		return
	}
	ok := false
	switch c.Kind {
	case command.Pause:
		ok = r.ctl.Pause(c.Reason, c.For)
	case command.Resume:
		ok = r.ctl.Resume()
	}
	if !ok {
		r.rejects.Add(1)
		r.log.Warn("command dropped: too many requests", "command", c.Kind.String())
		return
	}
	r.log.Info("command accepted", "command", c.Kind.String(), "for", c.For, "reason", c.Reason)
}

// button turns presses of the pause button into requests until ctx is done. A failing button is logged
// and retried with backoff; it never stops capture.
func (r *runner) button(ctx context.Context) error {
	backoff := time.Second
	for {
		_, err := r.devs.Button.WaitPress(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			r.log.Warn("pause button", "err", err, "retry_in", backoff)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 30*time.Second)
			continue
		}
		backoff = time.Second
		r.log.Info("pause button pressed")
		r.ctl.Press()
	}
}

// status publishes the retained status (and refreshes the privacy state's age) every StatusInterval and
// the stats every StatsInterval, until done is closed.
func (r *runner) status(ctx context.Context, done <-chan struct{}) error {
	st := time.NewTicker(r.cfg.MQTT.StatusInterval.D())
	defer st.Stop()
	sx := time.NewTicker(r.cfg.MQTT.StatsInterval.D())
	defer sx.Stop()
	r.pub.RefreshStatus()
	for {
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return nil
		case <-st.C:
			r.publishPrivacy()
			r.pub.RefreshStatus()
		case <-sx.C:
			r.publishStats()
		}
	}
}

// counters returns the running totals. It is safe for concurrent use.
func (r *runner) counters() Counters {
	r.mu.Lock()
	rg := r.ring
	r.mu.Unlock()
	c := Counters{
		Frames: r.frames.Load(), TracksClosed: r.tracksClosed.Load(),
		Capturing: r.ctl.State().Mode == control.Capturing, InView: int(r.inView.Load()),
	}
	if rg != nil {
		rc := rg.Counters()
		c.FramesDropped, c.RingFill, c.RingSlots = rc.Dropped, rc.Fill, rc.Slots
		c.RingLocked = rg.Locked()
	}
	c.TracksPublished = r.pub.Counters().Published
	return c
}

// statusBody builds the status payload for a state and birth; publish calls it at every connect and
// refresh, from its own goroutine as well as from the stages, so it only reads atomics and locked state.
func (r *runner) statusBody(state string, birth uint64) []byte {
	if state == event.StateOffline { // the will: nothing but who and which birth
		b, _ := json.Marshal(event.Status{V: event.Version, State: state, Birth: birth, Sensor: r.cfg.Sensor.ID})
		return b
	}
	c := r.counters()
	cc := r.ctl.Counters()
	att := &event.Attestation{
		RingLocked: c.RingLocked, Dumpable: r.opts.Hardening.Dumpable, CoreLimit: r.opts.Hardening.CoreLimit,
		PrivacyZones: len(r.cfg.Tracker.PrivacyZones), Indicator: r.devs.Indicator, IndicatorOK: cc.LEDOK,
		NoticeHash: r.noticeHash, RequireLockedRing: r.raw.RequireLocked(),
	}
	if r.disp != nil {
		ds := r.disp.Status()
		att.PanelOK = ds.OK
		if !ds.LastRefresh.IsZero() {
			att.PanelLastRefresh = ds.LastRefresh.UnixMilli()
		}
	}
	st := event.Status{
		V: event.Version, State: state, Birth: birth, Sensor: r.cfg.Sensor.ID, Version: r.opts.Version,
		ConfigHash: r.configHash, Source: r.raw.SourceKind(), Capturing: c.Capturing && state == event.StateOnline,
		RingLocked: c.RingLocked, Frames: c.Frames, FramesDropped: c.FramesDropped,
		TracksClosed: c.TracksClosed, TracksPublished: c.TracksPublished, Attestation: att,
		Warnings: append(warnings(att, c), r.cleartext...),
	}
	b, _ := json.Marshal(st)
	return b
}

// warnings spells out, for status, every way the sensor runs below its privacy design.
func warnings(a *event.Attestation, c Counters) []string {
	var w []string
	switch {
	case a.Indicator == "none":
		w = append(w, "DEVELOPMENT ONLY: no capture indicator LED (privacy.indicator = none); shoppers cannot see when frames are captured")
	case !a.IndicatorOK:
		w = append(w, "capture indicator LED not working; capture is stopped until it is")
	}
	if c.RingSlots > 0 && !a.RingLocked { // once the ring exists
		w = append(w, "frame ring not locked in RAM: frames could reach swap (raise RLIMIT_MEMLOCK)")
	}
	if a.Dumpable != 0 || a.CoreLimit != 0 {
		w = append(w, "process can dump core: frames could reach a core file")
	}
	if (a.Indicator == "gpio" || a.Indicator == "ledclass") && !a.PanelOK { // a live camera
		w = append(w, "notice panel absent or not working: shoppers see no notice on the device")
	}
	return w
}

func (r *runner) publishStats() {
	c := r.counters()
	pc := r.pub.Counters()
	now := time.Now()
	r.statsMu.Lock()
	fps := 0.0
	if !r.statsAt.IsZero() && now.After(r.statsAt) && c.Frames >= r.statsFrames {
		fps = float64(c.Frames-r.statsFrames) / now.Sub(r.statsAt).Seconds()
	}
	r.statsFrames, r.statsAt = c.Frames, now
	r.statsMu.Unlock()
	st := event.Stats{
		V: event.Version, FPS: fps, Frames: c.Frames, FramesDropped: c.FramesDropped, InView: c.InView,
		RingFill: c.RingFill, RingSlots: c.RingSlots,
		OutboxDepth: pc.OutboxDepth, OutboxBytes: pc.OutboxBytes, Reconnects: pc.Reconnects,
		TracksClosed: c.TracksClosed, TracksPublished: pc.Published, TracksDropped: pc.Dropped,
		CommandsRejects: r.rejects.Load() + pc.CommandsDropped, CameraRestarts: r.ctl.Counters().Restarts,
		UptimeSeconds: now.Sub(r.started).Seconds(),
	}
	b, _ := json.Marshal(st)
	r.pub.SendEphemeral(publish.Message{Topic: r.top.Topic(event.LeafStats), Payload: b})
}
