package publish

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// lockedBuffer is a log destination read while the Publisher writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestIdentityClashDetected: a broker that drops every connection right after accepting it (what it does
// to two clients with one client id) is reported in the counters and the log, the waits between attempts
// grow instead of starting again from the shortest, and the report clears once the drops stop.
func TestIdentityClashDetected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newFakeNet()
		p := fakePublisher(t, n)
		var logs lockedBuffer
		p.mq.log = slog.New(slog.NewTextHandler(&logs, nil))
		p.mq.minBackoff, p.mq.maxBackoff = 100*time.Millisecond, 10*time.Second
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- p.Run(ctx) }()
		var dialled []time.Time
		for i := 1; i <= IdentityClashAfter+2; i++ {
			n.waitDials(i)
			dialled = append(dialled, time.Now())
			time.Sleep(time.Second) // connected for a second, then the other device takes over
			if got := p.Counters().IdentityClash; got != (i > IdentityClashAfter) {
				t.Errorf("connection %d: IdentityClash %v", i, got)
			}
			n.kill(i)
		}
		if !p.Counters().IdentityClash {
			t.Error("a broker dropping every connection at once is not reported")
		}
		if !strings.Contains(logs.String(), "another client is probably using this sensor's identity") {
			t.Errorf("the log does not say so:\n%s", logs.String())
		}
		// The waits between attempts grow: two clones settle into a slow alternation, not a storm.
		if a, b := dialled[len(dialled)-1].Sub(dialled[len(dialled)-2]), dialled[2].Sub(dialled[1]); a <= b {
			t.Errorf("waits did not grow: %v, then %v", b, a)
		}
		// Connections that last clear it.
		n.waitDials(IdentityClashAfter + 3)
		time.Sleep(QuickLoss + time.Second)
		if !p.Counters().IdentityClash {
			t.Error("cleared as soon as one connection lasted")
		}
		time.Sleep(ClashWindow)
		if p.Counters().IdentityClash {
			t.Error("still reported long after the drops stopped")
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

// waitDials waits until the Publisher has dialled i connections.
func (n *fakeNet) waitDials(i int) {
	for {
		n.mu.Lock()
		k := len(n.conns)
		n.mu.Unlock()
		if k >= i {
			return
		}
		<-n.change
	}
}

// TestTwoSensorsOneIdentity runs two Publishers with one client id against a real broker, as two devices
// with a copied configuration would: each must find out and say so.
func TestTwoSensorsOneIdentity(t *testing.T) {
	if testing.Short() {
		t.Skip("real broker, a few seconds")
	}
	b := startBroker(t, "127.0.0.1:0")
	var logs [2]lockedBuffer
	var pubs [2]*Publisher
	for i := range pubs {
		pubs[i] = brokerPublisher(t, b.URL())
		pubs[i].mq.log = slog.New(slog.NewTextHandler(&logs[i], nil))
		pubs[i].mq.minBackoff, pubs[i].mq.maxBackoff = 50*time.Millisecond, time.Second
		ctx, cancel := context.WithCancel(context.Background())
		done := runAsync(pubs[i], ctx)
		t.Cleanup(func() { cancel(); waitRun(t, done) })
	}
	deadline := time.Now().Add(30 * time.Second)
	for !pubs[0].Counters().IdentityClash || !pubs[1].Counters().IdentityClash {
		if time.Now().After(deadline) {
			t.Fatalf("not detected within 30s:\nfirst:\n%s\nsecond:\n%s", logs[0].String(), logs[1].String())
		}
		time.Sleep(50 * time.Millisecond) // polling the counters; the Publishers run on the real clock
	}
	for i := range logs {
		if !strings.Contains(logs[i].String(), "another client is probably using this sensor's identity") {
			t.Errorf("publisher %d did not log it", i)
		}
	}
}
