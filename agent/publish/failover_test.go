package publish

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ashiato/ashiato/agent/event"
)

// TestFakeFailover runs a Publisher with two broker nodes on a fake clock: when the connection to one
// node is lost, the next node is tried at once, not after a backoff; the new connection announces the
// sensor again (online with the next birth, the retained values) and resends every unacknowledged outbox
// message in order; only when every node failed in a row does Run wait, with the backoff.
func TestFakeFailover(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const a, b = "tcp://a.test:1883", "tcp://b.test:1883"
		n := newFakeNet()
		n.hold = true
		n.down = map[string]bool{}
		p, err := New(Config{Brokers: []string{a, b}, Topics: event.Topics{Store: "s1", Sensor: "cam1"}})
		if err != nil {
			t.Fatal(err)
		}
		p.mq.dial = n.dial
		p.mq.minBackoff, p.mq.maxBackoff = time.Minute, 2*time.Minute
		p.mq.ackTimeout = 24 * time.Hour // the broker holds the acknowledgements until told otherwise
		privacy, tracks := p.mq.topics.Topic(event.LeafPrivacy), p.mq.topics.Topic(event.LeafTracks)
		p.SetRetained(privacy, []byte(`{"state":"capturing"}`))
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- p.Run(ctx) }()
		for i := range 3 {
			p.Enqueue(Message{Topic: tracks, Payload: []byte{'0' + byte(i)}})
		}
		synctest.Wait()
		conns := func() []*fakeConn {
			n.mu.Lock()
			defer n.mu.Unlock()
			return append([]*fakeConn(nil), n.conns...)
		}
		on := func(conn int) (out []fakePub) {
			n.mu.Lock()
			defer n.mu.Unlock()
			for _, pub := range n.pubs {
				if pub.conn == conn {
					out = append(out, pub)
				}
			}
			return out
		}
		if cs := conns(); len(cs) != 1 || cs[0].opts.broker != a {
			t.Fatalf("first connection: %d dials, want 1 to %s", len(cs), a)
		}
		if c := p.Counters(); !c.Connected || c.Broker != a || c.Birth != 1 {
			t.Fatalf("connected to a: %+v", c)
		}

		// The connection lasted a while, then node a dies: b is tried at once.
		time.Sleep(time.Hour)
		start := time.Now()
		n.mu.Lock()
		n.down[a] = true
		n.mu.Unlock()
		n.kill(1)
		synctest.Wait()
		cs := conns()
		if len(cs) != 2 || cs[1].opts.broker != b || time.Since(start) != 0 {
			t.Fatalf("after losing a: %d dials, last to %s after %v; want the second to %s at once",
				len(cs), cs[len(cs)-1].opts.broker, time.Since(start), b)
		}
		if w := decodeStatus(t, cs[1].opts.will.Payload); w.State != event.StateOffline || w.Birth != 2 {
			t.Errorf("will on b: %+v, want offline birth 2", w)
		}
		pubs := on(2)
		var got []string
		for _, pub := range pubs {
			switch pub.m.Topic {
			case tracks:
				got = append(got, string(pub.m.Payload))
			case privacy:
				got = append(got, "privacy")
			default:
				st := decodeStatus(t, pub.m.Payload)
				got = append(got, st.State+"/"+string('0'+byte(st.Birth)))
			}
		}
		if want := []string{"online/2", "privacy", "0", "1", "2"}; !slices.Equal(got, want) {
			t.Errorf("on b: %q, want %q (status, retained values, the whole outbox in order)", got, want)
		}
		if c := p.Counters(); !c.Connected || c.Broker != b || c.Birth != 2 || c.Reconnects != 1 || c.OutboxDepth != 3 {
			t.Errorf("connected to b: %+v", c)
		}

		// Both nodes down: one attempt on each (the lost connection counts), then the backoff.
		time.Sleep(time.Hour)
		n.mu.Lock()
		n.down[b] = true
		n.mu.Unlock()
		n.kill(2)
		synctest.Wait()
		if cs := conns(); len(cs) != 3 || cs[2].opts.broker != a {
			t.Fatalf("with both down: %d dials, want 3 (the third to a, then a wait)", len(cs))
		}
		if c := p.Counters(); c.Connected {
			t.Errorf("connected with both nodes down: %+v", c)
		}
		n.mu.Lock()
		n.down[b] = false
		n.hold = false
		n.mu.Unlock()
		time.Sleep(p.mq.minBackoff) // the longest the first wait can be
		synctest.Wait()
		cs = conns()
		if len(cs) != 4 || cs[3].opts.broker != b {
			t.Fatalf("after the backoff: %d dials, want a 4th, to %s", len(cs), b)
		}
		if err := p.Drain(t.Context()); err != nil {
			t.Fatal(err)
		}
		if c := p.Counters(); c.Published != 3 || c.Dropped != 0 || c.Broker != b || c.Birth != 3 {
			t.Errorf("after delivery on b: %+v", c)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// TestFakeFailoverQuickLoss checks that a node that accepts and drops the connection at once (another
// client with this identity there, say) does not keep the Publisher from the other node, and does not reset
// the backoff: with both nodes doing it, Run waits after each round.
func TestFakeFailoverQuickLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const a, b = "tcp://a.test:1883", "tcp://b.test:1883"
		n := newFakeNet()
		p, err := New(Config{Brokers: []string{a, b}, Topics: event.Topics{Store: "s1", Sensor: "cam1"}})
		if err != nil {
			t.Fatal(err)
		}
		p.mq.dial = n.dial
		p.mq.minBackoff, p.mq.maxBackoff = time.Minute, 2*time.Minute
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- p.Run(ctx) }()
		synctest.Wait()
		start := time.Now()
		n.kill(1) // quick: straight after the connect
		synctest.Wait()
		n.kill(2)
		synctest.Wait()
		n.mu.Lock()
		dials := len(n.conns)
		n.mu.Unlock()
		if dials != 2 || time.Since(start) != 0 {
			t.Fatalf("%d dials after two quick losses, want 2 and a wait", dials)
		}
		time.Sleep(p.mq.minBackoff)
		synctest.Wait()
		n.mu.Lock()
		dials = len(n.conns)
		n.mu.Unlock()
		if dials != 3 {
			t.Fatalf("%d dials after the backoff, want 3", dials)
		}
		cancel()
		<-done
	})
}
