// Package ingest is the back office's MQTT collector: it receives what the sensors publish, checks it,
// minimises tracks at the door, and writes everything to a backoffice.Store in batches, acknowledging each
// message only once the transaction that holds it has committed.
//
// # Delivery: at least once, end to end
//
// The client is paho.mqtt.golang speaking MQTT 3.1.1 with a fixed client id and clean session off, so the
// broker keeps the office's subscriptions and queues QoS 1 messages while it is away. Automatic
// acknowledgement is off and the message handler is installed before Connect (the broker sends queued
// messages right after the connection is accepted, before any subscription is renewed). The handler only
// puts the message on a bounded queue; when the queue is full it blocks, paho stops reading the socket, and
// the broker keeps the rest, unacknowledged. One goroutine takes messages off the queue, decodes them and
// commits a batch when the queue runs empty, when the batch holds BatchRows messages, or BatchWait after its
// first message, whichever comes first; then it acknowledges every message of the batch. A crash before
// the commit loses nothing (the broker sends the messages again); a crash between the commit and the
// acknowledgements makes the broker send them again, and the store's idempotent key (store, sensor,
// track, seg) stores them once. A failed commit is retried with backoff, without acknowledging.
//
// Mosquitto sends a client at most max_inflight_messages (default 20) unacknowledged QoS 1 messages at a
// time, so that setting, not BatchRows, bounds a batch; raise it on the broker for throughput.
//
// # What is checked
//
// A message is malformed when it is over MaxPayload bytes, on a topic outside the contract, not a JSON
// object, not "v": 1, against its JSON Schema (the embedded schemas package), or, for a track, not a track
// the office can keep (points out of time order, coordinates out of range, a sensor name that is not the
// topic's). It is counted (ashiato_office_messages_malformed_total{reason}), logged without its payload
// (the topic is quoted, at most once per reason every 10 s), acknowledged with its batch, and dropped. It
// never stops ingest.
//
// # Minimisation and retention at the door
//
// A valid track is minimised (backoffice.Minimisation). A track the rules drop, or one already past its
// sensor's retention when it arrives, is recorded in the dropped table, without its points, in the same
// transaction, so that stored plus dropped equals what was published.
//
// # Several broker nodes
//
// For high availability without a clustered broker, sensors publish to one of several independent broker
// nodes and fail over between them (agent/publish). The collector then keeps one connection to every node
// (Options.Brokers), all feeding the one batcher: a track a sensor sent again on another node after a
// failover is stored once by the idempotent key. A node that lost a sensor keeps its retained status,
// privacy and notice, which grow stale: the collector orders each sensor's status by (started, birth),
// its privacy by since, and its notice by the hash the current status names, and skips the stale copies
// (ashiato_office_messages_stale_total). An older status or privacy sent live is believed only once the
// newest had no successor for ReorderAfter: the sensor restarted with its clock set back.
package ingest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/schemas"
)

// Options configure a Collector. The zero value of each field means its default.
type Options struct {
	// Brokers are the broker nodes' URLs: tcp://HOST:PORT, or tls://HOST:PORT (also ssl://). One node, or
	// several independent nodes (not a cluster) that the sensors fail over between: the collector keeps
	// a connection to each, under the same ClientID.
	Brokers []string
	// ClientID is the fixed client id that the broker keeps the office's session under. Required.
	ClientID string
	// Username and Password authenticate the office; empty means none. They are never logged.
	Username, Password string
	// TLS configures tls:// brokers; nil means the system's roots.
	TLS *tls.Config
	// ShareGroup, when set, subscribes to tracks as $share/<ShareGroup>/ashiato/v1/+/+/tracks, so that
	// several collectors split the stream. status, privacy, notice and stats are always subscribed plainly.
	ShareGroup string
	// Queue is how many received messages may wait for the batcher; 0 means DefaultQueue.
	Queue int
	// BatchRows caps the messages of one transaction; 0 means DefaultBatchRows.
	BatchRows int
	// BatchWait caps how long the first message of a batch waits for the commit; 0 means DefaultBatchWait.
	BatchWait time.Duration
	// MaxPayload is the largest payload accepted, in bytes; 0 means DefaultMaxPayload.
	MaxPayload int
	// WriteTimeout cancels a store write that takes longer; the batch is then retried. 0 means
	// DefaultWriteTimeout. A write still running at twice this is taken as hung (see Alive).
	WriteTimeout time.Duration
	// Minimisation is applied to every track before it is stored.
	Minimisation backoffice.Minimisation
	// Retention computes each track's expiry from its sensor's notice.
	Retention backoffice.Retention
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives the collector's log; nil discards.
	Logger *slog.Logger
	// Metrics registers the collector's metrics; nil registers none.
	Metrics prometheus.Registerer
}

