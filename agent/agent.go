// Package agent runs the sensor pipeline: camera → locked frame ring → tracker → MQTT, with the capture
// indicator kept truthful.
//
// Run wires the stages into one errgroup. Each stage is a func(ctx) error:
//
//   - capture turns the LED on, starts the camera, and moves frames into ring slots. It never blocks on the
//     tracker: when the ring is full the oldest waiting frame is wiped and counted as dropped. Privacy
//     zones are blanked in the slot before it is handed over. When capture ends for any reason the camera
//     is stopped and the LED turned off.
//   - track takes slots oldest first, runs the pure tracker on them, wipes and releases them, and turns
//     closed tracks into messages.
//   - publish (package publish) delivers messages; it never blocks the other stages.
//   - status publishes the retained status and the periodic stats.
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
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ashiato/ashiato/agent/config"
	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/agent/harden"
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
	// Indicator names what LED is: "gpio", "virtual" (replayed and synthetic sources) or "none"
	// (development only).
	Indicator string
	Panel     hal.Panel  // nil means none
	Button    hal.Button // nil means none
	// Backpressure is for sources that can wait, such as a file replayed as fast as possible: capture then
	// waits for a free ring slot instead of dropping the oldest frame, so every frame is tracked and a
	// replay gives the same result on any CPU. A live camera cannot wait; it must be false there.
	Backpressure bool
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
}

// Counters are the agent's running totals.
type Counters struct {
	Frames, FramesDropped         uint64
	TracksClosed, TracksPublished uint64
	InView                        int
	Capturing, RingLocked         bool
}

// ErrUnlockedRing is returned when the ring could not be locked and the configuration requires it.
var ErrUnlockedRing = errors.New("agent: frame ring could not be locked in RAM")

type runner struct {
	cfg  config.Config
	raw  *config.Config
	devs Devices
	pub  *publish.Publisher
	log  *slog.Logger
	opts Options
	top  event.Topics

	started time.Time

	mu        sync.Mutex
	ring      *ring.Ring // set by capture once the frame size is known
	format    hal.Format
	capturing bool

	frames       atomic.Uint64
	tracksClosed atomic.Uint64
	inView       atomic.Int64

	captureDone chan struct{} // closed when capture has ended for good
	captureErr  error         // set before captureDone is closed
	ringReady   chan struct{} // closed once ring is set
}

