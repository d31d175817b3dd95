// Package agent runs the sensor pipeline: camera → locked frame ring → tracker → MQTT, with the capture
// indicator and the notice panel kept truthful.
//
// The pipeline is a few small stages, each with the ordered data it consumes and produces passed in:
//
//   - control (package control) is the capture state machine. It alone switches the LED and starts and
//     stops the camera: LED on before the camera starts, camera stopped before the LED goes off. It pauses
//     on the button or an MQTT command, stops outside the opening hours, and reopens a failed camera with
//     backoff. For each capture session it runs capture's stream.
//   - capture (capture.go) moves a session's frames from the camera into ring slots, privacy zones blanked
//     first. A live camera never waits for the tracker: when the ring is full the oldest waiting frame is
//     dropped; a source that can wait (a replay with -pace asap, Devices.Backpressure) waits for a free
//     slot instead. It ends every session in the ring's stream with the session's frame format; when
//     capture stops for a pause, the schedule or a fault, the frames still waiting are wiped then, before
//     the controller switches the LED off.
//   - track (track.go) takes the ring's stream in order, runs the pure tracker on each frame and hands the
//     closed tracks, with the frame format they were seen at, to the emitter; at each session's end it
//     closes the open tracks and wipes the tracker's image-like state.
//   - the emitter (tracks.go) turns tracks into messages (random id, segments, floor space, minimisation)
//     and queues them with the publisher (package publish), which never blocks a stage.
//   - the announcer (announce.go) publishes each capture state, in order, on the privacy topic; the
//     display (package display) draws it on the panel. Neither runs in the controller's goroutine.
//   - inputs (inputs.go) turn button presses and MQTT commands into requests to control; the reporter
//     (status.go) publishes the retained status and the periodic stats.
//   - the service stage (service.go), given Options.Service, tells the service manager (systemd) that the
//     agent is ready once the LED and the panel are in their first state, each state as a status line,
//     and that it is stopping; and it feeds the watchdog only while the controller answers from its loop
//     and, while the camera streams, frames are both captured and tracked.
//
// The notice is published retained at start; the configuration, and so the notice, cannot change while
// the agent runs: a new notice needs a restart.
//
// The agent sees devices only through package hal. It never imports periph, webcam or board: only the main
// package wires real devices in.
package agent

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ashiato/ashiato/agent/config"
	"github.com/ashiato/ashiato/agent/control"
	"github.com/ashiato/ashiato/agent/control/schedule"
	"github.com/ashiato/ashiato/agent/display"
	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/agent/harden"
	"github.com/ashiato/ashiato/agent/publish"
	"github.com/ashiato/ashiato/agent/ratelog"
	"github.com/ashiato/ashiato/agent/ring"
	"github.com/ashiato/ashiato/agent/tracker"
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
	Config *config.Config // required
	// Broker overrides the configured broker nodes (Config.MQTT.Nodes); main sets it to the embedded
	// broker's URL. "" means the config's.
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
	// Service, if not nil, is told that the agent is ready once the LED and the panel are in their first
	// state (the panel waited for up to PanelWait), of every capture state, and that it is stopping once
	// capture ends; and it is given the watchdog check (see Service.Feed), which reports progress only
	// while the controller answers from its loop and, while the camera streams, frames are both captured
	// and tracked. nil means none.
	Service Service
}

// ErrUnlockedRing is returned when the ring could not be locked and the configuration requires it.
var ErrUnlockedRing = errors.New("agent: frame ring could not be locked in RAM")

// Tracker is what the track stage needs of a *tracker.Tracker.
type Tracker interface {
	Step(f *hal.Frame) []tracker.Track
	Flush() []tracker.Track
	TakeSegments(minSpan time.Duration) []tracker.Track
	Wipe()
	Reset()
	InView() int
}

// seams are the parts of Run that tests replace; a nil field means the real one.
type seams struct {
	newRing    func(ring.Options) (*ring.Ring, error) // ring.New
	newTracker func(tracker.Config) Tracker           // tracker.New
	commands   <-chan publish.Message                 // inbound commands besides the broker's: none
}

