// Package storetest is the test suite every backoffice.Store must pass (SQLite's and PostgreSQL's). Each
// test gets a new, empty store from the constructor, and checks behaviour only through the Store interface
// and, for the analytics aggregates, the backoffice.AggregateStore interface, which every store must
// implement too.
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) backoffice.Store { return openEmpty(t) })
//	}
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/backoffice"
)

// Open returns a new, empty store; the test's cleanup closes it.
type Open func(t *testing.T) backoffice.Store

// Run runs every test of the suite against stores from open.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		f    func(*testing.T, backoffice.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"Idempotent", testIdempotent},
		{"IdempotentAcrossTables", testIdempotentAcrossTables},
		{"BatchIsAtomic", testBatchIsAtomic},
		{"SensorState", testSensorState},
		{"LateWillIgnored", testLateWillIgnored},
		{"TrackQueryRange", testTrackQueryRange},
		{"PurgeByPromise", testPurgeByPromise},
		{"PurgeShortenedPromise", testPurgeShortenedPromise},
		{"PurgeDryRun", testPurgeDryRun},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.f(t, open(t)) })
	}
	for _, tc := range aggregateTests {
		t.Run(tc.name, func(t *testing.T) { runAggregate(t, open(t), tc.f) })
	}
}

// T0 is the suite's reference time: a Monday at 10:00 UTC.
var T0 = time.Date(2030, 3, 4, 10, 0, 0, 0, time.UTC)

var ctx = context.Background()

// track returns a track of sensor k starting at start, with n points every 500 ms along a line, expiring
// after days.
func track(k backoffice.SensorKey, id string, seg int, start time.Time, n int, days int) backoffice.Track {
	tr := backoffice.Track{Store: k.Store, Sensor: k.Sensor, ID: id, Seg: seg, Final: true, Space: event.SpaceFloor,
		W: 640, H: 480, Start: start, Minimised: true, Expires: start.Add(time.Duration(days) * 24 * time.Hour)}
	for i := range n {
		tr.Points = append(tr.Points, backoffice.Point{T: int64(i) * 500, X: float64(-1500+100*i) / 1000, Y: float64(3200-100*i) / 1000})
	}
	return tr
}

func dropped(k backoffice.SensorKey, id string, seg int, start time.Time, days int) backoffice.Dropped {
	return backoffice.Dropped{Store: k.Store, Sensor: k.Sensor, ID: id, Seg: seg, Reason: backoffice.DropDuration,
		Day: start.UTC().Format(time.DateOnly), Expires: start.Add(time.Duration(days) * 24 * time.Hour)}
}

func write(t *testing.T, s backoffice.Store, b backoffice.Batch) backoffice.WriteResult {
	t.Helper()
	r, err := s.Write(ctx, &b)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	return r
}

func seen(k backoffice.SensorKey, at time.Time) backoffice.SensorUpdate {
	return backoffice.SensorUpdate{Kind: backoffice.UpdateSeen, SensorKey: k, At: at, Live: true}
}

func notice(k backoffice.SensorKey, at time.Time, days int) backoffice.SensorUpdate {
	return backoffice.SensorUpdate{Kind: backoffice.UpdateNotice, SensorKey: k, At: at, Live: true, NoticeHash: fmt.Sprintf("%064d", days),
		RetentionDays: days, AggregateRetentionDays: 4 * days, Payload: json.RawMessage(fmt.Sprintf(`{"v":1,"retention_days":%d}`, days))}
}

func tracks(t *testing.T, s backoffice.Store, k backoffice.SensorKey) []backoffice.Track {
	t.Helper()
	var out []backoffice.Track
	if err := s.Tracks(ctx, backoffice.TrackQuery{Store: k.Store, Sensor: k.Sensor}, func(tr backoffice.Track) error {
		out = append(out, tr)
		return nil
	}); err != nil {
		t.Fatalf("Tracks: %v", err)
	}
	return out
}

func kept(t *testing.T, s backoffice.Store) map[backoffice.SensorKey]backoffice.Kept {
	t.Helper()
	ks, err := s.Kept(ctx)
	if err != nil {
		t.Fatalf("Kept: %v", err)
	}
	m := map[backoffice.SensorKey]backoffice.Kept{}
	for _, k := range ks {
		m[k.SensorKey] = k
	}
	return m
}

