package publish

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ashiato/ashiato/agent/event"
)

var testTopics = event.Topics{Store: "s1", Sensor: "cam1"}

func TestOutboxCapByCount(t *testing.T) {
	p, err := New(Config{Brokers: []string{"tcp://127.0.0.1:1"}, Topics: testTopics, OutboxMessages: 5})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 12 {
		p.Enqueue(Message{Topic: "t", Payload: []byte(fmt.Sprint(i))})
	}
	c := p.Counters()
	if c.Dropped != 7 || c.OutboxDepth != 5 || c.OutboxBytes != len("7891011") {
		t.Fatalf("counters %+v, want dropped 7, depth 5, bytes 7", c)
	}
	var kept []string
	for _, e := range p.mq.out.q {
		kept = append(kept, string(e.m.Payload))
		if e.m.QoS != 1 {
			t.Errorf("queued QoS %d, want 1", e.m.QoS)
		}
	}
	if got := strings.Join(kept, ","); got != "7,8,9,10,11" {
		t.Fatalf("kept %s, want the newest 7..11", got)
	}
}

func TestOutboxCapByBytes(t *testing.T) {
	p, err := New(Config{Brokers: []string{"tcp://127.0.0.1:1"}, Topics: testTopics, OutboxBytes: 100})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 { // 4 × 30 bytes: the first is dropped to fit the fourth
		p.Enqueue(Message{Topic: "t", Payload: bytes.Repeat([]byte{'a' + byte(i)}, 30)})
	}
	if c := p.Counters(); c.Dropped != 1 || c.OutboxDepth != 3 || c.OutboxBytes != 90 {
		t.Fatalf("counters %+v, want dropped 1, depth 3, bytes 90", c)
	}
	p.Enqueue(Message{Topic: "t", Payload: bytes.Repeat([]byte{'z'}, 70)}) // needs two more dropped
	if c := p.Counters(); c.Dropped != 3 || c.OutboxDepth != 2 || c.OutboxBytes != 100 {
		t.Fatalf("counters %+v, want dropped 3, depth 2, bytes 100", c)
	}
	if got := string(p.mq.out.q[0].m.Payload[0]) + string(p.mq.out.q[1].m.Payload[0]); got != "dz" {
		t.Fatalf("kept %q, want d then z", got)
	}
	p.Enqueue(Message{Topic: "t", Payload: make([]byte, 101)}) // too large on its own: dropped, nothing else
	if c := p.Counters(); c.Dropped != 4 || c.OutboxDepth != 2 || c.OutboxBytes != 100 {
		t.Fatalf("counters %+v after oversized message, want dropped 4, depth 2, bytes 100", c)
	}
}