// tallies are the running totals that several stages add to and the reporter reads.
type tallies struct {
	frames         atomic.Uint64 // frames captured (capture)
	tracked        atomic.Uint64 // frames tracked (track)
	tracksClosed   atomic.Uint64 // track messages queued (emitter)
	tracksWithheld atomic.Uint64 // whole tracks minimisation dropped (emitter)
	floorFallbacks atomic.Uint64 // track messages sent in image space although calibrated (emitter)
	inView         atomic.Int64  // people in view in the latest frame (track)
	rejects        atomic.Uint64 // commands rejected (inputs)
}

// Run runs the pipeline until ctx is done or a finite source ends. At the end every open track is closed
// and published, and Run waits (up to DrainTimeout) for the broker to acknowledge them. It returns nil after
// a clean end (end of replay or ctx cancelled), or the error that ended capture.
func Run(ctx context.Context, devs Devices, opts Options) error {
	return run(ctx, devs, opts, seams{})
}

func run(ctx context.Context, devs Devices, opts Options, sm seams) error {
	p, err := build(devs, opts, sm)
	if err != nil {
		return err
	}
	return p.run(ctx)
}

// pipeline is the agent's stages, wired together. Only run touches it; the stages do not reach into it.
type pipeline struct {
	log          *slog.Logger
	drainTimeout time.Duration
	pub          *publish.Publisher
	ctl          *control.Controller
	disp         *display.Display // nil without a panel
	capture      *capture
	track        *track
	announce     *announcer
	report       *reporter
	inputs       *inputs
	svc          *service // nil without Options.Service
	button       hal.Button
	commands     <-chan publish.Message // inbound commands besides the broker's; nil: none
	notice       publish.Message        // the retained notice
}

// run runs the stages until capture ends, then delivers what was closed and says goodbye.
func (p *pipeline) run(ctx context.Context) error {
	// The publisher, the announcer and the display outlive the stages: after a signal they must still
	// deliver the tracks closed at shutdown and show the final state.
	stopPub := goUntil(func(ctx context.Context) { p.pub.Run(ctx) })
	defer stopPub()
	p.pub.SetRetained(p.notice.Topic, p.notice.Payload)
	stopAnnounce := goUntil(p.announce.run)
	stopDisplay := func() {}
	if p.disp != nil {
		stopDisplay = goUntil(func(ctx context.Context) { p.disp.Run(ctx) })
	}

	g, gctx := errgroup.WithContext(ctx)
	inCtx, stopInputs := context.WithCancel(gctx) // inputs and reports end with capture
	defer stopInputs()
	g.Go(func() error {
		defer stopInputs()
		err := p.ctl.Run(gctx)
		p.capture.finish()
		return err
	})
	g.Go(func() error { p.track.run(p.capture.rings); return nil })
	g.Go(func() error { p.report.run(inCtx); return nil })
	g.Go(func() error { p.inputs.commands(inCtx, p.pub.Commands(), p.commands); return nil })
	if p.button != nil {
		g.Go(func() error { p.inputs.button(inCtx, p.button); return nil })
	}
	if p.svc != nil {
		g.Go(func() error { p.svc.run(inCtx, gctx); return nil })
	}
	err := g.Wait()
	stopDisplay()
	stopAnnounce() // publishes every state still queued, the final one included
	p.capture.close()

	dctx, cancel := context.WithTimeout(context.Background(), p.drainTimeout)
	defer cancel()
	p.pub.RefreshStatus()
	if c := p.pub.Counters(); c.OutboxDepth > 0 {
		p.log.Info("waiting for the broker to acknowledge the outbox", "messages", c.OutboxDepth,
			"connected", c.Connected, "timeout", p.drainTimeout)
	}
	if derr := p.pub.Drain(dctx); derr != nil {
		c := p.pub.Counters()
		err = errors.Join(err, fmt.Errorf("agent: %d closed tracks not acknowledged by the broker: %w", c.OutboxDepth, derr))
	}
	if cerr := p.pub.Close(dctx); cerr != nil {
		p.log.Warn("closing MQTT session", "err", cerr)
	}
	return err
}

