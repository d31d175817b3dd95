//go:build unix

package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ashiato/ashiato/agent/sdnotify"
	"github.com/ashiato/ashiato/agent/sdnotify/sdnotifytest"
	"github.com/ashiato/ashiato/internal/mosquittotest"
)

// notified runs serveWith under a fake service manager (a real unixgram socket as $NOTIFY_SOCKET, with a
// watchdog of 300 ms) and returns the next-datagram function, the HTTP address and the stop function,
// which returns serveWith's error.
func notified(t *testing.T, broker string) (next func() string, addr string, stop func() error) {
	t.Helper()
	sock := sdnotifytest.Listen(t, 300*time.Millisecond)
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
	next = func() string { t.Helper(); return sock.Next(t) }
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

// progress is a fake ingest collector and purge job whose liveness the test sets.
type progress struct {
	mu         sync.Mutex
	ingest     bool
	purge      bool
	subscribed chan struct{}
}

func (p *progress) Subscribed() <-chan struct{} { return p.subscribed }

func (p *progress) Alive() bool { p.mu.Lock(); defer p.mu.Unlock(); return p.ingest }

// purgeJob is p's purge side.
type purgeJob struct{ p *progress }

func (j purgeJob) Alive() bool { j.p.mu.Lock(); defer j.p.mu.Unlock(); return j.p.purge }

func (p *progress) set(ingest, purge bool) {
	p.mu.Lock()
	p.ingest, p.purge = ingest, purge
	p.mu.Unlock()
}

// TestWatchdogFollowsIngestAndPurge: the office pings only while both the ingest batcher and the purge
// job are alive, and says the broker arrived once ingest is subscribed after READY.
func TestWatchdogFollowsIngestAndPurge(t *testing.T) {
	sock := sdnotifytest.Listen(t, 3*time.Second) // checked every second
	sm, err := sdnotify.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		p := &progress{ingest: true, purge: true, subscribed: make(chan struct{})}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			tellService(ctx, sm, p, purgeJob{p}, "serving http://x", "tcp://b", slog.New(slog.DiscardHandler))
			close(done)
		}()
		time.Sleep(brokerWait)
		synctest.Wait()
		if got := sock.Pending(t); len(got) != 1 || got[0] != "READY=1\nSTATUS=serving http://x; ingest waiting for the broker tcp://b" {
			t.Fatalf("after brokerWait: %q", got)
		}
		close(p.subscribed)
		synctest.Wait()
		if got := sock.Pending(t); len(got) != 1 || got[0] != "STATUS=serving http://x; collecting from tcp://b" {
			t.Fatalf("once subscribed: %q", got)
		}
		count := func() int {
			return sdnotifytest.Pings(sock.Pending(t))
		}
		for _, c := range []struct {
			ingest, purge bool
			want          bool
		}{{true, true, true}, {false, true, false}, {true, true, true}, {true, false, false}, {true, true, true}} {
			p.set(c.ingest, c.purge)
			time.Sleep(5 * time.Second)
			synctest.Wait()
			if n := count(); (n > 0) != c.want {
				t.Errorf("ingest alive %v, purge alive %v: %d pings in 5 s", c.ingest, c.purge, n)
			}
		}
		cancel()
		<-done
		synctest.Wait()
		if got := sock.Pending(t); len(got) != 1 || !strings.HasPrefix(got[0], "STOPPING=1") {
			t.Errorf("at the end: %q", got)
		}
	})
}
