package publish

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ashiato/ashiato/agent/command"
	"github.com/ashiato/ashiato/agent/event"
)

// mqttSink delivers a Publisher's messages to an MQTT broker. It owns one connection at a time (a link), to
// one of its nodes, built fresh for every attempt so that each connection's last will carries its own
// birth number.
// QoS-1 messages wait in a bounded RAM outbox until the broker acknowledges them; retained values are
// re-published on every connect.
type mqttSink struct {
	cfg    Config
	log    *slog.Logger
	status statusSource
	topics event.Topics
	dial   func(dialOptions) client
	tls    tlsFiles
	nodes  []node

	timing

	mu          sync.Mutex
	out         outbox
	retained    map[string]retainedValue
	retVer      uint64
	settled     chan struct{} // closed and replaced whenever outbox entries leave
	published   uint64
	reconnects  uint64
	birth       uint64
	node        string // URL of the current (or last) connection's node
	connected   bool
	clash       clashWatch
	cmdDropped  uint64
	lastDropLog time.Time

	wake     chan struct{}
	eph      chan Message
	cmds     chan Message
	refresh  atomic.Bool
	running  atomic.Bool
	closing  chan struct{}
	closeMu  sync.Once
	closeReq chan closeRequest
	runDone  chan struct{}
}

// timing are an mqttSink's waits and window, fixed after New; tests shorten them.
type timing struct {
	minBackoff, maxBackoff time.Duration
	connectTimeout         time.Duration
	ackTimeout             time.Duration
	stopTimeout            time.Duration // for the "stopped" status when Run's context ends
	keepAlive              time.Duration
	window                 int // QoS-1 publishes awaiting PUBACK at once
}

// clashWatch tells the connections a broker drops right after accepting them (see IdentityClashAfter)
// from ordinary losses. Its owner guards it.
type clashWatch struct {
	quickLoss   time.Duration // see QuickLoss
	connectedAt time.Time
	losses      []time.Time // the latest quick losses, at most IdentityClashAfter
}

// connected notes that a connection was accepted at now.
func (w *clashWatch) connected(now time.Time) { w.connectedAt = now }

// lost notes that the connection was lost at now, and reports whether that was quick and whether a
// clash begins with it.
func (w *clashWatch) lost(now time.Time) (quick, begins bool) {
	if now.Sub(w.connectedAt) >= w.quickLoss {
		return false, false
	}
	was := w.clash(now)
	w.losses = append(w.losses, now)
	if len(w.losses) > IdentityClashAfter {
		w.losses = w.losses[1:]
	}
	return true, !was && w.clash(now)
}

// clash reports whether IdentityClashAfter quick losses fell within ClashWindow before now.
func (w *clashWatch) clash(now time.Time) bool {
	return len(w.losses) == IdentityClashAfter && now.Sub(w.losses[0]) <= ClashWindow
}

// node is one broker of Config.Brokers.
type node struct {
	url     string
	useTLS  bool
	tlsHost string
}

type retainedValue struct {
	payload []byte
	ver     uint64
}

type closeRequest struct {
	ctx   context.Context
	reply chan error
}

// errClosed ends a session because Close was handled.
var errClosed = errors.New("publish: closed")

func newMQTTSink(cfg Config, status statusSource, log *slog.Logger) (*mqttSink, error) {
	if cfg.OutboxMessages == 0 {
		cfg.OutboxMessages = defaultOutboxMessages
	}
	if cfg.OutboxBytes == 0 {
		cfg.OutboxBytes = defaultOutboxBytes
	}
	if cfg.ClientID == "" {
		cfg.ClientID = cfg.Topics.Identity()
	}
	s := &mqttSink{
		cfg:    cfg,
		log:    log,
		status: status,
		topics: cfg.Topics,
		dial:   dialPaho,
		timing: timing{minBackoff: 500 * time.Millisecond, maxBackoff: 30 * time.Second,
			connectTimeout: 10 * time.Second, ackTimeout: 30 * time.Second, stopTimeout: 2 * time.Second,
			keepAlive: 30 * time.Second, window: 64},
		clash:    clashWatch{quickLoss: QuickLoss},
		out:      outbox{maxMsgs: cfg.OutboxMessages, maxBytes: cfg.OutboxBytes, next: 1},
		retained: map[string]retainedValue{},
		settled:  make(chan struct{}),
		wake:     make(chan struct{}, 1),
		eph:      make(chan Message, ephemeralQueue),
		cmds:     make(chan Message, commandQueue),
		closing:  make(chan struct{}),
		closeReq: make(chan closeRequest),
		runDone:  make(chan struct{}),
	}
	s.tls = tlsFiles{ca: cfg.CAFile, cert: cfg.CertFile, key: cfg.KeyFile, serverName: cfg.ServerName}
	for i, b := range cfg.Brokers {
		u, useTLS, err := parseBroker(b)
		if err != nil {
			if len(cfg.Brokers) > 1 {
				err = fmt.Errorf("broker node %d: %w", i+1, err)
			}
			return nil, err
		}
		n := node{url: b, useTLS: useTLS}
		if useTLS {
			n.tlsHost = u.Hostname()
			if _, err := s.tls.config(n.tlsHost); err != nil {
				return nil, err
			}
		}
		s.nodes = append(s.nodes, n)
	}
	return s, nil
}

