package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ashiato/ashiato/backoffice"
)

// aggregateTests are the cases of backoffice.AggregateStore, and of the purge of aggregates.
var aggregateTests = []struct {
	name string
	f    func(*testing.T, backoffice.Store, backoffice.AggregateStore)
}{
	{"AggregatesReplace", testAggregatesReplace},
	{"AggregateBucketsQuery", testAggregateBucketsQuery},
	{"TrackHours", testTrackHours},
	{"NoiseKey", testNoiseKey},
	{"PurgeAggregates", testPurgeAggregates},
}

// runAggregate runs one aggregate case, failing when the store does not implement AggregateStore.
func runAggregate(t *testing.T, s backoffice.Store, f func(*testing.T, backoffice.Store, backoffice.AggregateStore)) {
	as, ok := s.(backoffice.AggregateStore)
	if !ok {
		t.Fatalf("%T does not implement backoffice.AggregateStore: the office needs it for the analytics", s)
	}
	f(t, s, as)
}

// unit returns a unit of sensor k for hour with one bucket per start offset, each holding its own data.
func unit(k backoffice.SensorKey, hour time.Time, digest string, expires time.Time, offsets ...time.Duration) backoffice.AggregateUnit {
	u := backoffice.AggregateUnit{SensorKey: k, Hour: hour, LayoutHash: "0123456789abcdef", Digest: digest, Tracks: len(offsets),
		Computed: hour.Add(time.Hour), Expires: expires}
	for _, o := range offsets {
		u.Buckets = append(u.Buckets, backoffice.AggregateBucket{Start: hour.Add(o), Data: fmt.Appendf(nil, `{"v":1,"from":"%s %s"}`, k, hour.Add(o).Format(time.RFC3339))})
	}
	return u
}

func put(t *testing.T, as backoffice.AggregateStore, u backoffice.AggregateUnit) {
	t.Helper()
	if err := as.PutAggregates(ctx, u); err != nil {
		t.Fatalf("PutAggregates: %v", err)
	}
}

func units(t *testing.T, as backoffice.AggregateStore, k backoffice.SensorKey) []backoffice.AggregateUnit {
	t.Helper()
	us, err := as.AggregateUnits(ctx, k)
	if err != nil {
		t.Fatalf("AggregateUnits: %v", err)
	}
	return us
}

func buckets(t *testing.T, as backoffice.AggregateStore, q backoffice.BucketQuery) []backoffice.AggregateBucket {
	t.Helper()
	var out []backoffice.AggregateBucket
	if err := as.AggregateBuckets(ctx, q, func(b backoffice.AggregateBucket) error {
		out = append(out, b)
		return nil
	}); err != nil {
		t.Fatalf("AggregateBuckets: %v", err)
	}
	return out
}

func testAggregatesReplace(t *testing.T, _ backoffice.Store, as backoffice.AggregateStore) {
	q := 15 * time.Minute
	exp := T0.Add(100 * 24 * time.Hour)
	u := unit(a, T0, "d1", exp, 0, q, 2*q, 5*q)
	put(t, as, u)
	got := units(t, as, a)
	if len(got) != 1 {
		t.Fatalf("AggregateUnits: %d units, want 1", len(got))
	}
	want := u
	want.Buckets = nil
	if g := got[0]; g.SensorKey != a || !g.Hour.Equal(T0) || g.LayoutHash != want.LayoutHash || g.Digest != "d1" ||
		g.Tracks != 4 || !g.Computed.Equal(want.Computed) || !g.Expires.Equal(exp) || len(g.Buckets) != 0 {
		t.Errorf("unit read back as\n%+v\nwant\n%+v", g, want)
	}
	bs := buckets(t, as, backoffice.BucketQuery{Store: a.Store})
	if len(bs) != 4 {
		t.Fatalf("%d buckets, want 4", len(bs))
	}
	for i, b := range bs {
		if b.Sensor != a.Sensor || !b.Hour.Equal(T0) || !b.Start.Equal(u.Buckets[i].Start) || !bytes.Equal(b.Data, u.Buckets[i].Data) {
			t.Errorf("bucket %d read back as %+v (%s), want %+v", i, b, b.Data, u.Buckets[i])
		}
	}
	// Recomputed: fewer buckets, a later expiry that must not extend the promise.
	put(t, as, unit(a, T0, "d2", exp.Add(24*time.Hour), q))
	if got := units(t, as, a); len(got) != 1 || got[0].Digest != "d2" || got[0].Tracks != 1 || !got[0].Expires.Equal(exp) {
		t.Errorf("replaced unit: %+v (want digest d2, 1 track, expiry kept at %v)", got, exp)
	}
	if bs := buckets(t, as, backoffice.BucketQuery{Store: a.Store}); len(bs) != 1 || !bs[0].Start.Equal(T0.Add(q)) {
		t.Errorf("buckets of the replaced unit: %+v", bs)
	}
	// An earlier expiry does shorten it; an empty unit is kept.
	put(t, as, unit(a, T0, "d3", exp.Add(-time.Hour)))
	if got := units(t, as, a); len(got) != 1 || !got[0].Expires.Equal(exp.Add(-time.Hour)) || got[0].Tracks != 0 {
		t.Errorf("empty unit with a shorter expiry: %+v", got)
	}
	if bs := buckets(t, as, backoffice.BucketQuery{Store: a.Store}); len(bs) != 0 {
		t.Errorf("an empty unit kept %d buckets", len(bs))
	}
	put(t, as, unit(a, T0.Add(time.Hour), "d", exp, 0))
	if err := as.DeleteAggregates(ctx, a, T0); err != nil {
		t.Fatalf("DeleteAggregates: %v", err)
	}
	if err := as.DeleteAggregates(ctx, a, T0.Add(-time.Hour)); err != nil {
		t.Errorf("DeleteAggregates of a unit that does not exist: %v", err)
	}
	if got := units(t, as, a); len(got) != 1 || !got[0].Hour.Equal(T0.Add(time.Hour)) {
		t.Errorf("after deleting the unit at T0: %+v", got)
	}
}

