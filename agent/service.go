package agent

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/ashiato/ashiato/agent/control"
	"github.com/ashiato/ashiato/agent/display"
)

// Service is the service manager's side of the agent: systemd's sd_notify(3) protocol, which
// *sdnotify.Notifier (package agent/sdnotify) speaks. Run calls its methods from goroutines of its own,
// never from a stage, so a slow or failing service manager holds nothing up; their errors are logged.
type Service interface {
	// Ready says that start-up is finished, with a status line.
	Ready(status string) error
	// Status replaces the status line.
	Status(status string) error
	// Stopping says that a clean shutdown has begun.
	Stopping(status string) error
	// Feed pings the watchdog for as long as alive reports progress, until ctx ends.
	Feed(ctx context.Context, alive func() bool) error
}

// heartbeatWait bounds how long the watchdog's check waits for the controller to answer. The controller
// answers within microseconds from its loop; one held up in a device call longer than this counts as
// stuck for that check.
const heartbeatWait = time.Second

// service tells the service manager how the agent is doing: ready once the LED and the panel are in their
// first state, each capture state as a status line, stopping at the end, and the watchdog fed from the
// pipeline's progress (see alive).
type service struct {
	sm        Service
	ctl       *control.Controller
	disp      *display.Display // nil without a panel
	panelWait time.Duration
	frames    *atomic.Uint64 // frames captured (capture)
	tracked   *atomic.Uint64 // frames tracked (track)
	changed   chan struct{}  // capacity 1: the controller published a state
	log       *slog.Logger

	// Feed's goroutine only: the counters at the previous check, and whether the controller answered
	// from a streaming session then.
	lastFrames, lastTracked uint64
	lastStreaming           bool
}

// stateChanged notes that the controller published a state. It never blocks.
func (s *service) stateChanged() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// run waits for the first state, then for the panel to show it (bounded by panelWait, as capture is),
// says ready, feeds the watchdog and updates the status line until ctx ends (capture is over) or shutdown
// does (the agent was told to stop), and then says stopping. A state the controller publishes once
// shutdown is done is the shutdown itself: it is said as STOPPING, not as a status line before it.
func (s *service) run(ctx, shutdown context.Context) {
	select {
	case <-s.changed:
	case <-ctx.Done():
		s.stopping()
		return
	}
	// The controller calls Changed once the LED is in that state; the panel is then asked to show it.
	waitForPanel(ctx, s.disp, s.panelWait, s.log)
	if ctx.Err() != nil {
		s.stopping()
		return
	}
	s.lastFrames, s.lastTracked = s.frames.Load(), s.tracked.Load()
	s.send("ready", s.sm.Ready(s.status()))
	feedDone := make(chan struct{})
	go func() {
		defer close(feedDone)
		s.send("watchdog", s.sm.Feed(ctx, s.alive))
	}()
	for {
		select {
		case <-s.changed:
			if shutdown.Err() == nil {
				s.send("status", s.sm.Status(s.status()))
				continue
			}
		case <-ctx.Done():
		case <-shutdown.Done():
		}
		<-feedDone
		s.stopping()
		return
	}
}

func (s *service) stopping() {
	s.send("stopping", s.sm.Stopping("stopping: closing open tracks and delivering them"))
}

func (s *service) send(what string, err error) {
	if err != nil {
		s.log.Warn("service manager: "+what, "err", err)
	}
}

// alive is the watchdog's check, called a few times per watchdog interval. It reports progress since the
// previous check:
//   - the controller answered from its loop (it is not held up in a device call or a panel wait), and
//   - while it answered from a streaming session, and did so at the previous check too (a session that
//     just started may not have delivered its first frame yet), frames were both captured and tracked
//     since the previous check, so a camera that delivers nothing, or a tracker that does not return,
//     stops the pings.
//
// While paused, stopped by the schedule, or waiting to reopen a failed camera, no frames flow; the
// controller answering from its loop is then the progress.
func (s *service) alive() bool {
	ctx, cancel := context.WithTimeout(context.Background(), heartbeatWait)
	defer cancel()
	streaming, ok := s.ctl.Heartbeat(ctx)
	frames, tracked := s.frames.Load(), s.tracked.Load()
	moved := frames != s.lastFrames && tracked != s.lastTracked
	wasStreaming := s.lastStreaming
	s.lastFrames, s.lastTracked, s.lastStreaming = frames, tracked, streaming && ok
	switch {
	case !ok:
		s.log.Warn("watchdog: the capture controller did not answer; not feeding the watchdog")
		return false
	case streaming && wasStreaming && !moved:
		s.log.Warn("watchdog: no frames captured and tracked since the last check; not feeding the watchdog",
			"frames", frames, "tracked", tracked)
		return false
	}
	return true
}

// status is the line systemctl status shows: the capture state, and whether the panel draws.
func (s *service) status() string {
	st := s.ctl.State()
	line := st.Mode
	if c := st.Cause.String(); c != "" {
		line += " (" + c + ")"
	}
	if !st.Since.IsZero() {
		line += " since " + st.Since.Format(time.DateTime)
	}
	if !st.Until.IsZero() {
		line += " until " + st.Until.Format(time.DateTime)
	}
	if s.disp != nil && !s.disp.Status().OK {
		line += "; notice panel not drawing"
	}
	return line
}