func (s *mqttSink) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *mqttSink) enqueue(m Message) {
	s.mu.Lock()
	logIt := false
	if s.out.push(m) > 0 {
		s.notifySettledLocked()
		// Drops come in floods while the broker is away: log at most every dropLogEvery.
		if now := time.Now(); now.Sub(s.lastDropLog) >= dropLogEvery {
			s.lastDropLog, logIt = now, true
		}
	}
	total := s.out.dropped
	s.mu.Unlock()
	if logIt {
		s.log.Warn("publish: outbox full, dropping oldest messages", "dropped_total", total)
	}
	s.signal()
}

func (s *mqttSink) setRetained(topic string, payload []byte) {
	s.mu.Lock()
	s.retVer++
	s.retained[topic] = retainedValue{payload: payload, ver: s.retVer}
	s.mu.Unlock()
	s.signal()
}

func (s *mqttSink) refreshStatus() {
	s.refresh.Store(true)
	s.signal()
}

func (s *mqttSink) sendEphemeral(m Message) {
	s.mu.Lock()
	up := s.connected
	s.mu.Unlock()
	if !up {
		return
	}
	select {
	case s.eph <- m:
	default:
	}
}

func (s *mqttSink) commands() <-chan Message { return s.cmds }

func (s *mqttSink) counters() Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Counters{
		Published:       s.published,
		Dropped:         s.out.dropped,
		OutboxDepth:     len(s.out.q),
		OutboxBytes:     s.out.bytes,
		Reconnects:      s.reconnects,
		Connected:       s.connected,
		Birth:           s.birth,
		Broker:          s.node,
		CommandsDropped: s.cmdDropped,
		IdentityClash:   s.clash.clash(time.Now()),
	}
}

func (s *mqttSink) drain(ctx context.Context) error {
	s.mu.Lock()
	target := s.out.next
	for {
		if !s.out.pendingBefore(target) {
			s.mu.Unlock()
			return nil
		}
		ch := s.settled
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("publish: drain: %w", ctx.Err())
		}
		s.mu.Lock()
	}
}

// notifySettledLocked wakes Drain callers. s.mu must be held.
func (s *mqttSink) notifySettledLocked() {
	close(s.settled)
	s.settled = make(chan struct{})
}

func (s *mqttSink) close(ctx context.Context) error {
	first := false
	s.closeMu.Do(func() { first = true; close(s.closing) })
	if !first || !s.running.Load() {
		return nil
	}
	req := closeRequest{ctx: ctx, reply: make(chan error, 1)}
	select {
	case s.closeReq <- req:
	case <-s.runDone:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("publish: close: %w", ctx.Err())
	}
	select {
	case err := <-req.reply:
		return err
	case <-ctx.Done():
		return fmt.Errorf("publish: close: %w", ctx.Err())
	}
}

// run makes connections, one after the other, until ctx is done or Close is handled. After a connection
// ends or an attempt fails it tries the next node at once; when every node failed in a row (a connection
// the broker dropped right after accepting it counts as a failure) it waits with exponential backoff and
// jitter before going round again.
func (s *mqttSink) run(ctx context.Context) error {
	s.running.Store(true)
	defer close(s.runDone)
	select {
	case <-s.closing:
		return nil
	default:
	}
	backoff := s.minBackoff
	at, failed := 0, 0 // the node to try, and how many attempts in a row failed
	for {
		n := s.nodes[at]
		connected, err := s.session(ctx, n)
		if errors.Is(err, errClosed) || ctx.Err() != nil {
			return nil
		}
		var lost *lostError
		if connected && !(errors.As(err, &lost) && lost.quick) { // it lasted: start again from the shortest wait
			backoff, failed = s.minBackoff, 0
		}
		failed++
		at = (at + 1) % len(s.nodes)
		if failed%len(s.nodes) != 0 {
			s.log.Warn("publish: no connection; trying the next broker node", "broker", n.url, "err", err,
				"next", s.nodes[at].url)
			continue
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		s.log.Warn("publish: no connection", "broker", n.url, "err", err, "retry_in", wait.Round(time.Millisecond))
		backoff = min(2*backoff, s.maxBackoff)
		if !s.pause(ctx, wait) {
			return nil
		}
	}
}

// pause waits d before the next attempt; it reports false when ctx ended or Close was handled meanwhile.
func (s *mqttSink) pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case req := <-s.closeReq:
		req.reply <- ErrNotConnected
		return false
	}
}