// Defaults of Options.
const (
	DefaultQueue      = 1000
	DefaultBatchRows  = 500
	DefaultBatchWait  = 100 * time.Millisecond
	DefaultMaxPayload = 1 << 20 // a 5-minute segment at 10 fps is about 120 kB
	// DefaultWriteTimeout is long enough for a batch behind a purge's incremental vacuum, which holds
	// SQLite's single writer for tens of seconds.
	DefaultWriteTimeout = time.Minute
)

// Collector receives, checks and stores what the sensors publish.
type Collector struct {
	store backoffice.Store
	o     Options
	log   *slog.Logger
	m     *metrics
	dec   decoder
	nodes []*node

	queue      chan inbound
	stopping   chan struct{} // closed when Run's context ends: the handlers stop taking messages
	stopOnce   sync.Once
	writing    atomic.Int64  // when the store write under way began (Unix ns); 0 means none
	subOnce    sync.Once     // closes subscribed
	subscribed chan struct{} // closed once a broker node first acknowledged every subscription

	// Used by the batcher goroutine only: the malformed-message log's rate limit.
	lastLog    map[string]time.Time
	suppressed map[string]int
}

// node is the connection to one broker node.
type node struct {
	url        string
	log        *slog.Logger
	client     paho.Client
	connected  atomic.Bool
	subscribed atomic.Bool   // every filter granted on the current connection
	conns      atomic.Uint64 // connections made so far: a late SUBACK of an earlier one changes nothing
}

// inbound is a message and the node it came through.
type inbound struct {
	n *node
	m paho.Message
}