var (
	a = backoffice.SensorKey{Store: "store-1", Sensor: "entrance"}
	b = backoffice.SensorKey{Store: "store-1", Sensor: "tills"}
	c = backoffice.SensorKey{Store: "store-2", Sensor: "entrance"}
)

func testRoundTrip(t *testing.T, s backoffice.Store) {
	in := track(a, "00112233445566778899aabb", 0, T0, 240, 90)
	img := track(a, "ffeeddccbbaa998877665544", 3, T0.Add(time.Minute), 5, 90)
	img.Space, img.Final, img.Minimised = event.SpaceImage, false, false
	for i := range img.Points {
		img.Points[i].X, img.Points[i].Y = float64(12345+1000*i)/1e5, 0.99999
	}
	r := write(t, s, backoffice.Batch{Sensors: []backoffice.SensorUpdate{seen(a, T0)}, Tracks: []backoffice.Track{in, img}})
	if r.Stored != 2 || r.StoredDuplicates != 0 {
		t.Fatalf("Write: %+v, want 2 stored", r)
	}
	got := tracks(t, s, a)
	if len(got) != 2 {
		t.Fatalf("read %d tracks, want 2", len(got))
	}
	for i, want := range []backoffice.Track{in, img} {
		if !reflect.DeepEqual(got[i], want) {
			g, w := got[i], want
			g.Points, w.Points = nil, nil
			t.Errorf("track %d read back as\n%+v\nwant\n%+v", i, g, w)
			for j := range min(len(got[i].Points), len(want.Points)) {
				if got[i].Points[j] != want.Points[j] {
					t.Errorf("point %d of %d: %+v, want %+v", j, len(want.Points), got[i].Points[j], want.Points[j])
					break
				}
			}
		}
	}
	if k := kept(t, s)[a]; k.Tracks != 2 || !k.Oldest.Equal(T0) || !k.Newest.Equal(T0.Add(time.Minute)) {
		t.Errorf("Kept: %+v", k)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func testIdempotent(t *testing.T, s backoffice.Store) {
	batch := backoffice.Batch{
		Sensors: []backoffice.SensorUpdate{seen(a, T0)},
		Tracks:  []backoffice.Track{track(a, "aa", 0, T0, 3, 90), track(a, "aa", 1, T0, 3, 90), track(b, "aa", 0, T0, 3, 90)},
		Dropped: []backoffice.Dropped{dropped(a, "bb", 0, T0, 90)},
	}
	r := write(t, s, batch)
	if r.Stored != 3 || r.Dropped != 1 || r.StoredDuplicates+r.DroppedDuplicates != 0 || r.DroppedBy[backoffice.DropDuration] != 1 {
		t.Fatalf("first write: %+v", r)
	}
	r = write(t, s, batch)
	if r.Stored+r.Dropped != 0 || r.StoredDuplicates != 3 || r.DroppedDuplicates != 1 || len(r.DroppedBy) != 0 {
		t.Fatalf("redelivery: %+v", r)
	}
	if k := kept(t, s); k[a].Tracks != 2 || k[a].Dropped != 1 || k[b].Tracks != 1 {
		t.Errorf("Kept after a redelivery: %+v", k)
	}
}

func testIdempotentAcrossTables(t *testing.T, s backoffice.Store) {
	write(t, s, backoffice.Batch{Dropped: []backoffice.Dropped{dropped(a, "cc", 0, T0, 90)}})
	// The same key, judged storable this time (the rules changed between deliveries), counts once.
	r := write(t, s, backoffice.Batch{Tracks: []backoffice.Track{track(a, "cc", 0, T0, 10, 90)}})
	if r.Stored != 0 || r.StoredDuplicates != 1 {
		t.Errorf("track after its drop: %+v", r)
	}
	write(t, s, backoffice.Batch{Tracks: []backoffice.Track{track(a, "dd", 0, T0, 10, 90)}})
	r = write(t, s, backoffice.Batch{Dropped: []backoffice.Dropped{dropped(a, "dd", 0, T0, 90)}})
	if r.Dropped != 0 || r.DroppedDuplicates != 1 {
		t.Errorf("drop after its track: %+v", r)
	}
	if k := kept(t, s)[a]; k.Tracks != 1 || k.Dropped != 1 {
		t.Errorf("Kept: %+v, want 1 track and 1 dropped", k)
	}
}

func testBatchIsAtomic(t *testing.T, s backoffice.Store) {
	bad := track(a, "ee", 1, T0, 3, 90)
	bad.Points = nil // cannot be stored
	_, err := s.Write(ctx, &backoffice.Batch{
		Sensors: []backoffice.SensorUpdate{seen(a, T0), notice(a, T0, 30)},
		Tracks:  []backoffice.Track{track(a, "ee", 0, T0, 3, 90), bad},
		Dropped: []backoffice.Dropped{dropped(a, "ff", 0, T0, 90)},
	})
	if err == nil {
		t.Fatal("Write accepted a track without points")
	}
	if k := kept(t, s); len(k) != 0 {
		t.Errorf("a failed batch left rows: %+v", k)
	}
	if ss, err := s.Sensors(ctx); err != nil || len(ss) != 0 {
		t.Errorf("a failed batch left sensors: %+v, %v", ss, err)
	}
}

func testSensorState(t *testing.T, s backoffice.Store) {
	status := json.RawMessage(`{"v":1,"state":"online","birth":2,"sensor":"entrance"}`)
	privacy := json.RawMessage(`{"v":1,"state":"paused","since":1}`)
	stats := json.RawMessage(`{"v":1,"fps":10}`)
	t1, t2, t3 := T0.Add(time.Second), T0.Add(2*time.Second), T0.Add(3*time.Second)
	write(t, s, backoffice.Batch{Sensors: []backoffice.SensorUpdate{
		{Kind: backoffice.UpdateStatus, SensorKey: a, At: T0, Live: true, Payload: status, State: event.StateOnline, Birth: 2},
		{Kind: backoffice.UpdatePrivacy, SensorKey: a, At: t1, Live: true, Payload: privacy, State: event.PrivacyPaused},
		{Kind: backoffice.UpdateStats, SensorKey: a, At: t2, Live: true, Payload: stats},
		notice(a, t3, 30),
		seen(b, t1),
	}})
	ss, err := s.Sensors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 2 || ss[0].SensorKey != a || ss[1].SensorKey != b {
		t.Fatalf("Sensors: %+v", ss)
	}
	got := ss[0]
	want := backoffice.Sensor{SensorKey: a, FirstSeen: T0, LastSeen: t3,
		Status: status, State: event.StateOnline, Birth: 2, StatusAt: T0,
		Privacy: privacy, PrivacyState: event.PrivacyPaused, PrivacyAt: t1,
		Stats: stats, StatsAt: t2,
		Notice: notice(a, t3, 30).Payload, NoticeHash: fmt.Sprintf("%064d", 30), NoticeAt: t3,
		RetentionDays: 30, AggregateRetentionDays: 120}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sensor\n%+v\nwant\n%+v", got, want)
	}
	if ss[1].RetentionDays != 0 || ss[1].NoticeHash != "" || !ss[1].LastSeen.Equal(t1) {
		t.Errorf("sensor heard only by a track: %+v", ss[1])
	}
}

func testLateWillIgnored(t *testing.T, s backoffice.Store) {
	st := func(state string, birth uint64, at time.Time) backoffice.SensorUpdate {
		return backoffice.SensorUpdate{Kind: backoffice.UpdateStatus, SensorKey: a, At: at, Live: state != event.StateOffline,
			State: state, Birth: birth,
			Payload: json.RawMessage(fmt.Sprintf(`{"v":1,"state":%q,"birth":%d}`, state, birth))}
	}
	write(t, s, backoffice.Batch{Sensors: []backoffice.SensorUpdate{
		st(event.StateOnline, 3, T0),
		st(event.StateOffline, 2, T0.Add(time.Minute)), // an older connection's will, delivered late
	}})
	ss, _ := s.Sensors(ctx)
	if len(ss) != 1 || ss[0].State != event.StateOnline || ss[0].Birth != 3 {
		t.Fatalf("late will applied: %+v", ss)
	}
	write(t, s, backoffice.Batch{Sensors: []backoffice.SensorUpdate{st(event.StateOffline, 3, T0.Add(2*time.Minute))}})
	ss, _ = s.Sensors(ctx)
	if ss[0].State != event.StateOffline || !ss[0].LastSeen.Equal(T0) {
		t.Fatalf("the current connection's will: state %q, last seen %v (a will is the broker speaking, not the sensor)",
			ss[0].State, ss[0].LastSeen)
	}
	// A restarted sensor counts from 1 again: its online is applied whatever the birth.
	write(t, s, backoffice.Batch{Sensors: []backoffice.SensorUpdate{st(event.StateOnline, 1, T0.Add(3*time.Minute))}})
	ss, _ = s.Sensors(ctx)
	if ss[0].State != event.StateOnline || ss[0].Birth != 1 {
		t.Fatalf("restarted sensor: %+v", ss[0])
	}
}

func testTrackQueryRange(t *testing.T, s backoffice.Store) {
	var trs []backoffice.Track
	for i := range 5 {
		trs = append(trs, track(a, fmt.Sprintf("%02x", i), 0, T0.Add(time.Duration(i)*time.Hour), 3, 90))
	}
	trs = append(trs, track(b, "ff", 0, T0, 3, 90))
	write(t, s, backoffice.Batch{Tracks: trs})
	var ids []string
	err := s.Tracks(ctx, backoffice.TrackQuery{Store: a.Store, Sensor: a.Sensor, From: T0.Add(time.Hour), To: T0.Add(3 * time.Hour)},
		func(tr backoffice.Track) error {
			ids = append(ids, tr.ID)
			return nil
		})
	if err != nil || fmt.Sprint(ids) != "[01 02]" {
		t.Errorf("tracks in [1h, 3h): %v, %v", ids, err)
	}
	stop := errors.New("stop")
	n := 0
	err = s.Tracks(ctx, backoffice.TrackQuery{Store: a.Store, Sensor: a.Sensor}, func(backoffice.Track) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("Tracks did not stop at fn's error: %v after %d", err, n)
	}
}

// purge plans and runs a purge at now with the office's own limit maxDays.
func purge(t *testing.T, s backoffice.Store, now time.Time, maxDays int, dry bool) backoffice.PurgeReport {
	t.Helper()
	ss, err := s.Sensors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	req := backoffice.Retention{MaxDays: maxDays}.Plan(now, ss)
	req.DryRun = dry
	rep, err := s.Purge(ctx, req)
	if err != nil {
		t.Fatalf("Purge: %v", err)
	}
	return rep
}

func testPurgeByPromise(t *testing.T, s backoffice.Store) {
	// a promises 30 days, b 90, c sent no notice (1 day).
	day := 24 * time.Hour
	write(t, s, backoffice.Batch{
		Sensors: []backoffice.SensorUpdate{notice(a, T0, 30), notice(b, T0, 90), seen(c, T0)},
		Tracks: []backoffice.Track{
			track(a, "a1", 0, T0.Add(-31*day), 3, 30), track(a, "a2", 0, T0.Add(-29*day), 3, 30),
			track(b, "b1", 0, T0.Add(-91*day), 3, 90), track(b, "b2", 0, T0.Add(-31*day), 3, 90),
			track(c, "c1", 0, T0.Add(-25*time.Hour), 3, 1), track(c, "c2", 0, T0.Add(-time.Hour), 3, 1),
		},
		Dropped: []backoffice.Dropped{dropped(a, "a3", 0, T0.Add(-40*day), 30), dropped(a, "a4", 0, T0.Add(-day), 30)},
	})
	rep := purge(t, s, T0, 0, false)
	if tr, dr := rep.Total(); tr != 3 || dr != 1 {
		t.Errorf("purged %d tracks and %d dropped, want 3 and 1: %+v", tr, dr, rep.Sensors)
	}
	want := map[backoffice.SensorKey][]string{a: {"a2"}, b: {"b2"}, c: {"c2"}}
	for k, ids := range want {
		var got []string
		for _, tr := range tracks(t, s, k) {
			got = append(got, tr.ID)
		}
		if fmt.Sprint(got) != fmt.Sprint(ids) {
			t.Errorf("%s keeps %v, want %v", k, got, ids)
		}
	}
	if k := kept(t, s)[a]; k.Dropped != 1 {
		t.Errorf("%s keeps %d dropped records, want 1", a, k.Dropped)
	}
	runs, err := s.PurgeRuns(ctx, 0)
	if err != nil || len(runs) != 1 {
		t.Fatalf("PurgeRuns: %d runs, %v", len(runs), err)
	}
	log := runs[0]
	if !log.At.Equal(T0) || len(log.Sensors) != 3 {
		t.Fatalf("purge log: %+v", log)
	}
	pa := log.Sensors[0]
	if pa.SensorKey != a || pa.Days != 30 || pa.Tracks != 1 || pa.Dropped != 1 || !pa.Oldest.Equal(T0.Add(-31*day)) ||
		!pa.Cutoff.Equal(T0.Add(-30*day)) {
		t.Errorf("purge log of %s: %+v", a, pa)
	}
	if pc := log.Sensors[2]; pc.SensorKey != c || pc.Days != backoffice.UnknownNoticeDays || pc.Tracks != 1 {
		t.Errorf("purge log of %s (no notice): %+v", c, pc)
	}
	// Nothing left to do: the run is still logged, with nothing removed.
	rep = purge(t, s, T0, 0, false)
	if tr, dr := rep.Total(); tr != 0 || dr != 0 {
		t.Errorf("second purge removed %d, %d", tr, dr)
	}
	if runs, _ := s.PurgeRuns(ctx, 1); len(runs) != 1 || len(runs[0].Sensors) != 0 {
		t.Errorf("second run: %+v", runs)
	}
}

func testPurgeShortenedPromise(t *testing.T, s backoffice.Store) {
	day := 24 * time.Hour
	write(t, s, backoffice.Batch{
		Sensors: []backoffice.SensorUpdate{notice(a, T0, 90)},
		Tracks:  []backoffice.Track{track(a, "a1", 0, T0.Add(-20*day), 3, 90), track(a, "a2", 0, T0.Add(-5*day), 3, 90)},
	})
	// The office's own limit is shorter than the notice: it wins.
	purge(t, s, T0, 10, false)
	if got := tracks(t, s, a); len(got) != 1 || got[0].ID != "a2" {
		t.Errorf("office limit 10 days: kept %d tracks", len(got))
	}
	// A new notice promises less: tracks received under the old one go by the new one.
	write(t, s, backoffice.Batch{Sensors: []backoffice.SensorUpdate{notice(a, T0, 3)}})
	purge(t, s, T0, 0, false)
	if got := tracks(t, s, a); len(got) != 0 {
		t.Errorf("notice shortened to 3 days: kept %d tracks", len(got))
	}
	// A new notice promising more does not extend what was promised on arrival (Expires).
	write(t, s, backoffice.Batch{
		Tracks:  []backoffice.Track{track(a, "a3", 0, T0.Add(-2*day), 3, 3)},
		Sensors: []backoffice.SensorUpdate{notice(a, T0, 90)},
	})
	purge(t, s, T0.Add(2*day), 0, false)
	if got := tracks(t, s, a); len(got) != 0 {
		t.Errorf("a track promised 3 days outlived them after the notice grew to 90")
	}
}

func testPurgeDryRun(t *testing.T, s backoffice.Store) {
	day := 24 * time.Hour
	write(t, s, backoffice.Batch{
		Sensors: []backoffice.SensorUpdate{notice(a, T0, 30)},
		Tracks:  []backoffice.Track{track(a, "a1", 0, T0.Add(-31*day), 3, 30), track(a, "a2", 0, T0, 3, 30)},
		Dropped: []backoffice.Dropped{dropped(a, "a3", 0, T0.Add(-40*day), 30)},
	})
	rep := purge(t, s, T0, 0, true)
	if tr, dr := rep.Total(); tr != 1 || dr != 1 || !rep.DryRun {
		t.Errorf("dry run counted %d tracks and %d dropped, want 1 and 1", tr, dr)
	}
	if k := kept(t, s)[a]; k.Tracks != 2 || k.Dropped != 1 {
		t.Errorf("dry run deleted: %+v", k)
	}
	if runs, _ := s.PurgeRuns(ctx, 0); len(runs) != 0 {
		t.Errorf("dry run logged %d runs", len(runs))
	}
}
