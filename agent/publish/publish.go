// Package publish sends the agent's messages to an MQTT broker (or to stdout) without ever blocking the caller.
//
// The Publisher owns one connection at a time, built fresh for every attempt so that each connection's last
// will carries its own birth number. Given several independent broker nodes, it is connected to one of
// them at a time and fails over to the next when that connection is lost (see Config.Brokers). QoS-1
// messages wait in a bounded RAM outbox until the broker acknowledges them; retained values are
// re-published on every connect; the retained status topic reads "online" on every connect, "offline" (the
// broker's last will) when the connection dies, and "stopped" on a clean exit. Only paho.go talks to the MQTT library.
package publish

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/ashiato/ashiato/agent/event"
)

// Message is one MQTT message. Payload is owned by the Publisher once passed in: the caller must not
// modify it afterwards.
type Message struct {
	Topic   string
	Payload []byte
	QoS     byte
	Retain  bool
}

// Config configures a Publisher. The zero value of each field means the documented default.
type Config struct {
	// Brokers are the broker nodes, each "tcp://host:port" or "tls://host:port" (also mqtt://, mqtts://,
	// ssl://; see CheckBroker), or the one entry "stdout" to write JSON lines to Stdout instead of using
	// MQTT. Credentials must not be put in a URL; use Username and Password. The nodes are independent
	// brokers (not a cluster), each receiving everything while the Publisher is connected to it: Run
	// connects to the first, and when a connection is lost or refused it tries the next node at once; it
	// waits (backoff) only after every node in turn failed. Each connection announces the sensor afresh
	// (status, retained values) and resends the whole unacknowledged outbox, so a subscriber of every node
	// receives every QoS-1 message at least once.
	Brokers []string
	// ClientID is the MQTT client id; "" means Topics.Identity(), "<store>/<sensor>". The session is persistent
	// (clean session false), so the id must be unique to this sensor.
	ClientID string
	// Topics names the sensor; both names must satisfy event.ValidName.
	Topics event.Topics
	// Stdout receives the lines when Brokers is "stdout"; nil means os.Stdout.
	Stdout io.Writer
	// OutboxMessages caps the number of queued QoS-1 messages; 0 means 10000.
	OutboxMessages int
	// OutboxBytes caps the payload bytes of queued QoS-1 messages; 0 means 16 MiB.
	OutboxBytes int
	// Status returns the JSON body of the status topic for state (event.StateOnline, StateOffline or
	// StateStopped) and birth, the number of the connection it belongs to. It is called at every connect
	// (online, and offline for that connection's will), on RefreshStatus, and at shutdown (stopped), from
	// the Run goroutine (in stdout mode also from Close and RefreshStatus), so it must be safe for
	// concurrent use and must not block. nil means a minimal event.Status with V, State, Birth and Sensor.
	Status func(state string, birth uint64) []byte
	// Username and Password authenticate to the broker; "" means none. They are never logged.
	Username string
	Password string
	// CAFile is a PEM bundle of the CAs trusted for tls:// brokers; "" means the system roots. CertFile and
	// KeyFile are a PEM client certificate and key for mutual TLS; "" means none. ServerName overrides the
	// name checked against the broker's certificate; "" means the host of each node.
	CAFile, CertFile, KeyFile, ServerName string
	// Logger receives connection events and drops; nil discards.
	Logger *slog.Logger
}

// Counters is a snapshot of the Publisher's state.
type Counters struct {
	Published       uint64 // QoS-1 outbox messages acknowledged by the broker (stdout: lines written by Enqueue)
	Dropped         uint64 // outbox messages dropped unacknowledged because the outbox was full
	OutboxDepth     int    // messages in the outbox, sent or not, awaiting acknowledgement
	OutboxBytes     int    // their payload bytes
	Reconnects      uint64 // successful connections after the first
	Connected       bool   // a connection is up right now
	Birth           uint64 // number of the current (or last) connection; 0 before the first
	Broker          string // the node of the current (or last) connection; "" before the first
	CommandsDropped uint64 // inbound commands dropped: too large, or the Commands channel was full
	// IdentityClash is true while the broker keeps dropping the connection right after accepting it:
	// most likely another client uses this sensor's client id, such as a second device with a copy of
	// this configuration, and the two knock each other off. See IdentityClashAfter.
	IdentityClash bool
}

// What counts as an identity clash: IdentityClashAfter connections within ClashWindow, each dropped by
// the broker less than QuickLoss after it accepted it. A broker drops the older of two connections with
// one client id (MQTT 3.1.1 §3.1.4), so two devices with one identity each lose their connection as soon
// as the other reconnects. The report clears ClashWindow after the clashes stop.
const (
	QuickLoss          = 10 * time.Second
	IdentityClashAfter = 3
	ClashWindow        = 10 * time.Minute
)