// New returns a collector writing to store. It does not connect: Run does.
func New(store backoffice.Store, o Options) (*Collector, error) {
	if len(o.Brokers) == 0 || o.ClientID == "" {
		return nil, errors.New("ingest: a broker URL and a client id are required")
	}
	for i, b := range o.Brokers {
		if b == "" || slices.Contains(o.Brokers[:i], b) {
			return nil, fmt.Errorf("ingest: broker node %d is empty or listed twice", i+1)
		}
	}
	if o.Queue <= 0 {
		o.Queue = DefaultQueue
	}
	if o.BatchRows <= 0 {
		o.BatchRows = DefaultBatchRows
	}
	if o.BatchWait <= 0 {
		o.BatchWait = DefaultBatchWait
	}
	if o.MaxPayload <= 0 {
		o.MaxPayload = DefaultMaxPayload
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	v, err := schemas.New()
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	m, err := newMetrics(o.Metrics, o.Brokers)
	if err != nil {
		return nil, fmt.Errorf("ingest: metrics: %w", err)
	}
	c := &Collector{store: store, o: o, log: o.Logger, m: m, queue: make(chan inbound, o.Queue),
		stopping: make(chan struct{}), subscribed: make(chan struct{})}
	c.dec = decoder{validator: v, maxSize: o.MaxPayload, min: o.Minimisation, retention: o.Retention,
		promises: map[backoffice.SensorKey]int{}}
	for _, b := range o.Brokers {
		l := c.log
		if len(o.Brokers) > 1 {
			l = l.With("broker", b)
		}
		c.nodes = append(c.nodes, &node{url: b, log: l})
	}
	return c, nil
}

// Filters are the subscriptions: tracks (possibly shared) and the sensor state topics, all at QoS 1.
func (c *Collector) Filters() map[string]byte {
	any := event.Root + "/+/+/"
	tracks := any + event.LeafTracks
	if c.o.ShareGroup != "" {
		tracks = "$share/" + c.o.ShareGroup + "/" + tracks
	}
	return map[string]byte{tracks: 1, any + event.LeafStatus: 1, any + event.LeafPrivacy: 1, any + event.LeafNotice: 1,
		any + event.LeafStats: 1}
}

// Connected reports whether the collector is connected to at least one broker node now.
func (c *Collector) Connected() bool {
	for _, n := range c.nodes {
		if n.connected.Load() {
			return true
		}
	}
	return false
}

// Receiving reports whether every broker node has granted every subscription (Filters) on the
// collector's current connection to it. From then on every message published on those topics reaches
// the collector, or, while it is away, waits for it at the broker. Being connected is not yet receiving:
// a message published on a node between the connection and the grant, on the collector's first
// connection to it (no session at the broker yet), is not delivered to it.
func (c *Collector) Receiving() bool {
	for _, n := range c.nodes {
		if !n.subscribed.Load() {
			return false
		}
	}
	return len(c.nodes) > 0
}

// Brokers reports, for each broker node's URL, whether the collector receives from it now: connected,
// with every subscription granted on that connection (see Subscribed).
func (c *Collector) Brokers() map[string]bool {
	m := make(map[string]bool, len(c.nodes))
	for _, n := range c.nodes {
		m[n.url] = n.connected.Load() && n.subscribed.Load()
	}
	return m
}

// Subscribed is closed once a broker node has acknowledged every subscription for the first time: from
// then on the broker keeps the office's messages while it is away.
func (c *Collector) Subscribed() <-chan struct{} { return c.subscribed }

// Alive reports whether the batcher is making progress: it waits for messages, or it decodes, commits or
// waits to retry a batch, or it is in a store write that began less than twice WriteTimeout ago. A write
// that outlasts its own cancellation that long means a store that hangs, which only a restart clears.
func (c *Collector) Alive() bool {
	began := c.writing.Load()
	return began == 0 || time.Since(time.Unix(0, began)) < 2*c.o.WriteTimeout
}

// Run loads the sensors' state from the store, connects to every node, and stores messages until ctx
// ends. Then it stops taking messages, commits and acknowledges the batch in progress, and disconnects;
// messages still queued are not acknowledged, so the brokers keep them for the next start. It returns nil
// after a clean stop, or the error that kept it from starting.
func (c *Collector) Run(ctx context.Context) error {
	sensors, err := c.store.Sensors(ctx)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	for _, s := range sensors {
		if s.RetentionDays > 0 {
			c.dec.promises[s.SensorKey] = s.RetentionDays
		}
		c.dec.load(s)
	}
	for _, n := range c.nodes {
		n.client = paho.NewClient(c.clientOptions(n))
		n.client.Connect() // retries in the background until it succeeds or Disconnect
	}
	c.log.Info("collector started", "brokers", c.o.Brokers, "client_id", c.o.ClientID, "share_group", c.o.ShareGroup)
	go c.complainWhileDisconnected(ctx)
	c.batches(ctx)
	c.stopOnce.Do(func() { close(c.stopping) })
	var wg sync.WaitGroup
	for _, n := range c.nodes {
		wg.Go(func() {
			n.client.Disconnect(1000) // lets the last acknowledgements out
			n.connected.Store(false)
			n.subscribed.Store(false)
		})
	}
	wg.Wait()
	c.log.Info("collector stopped")
	return nil
}

func (c *Collector) clientOptions(n *node) *paho.ClientOptions {
	gauge := c.m.connected.WithLabelValues(n.url)
	o := paho.NewClientOptions().AddBroker(n.url).SetClientID(c.o.ClientID).SetProtocolVersion(4).
		SetCleanSession(false).SetOrderMatters(true).SetAutoAckDisabled(true).
		SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) { c.handle(n, m) }). // before Connect: queued messages arrive before any Subscribe
		SetAutoReconnect(true).SetConnectRetry(true).SetConnectRetryInterval(time.Second).
		SetMaxReconnectInterval(10 * time.Second).SetKeepAlive(30 * time.Second).SetResumeSubs(false).
		SetUsername(c.o.Username).SetPassword(c.o.Password).
		SetOnConnectHandler(func(cl paho.Client) { c.onConnect(n, gauge, cl) }).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			n.connected.Store(false)
			n.subscribed.Store(false)
			gauge.Set(0)
			n.log.Warn("lost the broker; reconnecting", "err", err)
		})
	if c.o.TLS != nil {
		o.SetTLSConfig(c.o.TLS)
	}
	return o
}