// goUntil runs f in a goroutine with a context of its own and returns a function that cancels that
// context and waits for f to return.
func goUntil(f func(ctx context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f(ctx) }()
	return func() { cancel(); <-done }
}

// build checks the inputs and wires the stages.
func build(devs Devices, opts Options, sm seams) (*pipeline, error) {
	if devs.Camera == nil || devs.LED == nil || opts.Config == nil {
		return nil, errors.New("agent: Run needs a camera, an LED and a config")
	}
	cfg := opts.Config
	d := cfg.WithDefaults()
	log := newLogger(opts.Logger)
	if devs.Indicator == "none" {
		log.Warn("DEVELOPMENT ONLY: capturing without an indicator LED (privacy.indicator = none); status carries a warning")
	}
	if sm.newRing == nil {
		sm.newRing = ring.New
	}
	if sm.newTracker == nil {
		sm.newTracker = func(c tracker.Config) Tracker { return tracker.New(c) }
	}
	top := event.Topics{Store: d.Sensor.Store, Sensor: d.Sensor.ID}
	notice := cfg.EffectiveNotice()
	sched, err := cfg.Schedule.Parse()
	if err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	t := &tallies{}
	p := &pipeline{log: log, drainTimeout: cmp.Or(opts.DrainTimeout, 30*time.Second), button: devs.Button,
		commands: sm.commands}
	p.report = &reporter{
		facts: facts{sensor: d.Sensor.ID, version: opts.Version, configHash: cfg.Hash(), noticeHash: notice.Hash(),
			source: cfg.SourceKind(), requireLocked: cfg.RequireLocked(), zones: len(cfg.Tracker.PrivacyZones),
			indicator: devs.Indicator, hardening: opts.Hardening},
		tallies: t, started: time.Now(),
		statusEvery: d.MQTT.StatusInterval.D(), statsEvery: d.MQTT.StatsInterval.D(),
		statsTopic: top.Topic(event.LeafStats), log: log,
	}
	if p.pub, p.report.linkWarnings, err = newPublisher(cfg, opts, top, p.report.statusBody, log); err != nil {
		return nil, err
	}
	p.notice = publish.Message{Topic: top.Topic(event.LeafNotice), Payload: notice.JSON(event.Version)}
	p.announce = newAnnouncer(p.pub, top.Topic(event.LeafPrivacy), d.MQTT.StatusInterval.D())
	if devs.Panel != nil {
		p.disp, err = display.New(display.Options{Panel: devs.Panel, Notice: notice, Location: sched.Location(), Logger: log})
		if err != nil {
			return nil, fmt.Errorf("agent: %w", err)
		}
	}
	p.capture = &capture{
		cam: devs.Camera, backpressure: devs.Backpressure, slots: cfg.Capture.RingSlots,
		requireLocked: cfg.RequireLocked(), zones: cfg.Tracker.PrivacyZones, newRing: sm.newRing,
		frames: &t.frames, log: log, rings: make(chan *ring.Ring, 1),
	}
	emit, err := newEmitter(cfg, top, p.pub, t, log)
	if err != nil {
		return nil, err
	}
	p.report.minimised = emit.rules != nil
	p.track = &track{tr: sm.newTracker(cfg.Tracker.TrackerConfig()), out: emit, inView: &t.inView,
		tracked: &t.tracked, segmentTime: d.MQTT.SegmentTime.D()}
	panelWait := cmp.Or(opts.PanelWait, 30*time.Second)
	if p.ctl, err = p.newController(devs, cfg, sched, panelWait); err != nil {
		return nil, err
	}
	if opts.Service != nil {
		p.svc = &service{sm: opts.Service, ctl: p.ctl, disp: p.disp, panelWait: panelWait, frames: &t.frames,
			tracked: &t.tracked, changed: make(chan struct{}, 1), log: log}
	}
	p.report.ctl, p.report.disp, p.report.capture, p.report.pub = p.ctl, p.disp, p.capture, p.pub
	p.inputs = &inputs{top: top, ctl: p.ctl, rejects: &t.rejects, log: log}
	return p, nil
}