const (
	defaultOutboxMessages = 10000
	defaultOutboxBytes    = 16 << 20
	commandQueue          = 16
	ephemeralQueue        = 64
	stdoutBroker          = "stdout"
	dropLogEvery          = 10 * time.Second
)

// ErrNotConnected is returned by Close when there was no connection to send the "stopped" status on; the
// broker has already published (or will publish) the "offline" last will instead.
var ErrNotConnected = errors.New(`publish: not connected, "stopped" status not sent`)

// Publisher delivers messages to a broker (one node of Config.Brokers at a time), or writes them as JSON
// lines. Create it with New, run Run in its own goroutine, and end with Close (or cancel Run's context). All methods are safe for concurrent
// use.
//
// The Publisher checks topics and hands everything else to its sink: an MQTT connection (mqttSink) or
// the stdout lines (lineSink).
type Publisher struct {
	log     *slog.Logger
	sink    sink
	mq      *mqttSink // the sink when it is MQTT; nil in stdout mode
	running atomic.Bool
}

// sink is where a Publisher's messages go. Its methods follow the Publisher's of the same name; topics
// are already checked.
type sink interface {
	run(ctx context.Context) error
	enqueue(m Message)
	setRetained(topic string, payload []byte)
	refreshStatus()
	sendEphemeral(m Message)
	commands() <-chan Message
	counters() Counters
	drain(ctx context.Context) error
	close(ctx context.Context) error
}

// statusSource builds the status messages of a sensor.
type statusSource struct {
	topic string
	body  func(state string, birth uint64) []byte
}

func (s statusSource) message(state string, birth uint64) Message {
	return Message{Topic: s.topic, Payload: s.body(state, birth), QoS: 1, Retain: true}
}

// New checks cfg and returns an idle Publisher; nothing is connected until Run.
func New(cfg Config) (*Publisher, error) {
	if !event.ValidName(cfg.Topics.Store) || !event.ValidName(cfg.Topics.Sensor) {
		return nil, fmt.Errorf("publish: invalid store/sensor names %q/%q", cfg.Topics.Store, cfg.Topics.Sensor)
	}
	if cfg.OutboxMessages < 0 || cfg.OutboxBytes < 0 {
		return nil, errors.New("publish: negative outbox cap")
	}
	p := &Publisher{log: cfg.Logger}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	status := statusSource{topic: cfg.Topics.Topic(event.LeafStatus), body: cfg.Status}
	if status.body == nil {
		sensor := cfg.Topics.Sensor
		status.body = func(state string, birth uint64) []byte {
			b, _ := json.Marshal(event.Status{V: event.Version, State: state, Birth: birth, Sensor: sensor})
			return b
		}
	}
	if len(cfg.Brokers) == 0 {
		return nil, errors.New("publish: no broker (want at least one tcp://HOST:PORT or tls://HOST:PORT, or stdout)")
	}
	if slices.Contains(cfg.Brokers, stdoutBroker) {
		if len(cfg.Brokers) > 1 {
			return nil, errors.New("publish: stdout cannot be combined with broker nodes")
		}
		w := cfg.Stdout
		if w == nil {
			w = os.Stdout
		}
		p.sink = newLineSink(w, status, p.log)
		return p, nil
	}
	mq, err := newMQTTSink(cfg, status, p.log)
	if err != nil {
		return nil, err
	}
	p.sink, p.mq = mq, mq
	return p, nil
}

// CheckBroker checks a broker URL as New would: tcp:// or mqtt:// for plain MQTT, tls://, ssl:// or
// mqtts:// for MQTT over TLS, with a host and a port, and no credentials in it. Its errors never quote
// the URL, which could hold a password.
func CheckBroker(broker string) error {
	_, _, err := parseBroker(broker)
	return err
}

// parseBroker parses and checks a broker URL and reports whether it asks for TLS.
func parseBroker(broker string) (u *url.URL, useTLS bool, err error) {
	u, err = url.Parse(broker)
	if err != nil {
		// url.Parse echoes its input, which could hold a password; don't wrap it.
		return nil, false, errors.New("publish: broker is not a URL (want tcp://HOST:PORT or tls://HOST:PORT)")
	}
	if u.User != nil {
		return nil, false, errors.New("publish: the broker URL holds credentials; give them as a username and password instead " +
			"(ASHIATO_MQTT_USERNAME/ASHIATO_MQTT_PASSWORD or mqtt.username_file/password_file)")
	}
	switch u.Scheme {
	case "tcp", "mqtt":
	case "tls", "ssl", "mqtts":
		useTLS = true
	default:
		return nil, false, fmt.Errorf("publish: broker scheme %q not supported (tcp://, mqtt://, tls://, ssl:// or mqtts://)", u.Scheme)
	}
	if u.Hostname() == "" || u.Port() == "" {
		return nil, false, errors.New("publish: the broker URL needs a host and a port, e.g. tcp://localhost:1883")
	}
	return u, useTLS, nil
}