func testAggregateBucketsQuery(t *testing.T, _ backoffice.Store, as backoffice.AggregateStore) {
	q := 15 * time.Minute
	exp := T0.Add(1000 * time.Hour)
	// Two units of a whose buckets interleave (a track of the first hour lasting into the second), one of
	// b in the same store, one of c in another store.
	put(t, as, unit(a, T0, "", exp, 0, 3*q, 4*q))
	put(t, as, unit(a, T0.Add(time.Hour), "", exp, 0, q))
	put(t, as, unit(b, T0, "", exp, 0, 4*q))
	put(t, as, unit(c, T0, "", exp, 0))
	key := func(bs []backoffice.AggregateBucket) string {
		var s string
		for _, b := range bs {
			s += fmt.Sprintf("%s/%d/%d ", b.Sensor, b.Hour.Sub(T0)/time.Hour, b.Start.Sub(T0)/q)
		}
		return s
	}
	for _, tc := range []struct {
		q    backoffice.BucketQuery
		want string
	}{
		{backoffice.BucketQuery{Store: a.Store}, "entrance/0/0 tills/0/0 entrance/0/3 entrance/0/4 entrance/1/4 tills/0/4 entrance/1/5 "},
		{backoffice.BucketQuery{Store: a.Store, Sensor: b.Sensor}, "tills/0/0 tills/0/4 "},
		{backoffice.BucketQuery{Store: a.Store, From: T0.Add(q), To: T0.Add(5 * q)}, "entrance/0/3 entrance/0/4 entrance/1/4 tills/0/4 "},
		{backoffice.BucketQuery{Store: a.Store, To: T0.Add(q)}, "entrance/0/0 tills/0/0 "},
		{backoffice.BucketQuery{Store: c.Store}, "entrance/0/0 "},
		{backoffice.BucketQuery{Store: "nowhere"}, ""},
	} {
		if got := key(buckets(t, as, tc.q)); got != tc.want {
			t.Errorf("%+v:\n got %s\nwant %s", tc.q, got, tc.want)
		}
	}
	stop := errors.New("stop")
	n := 0
	if err := as.AggregateBuckets(ctx, backoffice.BucketQuery{Store: a.Store}, func(backoffice.AggregateBucket) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Errorf("AggregateBuckets did not stop at fn's error: %v after %d", err, n)
	}
}

