package ingest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/agent/notice"
	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/backoffice/ingest"
	"github.com/ashiato/ashiato/backoffice/sqlite"
	"github.com/ashiato/ashiato/internal/mosquittotest"
)

// rig is a real Mosquitto, a SQLite store and a publisher.
type rig struct {
	t      *testing.T
	broker *mosquittotest.Broker
	store  *sqlite.DB
	pub    paho.Client
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{t: t, broker: mosquittotest.Start(t, mosquittotest.Options{})}
	var err error
	if r.store, err = sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.store.Close() })
	r.pub = paho.NewClient(paho.NewClientOptions().AddBroker(r.broker.URL()).SetClientID("test-publisher"))
	if tok := r.pub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publisher: %v", tok.Error())
	}
	t.Cleanup(func() { r.pub.Disconnect(100) })
	return r
}

func (r *rig) publish(topic string, payload []byte, retained bool) {
	r.t.Helper()
	if tok := r.pub.Publish(topic, 1, retained, payload); !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
		r.t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

// collector runs a collector on store until the test ends or stop is called; stop waits for Run to return.
func (r *rig) collector(store backoffice.Store, reg prometheus.Registerer, o ingest.Options) (c *ingest.Collector, stop func()) {
	r.t.Helper()
	if len(o.Brokers) == 0 {
		o.Brokers = []string{r.broker.URL()}
	}
	o.ClientID, o.Metrics = "office-test", reg
	if o.Minimisation == (backoffice.Minimisation{}) {
		o.Minimisation = backoffice.DefaultMinimisation()
	}
	c, err := ingest.New(store, o)
	if err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				r.t.Errorf("Run: %v", err)
			}
		})
	}
	r.t.Cleanup(stop)
	waitFor(r.t, "the collector's subscriptions", c.Receiving) // a message published before is not delivered
	return c, stop
}

// waitFor polls cond until it holds, failing the test after 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *rig) stored() (tracks, dropped int) {
	ks, err := r.store.Kept(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	for _, k := range ks {
		tracks += k.Tracks
		dropped += k.Dropped
	}
	return tracks, dropped
}

// track is a 3-second floor track published now.
func track(t *testing.T, sensor string, i int) []byte {
	t.Helper()
	tr := event.Track{V: 1, Sensor: sensor, ID: fmt.Sprintf("%024x", i+1), Space: event.SpaceFloor, W: 640, H: 480, Final: true}
	t0 := time.Now().Add(-time.Minute).UnixMilli()
	for j := range 30 {
		tr.Points = append(tr.Points, event.Point{F: uint64(j), T: t0 + int64(j)*100, X: 0.1 * float64(j), Y: 1})
	}
	b, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const prefix = "ashiato/v1/store-1/cam/"

// TestBadInputIsCountedAndIngestGoesOn sends every kind of bad message between good ones; each is counted
// by reason, and every good message is stored.
func TestBadInputIsCountedAndIngestGoesOn(t *testing.T) {
	r := newRig(t)
	reg := prometheus.NewRegistry()
	_, stop := r.collector(r.store, reg, ingest.Options{})
	n := notice.Default()
	r.publish(prefix+"notice", n.JSON(event.Version), true)
	good := 0
	bad := []struct {
		topic, payload, reason string
	}{
		{prefix + "tracks", `{"v":1,"sensor":"cam",`, ingest.BadJSON},
		{prefix + "tracks", `{"v":1,"sensor":"cam","track":"xyz","space":"floor"}`, ingest.BadSchema},
		{prefix + "tracks", `{"v":1,"x":"` + strings.Repeat("あ", 10<<20/3) + `"}`, ingest.BadSize},
		{"ashiato/v1/store-1/cam!/tracks", string(track(t, "cam!", 0)), ingest.BadTopic},
		{prefix + "status", `{"v":2,"state":"online","birth":1,"sensor":"cam"}`, ingest.BadVersion},
		{prefix + "tracks", strings.Replace(string(track(t, "cam", 0)), `"sensor":"cam"`, `"sensor":"cam2"`, 1), ingest.BadTrack},
	}
	for i, b := range bad {
		r.publish(b.topic, []byte(b.payload), false)
		r.publish(prefix+"tracks", track(t, "cam", i), false)
		good++
	}
	waitFor(t, "the good tracks", func() bool { tr, _ := r.stored(); return tr == good })
	stop()
	for _, b := range bad {
		if got := value(t, reg, "ashiato_office_messages_malformed_total", b.reason); got != 1 {
			t.Errorf("malformed{reason=%q} = %v, want 1", b.reason, got)
		}
	}
	if got := value(t, reg, "ashiato_office_tracks_stored_total", ""); got != float64(good) {
		t.Errorf("tracks_stored_total = %v, want %d", got, good)
	}
	ss, err := r.store.Sensors(context.Background())
	if err != nil || len(ss) != 1 || ss[0].RetentionDays != n.RetentionDays || ss[0].NoticeHash != n.Hash() {
		t.Errorf("sensor state: %+v, %v", ss, err)
	}
}

// value reads a counter's sample from reg; label is the value of its only label, or "" for none.
func value(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum, found := 0.0, false
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label != "" && (len(m.GetLabel()) != 1 || m.GetLabel()[0].GetValue() != label) {
				continue
			}
			sum, found = sum+m.GetCounter().GetValue(), true
		}
	}
	if !found {
		t.Fatalf("no metric %s{%s}", name, label)
	}
	return sum
}

