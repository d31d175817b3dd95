package broker

import (
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

func TestStartRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "[::]:0", "example.com:1883", "127.0.0.1"} {
		b, err := Start(addr, nil)
		if err == nil {
			b.Close()
			t.Errorf("Start(%q) succeeded, want an error", addr)
			continue
		}
		if !strings.HasPrefix(err.Error(), "broker: ") {
			t.Errorf("Start(%q) error %q lacks the package prefix", addr, err)
		}
	}
}

func connect(t *testing.T, url, id string) paho.Client {
	t.Helper()
	opts := paho.NewClientOptions().AddBroker(url).SetClientID(id).SetAutoReconnect(false).
		SetConnectTimeout(5 * time.Second)
	c := paho.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect %s: %v", url, tok.Error())
	}
	return c
}

func TestRoundTrip(t *testing.T) {
	b, err := Start("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	host, port, err := net.SplitHostPort(b.Addr())
	if err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("Addr() = %q, want 127.0.0.1 with a real port", b.Addr())
	}
	if b.URL() != "tcp://"+b.Addr() {
		t.Fatalf("URL() = %q", b.URL())
	}

	sub := connect(t, b.URL(), "sub")
	got := make(chan paho.Message, 4)
	if tok := sub.Subscribe("t/#", 1, func(_ paho.Client, m paho.Message) { got <- m }); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	pub := connect(t, b.URL(), "pub")
	if tok := pub.Publish("t/x", 1, false, "hello"); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
	select {
	case m := <-got:
		if m.Topic() != "t/x" || string(m.Payload()) != "hello" {
			t.Fatalf("got %s %q, want t/x \"hello\"", m.Topic(), m.Payload())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("message not delivered")
	}
	pub.Disconnect(100)
	sub.Disconnect(100)

	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if c, err := net.DialTimeout("tcp", b.Addr(), time.Second); err == nil {
		c.Close()
		t.Fatal("broker still accepts connections after Close")
	}
}

// A client that disconnects just before the broker closes is not cut off mid-read: Close waits for its
// DISCONNECT, so the broker logs no warning about a closed network connection (what Ctrl-C of the demo
// used to print).
func TestCloseAfterClientDisconnectLogsNoWarning(t *testing.T) {
	for i := range 10 {
		var logs strings.Builder
		var mu sync.Mutex
		log := slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, &slog.HandlerOptions{Level: slog.LevelWarn}))
		b, err := Start("127.0.0.1:0", log)
		if err != nil {
			t.Fatal(err)
		}
		c := connect(t, b.URL(), "agent")
		c.Disconnect(100) // sends DISCONNECT, as the agent's publisher does at shutdown
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		out := logs.String()
		mu.Unlock()
		if strings.Contains(out, "level=WARN") {
			t.Fatalf("round %d: broker warned at shutdown:\n%s", i, out)
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *strings.Builder
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
