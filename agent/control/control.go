// Package control is the capture state machine: it alone switches the indicator LED and starts and stops the
// camera, so that the LED is on whenever the camera streams.
//
// The rules it keeps, whatever stops capture (a pause from the button or MQTT, the opening hours, a stalled or
// vanished camera, a failing LED, the end of a replay, or shutdown):
//
//   - The LED is switched on, and must report success, before Camera.Start. If it cannot be switched on the
//     camera is not started: the state is fault and the LED is retried with backoff.
//   - Capture stops in this order: the stream is cancelled, Camera.Stop returns, then the LED goes off. The
//     LED is never off while the camera streams. If it cannot be switched off, the state is fault (the camera
//     is already stopped) and switching it off is retried.
//   - While capturing, the LED is switched on again every LEDCheck; if that fails, capture stops.
//   - A stalled or vanished camera (hal.ErrStalled, hal.ErrGone) or any other camera error gives the fault
//     state, and the camera is reopened with exponential backoff and jitter (1 s up to 30 s by default).
//   - The public notice never says "paused" or "stopped" while the camera streams: before Camera.Start the
//     state capturing is announced (unless the state is fault, which does not claim capture is off) and
//     Options.Ready waits until the notice shows it.
package control

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/ashiato/ashiato/agent/command"
	"github.com/ashiato/ashiato/agent/control/schedule"
	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/hal"
)

// Modes of State: the same strings as the privacy topic's states.
const (
	Capturing = event.PrivacyCapturing
	Paused    = event.PrivacyPaused
	Stopped   = event.PrivacyStopped
	Fault     = event.PrivacyFault
)

// Cause is why capture is not on. Only the Controller sets it, from what actually happened: nothing that
// arrives from outside (such as a remote pause's free text) can choose it.
type Cause int

const (
	CauseNone     Cause = iota // capturing, or nothing decided yet
	CauseButton                // paused with the pause button
	CauseCommand               // paused by an MQTT cmd/pause
	CauseSchedule              // stopped outside the opening hours
	CauseEnd                   // stopped at the end of a replayed or synthetic source
	CauseShutdown              // stopped because the agent is shutting down
	CauseLED                   // fault: the indicator LED could not be switched
	CauseStalled               // fault: the camera delivered no frame in time
	CauseGone                  // fault: the camera vanished
	CauseCamera                // fault: any other camera error
)

var causes = [...]struct{ name, label string }{
	CauseNone:     {"", ""},
	CauseButton:   {"button", "ボタン操作"},
	CauseCommand:  {"command", "遠隔操作"},
	CauseSchedule: {"schedule", "営業時間外"},
	CauseEnd:      {"source-end", "再生終了"},
	CauseShutdown: {"shutdown", "シャットダウン"},
	CauseLED:      {"indicator-fault", "表示灯の故障"},
	CauseStalled:  {"camera-stalled", "カメラ応答なし"},
	CauseGone:     {"camera-gone", "カメラ切断"},
	CauseCamera:   {"camera-fault", "カメラ異常"},
}

// String is the cause's name on the privacy topic: "button", "command", "schedule", "source-end",
// "shutdown", "indicator-fault", "camera-stalled", "camera-gone" or "camera-fault"; "" for CauseNone.
func (c Cause) String() string {
	if c < 0 || int(c) >= len(causes) {
		return fmt.Sprintf("Cause(%d)", int(c))
	}
	return causes[c].name
}

// Label is the cause as shoppers read it on the panel ("理由：…"); "" for CauseNone.
func (c Cause) Label() string {
	if c < 0 || int(c) >= len(causes) {
		return ""
	}
	return causes[c].label
}

// Wipes reports whether the frames still waiting to be tracked when capture stops for this cause are
// wiped. They are whenever capture stops for a pause, the schedule or a fault: a stop stops all
// processing. Only at the end of a replayed source and at shutdown are they tracked, so that a replay is
// scored frame by frame and a restart cuts no track short.
func (c Cause) Wipes() bool { return c != CauseEnd && c != CauseShutdown }

// State is the capture state.
type State struct {
	Mode  string // Capturing, Paused, Stopped or Fault; "" before Run has decided
	Cause Cause  // why capture is not on; CauseNone while capturing
	// Note is the free text a remote pause (CauseCommand) came with, for display only: it is shown
	// labelled as remote (see Reason) and decides nothing. "" otherwise.
	Note  string
	Since time.Time // when this state began
	Until time.Time // Paused only: when capture resumes by itself
}

