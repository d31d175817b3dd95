package main

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/backoffice/ingest"
)

// key is a track's idempotency key.
type key struct{ store, sensor, id string }

// ledger records what the generator published: every acknowledged track and when it was handed over.
type ledger struct {
	mu   sync.Mutex
	sent map[key]time.Time
	dup  int
}

func newLedger() *ledger { return &ledger{sent: map[key]time.Time{}} }

func (l *ledger) add(s Sent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := key{s.Store, s.Sensor, s.ID}
	if _, ok := l.sent[k]; ok {
		l.dup++
	}
	l.sent[k] = s.At
}

// timedStore is a Store that notes when each track's batch committed.
type timedStore struct {
	backoffice.Store
	now func() time.Time
	mu  sync.Mutex
	at  map[key]time.Time // first commit of each track
}

func newTimedStore(s backoffice.Store) *timedStore {
	return &timedStore{Store: s, now: time.Now, at: map[key]time.Time{}}
}

func (s *timedStore) Write(ctx context.Context, b *backoffice.Batch) (backoffice.WriteResult, error) {
	res, err := s.Store.Write(ctx, b)
	if err != nil {
		return res, err
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range b.Tracks {
		k := key{t.Store, t.Sensor, t.ID}
		if _, ok := s.at[k]; !ok {
			s.at[k] = now
		}
	}
	for _, d := range b.Dropped {
		k := key{d.Store, d.Sensor, d.ID}
		if _, ok := s.at[k]; !ok {
			s.at[k] = now
		}
	}
	return res, nil
}

func (s *timedStore) committed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.at)
}

// lags are the commit times minus the publish times of every track of l, sorted.
func (s *timedStore) lags(l *ledger) []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []time.Duration
	for k, sent := range l.sent {
		if at, ok := s.at[k]; ok {
			out = append(out, at.Sub(sent))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, int(q*float64(len(d))))]
}

// collectors are n in-process ingest collectors with fixed client ids in one share group (or, for n = 1,
// a plain subscription) on one store, as n ashiato-office processes would run them.
type collectors struct {
	cols   []*ingest.Collector
	regs   []*prometheus.Registry
	cancel context.CancelFunc
	done   chan error
}

// startCollectors starts the collectors and returns once every one of them is subscribed: each has
// received the retained status of a probe sensor, published beforehand.
func startCollectors(t testing.TB, broker string, store backoffice.Store, n int) *collectors {
	t.Helper()
	probe := event.Topics{Store: "probe", Sensor: "probe"}
	pub := paho.NewClient(paho.NewClientOptions().AddBroker(broker).SetClientID("load-test-probe"))
	if tok := pub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("probe: connect: %v", tok.Error())
	}
	st := event.Status{V: event.Version, State: event.StateOnline, Birth: 1, Sensor: probe.Sensor}
	if tok := pub.Publish(probe.Topic(event.LeafStatus), 1, true, mustJSON(st)); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("probe: publish: %v", tok.Error())
	}
	pub.Disconnect(100)

	ctx, cancel := context.WithCancel(context.Background())
	c := &collectors{cancel: cancel, done: make(chan error, n)}
	for i := range n {
		o := ingest.Options{Brokers: []string{broker}, ClientID: fmt.Sprintf("load-office+%d", i+1),
			Minimisation: backoffice.DefaultMinimisation()}
		if n > 1 {
			o.ShareGroup = "office"
		}
		reg := prometheus.NewRegistry()
		o.Metrics = reg
		col, err := ingest.New(store, o)
		if err != nil {
			t.Fatal(err)
		}
		c.cols, c.regs = append(c.cols, col), append(c.regs, reg)
		go func() { c.done <- col.Run(ctx) }()
	}
	t.Cleanup(c.stop)
	deadline := time.Now().Add(30 * time.Second)
	for i := range c.regs {
		for counter(t, c.regs[i], "ashiato_office_messages_total", "topic", event.LeafStatus) < 1 {
			if time.Now().After(deadline) {
				t.Fatalf("collector %d did not subscribe in 30 s", i+1)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return c
}

func (c *collectors) stop() {
	if c.cancel == nil {
		return
	}
	c.cancel()
	for range c.cols {
		<-c.done
	}
	c.cancel = nil
}

// counter is the sum of the metric's series whose label has value ("" matches every series).
func counter(t testing.TB, g prometheus.Gatherer, name, label, value string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			match := label == ""
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					match = true
				}
			}
			if match {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// histogram is the count and sum of the metric's observations over every registry.
func histogram(t testing.TB, regs []*prometheus.Registry, name string) (count uint64, sum float64) {
	t.Helper()
	for _, g := range regs {
		mfs, err := g.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == name {
				for _, m := range mf.GetMetric() {
					count += m.GetHistogram().GetSampleCount()
					sum += m.GetHistogram().GetSampleSum()
				}
			}
		}
	}
	return count, sum
}

// waitCommitted waits until the store has committed n tracks.
func waitCommitted(t testing.TB, s *timedStore, n int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for s.committed() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d tracks committed after %v", s.committed(), n, within)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
