package publish

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/ashiato/ashiato/agent/command"
	"github.com/ashiato/ashiato/agent/event"
)

// errClosed ends a session because Close was handled.
var errClosed = errors.New("publish: closed")

// Run connects to the broker and delivers the outbox, retained values and status until ctx is done or
// Close is called; it then returns nil. Failed connections are retried with exponential backoff (0.5 s
// up to 30 s) and jitter. When ctx ends while connected, Run makes a best-effort attempt (2 s) to publish
// the "stopped" status before disconnecting. Run may be called only once. In stdout mode Run writes the
// "online" line, waits, and writes "stopped" when ctx is done.
func (p *Publisher) Run(ctx context.Context) error {
	if !p.running.CompareAndSwap(false, true) {
		return errors.New("publish: Run called twice")
	}
	defer close(p.runDone)
	select {
	case <-p.closing:
		return nil
	default:
	}
	if p.stdout != nil {
		return p.runStdout(ctx)
	}
	backoff := p.minBackoff
	for {
		connected, err := p.session(ctx)
		if errors.Is(err, errClosed) || ctx.Err() != nil {
			return nil
		}
		if connected {
			backoff = p.minBackoff
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		p.log.Warn("publish: no connection", "broker", p.cfg.Broker, "err", err, "retry_in", wait.Round(time.Millisecond))
		backoff = min(2*backoff, p.maxBackoff)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil
		case req := <-p.closeReq:
			t.Stop()
			req.reply <- ErrNotConnected
			return nil
		}
	}
}

func (p *Publisher) runStdout(ctx context.Context) error {
	p.writeLine(p.statusMessage(event.StateOnline, 1), false)
	p.mu.Lock()
	p.birth, p.connected = 1, true
	p.mu.Unlock()
	select {
	case <-ctx.Done():
	case <-p.closing:
	}
	p.writeStopped()
	p.mu.Lock()
	p.connected = false
	p.mu.Unlock()
	return nil
}

// flight is a QoS-1 publish awaiting its PUBACK.
type flight struct {
	tok   token
	seq   uint64 // outbox entry, or 0 for status and retained values
	topic string
	sent  time.Time
}

// session makes one connection and serves it until it fails, ctx is done or Close is handled. connected
// reports whether the broker accepted the connection.
func (p *Publisher) session(ctx context.Context) (connected bool, err error) {
	p.mu.Lock()
	birth := p.birth + 1
	p.mu.Unlock()

	lost := make(chan struct{})
	var lostOnce sync.Once
	var lostErr error
	opts := dialOptions{
		broker:         p.cfg.Broker,
		clientID:       p.cfg.ClientID,
		username:       p.cfg.Username,
		password:       p.cfg.Password,
		will:           p.statusMessage(event.StateOffline, birth),
		keepAlive:      p.keepAlive,
		connectTimeout: p.connectTimeout,
		onLost: func(err error) {
			lostOnce.Do(func() { lostErr = err; close(lost) })
		},
	}
	if p.useTLS {
		if opts.tls, err = p.tls.config(p.tlsHost); err != nil {
			return false, err
		}
	}
	c := p.dial(opts)
	tok := c.connect()
	abandon := func() {
		go func() { <-tok.Done(); c.abort() }()
	}
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			c.abort()
			return false, fmt.Errorf("publish: connect: %w", err)
		}
	case <-ctx.Done():
		abandon()
		return false, nil
	case req := <-p.closeReq:
		abandon()
		req.reply <- ErrNotConnected
		return false, errClosed
	}

	p.mu.Lock()
	p.birth = birth
	p.connected = true
	if birth > 1 {
		p.reconnects++
	}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.connected = false
		p.mu.Unlock()
	}()
	p.log.Info("publish: connected", "broker", p.cfg.Broker, "client_id", p.cfg.ClientID, "birth", birth)
	for len(p.eph) > 0 { // stale from an earlier connection
		<-p.eph
	}

	send := func(m Message, seq uint64) flight {
		return flight{tok: c.publish(m), seq: seq, topic: m.Topic, sent: time.Now()}
	}
	// Subscribe before announcing "online": brokers handle a connection's packets in order, so once
	// "online" is visible, commands are being listened to.
	// Commands are subscribed at QoS 0: the broker then does not queue them for this persistent session
	// while the sensor is offline, so a stale cmd/resume cannot override a pause made on the unit meanwhile.
	// A command counts only when the sensor is online to act on it; the privacy topic confirms it.
	subTok := c.subscribe(p.topics.Topic(event.LeafCommands), 0, p.onCommand)
	subDone := subTok.Done()
	flights := []flight{send(p.statusMessage(event.StateOnline, birth), 0)}
	p.refresh.Store(false)

	sentVer := map[string]uint64{} // retained versions sent on this connection
	var lastSeq uint64             // outbox cursor: last seq sent on this connection
	timer := time.NewTimer(p.ackTimeout)
	defer timer.Stop()

	for {
		for len(flights) < p.window {
			if p.refresh.Swap(false) {
				flights = append(flights, send(p.statusMessage(event.StateOnline, birth), 0))
				continue
			}
			if m, ver, ok := p.nextRetained(sentVer); ok {
				sentVer[m.Topic] = ver
				flights = append(flights, send(m, 0))
				continue
			}
			p.mu.Lock()
			e, ok := p.out.after(lastSeq)
			p.mu.Unlock()
			if !ok {
				break
			}
			lastSeq = e.seq
			flights = append(flights, send(e.m, e.seq))
		}

		var head <-chan struct{}
		if len(flights) > 0 {
			head = flights[0].tok.Done()
			timer.Reset(time.Until(flights[0].sent.Add(p.ackTimeout)))
		} else {
			timer.Stop()
		}
		select {
		case <-head:
			for len(flights) > 0 && isDone(flights[0].tok) {
				f := flights[0]
				flights[0] = flight{}
				flights = flights[1:]
				if err := f.tok.Error(); err != nil {
					c.abort()
					return true, fmt.Errorf("publish: publish to %s: %w", f.topic, err)
				}
				if f.seq != 0 {
					p.acked(f.seq)
				}
			}
		case <-timer.C:
			c.abort()
			return true, fmt.Errorf("publish: no acknowledgement for %s within %v", flights[0].topic, p.ackTimeout)
		case <-lost:
			c.abort()
			return true, fmt.Errorf("publish: connection lost: %w", lostErr)
		case <-p.wake:
		case m := <-p.eph:
			c.publish(m) // QoS 0: nothing to wait for
		case <-subDone:
			subDone = nil
			if err := subTok.Error(); err != nil {
				p.log.Warn("publish: subscribe to commands failed", "err", err)
			}
		case <-ctx.Done():
			stopCtx, cancel := context.WithTimeout(context.Background(), p.stopTimeout)
			err := p.stop(stopCtx, c, birth, lost)
			cancel()
			if err != nil {
				p.log.Warn("publish: stopped status not acknowledged", "err", err)
			}
			return true, nil
		case req := <-p.closeReq:
			req.reply <- p.stop(req.ctx, c, birth, lost)
			return true, errClosed
		}
	}
}