func testTrackHours(t *testing.T, s backoffice.Store, as backoffice.AggregateStore) {
	write(t, s, backoffice.Batch{Tracks: []backoffice.Track{
		track(a, "01", 0, T0, 3, 90), track(a, "01", 1, T0.Add(59*time.Minute), 3, 90), track(a, "02", 0, T0.Add(time.Hour), 3, 90),
		track(a, "03", 0, T0.Add(-25*time.Hour+time.Minute), 3, 90), track(b, "04", 0, T0, 3, 90),
	}})
	hs, err := as.TrackHours(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	want := []backoffice.HourCount{{Hour: T0.Add(-25 * time.Hour), Segments: 1}, {Hour: T0, Segments: 2}, {Hour: T0.Add(time.Hour), Segments: 1}}
	if fmt.Sprint(hs) != fmt.Sprint(want) {
		t.Errorf("TrackHours:\n got %v\nwant %v", hs, want)
	}
	if hs, err := as.TrackHours(ctx, backoffice.SensorKey{Store: "x", Sensor: "y"}); err != nil || len(hs) != 0 {
		t.Errorf("TrackHours of an unknown sensor: %v, %v", hs, err)
	}
}

func testNoiseKey(t *testing.T, _ backoffice.Store, as backoffice.AggregateStore) {
	k1, err := as.NoiseKey(ctx, []byte("first key, 32 bytes long........"))
	if err != nil || string(k1) != "first key, 32 bytes long........" {
		t.Fatalf("first NoiseKey: %q, %v", k1, err)
	}
	k2, err := as.NoiseKey(ctx, []byte("second key"))
	if err != nil || !bytes.Equal(k1, k2) {
		t.Errorf("second NoiseKey: %q, %v; want the first key again", k2, err)
	}
}

func testPurgeAggregates(t *testing.T, s backoffice.Store, as backoffice.AggregateStore) {
	// a promises 30 days for tracks and 120 for aggregates (see notice); c sent no notice (1 day for both).
	day := 24 * time.Hour
	write(t, s, backoffice.Batch{
		Sensors: []backoffice.SensorUpdate{notice(a, T0, 30), seen(c, T0)},
		Tracks:  []backoffice.Track{track(a, "a1", 0, T0.Add(-31*day), 3, 30)},
	})
	far := T0.Add(1000 * day)
	put(t, as, unit(a, T0.Add(-121*day), "", far, 0, 15*time.Minute))
	put(t, as, unit(a, T0.Add(-119*day), "", far, 0))
	put(t, as, unit(a, T0.Add(-31*day), "", far, 0))
	put(t, as, unit(a, T0.Add(-time.Hour), "", T0, 0)) // its own promise ends now
	put(t, as, unit(c, T0.Add(-25*time.Hour), "", far, 0))
	put(t, as, unit(c, T0.Add(-time.Hour), "", far, 0))
	dry := purge(t, s, T0, 0, true)
	if dry.AggregateHours() != 3 || len(units(t, as, a)) != 4 {
		t.Errorf("dry run: counted %d aggregate hours (want 3), and kept %d units of a (want 4)", dry.AggregateHours(), len(units(t, as, a)))
	}
	rep := purge(t, s, T0, 0, false)
	if tr, _ := rep.Total(); tr != 1 || rep.AggregateHours() != 3 {
		t.Errorf("purged %d tracks and %d aggregate hours, want 1 and 3: %+v", tr, rep.AggregateHours(), rep.Sensors)
	}
	hours := func(k backoffice.SensorKey) (out []int) {
		for _, u := range units(t, as, k) {
			out = append(out, int(T0.Sub(u.Hour)/time.Hour))
		}
		return out
	}
	// The aggregates outlive the tracks they came from (a1, 31 days old, is gone; its hour's unit stays).
	if got := fmt.Sprint(hours(a)); got != "[2856 744]" {
		t.Errorf("%s keeps units of %s hours ago, want [2856 744]", a, got)
	}
	if got := fmt.Sprint(hours(c)); got != "[1]" {
		t.Errorf("%s keeps units of %s hours ago, want [1]", c, got)
	}
	if bs := buckets(t, as, backoffice.BucketQuery{Store: a.Store, Sensor: a.Sensor, To: T0.Add(-120 * day)}); len(bs) != 0 {
		t.Errorf("buckets of purged units are left: %+v", bs)
	}
	runs, err := s.PurgeRuns(ctx, 1)
	if err != nil || len(runs) != 1 {
		t.Fatalf("PurgeRuns: %v, %v", runs, err)
	}
	var pa, pc backoffice.Purged
	for _, p := range runs[0].Sensors {
		switch p.SensorKey {
		case a:
			pa = p
		case c:
			pc = p
		}
	}
	if pa.AggregateDays != 120 || pa.AggregateHours != 2 || !pa.AggregateCutoff.Equal(T0.Add(-120*day)) || pa.Tracks != 1 {
		t.Errorf("purge log of %s: %+v", a, pa)
	}
	if pc.AggregateDays != backoffice.UnknownNoticeDays || pc.AggregateHours != 1 {
		t.Errorf("purge log of %s (no notice): %+v", c, pc)
	}
}
