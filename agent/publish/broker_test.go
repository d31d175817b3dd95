package publish

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/broker"
	"github.com/ashiato/ashiato/agent/event"
)

// These tests run the Publisher against a real broker: the embedded one from agent/broker, and mosquitto
// when it is installed.

func startBroker(t *testing.T, addr string) *broker.Broker {
	t.Helper()
	b, err := broker.Start(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// sub is a test subscriber on the sensor's topics, built on the package's own paho client.
type sub struct {
	c    client
	msgs chan Message
}

var subN sync.Mutex
var subSeq int

func subscribe(t *testing.T, url string) *sub {
	t.Helper()
	subN.Lock()
	subSeq++
	id := fmt.Sprintf("test-sub-%d-%d", os.Getpid(), subSeq)
	subN.Unlock()
	s := &sub{msgs: make(chan Message, 1000)}
	s.c = dialPaho(dialOptions{broker: url, clientID: id, keepAlive: 30 * time.Second,
		connectTimeout: 5 * time.Second, onLost: func(error) {}})
	if err := waitTok(s.c.connect()); err != nil {
		t.Fatalf("subscriber connect: %v", err)
	}
	t.Cleanup(func() { s.c.disconnect(50 * time.Millisecond) })
	h := func(m Message) {
		m.Payload = append([]byte(nil), m.Payload...)
		s.msgs <- m
	}
	if err := waitTok(s.c.subscribe(testTopics.Prefix()+"/#", 1, h)); err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	return s
}

func waitTok(tok token) error {
	select {
	case <-tok.Done():
		return tok.Error()
	case <-time.After(5 * time.Second):
		return errors.New("timed out")
	}
}

// next returns the next message on topic for which ok holds, skipping others.
func (s *sub) next(t *testing.T, topic string, ok func(Message) bool) Message {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m := <-s.msgs:
			if m.Topic == topic && (ok == nil || ok(m)) {
				return m
			}
		case <-deadline:
			t.Fatalf("no matching message on %s", topic)
		}
	}
}

func statusIs(t *testing.T, state string, birth uint64) func(Message) bool {
	return func(m Message) bool {
		s := decodeStatus(t, m.Payload)
		return s.State == state && s.Birth == birth
	}
}

