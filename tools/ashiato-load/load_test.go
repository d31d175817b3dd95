package main

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/agent/minimise"
	"github.com/ashiato/ashiato/agent/notice"
	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/backoffice/sqlite"
	"github.com/ashiato/ashiato/internal/mosquittotest"
	"github.com/ashiato/ashiato/schemas"
)

// TestWalks: the generated tracks are valid against the tracks schema, already minimised (the sensor's
// default rules leave them as they are: the office keeps them), whole, in time order, ending when asked,
// and last from a few seconds to a few minutes.
func TestWalks(t *testing.T) {
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	w := newWalker(1, DefaultHz)
	started := time.Date(2030, 3, 4, 9, 0, 0, 0, time.UTC)
	end := started.Add(time.Hour)
	topic := event.Topics{Store: "load-0001", Sensor: "cam-1"}.Topic(event.LeafTracks)
	ids := map[string]bool{}
	var total time.Duration
	const n = 2000
	for i := range n {
		tr := w.track("cam-1", started, end)
		b := mustJSON(tr)
		if err := v.Validate(topic, b); err != nil {
			t.Fatalf("track %d: %v\n%s", i, err, b)
		}
		if again, reason := minimise.Default().Apply(tr); reason != "" || !reflect.DeepEqual(again, tr) {
			t.Fatalf("track %d is not minimised as a sensor sends it (reason %q)", i, reason)
		}
		if tr.Seg != 0 || !tr.Final || tr.Sensor != "cam-1" || tr.Space != event.SpaceFloor || ids[tr.ID] {
			t.Fatalf("track %d: seg %d final %v sensor %q space %q, id seen before %v", i, tr.Seg, tr.Final, tr.Sensor,
				tr.Space, ids[tr.ID])
		}
		ids[tr.ID] = true
		for j := 1; j < len(tr.Points); j++ {
			if tr.Points[j].T <= tr.Points[j-1].T || tr.Points[j].F < tr.Points[j-1].F {
				t.Fatalf("track %d: point %d is not after point %d", i, j, j-1)
			}
		}
		first, last := tr.Points[0], tr.Points[len(tr.Points)-1]
		d := time.Duration(last.T-first.T) * time.Millisecond
		if d < minDuration-time.Second || d > maxDuration || last.T > end.UnixMilli() || last.T < end.UnixMilli()-1000 {
			t.Fatalf("track %d lasts %v and ends at %d, want %v-%v ending at about %d", i, d, last.T,
				minDuration, maxDuration, end.UnixMilli())
		}
		total += d
	}
	if mean := total / n; mean < 15*time.Second || mean > 60*time.Second {
		t.Errorf("mean duration %v, want that of shoppers passing a camera (15-60 s)", mean)
	}
}

// TestConfig: a run needs an end, and refuses what it cannot simulate, naming the flag.
func TestConfig(t *testing.T) {
	for args, want := range map[string]string{
		"":                      "-duration or -tracks",
		"-tracks 1 -qos 2":      "-qos 2",
		"-tracks 1 -hz 1":       "-hz 1",
		"-tracks 1 -rate -1":    "-rate",
		"-tracks 1 -prefix a/b": "-prefix",
		"-tracks 1 -sensors -3": "-sensors",
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), strings.Fields(args), &out, &errb); code != 2 || !strings.Contains(errb.String(), want) {
			t.Errorf("ashiato-load %s: exit %d, %q; want 2 and %q", args, code, errb.String(), want)
		}
	}
}