// onConnect renews the subscriptions on every connection (the session keeps them, but the configured
// filters may have changed, and a new session has none). The status filter goes first, in a SUBSCRIBE of
// its own: the broker handles a client's packets in order, so each sensor's retained status arrives
// before its retained privacy and notice, which are judged against it. The node counts as subscribed
// once the broker has granted every filter of both. The first time any node does, Subscribed is
// closed.
func (c *Collector) onConnect(n *node, gauge prometheus.Gauge, cl paho.Client) {
	conn := n.conns.Add(1)
	n.subscribed.Store(false)
	n.connected.Store(true)
	gauge.Set(1)
	n.log.Info("connected to the broker")
	status := event.Root + "/+/+/" + event.LeafStatus
	rest := c.Filters()
	delete(rest, status)
	var toks []paho.Token
	for _, f := range []map[string]byte{{status: 1}, rest} {
		toks = append(toks, cl.SubscribeMultiple(f, nil)) // nil: every message goes to the default handler
	}
	go func() {
		for _, tok := range toks {
			if !granted(n, tok) {
				return
			}
		}
		if n.conns.Load() == conn && n.connected.Load() {
			n.subscribed.Store(true)
			c.subOnce.Do(func() { close(c.subscribed) })
		}
	}()
}

// granted waits for the broker's answer to a SUBSCRIBE and reports whether it granted every filter,
// logging why not.
func granted(n *node, tok paho.Token) bool {
	if !tok.WaitTimeout(30 * time.Second) {
		n.log.Error("subscribe: no answer from the broker in 30 s")
		return false
	}
	if err := tok.Error(); err != nil {
		n.log.Error("subscribe refused; check the broker's ACL for this user", "err", err)
		return false
	}
	st, _ := tok.(*paho.SubscribeToken)
	if st == nil {
		return false
	}
	for filter, code := range st.Result() {
		if code >= 0x80 { // MQTT 3.1.1 §3.9.3: 0x80 is a refused subscription
			n.log.Error("subscribe refused; check the broker's ACL for this user", "filter", filter)
			return false
		}
	}
	return true
}

// complainWhileDisconnected warns every 30 s for each node that cannot be reached (paho retries quietly).
func (c *Collector) complainWhileDisconnected(ctx context.Context) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for _, n := range c.nodes {
				if !n.connected.Load() {
					n.log.Warn("not connected to the broker; retrying", "broker", n.url)
				}
			}
		}
	}
}

// handle is paho's message handler. It blocks while the queue is full: that is the back-pressure.
func (c *Collector) handle(n *node, m paho.Message) {
	select {
	case c.queue <- inbound{n: n, m: m}:
	case <-c.stopping: // shutting down: leave it unacknowledged for the next start
	}
}

// Publish sends payload on topic at QoS 1 without the retain flag through the collector's connection to
// every node it is connected to (the dashboard's pause and resume commands: a sensor listens on whichever
// node it is connected to), and returns once every one of them has acknowledged it, or ctx ends. It
// fails only when no node acknowledged; a node it is not connected to is left out. The brokers' ACL must
// let the office's user write the topic.
func (c *Collector) Publish(ctx context.Context, topic string, payload []byte) error {
	type sent struct {
		n   *node
		tok paho.Token
	}
	var toks []sent
	for _, n := range c.nodes {
		if n.connected.Load() {
			toks = append(toks, sent{n, n.client.Publish(topic, 1, false, payload)})
		}
	}
	if len(toks) == 0 {
		return errors.New("ingest: not connected to any broker")
	}
	var errs []error
	for _, s := range toks {
		select {
		case <-s.tok.Done():
			if err := s.tok.Error(); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", s.n.url, err))
			}
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("%s: no acknowledgement from the broker: %w", s.n.url, ctx.Err()))
		}
	}
	if len(errs) == len(toks) {
		return fmt.Errorf("ingest: publish %s: %w", topic, errors.Join(errs...))
	}
	for _, err := range errs {
		c.log.Warn("command not delivered to one broker node", "topic", topic, "err", err)
	}
	return nil
}
