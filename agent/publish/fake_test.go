package publish

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/command"
	"github.com/ashiato/ashiato/agent/event"
)

// fakeNet stands in for the broker: each dial makes a fakeConn, and every publish is recorded with the
// number of the connection that sent it.
type fakeNet struct {
	mu     sync.Mutex
	refuse bool            // connect fails
	down   map[string]bool // connect to these broker URLs fails
	hold   bool            // publishes of QoS 1 stay unacknowledged
	conns  []*fakeConn
	pubs   []fakePub
	change chan struct{} // signalled on every publish and dial
}

type fakePub struct {
	conn int // 1-based
	m    Message
}

type fakeConn struct {
	n      *fakeNet
	id     int
	opts   dialOptions
	held   []*fakeToken
	closed bool
	clean  bool // ended with disconnect rather than abort or kill
}

type fakeToken struct {
	once sync.Once
	done chan struct{}
	err  error
}

func newToken() *fakeToken { return &fakeToken{done: make(chan struct{})} }

func (t *fakeToken) complete(err error) {
	t.once.Do(func() { t.err = err; close(t.done) })
}
func (t *fakeToken) Done() <-chan struct{} { return t.done }
func (t *fakeToken) Error() error          { <-t.done; return t.err }

func newFakeNet() *fakeNet { return &fakeNet{change: make(chan struct{}, 1)} }

func (n *fakeNet) poke() {
	select {
	case n.change <- struct{}{}:
	default:
	}
}

func (n *fakeNet) dial(o dialOptions) client {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := &fakeConn{n: n, id: len(n.conns) + 1, opts: o}
	n.conns = append(n.conns, c)
	n.poke()
	return c
}

func (c *fakeConn) connect() token {
	t := newToken()
	c.n.mu.Lock()
	refuse := c.n.refuse || c.n.down[c.opts.broker]
	c.n.mu.Unlock()
	if refuse {
		t.complete(errors.New("connection refused"))
	} else {
		t.complete(nil)
	}
	return t
}

func (c *fakeConn) publish(m Message) token {
	t := newToken()
	c.n.mu.Lock()
	defer c.n.mu.Unlock()
	if c.closed {
		t.complete(errors.New("not connected"))
		return t
	}
	c.n.pubs = append(c.n.pubs, fakePub{conn: c.id, m: m})
	c.n.poke()
	if m.QoS == 1 && c.n.hold {
		c.held = append(c.held, t)
	} else {
		t.complete(nil)
	}
	return t
}

func (c *fakeConn) subscribe(string, byte, func(Message)) token {
	t := newToken()
	t.complete(nil)
	return t
}

func (c *fakeConn) disconnect(time.Duration) {
	c.n.mu.Lock()
	c.closed, c.clean = true, true
	c.n.mu.Unlock()
}

func (c *fakeConn) abort() {
	c.n.mu.Lock()
	c.closed = true
	c.n.mu.Unlock()
}

// kill simulates the network dropping connection i (1-based).
func (n *fakeNet) kill(i int) {
	n.mu.Lock()
	c := n.conns[i-1]
	c.closed = true
	n.mu.Unlock()
	c.opts.onLost(errors.New("killed"))
}

// waitFor polls cond (under n.mu) until it holds or the test times out.
func (n *fakeNet) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		n.mu.Lock()
		ok := cond()
		n.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-n.change:
		case <-time.After(5 * time.Millisecond):
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func fakePublisher(t *testing.T, n *fakeNet) *Publisher {
	t.Helper()
	p, err := New(Config{Brokers: []string{"tcp://127.0.0.1:1"}, Topics: event.Topics{Store: "s1", Sensor: "cam1"}})
	if err != nil {
		t.Fatal(err)
	}
	p.mq.dial = n.dial
	p.mq.minBackoff, p.mq.maxBackoff = time.Millisecond, 5*time.Millisecond
	return p
}

func decodeStatus(t *testing.T, b []byte) event.Status {
	t.Helper()
	var s event.Status
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("status %q: %v", b, err)
	}
	return s
}

func startRun(t *testing.T, p *Publisher) (cancel func()) {
	t.Helper()
	ctx, cancelCtx := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	return func() {
		cancelCtx()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v, want nil", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after cancel")
		}
	}
}