func brokerPublisher(t *testing.T, url string) *Publisher {
	t.Helper()
	p, err := New(Config{
		Brokers: []string{url},
		Topics:  testTopics,
		Status: func(state string, birth uint64) []byte {
			b, err := json.Marshal(event.Status{V: event.Version, State: state, Birth: birth, Sensor: testTopics.Sensor, Version: "test"})
			if err != nil {
				panic(err) // plain strings and numbers
			}
			return b
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	p.mq.minBackoff, p.mq.maxBackoff = 20*time.Millisecond, 100*time.Millisecond
	p.mq.keepAlive = 5 * time.Second
	return p
}

func runAsync(p *Publisher, ctx context.Context) <-chan error {
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	return done
}

func waitRun(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
}

// exercise runs the main flow against the broker at url: online status, commands, tracks acknowledged
// and delivered, Drain, Close publishing a retained "stopped".
func exercise(t *testing.T, url string) {
	s := subscribe(t, url)
	p := brokerPublisher(t, url)
	done := runAsync(p, context.Background())

	status := testTopics.Topic(event.LeafStatus)
	m := s.next(t, status, statusIs(t, event.StateOnline, 1))
	if st := decodeStatus(t, m.Payload); st.Version != "test" {
		t.Errorf("online status %s does not come from Config.Status", m.Payload)
	}
	// A subscriber arriving later sees the retained online status.
	if m := subscribe(t, url).next(t, status, nil); !m.Retain || !statusIs(t, event.StateOnline, 1)(m) {
		t.Errorf("late subscriber got %s retain=%v, want retained online birth 1", m.Payload, m.Retain)
	}

	// A command from the back office reaches Commands.
	if err := waitTok(s.c.publish(Message{Topic: testTopics.Topic(event.LeafPause), Payload: []byte(`{"for_s":60}`), QoS: 1})); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-p.Commands():
		if c.Topic != testTopics.Topic(event.LeafPause) || string(c.Payload) != `{"for_s":60}` {
			t.Errorf("command %s %q", c.Topic, c.Payload)
		}
	case <-time.After(5 * time.Second):
		t.Error("command not received")
	}

	const n = 200
	tracks := testTopics.Topic(event.LeafTracks)
	for i := range n {
		p.Enqueue(Message{Topic: tracks, Payload: fmt.Appendf(nil, `{"track":"%d"}`, i)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if c := p.Counters(); c.Published != n || c.OutboxDepth != 0 || c.Dropped != 0 || !c.Connected {
		t.Fatalf("after Drain: %+v", c)
	}
	seen := map[string]bool{}
	for len(seen) < n {
		m := s.next(t, tracks, nil)
		if m.QoS != 1 {
			t.Fatalf("track delivered at QoS %d", m.QoS)
		}
		seen[string(m.Payload)] = true
	}

	if err := p.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	waitRun(t, done)
	s.next(t, status, statusIs(t, event.StateStopped, 1))
	if m := subscribe(t, url).next(t, status, nil); !m.Retain || !statusIs(t, event.StateStopped, 1)(m) {
		t.Errorf("after Close the retained status is %s, want stopped birth 1", m.Payload)
	}
	if c := p.Counters(); c.Connected {
		t.Error("still Connected after Close")
	}
}

func TestBrokerFlow(t *testing.T) {
	exercise(t, startBroker(t, "127.0.0.1:0").URL())
}

// TestBrokerWill kills the Publisher's connection in a proxy: the broker publishes the retained "offline"
// will with that connection's birth, and the Publisher reconnects with the next birth.
func TestBrokerWill(t *testing.T) {
	b := startBroker(t, "127.0.0.1:0")
	px := startProxy(t, b.Addr())
	s := subscribe(t, b.URL())
	p := brokerPublisher(t, "tcp://"+px.addr())
	ctx, cancel := context.WithCancel(context.Background())
	done := runAsync(p, ctx)
	status := testTopics.Topic(event.LeafStatus)
	s.next(t, status, statusIs(t, event.StateOnline, 1))

	px.setAccept(false)
	px.killAll()
	s.next(t, status, statusIs(t, event.StateOffline, 1))
	if m := subscribe(t, b.URL()).next(t, status, nil); !m.Retain || !statusIs(t, event.StateOffline, 1)(m) {
		t.Errorf("retained status while away is %s, want offline birth 1", m.Payload)
	}
	// Tracks enqueued while away are delivered after the reconnect.
	p.Enqueue(Message{Topic: testTopics.Topic(event.LeafTracks), Payload: []byte(`{"track":"away"}`)})
	px.setAccept(true)
	s.next(t, status, statusIs(t, event.StateOnline, 2))
	s.next(t, testTopics.Topic(event.LeafTracks), nil)
	if c := p.Counters(); c.Reconnects != 1 || c.Birth != 2 {
		t.Errorf("counters %+v, want 1 reconnect, birth 2", c)
	}

	// Cancelling Run's context also ends with a best-effort "stopped".
	cancel()
	waitRun(t, done)
	s.next(t, status, statusIs(t, event.StateStopped, 2))
}

// TestBrokerLateStart starts the broker after the Publisher: messages queued meanwhile are delivered and
// acknowledged once it comes up, and retained values are published.
func TestBrokerLateStart(t *testing.T) {
	addr := closedPort(t)
	p := brokerPublisher(t, "tcp://"+addr)
	var logs lockedBuffer
	p.mq.log = slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := runAsync(p, ctx)
	for i := range 5 {
		p.Enqueue(Message{Topic: testTopics.Topic(event.LeafTracks), Payload: fmt.Appendf(nil, `{"track":"%d"}`, i)})
	}
	p.SetRetained(testTopics.Topic(event.LeafPrivacy), []byte(`{"state":"capturing"}`))
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(logs.String(), "publish: no connection") < 2 { // a few failed attempts
		if time.Now().After(deadline) {
			t.Fatalf("no two failed connection attempts within 30 s:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if c := p.Counters(); c.Connected || c.Published != 0 || c.OutboxDepth != 5 {
		t.Fatalf("before the broker: %+v", c)
	}

	b := startBroker(t, addr)
	dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
	defer dcancel()
	if err := p.Drain(dctx); err != nil {
		t.Fatal(err)
	}
	if c := p.Counters(); c.Published != 5 || c.Birth != 1 {
		t.Fatalf("after the broker came up: %+v", c)
	}
	m := subscribe(t, b.URL()).next(t, testTopics.Topic(event.LeafPrivacy), nil)
	if string(m.Payload) != `{"state":"capturing"}` || !m.Retain {
		t.Errorf("retained privacy %q retain=%v", m.Payload, m.Retain)
	}
	cancel()
	waitRun(t, done)
}

// TestMosquitto runs the main flow against mosquitto, when it is installed.
func TestMosquitto(t *testing.T) {
	const bin = "/usr/sbin/mosquitto"
	if _, err := os.Stat(bin); err != nil {
		t.Skip("mosquitto not installed at " + bin)
	}
	addr := closedPort(t)
	_, port, _ := net.SplitHostPort(addr)
	conf := filepath.Join(t.TempDir(), "mosquitto.conf")
	if err := os.WriteFile(conf, []byte("listener "+port+" 127.0.0.1\nallow_anonymous true\npersistence false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", conf)
	if err := cmd.Start(); err != nil {
		t.Skipf("mosquitto does not start: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mosquitto not listening on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	exercise(t, "tcp://"+addr)
}

// proxy forwards TCP connections to a target and can cut them, like a network failure.
type proxy struct {
	l      net.Listener
	target string

	mu     sync.Mutex
	accept bool
	conns  []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	px := &proxy{l: l, target: target, accept: true}
	t.Cleanup(func() { l.Close(); px.killAll() })
	go px.serve()
	return px
}

func (px *proxy) addr() string { return px.l.Addr().String() }

func (px *proxy) setAccept(on bool) {
	px.mu.Lock()
	px.accept = on
	px.mu.Unlock()
}

func (px *proxy) serve() {
	for {
		in, err := px.l.Accept()
		if err != nil {
			return
		}
		px.mu.Lock()
		ok := px.accept
		px.mu.Unlock()
		if !ok {
			in.Close()
			continue
		}
		out, err := net.Dial("tcp", px.target)
		if err != nil {
			in.Close()
			continue
		}
		px.mu.Lock()
		px.conns = append(px.conns, in, out)
		px.mu.Unlock()
		go func() { io.Copy(out, in); out.Close() }()
		go func() { io.Copy(in, out); in.Close() }()
	}
}

func (px *proxy) killAll() {
	px.mu.Lock()
	defer px.mu.Unlock()
	for _, c := range px.conns {
		c.Close()
	}
	px.conns = nil
}
