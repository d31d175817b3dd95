package publish

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ashiato/ashiato/agent/event"
)

// link is one accepted connection and what has been sent on it: the QoS-1 publishes awaiting their
// PUBACK, in order, the retained versions sent, and the outbox cursor.
type link struct {
	s     *mqttSink
	c     client
	birth uint64

	lost     chan struct{} // closed when the connection drops
	lostOnce sync.Once
	lostErr  error

	flights []flight
	sentVer map[string]uint64 // retained versions sent on this connection
	lastSeq uint64            // outbox cursor: the last entry sent on this connection
}

// flight is a QoS-1 publish awaiting its PUBACK.
type flight struct {
	tok   token
	seq   uint64 // outbox entry, or 0 for status and retained values
	topic string
	sent  time.Time
}

func (l *link) onLost(err error) {
	l.lostOnce.Do(func() { l.lostErr = err; close(l.lost) })
}

// serve delivers over the connection until it fails (the error says how), ctx is done (nil) or Close is
// handled (errClosed).
func (l *link) serve(ctx context.Context) error {
	// Subscribe before announcing "online": brokers handle a connection's packets in order, so once
	// "online" is visible, commands are being listened to.
	// Commands are subscribed at QoS 0: the broker then does not queue them for this persistent session
	// while the sensor is offline, so a stale cmd/resume cannot override a pause made on the unit meanwhile.
	// A command counts only when the sensor is online to act on it; the privacy topic confirms it.
	subTok := l.c.subscribe(l.s.topics.Topic(event.LeafCommands), 0, l.s.onCommand)
	subDone := subTok.Done()
	l.send(l.s.status.message(event.StateOnline, l.birth), 0)
	l.s.refresh.Store(false)
	timer := time.NewTimer(l.s.ackTimeout)
	defer timer.Stop()
	for {
		l.fill()
		head := l.armTimer(timer)
		select {
		case <-head:
			if err := l.settle(); err != nil {
				return err
			}
		case <-timer.C:
			l.c.abort()
			return fmt.Errorf("publish: no acknowledgement for %s within %v", l.flights[0].topic, l.s.ackTimeout)
		case <-l.lost:
			l.c.abort()
			return &lostError{err: l.lostErr}
		case <-l.s.wake:
		case m := <-l.s.eph:
			l.c.publish(m) // QoS 0: nothing to wait for
		case <-subDone:
			subDone = nil
			if err := subTok.Error(); err != nil {
				l.s.log.Warn("publish: subscribe to commands failed", "err", err)
			}
		case <-ctx.Done():
			stopCtx, cancel := context.WithTimeout(context.Background(), l.s.stopTimeout)
			err := l.stop(stopCtx)
			cancel()
			if err != nil {
				l.s.log.Warn("publish: stopped status not acknowledged", "err", err)
			}
			return nil
		case req := <-l.s.closeReq:
			req.reply <- l.stop(req.ctx)
			return errClosed
		}
	}
}

// send publishes m and, for QoS 1, awaits its PUBACK as a flight; seq is its outbox entry, or 0.
func (l *link) send(m Message, seq uint64) {
	l.flights = append(l.flights, flight{tok: l.c.publish(m), seq: seq, topic: m.Topic, sent: time.Now()})
}

// fill sends until the window is full or nothing is left, in this order: a status refresh, retained
// values not yet sent at their current version, then the outbox.
func (l *link) fill() {
	for len(l.flights) < l.s.window {
		if l.s.refresh.Swap(false) {
			l.send(l.s.status.message(event.StateOnline, l.birth), 0)
			continue
		}
		if m, ver, ok := l.s.nextRetained(l.sentVer); ok {
			l.sentVer[m.Topic] = ver
			l.send(m, 0)
			continue
		}
		e, ok := l.s.nextQueued(l.lastSeq)
		if !ok {
			return
		}
		l.lastSeq = e.seq
		l.send(e.m, e.seq)
	}
}

// armTimer sets timer to the oldest flight's acknowledgement deadline and returns the channel that
// closes when that flight completes; with nothing in flight it stops the timer and returns nil.
func (l *link) armTimer(timer *time.Timer) <-chan struct{} {
	if len(l.flights) == 0 {
		timer.Stop()
		return nil
	}
	timer.Reset(time.Until(l.flights[0].sent.Add(l.s.ackTimeout)))
	return l.flights[0].tok.Done()
}

// settle takes the completed flights off the head, in order, and removes their outbox entries. A failed
// publish aborts the connection.
func (l *link) settle() error {
	for len(l.flights) > 0 && isDone(l.flights[0].tok) {
		f := l.flights[0]
		l.flights[0] = flight{}
		l.flights = l.flights[1:]
		if err := f.tok.Error(); err != nil {
			l.c.abort()
			return fmt.Errorf("publish: publish to %s: %w", f.topic, err)
		}
		if f.seq != 0 {
			l.s.acked(f.seq)
		}
	}
	return nil
}

// stop publishes the "stopped" status and disconnects: cleanly if the broker acknowledged it, and otherwise
// by dropping the connection so the broker publishes the "offline" will rather than leave "online".
func (l *link) stop(ctx context.Context) error {
	tok := l.c.publish(l.s.status.message(event.StateStopped, l.birth))
	var err error
	select {
	case <-tok.Done():
		if err = tok.Error(); err != nil {
			err = fmt.Errorf("publish: stopped status: %w", err)
		}
	case <-l.lost:
		err = errors.New("publish: connection lost before stopped status was acknowledged")
	case <-ctx.Done():
		err = fmt.Errorf("publish: stopped status: %w", ctx.Err())
	}
	if err != nil {
		l.c.abort()
		return err
	}
	l.c.disconnect(250 * time.Millisecond)
	l.s.log.Info("publish: disconnected", "birth", l.birth)
	return nil
}

func isDone(t token) bool {
	select {
	case <-t.Done():
		return true
	default:
		return false
	}
}