// Run connects to a broker node and delivers the outbox, retained values and status until ctx is done or
// Close is called; it then returns nil. A lost or refused connection is followed at once by an attempt on
// the next node (Config.Brokers); once every node failed in a row, the attempts go on with exponential
// backoff (0.5 s up to 30 s) and jitter. When ctx ends while connected, Run makes a best-effort attempt (2 s) to publish
// the "stopped" status before disconnecting. Run may be called only once. In stdout mode Run writes the
// "online" line, waits, and writes "stopped" when ctx is done.
func (p *Publisher) Run(ctx context.Context) error {
	if !p.running.CompareAndSwap(false, true) {
		return errors.New("publish: Run called twice")
	}
	return p.sink.run(ctx)
}

// Enqueue queues m for delivery at QoS 1 (m.QoS is ignored; m.Retain is kept). It never blocks on the
// network: the message waits in the outbox until the broker acknowledges it, across reconnects. When the
// outbox is full the oldest entries are dropped and counted in Counters.Dropped; a message larger than
// OutboxBytes is dropped at once. In stdout mode the line is written before Enqueue returns.
func (p *Publisher) Enqueue(m Message) {
	if p.checkTopic(m.Topic) {
		m.QoS = 1
		p.sink.enqueue(m)
	}
}

// SetRetained sets the retained value of topic. The latest value wins: it is published retained at QoS 1
// now if connected, and again on every later connect. An empty payload clears the broker's retained
// message. The status topic belongs to the Publisher; use RefreshStatus for it instead. In stdout mode the
// line is written before SetRetained returns.
func (p *Publisher) SetRetained(topic string, payload []byte) {
	if p.checkTopic(topic) {
		p.sink.setRetained(topic, payload)
	}
}

// RefreshStatus re-publishes the "online" status, asking Config.Status for a fresh body, if connected.
// Use it when something in the status body changed.
func (p *Publisher) RefreshStatus() { p.sink.refreshStatus() }

// SendEphemeral sends m at QoS 0 without retain if connected, and otherwise drops it silently. It is
// meant for periodic values such as stats, where only the latest matters.
func (p *Publisher) SendEphemeral(m Message) {
	if p.checkTopic(m.Topic) {
		m.QoS, m.Retain = 0, false
		p.sink.sendEphemeral(m)
	}
}

// checkTopic reports whether topic can be published, and logs it if not. A topic the broker or client
// library would refuse must not enter the outbox, where it would fail and be retried forever.
func (p *Publisher) checkTopic(topic string) bool {
	if topic == "" || len(topic) > 65535 || !utf8.ValidString(topic) || strings.ContainsAny(topic, "+#\x00") {
		p.log.Error("publish: invalid topic, message dropped", "topic", topic)
		return false
	}
	return true
}

// Commands returns the channel of inbound messages on <prefix>/cmd/#. Payloads over command.MaxPayload,
// and messages arriving while the channel (capacity 16) is full, are dropped, logged and counted.
// Retained commands arrive with Retain set. Ignoring the channel is safe. In stdout mode nothing ever
// arrives.
func (p *Publisher) Commands() <-chan Message { return p.sink.commands() }

// Counters returns a snapshot of the counters.
func (p *Publisher) Counters() Counters { return p.sink.counters() }

// Drain blocks until every message enqueued before the call has been acknowledged by the broker or
// dropped from the outbox, or until ctx is done (then it returns ctx.Err()). It needs Run to make
// progress. In stdout mode it returns nil at once.
func (p *Publisher) Drain(ctx context.Context) error { return p.sink.drain(ctx) }

// Close ends the Publisher: if connected, it publishes the retained "stopped" status, waits for its
// acknowledgement (bounded by ctx), and disconnects cleanly, and Run then returns nil. Unacknowledged
// outbox messages are abandoned; call Drain first to wait for them. If Run is connecting or backing off,
// Close stops it and returns ErrNotConnected. If Run is not running, Close only prevents a later Run from
// connecting. In stdout mode Close writes the "stopped" line (once). Calling Close again returns nil.
func (p *Publisher) Close(ctx context.Context) error { return p.sink.close(ctx) }