// Run runs the pipeline until ctx is done or a finite source ends. At the end every open track is closed
// and published, and Run waits (up to DrainTimeout) for the broker to acknowledge them. It returns nil after
// a clean end (end of replay or ctx cancelled), or the error that stopped capture.
func Run(ctx context.Context, devs Devices, opts Options) error {
	if devs.Camera == nil || devs.LED == nil || opts.Config == nil {
		return errors.New("agent: Run needs a camera, an LED and a config")
	}
	r := &runner{
		cfg: opts.Config.WithDefaults(), raw: opts.Config, devs: devs, opts: opts,
		log: opts.Logger, started: time.Now(),
		captureDone: make(chan struct{}), ringReady: make(chan struct{}),
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.opts.DrainTimeout == 0 {
		r.opts.DrainTimeout = 30 * time.Second
	}
	r.top = event.Topics{Store: r.cfg.Sensor.Store, Sensor: r.cfg.Sensor.ID}
	broker := opts.Broker
	if broker == "" {
		broker = r.cfg.MQTT.Broker
	}
	user, pass, err := r.raw.Credentials()
	if err != nil {
		return err
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

	// The publisher outlives ctx: after a signal it must still deliver the tracks closed at shutdown.
	pubCtx, pubCancel := context.WithCancel(context.Background())
	pubDone := make(chan error, 1)
	go func() { pubDone <- r.pub.Run(pubCtx) }()
	defer func() {
		pubCancel()
		<-pubDone
	}()

	g, gctx := errgroup.WithContext(ctx)
	trackDone := make(chan struct{})
	g.Go(func() error { return r.capture(gctx) })
	g.Go(func() error { defer close(trackDone); return r.track(gctx) })
	g.Go(func() error { return r.status(gctx, trackDone) })
	err = g.Wait()

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
	r.publishStatus()
	if derr := r.pub.Drain(dctx); derr != nil {
		c := r.pub.Counters()
		derr = fmt.Errorf("agent: %d closed tracks not acknowledged by the broker: %w", c.OutboxDepth, derr)
		err = errors.Join(err, derr)
	}
	if cerr := r.pub.Close(dctx); cerr != nil {
		r.log.Warn("closing MQTT session", "err", cerr)
	}
	if err == nil {
		err = r.captureErr
	}
	return err
}

// capture runs the camera into the ring until ctx is done or the source ends.
func (r *runner) capture(ctx context.Context) (err error) {
	defer func() {
		r.captureErr = err
		close(r.captureDone)
	}()
	// Fail closed: the LED goes on before the camera can deliver anything, or capture does not start.
	if err := r.devs.LED.Set(true); err != nil {
		r.setCapturing(false)
		return fmt.Errorf("agent: capture refused: indicator LED cannot be turned on: %w", err)
	}
	r.setCapturing(true)
	r.log.Info("capture starting", "indicator", r.devs.Indicator)
	defer r.stopCapture()

	format, err := r.devs.Camera.Start(ctx)
	if err != nil {
		return fmt.Errorf("agent: starting camera: %w", err)
	}
	if format.Size() <= 0 {
		return fmt.Errorf("agent: camera reported an empty format %dx%d", format.Width, format.Height)
	}
	rg, err := ring.New(ring.Options{Slots: r.cfg.Capture.RingSlots, SlotSize: format.Size()})
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	if !rg.Locked() {
		if r.raw.RequireLocked() {
			rg.Close()
			return fmt.Errorf("%w: %v; set privacy.require_locked_memory = false only for development", ErrUnlockedRing, rg.LockErr())
		}
		r.log.Warn("frame ring is not locked in RAM; frames could reach swap", "err", rg.LockErr())
	}
	r.mu.Lock()
	r.ring, r.format = rg, format
	r.mu.Unlock()
	close(r.ringReady)
	r.log.Info("capturing", "width", format.Width, "height", format.Height, "fps", format.FPS, "ring_locked", rg.Locked())

	var zoneList []zones.Polygon
	for _, z := range r.cfg.Tracker.PrivacyZones {
		zoneList = append(zoneList, zones.Polygon(z))
	}
	mask := zones.New(zoneList, format.Width, format.Height)

	var seq uint64
	for {
		var s *ring.Slot
		if r.devs.Backpressure {
			s, err = rg.AcquireWait(ctx)
		} else {
			s, err = rg.Acquire()
		}
		if err != nil {
			return nil // ring closed or ctx done: shutting down
		}
		s.Frame.Seq = seq
		err = r.devs.Camera.ReadFrame(ctx, &s.Frame)
		if err != nil {
			rg.Abandon(s)
			switch {
			case errors.Is(err, io.EOF):
				r.log.Info("source ended", "frames", seq)
				return nil
			case ctx.Err() != nil:
				return nil
			default:
				return fmt.Errorf("agent: capture stopped after %d frames: %w", seq, err)
			}
		}
		if s.Frame.Width != format.Width || s.Frame.Height != format.Height || s.Frame.Stride < s.Frame.Width {
			rg.Abandon(s)
			return fmt.Errorf("agent: camera delivered a %dx%d frame, stride %d, after announcing %dx%d",
				s.Frame.Width, s.Frame.Height, s.Frame.Stride, format.Width, format.Height)
		}
		s.Frame.Seq = seq
		mask.Apply(&s.Frame) // privacy zones are blanked before anything else reads the frame
		rg.Put(s)
		seq++
		r.frames.Add(1)
	}
}

// stopCapture stops the camera and turns the LED off. The LED goes off only after the camera has stopped
// streaming, so it is never off while frames are being captured.
func (r *runner) stopCapture() {
	if err := r.devs.Camera.Stop(); err != nil {
		r.log.Error("stopping camera", "err", err)
	}
	r.setCapturing(false)
	if err := r.devs.LED.Set(false); err != nil {
		r.log.Error("indicator LED could not be turned off", "err", err)
	}
	r.log.Info("capture stopped")
}

func (r *runner) setCapturing(on bool) {
	r.mu.Lock()
	r.capturing = on
	r.mu.Unlock()
}

// track feeds ring slots to the tracker until capture has ended and the ring is drained.
func (r *runner) track(ctx context.Context) error {
	select {
	case <-r.ringReady:
	case <-r.captureDone:
		return nil // capture never started
	}
	r.mu.Lock()
	rg, format := r.ring, r.format
	r.mu.Unlock()
	tr := tracker.New(tracker.Config{
		ProcWidth: r.cfg.Tracker.ProcWidth,
		MaxCoast:  r.cfg.Tracker.MaxCoast.D(),
		MinHits:   r.cfg.Tracker.MinHits,
		ROI:       r.cfg.Tracker.ROI,
	})
	// Frames keep flowing until capture ends; then what is left in the ring is still tracked.
	nctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-r.captureDone:
			cancel()
		case <-nctx.Done():
		}
	}()
	for {
		s, err := rg.Next(nctx)
		if err != nil {
			s, _ = rg.TryNext()
			if s == nil {
				break
			}
		}
		closed := tr.Step(&s.Frame)
		rg.Release(s)
		r.inView.Store(int64(tr.InView()))
		r.emit(closed, format)
	}
	r.emit(tr.Flush(), format)
	r.inView.Store(0)
	return nil
}