// TestFakeReconnectResendsAndBirth checks that unacknowledged messages are resent on the next connection,
// that each connection carries its own birth in both its will and its online status, and the counters.
func TestFakeReconnectResendsAndBirth(t *testing.T) {
	n := newFakeNet()
	n.hold = true
	p := fakePublisher(t, n)
	stop := startRun(t, p)
	defer stop()

	tracks := p.mq.topics.Topic(event.LeafTracks)
	for i := range 3 {
		p.Enqueue(Message{Topic: tracks, Payload: []byte{'0' + byte(i)}})
	}
	countOn := func(conn int, topic string) int {
		k := 0
		for _, pub := range n.pubs {
			if pub.conn == conn && pub.m.Topic == topic {
				k++
			}
		}
		return k
	}
	n.waitFor(t, "3 tracks on connection 1", func() bool { return countOn(1, tracks) == 3 })
	if c := p.Counters(); c.Published != 0 || c.OutboxDepth != 3 || !c.Connected || c.Birth != 1 {
		t.Fatalf("before acks: %+v", c)
	}

	n.mu.Lock()
	n.hold = false
	n.mu.Unlock()
	n.kill(1)
	n.waitFor(t, "3 tracks on connection 2", func() bool { return countOn(2, tracks) == 3 })
	drainCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Drain(drainCtx); err != nil {
		t.Fatal(err)
	}
	c := p.Counters()
	if c.Published != 3 || c.OutboxDepth != 0 || c.OutboxBytes != 0 || c.Reconnects != 1 || c.Birth != 2 || c.Dropped != 0 {
		t.Fatalf("after reconnect: %+v", c)
	}

	n.mu.Lock()
	defer n.mu.Unlock()
	var order []string
	for _, pub := range n.pubs {
		if pub.conn == 2 && pub.m.Topic == tracks {
			order = append(order, string(pub.m.Payload))
		}
	}
	if len(order) != 3 || order[0] != "0" || order[1] != "1" || order[2] != "2" {
		t.Errorf("resent order %q, want [0 1 2]", order)
	}
	for i, conn := range n.conns[:2] {
		birth := uint64(i + 1)
		w := decodeStatus(t, conn.opts.will.Payload)
		if w.State != event.StateOffline || w.Birth != birth || !conn.opts.will.Retain || conn.opts.will.QoS != 1 {
			t.Errorf("connection %d will: %+v (retain %v qos %d)", birth, w, conn.opts.will.Retain, conn.opts.will.QoS)
		}
		if conn.opts.clientID != "s1/cam1" { // the default: Topics.Identity()
			t.Errorf("client id %q", conn.opts.clientID)
		}
		// The first message of each connection is its online status with the same birth.
		for _, pub := range n.pubs {
			if pub.conn == conn.id {
				s := decodeStatus(t, pub.m.Payload)
				if pub.m.Topic != p.mq.topics.Topic(event.LeafStatus) || s.State != event.StateOnline || s.Birth != birth || !pub.m.Retain {
					t.Errorf("connection %d first message %s %+v", birth, pub.m.Topic, s)
				}
				break
			}
		}
	}
}

// TestFakeRetainedOnEveryConnect checks that the latest retained value is republished on each connection.
func TestFakeRetainedOnEveryConnect(t *testing.T) {
	n := newFakeNet()
	p := fakePublisher(t, n)
	privacy := p.mq.topics.Topic(event.LeafPrivacy)
	p.SetRetained(privacy, []byte(`{"state":"a"}`))
	p.SetRetained(privacy, []byte(`{"state":"b"}`))
	stop := startRun(t, p)
	defer stop()

	last := func(conn int) string {
		v := ""
		for _, pub := range n.pubs {
			if pub.conn == conn && pub.m.Topic == privacy {
				if !pub.m.Retain || pub.m.QoS != 1 {
					t.Errorf("retained value sent with retain %v qos %d", pub.m.Retain, pub.m.QoS)
				}
				v = string(pub.m.Payload)
			}
		}
		return v
	}
	n.waitFor(t, "privacy b on connection 1", func() bool { return last(1) == `{"state":"b"}` })
	p.SetRetained(privacy, []byte(`{"state":"c"}`))
	n.waitFor(t, "privacy c on connection 1", func() bool { return last(1) == `{"state":"c"}` })
	n.kill(1)
	n.waitFor(t, "privacy c on connection 2", func() bool { return last(2) == `{"state":"c"}` })
}