// Reason is the text shown to shoppers on the panel and sent as the privacy topic's reason: the cause's
// label, and for a remote pause that came with a note, the note in brackets after the remote label
// ("遠隔操作（清掃中）"), so a remote text can never pass for one of the device's own reasons.
func (s State) Reason() string {
	if s.Cause == CauseCommand && s.Note != "" {
		return s.Cause.Label() + "（" + s.Note + "）"
	}
	return s.Cause.Label()
}

// same reports whether s and o are the same state, ignoring Since.
func (s State) same(o State) bool {
	return s.Mode == o.Mode && s.Cause == o.Cause && s.Note == o.Note && s.Until.Equal(o.Until)
}

// Options configure a Controller. The zero value of each optional field means its documented default.
type Options struct {
	Camera hal.Camera // required; only the Controller calls Start and Stop
	LED    hal.LED    // required; only the Controller calls Set
	// Stream is required. It reads frames with Camera.ReadFrame until ctx is done (then it returns
	// ctx.Err()) or the camera fails or ends (then it returns that error: io.EOF at the end of a finite
	// source). Run calls it in a goroutine of its own, once per capture session, after Camera.Start
	// succeeded; it calls Camera.Stop, and only then switches the LED off, after Stream has returned, so
	// whatever Stream does before it returns happens while the LED is still on. When Run ends a session
	// it cancels ctx with a cause that StopCause reads. An error wrapping a *FatalError ends Run with that
	// error.
	Stream func(ctx context.Context, f hal.Format) error
	// Changed, if not nil, is called in Run's goroutine with every new state, in order, after the devices
	// are in that state (for a state other than Capturing: the camera is stopped and the LED off, as far as
	// they could be). It must not block or do slow work, since it holds up the state machine and with it
	// the LED: hand the state to another goroutine.
	Changed func(s State)
	// Ready, if not nil, is called before every Camera.Start and blocks until the public notice no longer
	// claims that capture is off, or until ctx is done. It should give up after a bounded time: a broken
	// panel must not stop capture.
	Ready func(ctx context.Context)
	// Schedule holds the opening hours; outside them capture is stopped. nil means always open.
	Schedule *schedule.Schedule
	// PauseDefault is how long a pause without its own duration lasts; 0 means DefaultPause.
	PauseDefault time.Duration
	// PauseMax caps every pause; 0 means command.MaxPause, which is also the most it may be.
	PauseMax time.Duration
	// Finite says the source is a replay or synthetic scene: any camera or LED failure ends Run with the
	// error instead of being retried.
	Finite bool
	// MinBackoff and MaxBackoff bound the delay between reopening attempts; 0 means 1s and 30s.
	MinBackoff, MaxBackoff time.Duration
	// LEDCheck is how often the LED is switched on again while capturing, to find a failed LED; 0 means 1s.
	LEDCheck time.Duration
	Logger   *slog.Logger // nil discards
}

// DefaultPause is how long a pause lasts when neither its request nor the configuration says.
const DefaultPause = 15 * time.Minute

// CheckPauseLength checks a configured pause length (Options.PauseDefault or PauseMax): 0 (the default),
// or between 1s and command.MaxPause.
func CheckPauseLength(d time.Duration) error {
	if d < 0 || (d > 0 && d < time.Second) || d > command.MaxPause {
		return fmt.Errorf("must be between 1s and %s", command.MaxPause)
	}
	return nil
}

// stopped is the cause with which Run cancels a session's Stream context.
type stopped struct{ cause Cause }

func (s *stopped) Error() string { return "control: capture stopped: " + s.cause.String() }

// StopCause returns why a session ended, given its Stream context once that is done: the cause Run ended
// it with, or CauseShutdown when the context given to Run ended first. ok is false while ctx is not done.
func StopCause(ctx context.Context) (c Cause, ok bool) {
	if ctx.Err() == nil {
		return CauseNone, false
	}
	var s *stopped
	if errors.As(context.Cause(ctx), &s) {
		return s.cause, true
	}
	return CauseShutdown, true
}

// FatalError marks a Stream error after which capture must not be retried (such as a ring that cannot
// be locked); Run returns it.
type FatalError struct{ Err error }