// stop publishes the "stopped" status and disconnects: cleanly if the broker acknowledged it, and otherwise
// by dropping the connection so the broker publishes the "offline" will rather than leave "online".
func (p *Publisher) stop(ctx context.Context, c client, birth uint64, lost <-chan struct{}) error {
	tok := c.publish(p.statusMessage(event.StateStopped, birth))
	var err error
	select {
	case <-tok.Done():
		if err = tok.Error(); err != nil {
			err = fmt.Errorf("publish: stopped status: %w", err)
		}
	case <-lost:
		err = errors.New("publish: connection lost before stopped status was acknowledged")
	case <-ctx.Done():
		err = fmt.Errorf("publish: stopped status: %w", ctx.Err())
	}
	if err != nil {
		c.abort()
		return err
	}
	c.disconnect(250 * time.Millisecond)
	p.log.Info("publish: disconnected", "birth", birth)
	return nil
}

// nextRetained returns a retained value not yet sent at its current version on this connection.
func (p *Publisher) nextRetained(sent map[string]uint64) (Message, uint64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for topic, v := range p.retained {
		if sent[topic] != v.ver {
			return Message{Topic: topic, Payload: v.payload, QoS: 1, Retain: true}, v.ver, true
		}
	}
	return Message{}, 0, false
}

// acked removes outbox entry seq after its PUBACK.
func (p *Publisher) acked(seq uint64) {
	p.mu.Lock()
	if p.out.ack(seq) {
		p.published++
		p.notifySettledLocked()
	}
	p.mu.Unlock()
}

// onCommand is called by the client for each message on <prefix>/cmd/#. It never blocks.
func (p *Publisher) onCommand(m Message) {
	if len(m.Payload) > command.MaxPayload {
		p.log.Warn("publish: command too large, dropped", "topic", m.Topic, "bytes", len(m.Payload))
		p.countCommandDrop()
		return
	}
	m.Payload = append([]byte(nil), m.Payload...)
	select {
	case p.cmds <- m:
	default:
		p.log.Warn("publish: command queue full, dropped", "topic", m.Topic)
		p.countCommandDrop()
	}
}

func (p *Publisher) countCommandDrop() {
	p.mu.Lock()
	p.cmdDropped++
	p.mu.Unlock()
}

func isDone(t token) bool {
	select {
	case <-t.Done():
		return true
	default:
		return false
	}
}