// closedPort returns a loopback address where nothing listens (for now).
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestEnqueueNeverBlocksWithoutBroker(t *testing.T) {
	p, err := New(Config{Brokers: []string{"tcp://" + closedPort(t)}, Topics: testTopics, OutboxMessages: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()

	const n = 50000
	payload := []byte(`{"v":1}`)
	finished := make(chan struct{})
	go func() {
		for range n {
			p.Enqueue(Message{Topic: "t", Payload: payload})
			p.SendEphemeral(Message{Topic: "s", Payload: payload})
			p.SetRetained("r", payload)
		}
		close(finished)
	}()
	select {
	case <-finished:
	case <-time.After(5 * time.Second):
		t.Fatal("Enqueue/SendEphemeral/SetRetained blocked with no broker")
	}
	if c := p.Counters(); c.Dropped != n-1000 || c.OutboxDepth != 1000 || c.Connected || c.Published != 0 {
		t.Fatalf("counters %+v", c)
	}
	dctx, dcancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer dcancel()
	if err := p.Drain(dctx); err == nil {
		t.Fatal("Drain returned nil with nothing acknowledged")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func TestStdout(t *testing.T) {
	synctest.Test(t, testStdout)
}

func testStdout(t *testing.T) {
	var buf bytes.Buffer
	p, err := New(Config{Brokers: []string{"stdout"}, Stdout: &buf, Topics: testTopics})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	synctest.Wait() // "online" is written
	tracks := testTopics.Topic(event.LeafTracks)
	p.Enqueue(Message{Topic: tracks, Payload: []byte("{\n \"track\": \"a\"\n}")})
	p.SetRetained(testTopics.Topic(event.LeafPrivacy), []byte(`{"state":"paused"}`))
	p.SendEphemeral(Message{Topic: testTopics.Topic(event.LeafStats), Payload: []byte(`{"fps":5}`), QoS: 1, Retain: true})
	p.Enqueue(Message{Topic: tracks, Payload: []byte(`not json`)})
	if err := p.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	want := []event.Line{
		{Topic: testTopics.Topic(event.LeafStatus), QoS: 1, Retain: true},
		{Topic: tracks, Payload: json.RawMessage(`{"track":"a"}`), QoS: 1},
		{Topic: testTopics.Topic(event.LeafPrivacy), Payload: json.RawMessage(`{"state":"paused"}`), QoS: 1, Retain: true},
		{Topic: testTopics.Topic(event.LeafStats), Payload: json.RawMessage(`{"fps":5}`)},
		{Topic: testTopics.Topic(event.LeafStatus), QoS: 1, Retain: true},
	}
	sc := bufio.NewScanner(&buf)
	var got []event.Line
	for sc.Scan() {
		var l event.Line
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("line %q: %v", sc.Bytes(), err)
		}
		got = append(got, l)
	}
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(got), len(want), buf.String())
	}
	for i, w := range want {
		g := got[i]
		if g.Topic != w.Topic || g.QoS != w.QoS || g.Retain != w.Retain {
			t.Errorf("line %d: %s qos %d retain %v, want %s qos %d retain %v", i, g.Topic, g.QoS, g.Retain, w.Topic, w.QoS, w.Retain)
		}
		if w.Payload != nil && string(g.Payload) != string(w.Payload) {
			t.Errorf("line %d payload %s, want %s", i, g.Payload, w.Payload)
		}
	}
	for i, state := range map[int]string{0: event.StateOnline, 4: event.StateStopped} {
		var s event.Status
		if err := json.Unmarshal(got[i].Payload, &s); err != nil || s.State != state || s.Birth != 1 || s.Sensor != "cam1" || s.V != event.Version {
			t.Errorf("line %d status %s (%v), want %s birth 1", i, got[i].Payload, err, state)
		}
	}
	if c := p.Counters(); c.Published != 1 {
		t.Errorf("Published %d, want 1 (the valid track)", c.Published)
	}
}

func TestNewRejects(t *testing.T) {
	for _, cfg := range []Config{
		{Brokers: []string{"tcp://127.0.0.1:1883"}, Topics: event.Topics{Store: "s/1", Sensor: "c"}},
		{Brokers: []string{"tcp://127.0.0.1:1883"}, Topics: event.Topics{Store: "s", Sensor: ""}},
		{Brokers: []string{"http://127.0.0.1:1883"}, Topics: testTopics},
		{Brokers: []string{"tcp://127.0.0.1"}, Topics: testTopics},
		{Brokers: []string{"tcp://user:secret@127.0.0.1:1883"}, Topics: testTopics},
		{Brokers: []string{"tls://127.0.0.1:8883"}, Topics: testTopics, CAFile: "/nonexistent/ca.pem"},
		{Brokers: []string{"tls://127.0.0.1:8883"}, Topics: testTopics, CertFile: "/x.pem"},
		{Brokers: []string{"tcp://127.0.0.1:1883"}, Topics: testTopics, OutboxMessages: -1},
	} {
		_, err := New(cfg)
		if err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
			continue
		}
		if !strings.HasPrefix(err.Error(), "publish: ") || strings.Contains(err.Error(), "secret") {
			t.Errorf("New(%+v) error %q: want prefix and no password", cfg, err)
		}
	}
	p, err := New(Config{Brokers: []string{"tls://127.0.0.1:8883"}, Topics: testTopics, ClientID: "x"})
	if err != nil {
		t.Fatalf("tls with system roots: %v", err)
	}
	if p.mq.cfg.ClientID != "x" || len(p.mq.nodes) != 1 || !p.mq.nodes[0].useTLS || p.mq.nodes[0].tlsHost != "127.0.0.1" {
		t.Errorf("tls publisher: %+v", p.mq.cfg)
	}
}

func TestInvalidTopicNotQueued(t *testing.T) {
	p, err := New(Config{Brokers: []string{"tcp://127.0.0.1:1"}, Topics: testTopics})
	if err != nil {
		t.Fatal(err)
	}
	for _, topic := range []string{"", "a/#", "a/+/b", "a\x00b", "a\xffb"} {
		p.Enqueue(Message{Topic: topic, Payload: []byte(`{}`)})
		p.SetRetained(topic, []byte(`{}`))
	}
	p.Enqueue(Message{Topic: "a/b", Payload: []byte(`{}`)})
	if c := p.Counters(); c.OutboxDepth != 1 || len(p.mq.retained) != 0 {
		t.Fatalf("queued %d messages and %d retained values, want only the valid message", c.OutboxDepth, len(p.mq.retained))
	}
}
