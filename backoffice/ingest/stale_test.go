package ingest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/agent/notice"
	"github.com/ashiato/ashiato/backoffice"
)

func statusJSON(state string, started int64, birth uint64, noticeHash string) []byte {
	s := event.Status{V: 1, State: state, Birth: birth, Started: started, Sensor: "cam"}
	if state != event.StateOffline {
		s.Attestation = &event.Attestation{Indicator: "virtual", NoticeHash: noticeHash}
	}
	b, _ := json.Marshal(s)
	return b
}

func privacyJSON(state string, since int64) []byte {
	b, _ := json.Marshal(event.Privacy{V: 1, State: state, Since: since})
	return b
}

// TestDecodeStaleState plays what an office subscribed to two broker nodes receives when the node a sensor
// was connected to crashes and comes back with its retained messages: the stale status, privacy and
// notice are skipped, whichever order they come in, and the sensor's current ones are applied.
func TestDecodeStaleState(t *testing.T) {
	oldNotice, newNotice := notice.Default(), notice.Default()
	newNotice.RetentionDays = 7
	const s1, s2 = 1_800_000_000_000, 1_800_000_900_000 // two agent processes' start times
	type msg struct {
		name    string
		leaf    string
		payload []byte
		v       delivery
		apply   bool
	}
	retained, dup := delivery{Retained: true}, delivery{Duplicate: true}
	steps := []msg{
		// Process s1 on node A.
		{"A: online s1/1", "status", statusJSON("online", s1, 1, oldNotice.Hash()), delivery{}, true},
		{"A: capturing", "privacy", privacyJSON("capturing", s1+100), delivery{}, true},
		{"A: notice", "notice", oldNotice.JSON(1), delivery{}, true},
		// A crashes; the sensor fails over to B, then pauses.
		{"B: online s1/2", "status", statusJSON("online", s1, 2, oldNotice.Hash()), delivery{}, true},
		{"B: capturing again", "privacy", privacyJSON("capturing", s1+100), delivery{}, true},
		{"B: paused", "privacy", privacyJSON("paused", s1+5000), delivery{}, true},
		// A comes back: it sends again what it had in flight, and the office resubscribes and gets A's
		// retained copies.
		{"A: in-flight online s1/1 again", "status", statusJSON("online", s1, 1, oldNotice.Hash()), dup, false},
		{"A: in-flight capturing again", "privacy", privacyJSON("capturing", s1+100), dup, false},
		{"A: retained online s1/1", "status", statusJSON("online", s1, 1, oldNotice.Hash()), retained, false},
		{"A: retained capturing", "privacy", privacyJSON("capturing", s1+100), retained, false},
		{"A: retained notice (same process)", "notice", oldNotice.JSON(1), retained, true},
		{"B: retained paused on resubscribe", "privacy", privacyJSON("paused", s1+5000), retained, true},
		// A late will of the first connection.
		{"A: will s1/1", "status", statusJSON("offline", s1, 1, ""), delivery{}, false},
		// The sensor restarts with another notice, on B; the office happens to get the notice first (its
		// retained copy on subscribing): it is held until the status names it.
		{"B: new notice, before its status", "notice", newNotice.JSON(1), retained, false},
		{"B: online s2/1", "status", statusJSON("online", s2, 1, newNotice.Hash()), delivery{}, true},
		{"B: capturing s2", "privacy", privacyJSON("capturing", s2+100), delivery{}, true},
		{"B: new notice", "notice", newNotice.JSON(1), delivery{}, true},
		// A's retained copies, from the old process, once more: all stale now.
		{"A: retained online s1/1 again", "status", statusJSON("online", s1, 1, oldNotice.Hash()), retained, false},
		{"A: retained old notice", "notice", oldNotice.JSON(1), retained, false},
		{"A: retained paused", "privacy", privacyJSON("paused", s1+5000), retained, false},
		// The old process's will, late, higher birth: still older than s2/1.
		{"B: late will s1/2", "status", statusJSON("offline", s1, 2, ""), delivery{}, false},
		// The current connection's will is applied.
		{"B: will s2/1", "status", statusJSON("offline", s2, 1, ""), delivery{}, true},
		// Its own retained online after the will (the sensor is back on B): applied (same key).
		{"B: retained online s2/1", "status", statusJSON("online", s2, 1, newNotice.Hash()), retained, true},
	}
	d := testDecoder(t)
	for _, m := range steps {
		got := d.decode(topicA+m.leaf, m.payload, m.v, now)
		if got.malformed != "" {
			t.Fatalf("%s: malformed %s: %v", m.name, got.malformed, got.err)
		}
		if applied := got.sensor != nil; applied != m.apply || got.stale == m.apply {
			t.Errorf("%s: applied %v (stale %v), want %v", m.name, applied, got.stale, m.apply)
		}
		if m.name == "B: online s2/1" && (got.notice == nil || got.notice.NoticeHash != newNotice.Hash()) {
			t.Errorf("%s: the held notice is not applied with it: %+v", m.name, got.notice)
		}
	}
	if k := (backoffice.SensorKey{Store: "store-1", Sensor: "cam"}); d.promises[k] != 7 {
		t.Errorf("promise %d days, want the new notice's 7", d.promises[k])
	}
}

