package agent

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/ashiato/ashiato/agent/control"
	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/agent/panel"
)

// retainer is what the announcer needs of the publisher.
type retainer interface {
	SetRetained(topic string, payload []byte)
	RefreshStatus()
}

// announcer publishes the capture states, in the order the controller entered them, retained on the
// privacy topic, and refreshes the status after each. It runs in its own goroutine, so that a slow sink
// (the stdout pipe) never holds up the controller: the controller only posts states, which never blocks.
// Every refresh interval it re-publishes the current state, so its for_s stays fresh.
type announcer struct {
	pub     retainer
	topic   string
	refresh time.Duration

	mu      sync.Mutex
	pending []control.State
	wake    chan struct{}
}

func newAnnouncer(pub retainer, topic string, refresh time.Duration) *announcer {
	return &announcer{pub: pub, topic: topic, refresh: refresh, wake: make(chan struct{}, 1)}
}

// post queues s for publishing. It never blocks.
func (a *announcer) post(s control.State) {
	a.mu.Lock()
	a.pending = append(a.pending, s)
	a.mu.Unlock()
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// run publishes the posted states until ctx is done, and then those still queued.
func (a *announcer) run(ctx context.Context) {
	tick := time.NewTicker(a.refresh)
	defer tick.Stop()
	var cur control.State
	for {
		select {
		case <-a.wake:
		case <-tick.C:
			if cur.Mode != "" {
				a.publish(cur)
			}
			continue
		case <-ctx.Done():
		}
		a.mu.Lock()
		states := a.pending
		a.pending = nil
		a.mu.Unlock()
		for _, s := range states {
			cur = s
			a.publish(s)
		}
		if len(states) > 0 {
			a.pub.RefreshStatus() // "capturing" in status follows the state
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// publish sends s retained on the privacy topic.
func (a *announcer) publish(s control.State) {
	p := event.Privacy{V: event.Version, State: s.Mode, Cause: s.Cause.String(), Reason: s.Reason(),
		Since: s.Since.UnixMilli(), ForSeconds: max(0, time.Since(s.Since).Seconds())}
	if !s.Until.IsZero() {
		p.Until = s.Until.UnixMilli()
	}
	b, _ := json.Marshal(p) // plain strings and numbers: cannot fail
	a.pub.SetRetained(a.topic, b)
}

// panelState is what the panel shows for s.
func panelState(s control.State) panel.State {
	return panel.State{Mode: s.Mode, Reason: s.Reason(), Since: s.Since}
}