func (e *FatalError) Error() string { return e.Err.Error() }
func (e *FatalError) Unwrap() error { return e.Err }

// Counters are the Controller's running totals.
type Counters struct {
	// Restarts counts attempts to start capture again after it failed.
	Restarts uint64
	// LEDOK is false when the last attempt to switch the LED failed.
	LEDOK bool
}

type reqKind int

const (
	reqPause reqKind = iota + 1
	reqResume
	reqPress
	reqBeat
)

type request struct {
	kind reqKind
	note string // reqPause: the remote sender's free text
	d    time.Duration
	beat *beat // reqBeat: where the answer goes
}

// beat is one heartbeat request: Run sets streaming, then closes done.
type beat struct {
	done      chan struct{}
	streaming bool
}

// Controller is the capture state machine. Create it with New and run Run once; Pause, Resume, Press, Heartbeat,
// State and Counters are safe for concurrent use.
type Controller struct {
	opts Options
	log  *slog.Logger
	reqs chan request

	// Owned by Run's goroutine.
	pauseUntil time.Time
	pauseCause Cause     // CauseButton or CauseCommand while paused
	pauseNote  string    // a remote pause's free text
	retryAt    time.Time // zero: capture may start now
	ledOn      bool      // the LED may be on (also when a Set failed and its state is unknown)
	ledRetryAt time.Time
	ledBackoff time.Duration
	streaming  bool // in a session's watch: the camera started and Stream runs

	mu       sync.Mutex
	state    State
	restarts uint64
	ledOK    bool
	running  bool
	beat     *beat // the heartbeat request queued and not yet answered; nil: none
}

