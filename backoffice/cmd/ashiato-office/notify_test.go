package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ashiato/ashiato/internal/mosquittotest"
)

// notified runs serveWith under a fake service manager (a real unixgram socket as $NOTIFY_SOCKET, with a
// watchdog of 300 ms) and returns the next-datagram function, the HTTP address and the stop function,
// which returns serveWith's error.
func notified(t *testing.T, broker string) (next func() string, addr string, stop func() error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	sock, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sock.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	t.Setenv("WATCHDOG_USEC", "300000")
	t.Setenv("WATCHDOG_PID", "")
	addr = fmt.Sprintf("127.0.0.1:%d", mosquittotest.FreePort(t))
	c := &Config{}
	c.MQTT.Broker, c.Store.DataDir, c.HTTP.Listen = broker, t.TempDir(), addr
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveWith(ctx, c, slog.New(slog.DiscardHandler)) }()
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { stop() })
	next = func() string {
		t.Helper()
		sock.SetReadDeadline(time.Now().Add(30 * time.Second)) // bounds a broken run only
		buf := make([]byte, 4096)
		n, err := sock.Read(buf)
		if err != nil {
			t.Fatalf("no notification: %v", err)
		}
		return string(buf[:n])
	}
	return next, addr, stop
}

// TestServeNotifiesSystemd: READY=1 once the store is open, HTTP listens and ingest is subscribed; then
// watchdog pings while ingest and the purge job make progress; STOPPING=1 at the end.
func TestServeNotifiesSystemd(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{})
	next, addr, stop := notified(t, b.URL())
	got := next()
	if !strings.HasPrefix(got, "READY=1\nSTATUS=serving http://"+addr) || !strings.HasSuffix(got, "collecting from "+b.URL()) {
		t.Fatalf("first notification %q; want READY=1 with the HTTP address and the broker", got)
	}
	r, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("ready, but HTTP does not answer: %v", err)
	}
	r.Body.Close()
	for n := 0; n < 3; {
		if got := next(); got == "WATCHDOG=1" {
			n++
		} else {
			t.Fatalf("unexpected notification %q", got)
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	for {
		got := next()
		if strings.HasPrefix(got, "STOPPING=1") {
			break
		}
		if got != "WATCHDOG=1" {
			t.Fatalf("unexpected notification %q before STOPPING=1", got)
		}
	}
}

// TestServeReadyWithoutBroker: without a broker the office is ready after brokerWait, says that ingest
// waits for the broker, and feeds the watchdog (ingest is idle, not stuck).
func TestServeReadyWithoutBroker(t *testing.T) {
	defer func(d time.Duration) { brokerWait = d }(brokerWait)
	brokerWait = 100 * time.Millisecond
	nobody := fmt.Sprintf("tcp://127.0.0.1:%d", mosquittotest.FreePort(t))
	next, _, _ := notified(t, nobody)
	if got := next(); !strings.HasPrefix(got, "READY=1\nSTATUS=serving ") ||
		!strings.HasSuffix(got, "ingest waiting for the broker "+nobody) {
		t.Fatalf("first notification %q; want READY=1 saying that ingest waits for the broker", got)
	}
	if got := next(); got != "WATCHDOG=1" {
		t.Fatalf("notification %q; want a watchdog ping", got)
	}
}