// gate is a Store whose Write waits for open, or fails while failing is set.
type gate struct {
	backoffice.Store
	open    chan struct{}
	mu      sync.Mutex
	failing bool
	writes  int
}

func (g *gate) Write(ctx context.Context, b *backoffice.Batch) (backoffice.WriteResult, error) {
	g.mu.Lock()
	g.writes++
	failing := g.failing
	g.mu.Unlock()
	if failing {
		return backoffice.WriteResult{}, errors.New("gate: failing")
	}
	select {
	case <-g.open:
	case <-ctx.Done():
		return backoffice.WriteResult{}, ctx.Err()
	}
	return g.Store.Write(ctx, b)
}

// TestSlowStoreHoldsMessagesAtTheBroker: while the store does not commit, the collector takes no more than
// its queue and acknowledges nothing; once it commits, everything is stored once.
func TestSlowStoreHoldsMessagesAtTheBroker(t *testing.T) {
	r := newRig(t)
	g := &gate{Store: r.store, open: make(chan struct{})}
	reg := prometheus.NewRegistry()
	r.collector(g, reg, ingest.Options{Queue: 4, BatchRows: 2})
	const n = 60
	for i := range n {
		r.publish(prefix+"tracks", track(t, "cam", i), false) // the broker acknowledges; the office does not block it
	}
	waitFor(t, "the first write", func() bool { g.mu.Lock(); defer g.mu.Unlock(); return g.writes > 0 })
	if tr, _ := r.stored(); tr != 0 {
		t.Fatalf("%d tracks stored through a closed gate", tr)
	}
	if got := value(t, reg, "ashiato_office_messages_total", ""); got > 4+2+1 {
		t.Errorf("%v messages taken in while the store was stuck; the queue holds 4 and a batch 2", got)
	}
	close(g.open)
	waitFor(t, "every track", func() bool { tr, _ := r.stored(); return tr == n })
}

// TestFailingStoreThenRestart: a collector whose store cannot commit is stopped; nothing was acknowledged,
// so a new collector with the same client id receives and stores every message.
func TestFailingStoreThenRestart(t *testing.T) {
	r := newRig(t)
	g := &gate{Store: r.store, open: make(chan struct{}), failing: true}
	_, stop := r.collector(g, nil, ingest.Options{Queue: 8, BatchRows: 4})
	const n = 40
	for i := range n {
		r.publish(prefix+"tracks", track(t, "cam", i), false)
	}
	waitFor(t, "a failed write", func() bool { g.mu.Lock(); defer g.mu.Unlock(); return g.writes > 1 })
	stop()
	if tr, _ := r.stored(); tr != 0 {
		t.Fatalf("%d tracks stored by a failing store", tr)
	}
	r.collector(r.store, nil, ingest.Options{})
	waitFor(t, "every track after the restart", func() bool { tr, _ := r.stored(); return tr == n })
}

// hung is a Store whose Write ignores its context and waits for release: a store that hangs.
type hung struct {
	backoffice.Store
	release chan struct{}
}

func (h hung) Write(ctx context.Context, b *backoffice.Batch) (backoffice.WriteResult, error) {
	<-h.release
	return h.Store.Write(ctx, b)
}

// TestAliveAndSubscribed: Subscribed closes once the broker acknowledged the subscriptions; Alive holds
// while the batcher waits, turns false once a store write outlasts twice WriteTimeout, and holds again
// once the write returns.
func TestAliveAndSubscribed(t *testing.T) {
	r := newRig(t)
	h := hung{Store: r.store, release: make(chan struct{})}
	c, _ := r.collector(h, prometheus.NewRegistry(), ingest.Options{WriteTimeout: 20 * time.Millisecond})
	select {
	case <-c.Subscribed():
	case <-time.After(30 * time.Second):
		t.Fatal("Subscribed not closed 30 s after connecting")
	}
	if !c.Alive() {
		t.Fatal("an idle batcher is not alive")
	}
	r.publish(prefix+"tracks", track(t, "cam", 1), false)
	waitFor(t, "Alive to report the hung write", func() bool { return !c.Alive() })
	close(h.release)
	waitFor(t, "Alive after the write returned", c.Alive)
	waitFor(t, "the track", func() bool { tr, _ := r.stored(); return tr == 1 })
}
