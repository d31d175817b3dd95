package agent

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/ashiato/ashiato/agent/command"
	"github.com/ashiato/ashiato/agent/control"
	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/agent/publish"
	"github.com/ashiato/ashiato/hal"
)

// inputs turn the pause button and MQTT commands into requests to the controller.
type inputs struct {
	top     event.Topics
	ctl     *control.Controller
	rejects *atomic.Uint64 // commands rejected, for stats
	log     *slog.Logger
}

// commands acts on the messages from the broker and from extra (nil: none) until ctx is done. Rejected
// commands are logged and counted.
func (in *inputs) commands(ctx context.Context, broker, extra <-chan publish.Message) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-broker:
			in.command(m)
		case m := <-extra:
			in.command(m)
		}
	}
}

// command acts on one inbound command. command.Parse rejects (and this counts) anything but a live,
// well-formed pause or resume of this sensor, including the empty payload that clears a retained message.
func (in *inputs) command(m publish.Message) {
	c, err := command.Parse(in.top, m.Topic, m.Payload, m.Retain)
	if err != nil {
		in.rejects.Add(1)
		in.log.Warn("command rejected", "topic", m.Topic, "err", err)
		return
	}
	ok := false
	switch c.Kind {
	case command.Pause:
		ok = in.ctl.Pause(c.Reason, c.For)
	case command.Resume:
		ok = in.ctl.Resume()
	}
	if !ok {
		in.rejects.Add(1)
		in.log.Warn("command dropped: too many requests", "command", c.Kind.String())
		return
	}
	in.log.Info("command accepted", "command", c.Kind.String(), "for", c.For, "note", c.Reason)
}

// button turns presses of b into requests until ctx is done. A failing button is logged and retried with
// backoff; it never stops capture.
func (in *inputs) button(ctx context.Context, b hal.Button) {
	backoff := time.Second
	for {
		_, err := b.WaitPress(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			in.log.Warn("pause button", "err", err, "retry_in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 30*time.Second)
			continue
		}
		backoff = time.Second
		in.log.Info("pause button pressed")
		in.ctl.Press()
	}
}