// TestFakeRefusedThenAccepted checks that Run keeps retrying a refusing broker and that Close while
// disconnected reports ErrNotConnected and ends Run.
func TestFakeRefusedThenAccepted(t *testing.T) {
	n := newFakeNet()
	n.refuse = true
	p := fakePublisher(t, n)
	done := make(chan error, 1)
	go func() { done <- p.Run(context.Background()) }()
	n.waitFor(t, "three attempts", func() bool { return len(n.conns) >= 3 })
	if c := p.Counters(); c.Connected || c.Birth != 0 {
		t.Fatalf("counters while refused: %+v", c)
	}
	for _, conn := range n.conns {
		n.mu.Lock()
		w := decodeStatus(t, conn.opts.will.Payload)
		n.mu.Unlock()
		if w.Birth != 1 {
			t.Errorf("refused attempt will birth %d, want 1 (birth counts accepted connections)", w.Birth)
		}
	}
	p.Enqueue(Message{Topic: p.mq.topics.Topic(event.LeafTracks), Payload: []byte(`{}`)})
	n.mu.Lock()
	n.refuse = false
	n.mu.Unlock()
	n.waitFor(t, "the track", func() bool {
		for _, pub := range n.pubs {
			if pub.m.Topic == p.mq.topics.Topic(event.LeafTracks) {
				return true
			}
		}
		return false
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after Close")
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	lastPub := n.pubs[len(n.pubs)-1]
	if s := decodeStatus(t, lastPub.m.Payload); s.State != event.StateStopped || s.Birth != 1 || !lastPub.m.Retain {
		t.Errorf("last message %s %+v, want retained stopped birth 1", lastPub.m.Topic, s)
	}
	if c := n.conns[len(n.conns)-1]; !c.clean {
		t.Error("Close did not disconnect cleanly after stopped was acknowledged")
	}
}

// TestFakeAckTimeoutReconnects checks that a publish never acknowledged ends the connection without a
// clean DISCONNECT (so the broker sends the will), and is resent on the next one.
func TestFakeAckTimeoutReconnects(t *testing.T) {
	n := newFakeNet()
	n.hold = true
	p := fakePublisher(t, n)
	p.mq.ackTimeout = 50 * time.Millisecond
	stop := startRun(t, p)
	defer stop()
	p.Enqueue(Message{Topic: p.mq.topics.Topic(event.LeafTracks), Payload: []byte(`1`)})
	n.waitFor(t, "a second connection", func() bool { return len(n.conns) >= 2 })
	n.mu.Lock()
	c1 := n.conns[0]
	if !c1.closed || c1.clean {
		t.Errorf("first connection closed=%v clean=%v, want aborted", c1.closed, c1.clean)
	}
	n.hold = false
	n.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if c := p.Counters(); c.Published != 1 {
		t.Errorf("Published %d, want 1", c.Published)
	}
}

// TestFakeCommands checks the size limit and the queue of inbound commands. The size limit is the command
// parser's: one fact.
func TestFakeCommands(t *testing.T) {
	n := newFakeNet()
	p := fakePublisher(t, n)
	buf := []byte(`{"reason":"x"}`)
	p.mq.onCommand(Message{Topic: p.mq.topics.Topic(event.LeafPause), Payload: buf, QoS: 1})
	buf[2] = 'X' // the Publisher must have copied the payload
	p.mq.onCommand(Message{Topic: p.mq.topics.Topic(event.LeafPause), Payload: make([]byte, command.MaxPayload+1)})
	select {
	case m := <-p.Commands():
		if m.Topic != p.mq.topics.Topic(event.LeafPause) || string(m.Payload) != `{"reason":"x"}` {
			t.Fatalf("got %s %q", m.Topic, m.Payload)
		}
	default:
		t.Fatal("no command delivered")
	}
	select {
	case m := <-p.Commands():
		t.Fatalf("oversized command delivered: %d bytes", len(m.Payload))
	default:
	}
	for range commandQueue + 3 {
		p.mq.onCommand(Message{Topic: p.mq.topics.Topic(event.LeafResume), Payload: []byte(`{}`)})
	}
	if got := p.Counters().CommandsDropped; got != 1+3 {
		t.Errorf("CommandsDropped %d, want 4", got)
	}
}