// session makes one connection to n and serves it until it fails, ctx is done or Close is handled.
// connected reports whether the broker accepted the connection.
func (s *mqttSink) session(ctx context.Context, n node) (connected bool, err error) {
	s.mu.Lock()
	birth := s.birth + 1
	s.mu.Unlock()
	l, err := s.connect(ctx, n, birth)
	if l == nil {
		return false, err
	}
	s.mu.Lock()
	s.birth, s.node, s.connected = birth, n.url, true
	s.clash.connected(time.Now())
	if birth > 1 {
		s.reconnects++
	}
	s.mu.Unlock()
	s.log.Info("publish: connected", "broker", n.url, "client_id", s.cfg.ClientID, "birth", birth)
	for len(s.eph) > 0 { // stale from an earlier connection
		<-s.eph
	}
	err = l.serve(ctx)
	s.disconnected(err)
	return true, err
}

// disconnected records the end of a connection: a connection the broker dropped less than quickLoss
// after accepting it is marked quick, and when that keeps happening the log says that another client is
// probably using this sensor's identity.
func (s *mqttSink) disconnected(err error) {
	s.mu.Lock()
	s.connected = false
	var lost *lostError
	begins := false
	if errors.As(err, &lost) {
		lost.quick, begins = s.clash.lost(time.Now())
	}
	s.mu.Unlock()
	if begins {
		s.log.Warn("publish: another client is probably using this sensor's identity: the broker dropped the "+
			"connection right after accepting it again and again; look for a second device with a copy of "+
			"this configuration (a cloned SD card) or another client with this client id",
			"client_id", s.cfg.ClientID, "times", IdentityClashAfter, "within", ClashWindow)
	}
}

// lostError is a connection the broker (or the network) dropped; quick means within quickLoss of being
// accepted.
type lostError struct {
	err   error
	quick bool
}

func (e *lostError) Error() string { return "publish: connection lost: " + e.err.Error() }
func (e *lostError) Unwrap() error { return e.err }

// connect dials n with a connection whose last will is the "offline" status of birth, and waits for the broker
// to accept it. It returns nil and why when the broker refused, ctx ended (nil error) or Close was
// handled (errClosed).
func (s *mqttSink) connect(ctx context.Context, n node, birth uint64) (*link, error) {
	l := &link{s: s, birth: birth, lost: make(chan struct{}), sentVer: map[string]uint64{}}
	opts := dialOptions{
		broker:         n.url,
		clientID:       s.cfg.ClientID,
		username:       s.cfg.Username,
		password:       s.cfg.Password,
		will:           s.status.message(event.StateOffline, birth),
		keepAlive:      s.keepAlive,
		connectTimeout: s.connectTimeout,
		onLost:         l.onLost,
		maxPacket:      MaxInboundPacket,
		onSkipped:      s.onSkipped,
	}
	if n.useTLS {
		var err error
		if opts.tls, err = s.tls.config(n.tlsHost); err != nil {
			return nil, err
		}
	}
	l.c = s.dial(opts)
	tok := l.c.connect()
	abandon := func() { go func() { <-tok.Done(); l.c.abort() }() }
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			l.c.abort()
			return nil, fmt.Errorf("publish: connect: %w", err)
		}
		return l, nil
	case <-ctx.Done():
		abandon()
		return nil, nil
	case req := <-s.closeReq:
		abandon()
		req.reply <- ErrNotConnected
		return nil, errClosed
	}
}

// onCommand is called by the client for each message on <prefix>/cmd/#. It never blocks.
func (s *mqttSink) onCommand(m Message) {
	if len(m.Payload) > command.MaxPayload {
		s.log.Warn("publish: command too large, dropped", "topic", m.Topic, "bytes", len(m.Payload))
		s.countCommandDrop()
		return
	}
	m.Payload = append([]byte(nil), m.Payload...)
	select {
	case s.cmds <- m:
	default:
		s.log.Warn("publish: command queue full, dropped", "topic", m.Topic)
		s.countCommandDrop()
	}
}

// onSkipped is called (from paho's reading goroutine) for each message dropped unread for being longer
// than MaxInboundPacket.
func (s *mqttSink) onSkipped(size int) {
	s.log.Warn("publish: command too large, dropped unread", "bytes", size, "limit", MaxInboundPacket)
	s.countCommandDrop()
}

func (s *mqttSink) countCommandDrop() {
	s.mu.Lock()
	s.cmdDropped++
	s.mu.Unlock()
}

// nextRetained returns a retained value not yet sent at its current version on a connection that has
// sent the versions in sent.
func (s *mqttSink) nextRetained(sent map[string]uint64) (Message, uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for topic, v := range s.retained {
		if sent[topic] != v.ver {
			return Message{Topic: topic, Payload: v.payload, QoS: 1, Retain: true}, v.ver, true
		}
	}
	return Message{}, 0, false
}

// nextQueued returns the oldest outbox entry after seq.
func (s *mqttSink) nextQueued(seq uint64) (entry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.after(seq)
}

// acked removes outbox entry seq after its PUBACK.
func (s *mqttSink) acked(seq uint64) {
	s.mu.Lock()
	if s.out.ack(seq) {
		s.published++
		s.notifySettledLocked()
	}
	s.mu.Unlock()
}