// newLogger is the agent's logger: l (nil discards) behind a rate limit, so that what the outside can
// trigger again and again (bad commands, a refusing broker) cannot fill the journal: a few warnings of
// each kind a minute, then a count.
func newLogger(l *slog.Logger) *slog.Logger {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return slog.New(ratelog.New(l.Handler(), ratelog.DefaultBurst, ratelog.DefaultPeriod))
}

// newEmitter makes the emitter of track messages: floor space when calibrated, minimised when the
// configuration says so.
func newEmitter(cfg *config.Config, top event.Topics, pub enqueuer, t *tallies, log *slog.Logger) (*emitter, error) {
	e := &emitter{
		sensor: cfg.WithDefaults().Sensor.ID, topic: top.Topic(event.LeafTracks), pub: pub,
		closedCount: &t.tracksClosed, withheld: &t.tracksWithheld, fallbacks: &t.floorFallbacks, log: log,
		segs: map[uint64]segState{},
	}
	if h, ok, err := cfg.Calibration.Homography(); err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	} else if ok {
		e.hom = &h
	}
	if rules, on := cfg.Minimisation(); on {
		e.rules = &rules
	}
	return e, nil
}

// newController makes the capture state machine over the devices, streaming into p's capture stage and
// telling p's display and announcer of every state.
func (p *pipeline) newController(devs Devices, cfg *config.Config, sched *schedule.Schedule,
	panelWait time.Duration) (*control.Controller, error) {
	ctl, err := control.New(control.Options{
		Camera: devs.Camera, LED: devs.LED, Stream: p.capture.stream,
		Changed: func(s control.State) { // never blocks: both only note the state for their own goroutine
			if p.disp != nil {
				p.disp.Show(panelState(s))
			}
			p.announce.post(s)
			if p.svc != nil {
				p.svc.stateChanged()
			}
		},
		Ready:    func(ctx context.Context) { waitForPanel(ctx, p.disp, panelWait, p.log) },
		Schedule: sched, PauseDefault: cfg.Pause.DefaultDuration.D(), PauseMax: cfg.Pause.MaxDuration.D(),
		Finite: devs.Finite, Logger: p.log,
	})
	if err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	return ctl, nil
}

// newPublisher makes the publisher the configuration asks for, and returns with it the status warnings
// about its link (a password sent in clear text), which it also logs.
func newPublisher(cfg *config.Config, opts Options, top event.Topics, status func(string, uint64) []byte,
	log *slog.Logger) (*publish.Publisher, []string, error) {
	nodes := cfg.WithDefaults().MQTT.Nodes()
	if opts.Broker != "" {
		nodes = []string{opts.Broker}
	}
	user, pass, err := cfg.Credentials()
	if err != nil {
		return nil, nil, err
	}
	var warn []string
	for _, b := range nodes {
		warn = append(warn, cleartextWarnings(b, pass != "")...)
	}
	for _, w := range warn {
		log.Warn(w)
	}
	pub, err := publish.New(publish.Config{
		Brokers: nodes, ClientID: cfg.MQTT.ClientID, Topics: top, Stdout: opts.Stdout,
		OutboxMessages: cfg.MQTT.OutboxMessages, OutboxBytes: cfg.MQTT.OutboxBytes,
		Status: status, Username: user, Password: pass,
		CAFile: cfg.MQTT.CAFile, CertFile: cfg.MQTT.CertFile, KeyFile: cfg.MQTT.KeyFile,
		ServerName: cfg.MQTT.ServerName, Logger: log,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("agent: %w", err)
	}
	return pub, warn, nil
}

// waitForPanel waits, before the camera starts, until the panel shows the state last shown, bounded by
// wait. Without a panel it returns at once.
func waitForPanel(ctx context.Context, d *display.Display, wait time.Duration, log *slog.Logger) {
	if d == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if err := d.Sync(ctx); err != nil && errors.Is(err, context.DeadlineExceeded) {
		log.Warn("panel did not finish drawing in time; starting capture anyway", "waited", wait)
	}
}