// TestDecodeStateClockBack: a sensor whose clock went back across a restart (started lower than the
// process before) is believed once its newest status and privacy had no successor for ReorderAfter, if
// it speaks live; retained and redelivered copies never are.
func TestDecodeStateClockBack(t *testing.T) {
	d := testDecoder(t)
	const s1, s0 = 1_800_000_900_000, 1_800_000_000_000
	later := now.Add(ReorderAfter)
	for i, m := range []struct {
		payload []byte
		v       delivery
		at      time.Time
		apply   bool
	}{
		{statusJSON("online", s1, 3, ""), delivery{}, now, true},
		{statusJSON("online", s0, 1, ""), delivery{}, now.Add(ReorderAfter / 2), false}, // s1 may still be alive
		{statusJSON("online", s0, 1, ""), delivery{Retained: true}, later, false},
		{statusJSON("online", s0, 1, ""), delivery{Duplicate: true}, later, false},
		{statusJSON("offline", s0, 1, ""), delivery{}, later, false},
		{statusJSON("online", s0, 1, ""), delivery{}, later, true}, // s1 is gone; the sensor speaks now
		{statusJSON("online", s0, 2, ""), delivery{}, later, true},
		{statusJSON("online", s1, 3, ""), delivery{Retained: true}, later, true}, // a later started still wins
	} {
		got := d.decode(topicA+"status", m.payload, m.v, m.at)
		if applied := got.sensor != nil; applied != m.apply {
			t.Errorf("status %d: applied %v, want %v", i, applied, m.apply)
		}
	}
	d = testDecoder(t)
	for i, m := range []struct {
		since int64
		v     delivery
		at    time.Time
		apply bool
	}{
		{s1, delivery{}, now, true},
		{s0, delivery{}, now, false},
		{s0, delivery{Retained: true}, later, false},
		{s0, delivery{}, later, true},
		{s0, delivery{Retained: true}, later, true}, // not older than the newest now
	} {
		got := d.decode(topicA+"privacy", privacyJSON("capturing", m.since), m.v, m.at)
		if applied := got.sensor != nil; applied != m.apply {
			t.Errorf("privacy %d: applied %v, want %v", i, applied, m.apply)
		}
	}
}

// TestDecodeStateFromStore: the order is seeded from the store at start, so a collector that restarts
// skips a stale retained copy it receives first.
func TestDecodeStateFromStore(t *testing.T) {
	d := testDecoder(t)
	k := backoffice.SensorKey{Store: "store-1", Sensor: "cam"}
	n := notice.Default()
	d.load(backoffice.Sensor{SensorKey: k, Status: statusJSON("online", 2000, 4, n.Hash()),
		Privacy: privacyJSON("paused", 2500)})
	for _, m := range []struct {
		leaf    string
		payload []byte
		apply   bool
	}{
		{"status", statusJSON("online", 2000, 3, n.Hash()), false},
		{"privacy", privacyJSON("capturing", 2100), false},
		{"notice", n.JSON(1), true},
		{"status", statusJSON("online", 2000, 4, n.Hash()), true},
	} {
		got := d.decode(topicA+m.leaf, m.payload, delivery{Retained: true}, now)
		if applied := got.sensor != nil; applied != m.apply {
			t.Errorf("%s %s: applied %v, want %v", m.leaf, m.payload, applied, m.apply)
		}
	}
	// A store row without started (an agent that does not send it): no order by started.
	d = testDecoder(t)
	d.load(backoffice.Sensor{SensorKey: k, Status: []byte(`{"v":1,"state":"online","birth":5,"sensor":"cam"}`)})
	got := d.decode(topicA+"status", statusJSON("online", 3000, 1, ""), delivery{Retained: true}, now)
	if got.sensor == nil {
		t.Error(fmt.Sprint("a status with started after one without was skipped: ", got.stale))
	}
}
