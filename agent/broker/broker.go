// Package broker runs a small in-process MQTT broker on a loopback address, for the demo, replays and
// tests.
//
// It accepts every client and every topic (allow-all auth), which is only acceptable because Start refuses
// to listen on anything but a loopback address, and because it never serves a live camera: any process on
// the device could otherwise pause capture or read the tracks of people filmed now (ErrLiveCamera; the
// agent's main package refuses that combination before it opens a device). Sessions and retained messages
// live in RAM and are lost on Close.
package broker

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// ErrLiveCamera is why the embedded broker must not be used with a live camera.
var ErrLiveCamera = errors.New("broker: the embedded MQTT broker lets any process on this device pause " +
	"capture and read the tracks, so it serves only the demo and replays (synth, y4m); with a live camera " +
	"(v4l2), set mqtt.broker to your broker, e.g. tls://HOST:8883, with credentials (see deploy/mosquitto)")

// Broker is a running MQTT 3.1.1/5 broker. Its methods are safe for concurrent use.
type Broker struct {
	srv   *mqtt.Server
	addr  string
	conns *connCount

	closeOnce sync.Once
	closeErr  error
}

// Start listens on addr ("127.0.0.1:0", "[::1]:1883", "localhost:1883") and serves MQTT over TCP until
// Close. A port of 0 picks a free port; Addr reports it. Start refuses any address whose host is not a
// loopback address or "localhost". log receives the broker's own log lines; nil discards them.
func Start(addr string, log *slog.Logger) (*Broker, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("broker: address %q: %w", addr, err)
	}
	if !loopbackHost(host) {
		return nil, fmt.Errorf("broker: refusing non-loopback address %q: the demo broker allows every client", addr)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	srv := mqtt.New(&mqtt.Options{Logger: log})
	if err := srv.AddHook(new(allowAll), nil); err != nil {
		return nil, fmt.Errorf("broker: auth hook: %w", err)
	}
	conns := newConnCount()
	if err := srv.AddHook(conns, nil); err != nil {
		return nil, fmt.Errorf("broker: connection hook: %w", err)
	}
	l := listeners.NewTCP(listeners.Config{Type: listeners.TypeTCP, ID: "tcp", Address: addr})
	if err := srv.AddListener(l); err != nil {
		return nil, fmt.Errorf("broker: listen on %s: %w", addr, err)
	}
	// "localhost" may resolve to anything in a badly configured /etc/hosts; check what we got.
	bound := l.Address()
	if h, _, err := net.SplitHostPort(bound); err != nil || !loopbackIP(h) {
		_ = srv.Close()
		return nil, fmt.Errorf("broker: %q bound to non-loopback %s", addr, bound)
	}
	if err := srv.Serve(); err != nil {
		_ = srv.Close()
		return nil, fmt.Errorf("broker: serve: %w", err)
	}
	return &Broker{srv: srv, addr: bound, conns: conns}, nil
}

func loopbackHost(host string) bool {
	return host == "localhost" || loopbackIP(host)
}

func loopbackIP(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Addr is the address the broker listens on, as host:port with the actual port.
func (b *Broker) Addr() string { return b.addr }

// URL is the broker's address as an MQTT client URL, "tcp://host:port".
func (b *Broker) URL() string { return "tcp://" + b.addr }

// drainTimeout bounds how long Close waits for connected clients to finish disconnecting on their own.
const drainTimeout = time.Second

// Close stops listening, disconnects every client (the broker sends their last wills) and discards all
// sessions and retained messages. It first waits, up to a second, for the connections still open to end
// by themselves: a client that has just sent DISCONNECT (the agent's own publisher at shutdown) is then
// not cut off mid-read, which the library would log as a warning. Calling Close again returns the first
// result.
func (b *Broker) Close() error {
	b.closeOnce.Do(func() {
		b.conns.waitIdle(drainTimeout)
		if err := b.srv.Close(); err != nil {
			b.closeErr = errors.Join(errors.New("broker: close"), err)
		}
	})
	return b.closeErr
}

// connCount counts the connections with an established session, so Close can wait for them to end.
type connCount struct {
	mqtt.HookBase
	mu      sync.Mutex
	n       int
	changed chan struct{} // closed and replaced on every change
}

func newConnCount() *connCount { return &connCount{changed: make(chan struct{})} }

func (*connCount) ID() string { return "connection-count" }

func (*connCount) Provides(b byte) bool {
	return b == mqtt.OnSessionEstablished || b == mqtt.OnDisconnect
}

func (c *connCount) add(d int) {
	c.mu.Lock()
	c.n += d
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

func (c *connCount) OnSessionEstablished(*mqtt.Client, packets.Packet) { c.add(1) }

func (c *connCount) OnDisconnect(*mqtt.Client, error, bool) { c.add(-1) }

// waitIdle returns when no connection is open, or after d.
func (c *connCount) waitIdle(d time.Duration) {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		n, changed := c.n, c.changed
		c.mu.Unlock()
		if n <= 0 {
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			return
		}
	}
}

// allowAll lets every client connect and use every topic. The library's own auth.AllowHook would pull in a
// YAML dependency for its ledger, so this is the same two answers without it.
type allowAll struct{ mqtt.HookBase }

func (*allowAll) ID() string { return "allow-all" }

func (*allowAll) Provides(b byte) bool {
	return b == mqtt.OnConnectAuthenticate || b == mqtt.OnACLCheck
}

func (*allowAll) OnConnectAuthenticate(*mqtt.Client, packets.Packet) bool { return true }

func (*allowAll) OnACLCheck(*mqtt.Client, string, bool) bool { return true }
