package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/backoffice/postgres"
	"github.com/ashiato/ashiato/internal/pgtest"
)

var ctx = context.Background()

func mkTrack(k backoffice.SensorKey, id string, start time.Time, days int) backoffice.Track {
	tr := backoffice.Track{Store: k.Store, Sensor: k.Sensor, ID: id, Final: true, Space: event.SpaceFloor, W: 640, H: 480,
		Start: start, Minimised: true, Expires: start.Add(time.Duration(days) * 24 * time.Hour)}
	for i := range 5 {
		tr.Points = append(tr.Points, backoffice.Point{T: int64(i) * 500, X: float64(i), Y: 1})
	}
	return tr
}

// leafOf returns, per track id, the table its row is in.
func leafOf(t *testing.T, c *pgtest.Cluster, db string) map[string]string {
	t.Helper()
	rows, err := c.Connect(t, db).Query(ctx, "SELECT track, tableoid::regclass::text FROM tracks")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, leaf string
		if err := rows.Scan(&id, &leaf); err != nil {
			t.Fatal(err)
		}
		out[id] = leaf
	}
	return out
}

func ids(t *testing.T, s backoffice.Store, k backoffice.SensorKey) []string {
	t.Helper()
	var out []string
	if err := s.Tracks(ctx, backoffice.TrackQuery{Store: k.Store, Sensor: k.Sensor}, func(tr backoffice.Track) error {
		out = append(out, tr.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPartitionRollover checks that a track's day is the day of its start in the office's time zone, at
// midnight and on the two days a year whose length is not 24 hours (Europe/Berlin: 23 hours on
// 2030-03-31, 25 on 2030-10-27), that a redelivery lands in the same partition, and that a day's partition
// is dropped exactly when its earliest promise ends.
func TestPartitionRollover(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	c := pgtest.Start(t, pgtest.Options{})
	db, name := openNamed(t, c, postgres.Options{Location: berlin})
	k := backoffice.SensorKey{Store: "s", Sensor: "a"}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct{ id, local, leaf string }{
		{"midnight-before", "2030-03-04 23:59", "tracks_c0001_d20300304"},
		{"midnight-after", "2030-03-05 00:00", "tracks_c0001_d20300305"},
		{"dst-eve", "2030-03-30 23:59", "tracks_c0001_d20300330"},
		{"dst-first", "2030-03-31 00:00", "tracks_c0001_d20300331"},
		{"dst-after-jump", "2030-03-31 03:00", "tracks_c0001_d20300331"}, // 02:00 CET became 03:00 CEST
		{"dst-last", "2030-03-31 23:59", "tracks_c0001_d20300331"},       // 22:59 UTC: already April 1 nowhere
		{"dst-next", "2030-04-01 00:00", "tracks_c0001_d20300401"},       // 2030-03-31 22:00 UTC
		{"fall-first", "2030-10-27 00:00", "tracks_c0001_d20301027"},
		// 24h59m after its day's midnight: its promise ends more than a whole day after the day began
		// (class 2, counted from midnight), so its partition is not held to the others' schedule.
		{"fall-last", "2030-10-27 23:59", "tracks_c0002_d20301027"},
		{"fall-next", "2030-10-28 00:00", "tracks_c0001_d20301028"},
	}
	var b backoffice.Batch
	for _, tc := range cases {
		b.Tracks = append(b.Tracks, mkTrack(k, tc.id, at(tc.local), 1))
	}
	if r, err := db.Write(ctx, &b); err != nil || r.Stored != len(cases) {
		t.Fatalf("Write: %+v, %v", r, err)
	}
	got := leafOf(t, c, name)
	for _, tc := range cases {
		if got[tc.id] != tc.leaf {
			t.Errorf("%s (%s Berlin, %s UTC) is in %s, want %s", tc.id, tc.local, at(tc.local).UTC().Format("2006-01-02 15:04"),
				got[tc.id], tc.leaf)
		}
	}
	// A redelivery, judged under a longer promise this time (another class), is a duplicate.
	again := mkTrack(k, "dst-last", at("2030-03-31 23:59"), 30)
	if r, err := db.Write(ctx, &backoffice.Batch{Tracks: []backoffice.Track{again}}); err != nil || r.Stored != 0 || r.StoredDuplicates != 1 {
		t.Errorf("redelivery: %+v, %v", r, err)
	}

	// The 23-hour day's partition (class 1) goes when its first track's day is over: 24 hours after its
	// local midnight, which is 01:00 on April 1 (CEST), not at the next midnight.
	purgeAt := func(now time.Time) {
		t.Helper()
		ss, err := db.Sensors(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Purge(ctx, backoffice.Retention{}.Plan(now, ss)); err != nil {
			t.Fatalf("Purge at %v: %v", now, err)
		}
	}
	due := at("2030-03-31 00:00").Add(24 * time.Hour)
	if due.In(berlin).Format("15:04") != "01:00" {
		t.Fatalf("BUG: the test's own arithmetic: %v", due.In(berlin))
	}
	purgeAt(due.Add(-time.Minute))
	if l := leafOf(t, c, name); l["dst-first"] == "" || l["dst-last"] == "" {
		t.Errorf("the partition of 2030-03-31 was dropped before its first promise ended: %v", l)
	}
	if l := leafOf(t, c, name); l["dst-eve"] != "" {
		t.Errorf("the partition of 2030-03-30 outlived its promise")
	}
	purgeAt(due)
	l := leafOf(t, c, name)
	for _, id := range []string{"dst-first", "dst-after-jump", "dst-last"} {
		if l[id] != "" {
			t.Errorf("%s is kept after its day's partition was due", id)
		}
	}
	if l["dst-next"] == "" || l["fall-first"] == "" {
		t.Errorf("later days were dropped with 2030-03-31: %v", l)
	}
}

// TestShortPromiseOwnClass: sensors promising 1 day and 30 days write tracks into the same days. A purge
// every hour for 50 hours never keeps a track past its promise, and never deletes the 30-day sensor's
// tracks with the 1-day sensor's partitions.
func TestShortPromiseOwnClass(t *testing.T) {
	c := pgtest.Start(t, pgtest.Options{})
	db, name := openNamed(t, c, postgres.Options{Location: time.UTC})
	short := backoffice.SensorKey{Store: "s", Sensor: "short"}
	long := backoffice.SensorKey{Store: "s", Sensor: "long"}
	day0 := time.Date(2030, 3, 4, 0, 0, 0, 0, time.UTC)
	b := backoffice.Batch{Sensors: []backoffice.SensorUpdate{
		{Kind: backoffice.UpdateNotice, SensorKey: short, At: day0, RetentionDays: 1, NoticeHash: "1"},
		{Kind: backoffice.UpdateNotice, SensorKey: long, At: day0, RetentionDays: 30, NoticeHash: "30"},
	}}
	all := map[string]backoffice.Track{}
	for h := range 24 {
		for _, k := range []struct {
			key  backoffice.SensorKey
			days int
		}{{short, 1}, {long, 30}} {
			tr := mkTrack(k.key, fmt.Sprintf("%s-%02d", k.key.Sensor, h), day0.Add(time.Duration(h)*time.Hour+30*time.Minute), k.days)
			b.Tracks = append(b.Tracks, tr)
			all[tr.ID] = tr
		}
	}
	if _, err := db.Write(ctx, &b); err != nil {
		t.Fatal(err)
	}
	leaves := leafOf(t, c, name)
	if leaves["short-00"] != "tracks_c0001_d20300304" || leaves["long-00"] != "tracks_c0030_d20300304" {
		t.Fatalf("partitions: short in %s, long in %s", leaves["short-00"], leaves["long-00"])
	}
	// Hourly, until the last 1-day track (started at 23:30) has been gone for a day.
	for now := day0; now.Before(day0.Add(50 * time.Hour)); now = now.Add(time.Hour) {
		ss, _ := db.Sensors(ctx)
		if _, err := db.Purge(ctx, backoffice.Retention{}.Plan(now, ss)); err != nil {
			t.Fatalf("Purge at %v: %v", now, err)
		}
		for _, k := range []backoffice.SensorKey{short, long} {
			for _, id := range ids(t, db, k) {
				if exp := all[id].Expires; !exp.After(now) {
					t.Fatalf("at %v, %s is kept although its promise ended at %v", now, id, exp)
				}
			}
		}
		if n := len(ids(t, db, long)); n != 24 {
			t.Fatalf("at %v, the 30-day sensor keeps %d of its 24 tracks", now, n)
		}
	}
	if n := len(ids(t, db, short)); n != 0 {
		t.Errorf("the 1-day sensor keeps %d tracks after 50 hours", n)
	}
}
