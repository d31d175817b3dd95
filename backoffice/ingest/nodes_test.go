package ingest_test

import (
	"context"
	"encoding/json"
	"sync"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/backoffice/ingest"
	"github.com/ashiato/ashiato/internal/mosquittotest"
)

// connect connects a clean-session client to url.
func connect(t *testing.T, url, id string) paho.Client {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(id))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("%s: connect to %s: %v", id, url, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

func send(t *testing.T, c paho.Client, topic string, payload []byte, retained bool) {
	t.Helper()
	if tok := c.Publish(topic, 1, retained, payload); !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
		t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

// sample reads the sample of a metric whose labels are exactly labels.
func sample(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue metric
				}
			}
			if m.GetGauge() != nil {
				return m.GetGauge().GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s%v", name, labels)
	return 0
}

func status(state string, started int64, birth uint64) []byte {
	b, _ := json.Marshal(event.Status{V: 1, State: state, Birth: birth, Started: started, Sensor: "cam",
		Capturing: state == event.StateOnline})
	return b
}

// TestTwoBrokerNodes runs one collector against two Mosquitto nodes: a track sent through both is stored
// once; each node has its own connection gauge and message counts; a command goes out on both; and when
// the node a sensor was on crashes and comes back with the sensor's stale retained status and privacy,
// the office keeps the current ones the sensor sent through the other node.
func TestTwoBrokerNodes(t *testing.T) {
	r := newRig(t) // node a, the store
	b := mosquittotest.Start(t, mosquittotest.Options{Persistence: true})
	a := r.broker
	reg := prometheus.NewRegistry()
	c, _ := r.collector(r.store, reg, ingest.Options{Brokers: []string{a.URL(), b.URL()}})
	waitFor(t, "both nodes", func() bool { m := c.Brokers(); return m[a.URL()] && m[b.URL()] })
	pubB := connect(t, b.URL(), "test-publisher-b")

	// The same track through both nodes (a failover's resend), and one through each.
	same := track(t, "cam", 100)
	r.publish(prefix+"tracks", same, false)
	send(t, pubB, prefix+"tracks", same, false)
	r.publish(prefix+"tracks", track(t, "cam", 1), false)
	send(t, pubB, prefix+"tracks", track(t, "cam", 2), false)
	waitFor(t, "four track messages", func() bool {
		return sample(t, reg, "ashiato_office_tracks_stored_total", nil)+
			sample(t, reg, "ashiato_office_tracks_duplicate_total", nil) == 4
	})
	if tr, _ := r.stored(); tr != 3 {
		t.Errorf("%d tracks stored, want 3 (one of them sent through both nodes)", tr)
	}
	for _, n := range []string{a.URL(), b.URL()} {
		if got := sample(t, reg, "ashiato_office_messages_total", map[string]string{"broker": n, "topic": "tracks"}); got != 2 {
			t.Errorf("messages_total{broker=%s,topic=tracks} = %v, want 2", n, got)
		}
		if got := sample(t, reg, "ashiato_office_mqtt_connected", map[string]string{"broker": n}); got != 1 {
			t.Errorf("mqtt_connected{broker=%s} = %v", n, got)
		}
	}

	// A command reaches both nodes.
	var mu sync.Mutex
	got := map[string]int{}
	for _, n := range []*mosquittotest.Broker{a, b} {
		s := connect(t, n.URL(), "test-sensor-"+n.Addr())
		if tok := s.Subscribe(prefix+"cmd/#", 1, func(_ paho.Client, m paho.Message) {
			mu.Lock()
			got[n.URL()]++
			mu.Unlock()
		}); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatal(tok.Error())
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Publish(ctx, prefix+event.LeafPause, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the command on both nodes", func() bool { mu.Lock(); defer mu.Unlock(); return got[a.URL()] == 1 && got[b.URL()] == 1 })

	// The sensor is on b; it announced itself there.
	const started = 1_800_000_000_000
	send(t, pubB, prefix+"status", status(event.StateOnline, started, 1), true)
	send(t, pubB, prefix+"privacy", privacyOf(event.PrivacyCapturing, started+100), true)
	waitFor(t, "birth 1 stored", func() bool { return sensorIs(t, r, event.StateOnline, 1, event.PrivacyCapturing) })
	// b goes down with them retained (a clean stop saves them at once; a crash, at the next autosave);
	// the sensor fails over to a and is paused there.
	b.Stop(syscall.SIGTERM)
	waitFor(t, "the collector to notice", func() bool { return !c.Brokers()[b.URL()] })
	r.publish(prefix+"status", status(event.StateOnline, started, 2), true)
	r.publish(prefix+"privacy", privacyOf(event.PrivacyPaused, started+5000), true)
	waitFor(t, "birth 2 and paused stored", func() bool { return sensorIs(t, r, event.StateOnline, 2, event.PrivacyPaused) })
	// b comes back with its stale retained online and capturing; the collector resubscribes there.
	b.Restart()
	// (It may also send them again, had they been in flight when it crashed.)
	waitFor(t, "both stale messages skipped", func() bool {
		return sample(t, reg, "ashiato_office_messages_stale_total", map[string]string{"topic": "status"}) >= 1 &&
			sample(t, reg, "ashiato_office_messages_stale_total", map[string]string{"topic": "privacy"}) >= 1
	})
	if !sensorIs(t, r, event.StateOnline, 2, event.PrivacyPaused) {
		ss, _ := r.store.Sensors(context.Background())
		t.Errorf("after b's stale copies: %s / %s, want birth 2 and paused", ss[0].Status, ss[0].Privacy)
	}
	// A healthy node b again, for the office's health check.
	waitFor(t, "b reconnected", func() bool { return c.Brokers()[b.URL()] })
}

func privacyOf(state string, since int64) []byte {
	b, _ := json.Marshal(event.Privacy{V: 1, State: state, Since: since})
	return b
}

func sensorIs(t *testing.T, r *rig, state string, birth uint64, privacy string) bool {
	ss, err := r.store.Sensors(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(ss) == 1 && ss[0].State == state && ss[0].Birth == birth && ss[0].PrivacyState == privacy
}