// New checks opts and returns an idle Controller. It starts nothing.
func New(opts Options) (*Controller, error) {
	if opts.Camera == nil || opts.LED == nil || opts.Stream == nil {
		return nil, errors.New("control: a camera, an LED and a Stream function are required")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opts.PauseDefault, DefaultPause)
	def(&opts.PauseMax, command.MaxPause)
	def(&opts.MinBackoff, time.Second)
	def(&opts.MaxBackoff, 30*time.Second)
	def(&opts.LEDCheck, time.Second)
	opts.MaxBackoff = max(opts.MaxBackoff, opts.MinBackoff)
	c := &Controller{opts: opts, log: opts.Logger, reqs: make(chan request, 16), ledOK: true, ledOn: true}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// Pause is a remote pause (CauseCommand) for d (0 means PauseDefault; longer than PauseMax is cut to it).
// note is the sender's free text, shown labelled as remote; "" means none. A later Pause replaces the
// earlier one. It never blocks; it returns false if the request queue is full.
func (c *Controller) Pause(note string, d time.Duration) bool {
	return c.send(request{kind: reqPause, note: note, d: d})
}

// Resume ends a pause. It never blocks; it returns false if the request queue is full.
func (c *Controller) Resume() bool { return c.send(request{kind: reqResume}) }

// Press is a press of the pause button: it resumes a paused capture and pauses (for PauseDefault, with
// CauseButton) in any other state. It never blocks; it returns false if the request queue is full.
func (c *Controller) Press() bool { return c.send(request{kind: reqPress}) }

// Heartbeat asks Run's goroutine to answer, and waits for the answer until ctx is done. ok reports that
// it answered: Run is in its loop, waiting for a request, a deadline or the camera, not held up in a
// device call or in Options.Ready. streaming reports that it answered from a capture session in which
// the camera has started and Stream runs, so that frames should be flowing. It never blocks Run, and at
// most one heartbeat is queued at a time: calls while one is queued wait for its answer.
func (c *Controller) Heartbeat(ctx context.Context) (streaming, ok bool) {
	c.mu.Lock()
	b := c.beat
	if b == nil { // at most one heartbeat waits in the queue, so heartbeats never crowd out requests
		b = &beat{done: make(chan struct{})}
		select {
		case c.reqs <- request{kind: reqBeat, beat: b}:
			c.beat = b
		default:
			c.mu.Unlock()
			return false, false // the queue is full: Run is not taking requests
		}
	}
	c.mu.Unlock()
	select {
	case <-b.done:
		return b.streaming, true
	case <-ctx.Done():
		return false, false
	}
}

func (c *Controller) send(r request) bool {
	select {
	case c.reqs <- r:
		return true
	default:
		c.log.Warn("control: request queue full, request dropped")
		return false
	}
}

// State returns the current state.
func (c *Controller) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Counters returns the running totals.
func (c *Controller) Counters() Counters {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Counters{Restarts: c.restarts, LEDOK: c.ledOK}
}

type endKind int

const (
	endRequested endKind = iota // a pause or the schedule
	endShutdown
	endEOF
	endFault
	endFatal
)

type sessionEnd struct {
	kind  endKind
	cause Cause
	err   error
}

// Run drives the devices until ctx is done or a finite source ends, and returns nil then. It returns an
// error for a *FatalError from Stream, for any failure of a Finite source, and when the LED could not be
// switched off at the end. When Run returns the camera is stopped and the LED is off (or the error says it
// could not be switched off).
func (c *Controller) Run(ctx context.Context) error {
	c.mu.Lock()
	if c.running {
		c.mu.Unlock()
		return errors.New("control: Run called twice")
	}
	c.running = true
	c.mu.Unlock()

	r := retry{backoff: c.opts.MinBackoff}
	for {
		if ctx.Err() != nil {
			if !c.settle(State{Mode: Stopped, Cause: CauseShutdown}) {
				return errors.New("control: indicator LED could not be switched off at shutdown")
			}
			return nil
		}
		c.drain()
		now := time.Now()
		if want, off := c.offState(now); off {
			c.settle(want)
			c.wait(ctx, c.wakeAt(now))
			continue
		}
		if now.Before(c.retryAt) {
			c.wait(ctx, c.wakeAt(now))
			continue
		}
		if r.failed {
			c.mu.Lock()
			c.restarts++
			c.mu.Unlock()
		}
		started := time.Now()
		end := c.session(ctx)
		if done, err := c.ended(end, started, &r); done {
			return err
		}
	}
}

// retry is how Run retries a capture that failed.
type retry struct {
	backoff time.Duration // the next wait before a retry, before jitter
	failed  bool          // the last session ended in a fault: the next one is a restart
}

// ended settles the state after a capture session that began at started ended with end, and reports
// whether Run is to return, with what. After a fault that Run survives it sets when to retry
// (c.retryAt), with a jittered exponential backoff reset when the session had run longer than
// MaxBackoff.
func (c *Controller) ended(end sessionEnd, started time.Time, r *retry) (bool, error) {
	switch end.kind {
	case endRequested, endShutdown:
		r.backoff, r.failed, c.retryAt = c.opts.MinBackoff, false, time.Time{}
	case endEOF:
		c.log.Info("control: source ended")
		if !c.settle(State{Mode: Stopped, Cause: CauseEnd}) {
			return true, errors.New("control: indicator LED could not be switched off at the end of the source")
		}
		return true, nil
	case endFatal:
		c.settle(State{Mode: Fault, Cause: end.cause})
		return true, end.err
	case endFault:
		c.settle(State{Mode: Fault, Cause: end.cause})
		if c.opts.Finite {
			return true, end.err
		}
		if time.Since(started) > c.opts.MaxBackoff {
			r.backoff = c.opts.MinBackoff // it ran for a while: a fresh failure
		}
		wait := r.backoff/2 + rand.N(r.backoff/2+1)
		c.log.Warn("control: capture stopped", "cause", end.cause.String(), "err", end.err, "retry_in", wait)
		c.retryAt = time.Now().Add(wait)
		r.backoff = min(2*r.backoff, c.opts.MaxBackoff)
		r.failed = true
	}
	return false, nil
}

// session runs one capture: LED on, notice, camera start, stream, then camera stop and LED off.
func (c *Controller) session(ctx context.Context) sessionEnd {
	if end, ok := c.prepare(ctx); !ok {
		return end
	}
	sctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	format, err := c.opts.Camera.Start(sctx)
	if err != nil {
		c.stopCamera()
		c.setLED(false)
		if ctx.Err() != nil {
			return sessionEnd{kind: endShutdown, cause: CauseShutdown}
		}
		return c.classify(fmt.Errorf("control: starting camera: %w", err))
	}
	done := make(chan error, 1)
	go func() { done <- c.opts.Stream(sctx, format) }()
	if c.state.Mode != Capturing { // after a fault: announced only now that the camera runs
		c.publish(State{Mode: Capturing})
	}
	c.log.Info("control: capturing", "width", format.Width, "height", format.Height)

	c.streaming = true
	end, streamDone := c.watch(ctx, done)
	c.streaming = false
	// Stream learns why it ends (StopCause) and finishes what it must, such as wiping the frames waiting
	// for a pause, before it returns: while the camera still runs and the LED is still on.
	cancel(&stopped{cause: end.cause})
	if !streamDone {
		<-done
	}
	c.stopCamera()
	c.setLED(false) // only now: the camera has stopped
	return end
}

// prepare readies a capture: the LED on, "capturing" announced (unless the state is fault, which does not
// claim capture is off) and shown by the notice, and the requests that came meanwhile honoured. It
// reports false, and how the session ended, when capture must not start after all.
func (c *Controller) prepare(ctx context.Context) (sessionEnd, bool) {
	if err := c.setLED(true); err != nil {
		return sessionEnd{kind: endFault, cause: CauseLED,
			err: fmt.Errorf("control: capture refused: indicator LED cannot be switched on: %w", err)}, false
	}
	if c.state.Mode != Fault {
		c.publish(State{Mode: Capturing})
	}
	if c.opts.Ready != nil {
		c.opts.Ready(ctx)
	}
	c.drain() // requests that came while the notice was updated are honoured before the camera starts
	if want, off := c.offState(time.Now()); off || ctx.Err() != nil {
		c.setLED(false)
		if ctx.Err() != nil {
			return sessionEnd{kind: endShutdown, cause: CauseShutdown}, false
		}
		return sessionEnd{kind: endRequested, cause: want.Cause}, false
	}
	return sessionEnd{}, true
}

// watch runs while the camera streams, re-asserting the LED and applying requests, until the stream ends
// (done delivers its error; streamDone reports it was taken), ctx is done, the LED fails, or a pause or
// the schedule stops capture. It returns how the session ends.
func (c *Controller) watch(ctx context.Context, done <-chan error) (end sessionEnd, streamDone bool) {
	ledTick := time.NewTicker(c.opts.LEDCheck)
	defer ledTick.Stop()
	for {
		var boundary <-chan time.Time
		var bt *time.Timer
		if next := c.opts.Schedule.Next(time.Now()); !next.IsZero() {
			bt = time.NewTimer(time.Until(next))
			boundary = bt.C
		}
		select {
		case err := <-done:
			if ctx.Err() != nil {
				return sessionEnd{kind: endShutdown, cause: CauseShutdown}, true
			}
			return c.classify(err), true
		case <-ctx.Done():
			return sessionEnd{kind: endShutdown, cause: CauseShutdown}, false
		case r := <-c.reqs:
			c.apply(r)
		case <-boundary:
		case <-ledTick.C:
			if err := c.setLED(true); err != nil {
				return sessionEnd{kind: endFault, cause: CauseLED,
					err: fmt.Errorf("control: indicator LED failed while capturing: %w", err)}, false
			}
		}
		if bt != nil {
			bt.Stop()
		}
		if want, off := c.offState(time.Now()); off {
			return sessionEnd{kind: endRequested, cause: want.Cause}, false
		}
	}
}

// classify turns a camera or stream error into how the session ended.
func (c *Controller) classify(err error) sessionEnd {
	var fe *FatalError
	switch {
	case err == nil, errors.Is(err, io.EOF):
		return sessionEnd{kind: endEOF, cause: CauseEnd}
	case errors.As(err, &fe):
		return sessionEnd{kind: endFatal, cause: CauseCamera, err: err}
	case errors.Is(err, hal.ErrStalled):
		return sessionEnd{kind: endFault, cause: CauseStalled, err: err}
	case errors.Is(err, hal.ErrGone):
		return sessionEnd{kind: endFault, cause: CauseGone, err: err}
	default:
		return sessionEnd{kind: endFault, cause: CauseCamera, err: err}
	}
}

func (c *Controller) stopCamera() {
	if err := c.opts.Camera.Stop(); err != nil {
		c.log.Error("control: stopping camera", "err", err)
	}
}

// setLED switches the LED and records whether that worked. After a failure the LED counts as possibly on.
func (c *Controller) setLED(on bool) error {
	err := c.opts.LED.Set(on)
	c.mu.Lock()
	c.ledOK = err == nil
	c.mu.Unlock()
	if err != nil {
		c.ledOn = true
		c.log.Error("control: indicator LED", "on", on, "err", err)
		return err
	}
	c.ledOn = on
	return nil
}

// settle puts the devices in the not-capturing state want (the camera is already stopped): it switches the
// LED off if it may be on, and publishes want, or fault if the LED cannot be switched off. It reports
// whether the LED is off.
func (c *Controller) settle(want State) bool {
	if c.ledOn {
		if c.setLED(false) != nil {
			if c.ledBackoff == 0 {
				c.ledBackoff = c.opts.MinBackoff
			}
			c.ledRetryAt = time.Now().Add(c.ledBackoff)
			c.ledBackoff = min(2*c.ledBackoff, c.opts.MaxBackoff)
			c.publish(State{Mode: Fault, Cause: CauseLED})
			return false
		}
		c.ledBackoff = 0
	}
	c.publish(want)
	return true
}

// publish records s as the current state, if it differs, and reports it.
func (c *Controller) publish(s State) {
	c.mu.Lock()
	if c.state.same(s) {
		c.mu.Unlock()
		return
	}
	s.Since = time.Now()
	c.state = s
	c.mu.Unlock()
	c.log.Info("control: state", "state", s.Mode, "cause", s.Cause.String(), "note", s.Note)
	if c.opts.Changed != nil {
		c.opts.Changed(s)
	}
}

// offState returns the state capture should be in at now if that is not capturing.
func (c *Controller) offState(now time.Time) (State, bool) {
	if !c.pauseUntil.IsZero() {
		if now.Before(c.pauseUntil) {
			return State{Mode: Paused, Cause: c.pauseCause, Note: c.pauseNote, Until: c.pauseUntil}, true
		}
		c.pauseUntil, c.pauseCause, c.pauseNote = time.Time{}, CauseNone, ""
		c.log.Info("control: pause ended")
	}
	if !c.opts.Schedule.Open(now) {
		return State{Mode: Stopped, Cause: CauseSchedule}, true
	}
	return State{}, false
}

// wakeAt is the next moment after now at which the wanted state may change by itself; zero means none.
func (c *Controller) wakeAt(now time.Time) time.Time {
	var at time.Time
	earliest := func(t time.Time) {
		if t.After(now) && (at.IsZero() || t.Before(at)) {
			at = t
		}
	}
	earliest(c.pauseUntil)
	earliest(c.opts.Schedule.Next(now))
	earliest(c.retryAt)
	if c.ledOn {
		earliest(c.ledRetryAt)
	}
	return at
}

// wait blocks until ctx is done, a request arrives (it is applied), or until (if not zero).
func (c *Controller) wait(ctx context.Context, until time.Time) {
	var tc <-chan time.Time
	if !until.IsZero() {
		t := time.NewTimer(time.Until(until))
		defer t.Stop()
		tc = t.C
	}
	select {
	case <-ctx.Done():
	case r := <-c.reqs:
		c.apply(r)
	case <-tc:
	}
}

// drain applies every queued request.
func (c *Controller) drain() {
	for {
		select {
		case r := <-c.reqs:
			c.apply(r)
		default:
			return
		}
	}
}

func (c *Controller) apply(r request) {
	if r.kind == reqBeat {
		r.beat.streaming = c.streaming
		c.mu.Lock()
		c.beat = nil
		c.mu.Unlock()
		close(r.beat.done)
		return
	}
	now := time.Now()
	paused := !c.pauseUntil.IsZero() && now.Before(c.pauseUntil)
	cause := CauseCommand
	if r.kind == reqPress {
		if paused {
			r.kind = reqResume
		} else {
			r, cause = request{kind: reqPause}, CauseButton
		}
	}
	switch r.kind {
	case reqPause:
		d := r.d
		if d <= 0 {
			d = c.opts.PauseDefault
		}
		d = min(d, c.opts.PauseMax)
		c.pauseUntil, c.pauseCause, c.pauseNote = now.Add(d), cause, r.note
		c.log.Info("control: pause", "cause", cause.String(), "note", r.note, "for", d)
	case reqResume:
		if paused {
			c.log.Info("control: resume")
		}
		c.pauseUntil, c.pauseCause, c.pauseNote = time.Time{}, CauseNone, ""
		c.retryAt = time.Time{} // an explicit resume retries a failed capture at once
	}
}