// emit turns closed tracks into track messages with fresh random ids.
func (r *runner) emit(tracks []tracker.Track, format hal.Format) {
	for _, t := range tracks {
		if len(t.Points) == 0 {
			continue
		}
		msg := event.Track{
			V: event.Version, Sensor: r.cfg.Sensor.ID, ID: newTrackID(), Space: event.SpaceImage,
			W: format.Width, H: format.Height, Seg: 0, Final: true,
			Points: make([]event.Point, 0, len(t.Points)),
		}
		for _, p := range t.Points {
			msg.Points = append(msg.Points, event.Point{
				F: p.Frame, T: p.TimeMS,
				X: clamp01(p.X / float64(format.Width)), Y: clamp01(p.Y / float64(format.Height)),
			})
		}
		b, err := json.Marshal(msg)
		if err != nil {
			r.log.Error("encoding track", "err", err)
			continue
		}
		r.tracksClosed.Add(1)
		r.pub.Enqueue(publish.Message{Topic: r.top.Topic(event.LeafTracks), Payload: b, QoS: 1})
	}
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

// status publishes the retained status and the stats every StatusInterval until done is closed.
func (r *runner) status(ctx context.Context, done <-chan struct{}) error {
	t := time.NewTicker(r.cfg.MQTT.StatusInterval.D())
	defer t.Stop()
	r.publishStatus()
	for {
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return nil
		case <-t.C:
			r.publishStatus()
			r.publishStats()
		}
	}
}

// Counters returns the running totals.
func (r *runner) counters() Counters {
	r.mu.Lock()
	rg, capturing := r.ring, r.capturing
	r.mu.Unlock()
	c := Counters{
		Frames: r.frames.Load(), TracksClosed: r.tracksClosed.Load(), Capturing: capturing,
		InView: int(r.inView.Load()),
	}
	if rg != nil {
		rc := rg.Counters()
		c.FramesDropped = rc.Dropped
		c.RingLocked = rg.Locked()
	}
	c.TracksPublished = r.pub.Counters().Published
	return c
}

// statusBody builds the status payload for a state and birth; publish calls it at every connect.
func (r *runner) statusBody(state string, birth uint64) []byte {
	c := r.counters()
	st := event.Status{
		V: event.Version, State: state, Birth: birth, Sensor: r.cfg.Sensor.ID, Version: r.opts.Version,
		ConfigHash: r.raw.Hash(), Source: r.raw.SourceKind(), Capturing: c.Capturing && state != event.StateOffline,
		RingLocked: c.RingLocked, Frames: c.Frames, FramesDropped: c.FramesDropped,
		TracksClosed: c.TracksClosed, TracksPublished: c.TracksPublished,
		Attestation: &event.Attestation{
			RingLocked: c.RingLocked, Dumpable: r.opts.Hardening.Dumpable, CoreLimit: r.opts.Hardening.CoreLimit,
			PrivacyZones: len(r.cfg.Tracker.PrivacyZones), Indicator: r.devs.Indicator, IndicatorOK: true,
			RequireLockedRing: r.raw.RequireLocked(),
		},
	}
	if state == event.StateOffline { // the will: nothing but who and which birth
		st = event.Status{V: event.Version, State: state, Birth: birth, Sensor: r.cfg.Sensor.ID}
	}
	b, _ := json.Marshal(st)
	return b
}

func (r *runner) publishStatus() { r.pub.RefreshStatus() }

func (r *runner) publishStats() {
	c := r.counters()
	pc := r.pub.Counters()
	st := event.Stats{
		V: event.Version, Frames: c.Frames, FramesDropped: c.FramesDropped, InView: c.InView,
		OutboxDepth: pc.OutboxDepth, OutboxBytes: pc.OutboxBytes, Reconnects: pc.Reconnects,
		TracksClosed: c.TracksClosed, TracksPublished: pc.Published, TracksDropped: pc.Dropped,
		UptimeSeconds: time.Since(r.started).Seconds(),
	}
	b, _ := json.Marshal(st)
	r.pub.SendEphemeral(publish.Message{Topic: r.top.Topic(event.LeafStats), Payload: b})
}