// TestAgainstOffice runs the generator against a real Mosquitto and the office's collector on SQLite:
// every acknowledged track is stored once and kept (none dropped at the door), every message passes the
// collector's checks, and every sensor's notice, status and privacy reach the store.
func TestAgainstOffice(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Mosquitto")
	}
	b := mosquittotest.Start(t, mosquittotest.Options{})
	db, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store := newTimedStore(db)
	cols := startCollectors(t, b.URL(), store, 1)
	l := newLedger()
	c := Config{Broker: b.URL(), Sensors: 10, PerStore: 4, Tracks: 400, Rate: 0, QoS: 1, Conns: 3,
		StatusEvery: 20 * time.Millisecond, Published: l.add}
	res, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	report(&out, res)
	t.Log(out.String())
	if res.Tracks != 400 || res.Acked != 400 || res.Failed != 0 || len(l.sent) != 400 || l.dup != 0 {
		t.Fatalf("published %d, acknowledged %d, failed %d; ledger %d (%d ids twice)", res.Tracks, res.Acked, res.Failed,
			len(l.sent), l.dup)
	}
	if res.Other < 10*5 { // notice, privacy, status at the start; status, privacy at the end
		t.Errorf("only %d status, privacy, notice and stats messages", res.Other)
	}
	waitCommitted(t, store, 400, time.Minute)
	// Once the sensors' "stopped" is stored, everything published before it on its connection is.
	deadline := time.Now().Add(30 * time.Second)
	var sensors []backoffice.Sensor
	for {
		if sensors, err = db.Sensors(context.Background()); err != nil {
			t.Fatal(err)
		}
		stopped := 0
		for _, s := range sensors {
			if s.State == event.StateStopped {
				stopped++
			}
		}
		if stopped == 10 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 10 sensors stopped in the store", stopped)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cols.stop()
	reg := cols.regs[0]
	if n := counter(t, reg, "ashiato_office_messages_malformed_total", "", ""); n != 0 {
		t.Errorf("%v messages malformed", n)
	}
	if n := counter(t, reg, "ashiato_office_messages_total", "topic", event.LeafStats); n < 10 {
		t.Errorf("%v stats messages received, want at least one a sensor", n)
	}

	hash := notice.Default().Hash()
	stored := map[key]int{}
	for _, s := range sensors {
		if s.Store == "probe" {
			continue
		}
		if s.NoticeHash != hash || s.RetentionDays != notice.Default().RetentionDays || s.PrivacyState != event.PrivacyStopped ||
			len(s.Stats) == 0 {
			t.Errorf("%s: notice %s (%d days), privacy %s, stats %s", s.SensorKey, s.NoticeHash, s.RetentionDays, s.PrivacyState, s.Stats)
		}
		var st event.Status
		if err := json.Unmarshal(s.Status, &st); err != nil || st.Attestation == nil || !st.Attestation.Minimised ||
			st.Attestation.NoticeHash != hash {
			t.Errorf("%s: status %s", s.SensorKey, s.Status)
		}
		err := db.Tracks(context.Background(), backoffice.TrackQuery{Store: s.Store, Sensor: s.Sensor}, func(tr backoffice.Track) error {
			stored[key{tr.Store, tr.Sensor, tr.ID}]++
			if !tr.Minimised || !tr.Final || len(tr.Points) < 2 {
				t.Errorf("%s/%s: minimised %v final %v, %d points", tr.Sensor, tr.ID, tr.Minimised, tr.Final, len(tr.Points))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(sensors) != 11 {
		t.Errorf("%d sensors in the store, want 10 and the probe", len(sensors))
	}
	kept, err := db.Kept(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kept {
		if k.Dropped != 0 {
			t.Errorf("%s: %d tracks dropped at the door", k.SensorKey, k.Dropped)
		}
	}
	for k := range l.sent {
		if stored[k] != 1 {
			t.Errorf("%v stored %d times", k, stored[k])
		}
	}
	if len(stored) != len(l.sent) {
		t.Errorf("%d tracks stored, %d published", len(stored), len(l.sent))
	}
}

// TestDurationAndRate: -duration ends the run with every track acknowledged, and -rate paces the tracks.
func TestDurationAndRate(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Mosquitto")
	}
	b := mosquittotest.Start(t, mosquittotest.Options{})
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"-broker", b.URL(), "-sensors", "3", "-rate", "50", "-duration", "1s",
		"-status-every", "0"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out.String(), errb.String())
	}
	m := regexp.MustCompile(`tracks (\d+)  acknowledged (\d+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no report:\n%s", out.String())
	}
	n, _ := strconv.Atoi(m[1])
	// 50 a second for 1 s: the schedule allows at most 51 (the one due at the end included); fewer only if
	// this machine could not keep up.
	if n > 51 || n < 1 || m[1] != m[2] {
		t.Errorf("%s tracks, %s acknowledged; want 1 to 51, all acknowledged", m[1], m[2])
	}
}
