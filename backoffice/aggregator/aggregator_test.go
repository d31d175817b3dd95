package aggregator_test

import (
	"context"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/backoffice/aggregator"
	"github.com/ashiato/ashiato/backoffice/analytics"
	"github.com/ashiato/ashiato/backoffice/sqlite"
)

var (
	ctx = context.Background()
	T0  = time.Date(2030, 3, 4, 10, 0, 0, 0, time.UTC)
	day = 24 * time.Hour
	a   = backoffice.SensorKey{Store: "store-1", Sensor: "entrance"}
	b   = backoffice.SensorKey{Store: "store-1", Sensor: "tills"}
)

func layout(lineX float64) analytics.Layout {
	return analytics.Layout{Store: "store-1", Space: event.SpaceFloor,
		Lines: []analytics.Line{{Name: "door", A: analytics.XY{X: lineX, Y: 0}, B: analytics.XY{X: lineX + 4, Y: 0}, Entrance: true}}}
}

// walkIn is a track of k that walks in through the door (x = 2, y from -2 to 2 in 4 s) starting at start.
func walkIn(k backoffice.SensorKey, id string, start time.Time) backoffice.Track {
	tr := backoffice.Track{Store: k.Store, Sensor: k.Sensor, ID: id, Final: true, Space: event.SpaceFloor, Start: start,
		Expires: start.Add(30 * day), Minimised: true}
	for i := range 9 {
		tr.Points = append(tr.Points, backoffice.Point{T: int64(i) * 500, X: 2, Y: -2 + float64(i)/2})
	}
	return tr
}

type rig struct {
	db  *sqlite.DB
	job *aggregator.Job
	now time.Time
}

func newRig(t *testing.T) *rig {
	db, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r := &rig{db: db, now: T0.Add(2 * time.Hour)}
	r.job = &aggregator.Job{Store: db, Layouts: []analytics.Layout{layout(0)}, Now: func() time.Time { return r.now }}
	return r
}

func (r *rig) write(t *testing.T, trs ...backoffice.Track) {
	t.Helper()
	ups := []backoffice.SensorUpdate{
		{Kind: backoffice.UpdateNotice, SensorKey: a, At: T0.Add(-100 * day), RetentionDays: 30, AggregateRetentionDays: 365, NoticeHash: "x"},
		{Kind: backoffice.UpdateNotice, SensorKey: b, At: T0.Add(-100 * day), RetentionDays: 30, AggregateRetentionDays: 365, NoticeHash: "x"},
	}
	if _, err := r.db.Write(ctx, &backoffice.Batch{Sensors: ups, Tracks: trs}); err != nil {
		t.Fatal(err)
	}
}

func (r *rig) once(t *testing.T) aggregator.Report {
	t.Helper()
	rep, err := r.job.Once(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// ins returns the door's in-count over [from, to) as the Service reports it.
func (r *rig) ins(t *testing.T, from, to time.Time) int {
	t.Helper()
	svc, err := analytics.NewService(r.db, r.db, r.job.Layouts, analytics.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ivs, err := svc.Series(ctx, analytics.Range{Store: "store-1", From: from, To: to, Step: analytics.StepDay})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, iv := range ivs {
		n += iv.Lines[0].In
	}
	return n
}

func TestIncremental(t *testing.T) {
	r := newRig(t)
	r.write(t, walkIn(a, "01", T0), walkIn(a, "02", T0.Add(10*time.Minute)), walkIn(b, "03", T0.Add(time.Hour)))
	if rep := r.once(t); rep.Units != 2 || rep.Tracks != 3 {
		t.Errorf("first run: %+v, want 2 units and 3 tracks", rep)
	}
	if n := r.ins(t, T0, T0.Add(day)); n != 3 {
		t.Errorf("%d in, want 3", n)
	}
	// Nothing new: nothing recomputed.
	if rep := r.once(t); rep.Units != 0 {
		t.Errorf("second run recomputed %d units", rep.Units)
	}
	// A new track in a computed hour recomputes that hour (and those whose window it falls in) once.
	r.write(t, walkIn(a, "04", T0.Add(20*time.Minute)))
	if rep := r.once(t); rep.Units != 1 {
		t.Errorf("after a new track: %+v, want 1 unit", rep)
	}
	if n := r.ins(t, T0, T0.Add(day)); n != 4 {
		t.Errorf("%d in, want 4", n)
	}
}

func TestSegmentsArriveLate(t *testing.T) {
	r := newRig(t)
	// A long track: its first segment does not cross the door; the second, arriving later, does.
	seg0 := walkIn(a, "05", T0)
	seg0.Points, seg0.Final = seg0.Points[:3], false // y from -2 to -1
	seg1 := walkIn(a, "05", T0.Add(time.Hour+5*time.Minute))
	seg1.Seg, seg1.Points = 1, seg1.Points[3:]
	for i := range seg1.Points {
		seg1.Points[i].T -= 1500
	}
	r.write(t, seg0)
	r.once(t)
	if n := r.ins(t, T0, T0.Add(day)); n != 0 {
		t.Errorf("first segment: %d in, want 0", n)
	}
	r.write(t, seg1)
	r.once(t)
	if n := r.ins(t, T0, T0.Add(day)); n != 1 {
		t.Errorf("both segments: %d in, want 1 (the track, not counted again by the hour of its second segment)", n)
	}
}

func TestLayoutChangeAndPurge(t *testing.T) {
	r := newRig(t)
	old, recent := T0.Add(-40*day), T0.Add(-time.Hour)
	r.write(t, walkIn(a, "06", old), walkIn(a, "07", recent))
	r.now = T0
	r.once(t)
	if n := r.ins(t, old.Add(-day), T0); n != 2 {
		t.Fatalf("%d in, want 2", n)
	}
	// The purge deletes the old track (30 days); its aggregates stay (365 days).
	ss, _ := r.db.Sensors(ctx)
	if _, err := r.db.Purge(ctx, backoffice.Retention{}.Plan(T0, ss)); err != nil {
		t.Fatal(err)
	}
	if n := r.ins(t, old.Add(-day), T0); n != 2 {
		t.Errorf("after the purge of the raw track: %d in, want 2", n)
	}
	// The door moves away from the path: the recent unit is recomputed (0 in), the purged one is not.
	r.job.Layouts = []analytics.Layout{layout(10)}
	rep := r.once(t)
	if rep.Units != 1 || rep.Frozen != 1 {
		t.Errorf("after the layout change: %+v, want 1 unit recomputed and 1 frozen", rep)
	}
	if n := r.ins(t, old.Add(-day), old.Add(day)); n != 1 {
		t.Errorf("the purged hour: %d in, want the 1 computed with the old layout", n)
	}
	if n := r.ins(t, T0.Add(-day), T0); n != 0 {
		t.Errorf("the kept hour: %d in, want 0 with the new layout", n)
	}
	units, _ := r.db.AggregateUnits(ctx, a)
	for _, u := range units {
		if want := u.Hour.Add(365 * day); !u.Expires.Equal(want) {
			t.Errorf("unit %v expires %v, want %v (the aggregate promise)", u.Hour, u.Expires, want)
		}
	}
	// A sensor taken out of the layout loses its recomputable units.
	l := layout(0)
	l.Sensors = []string{b.Sensor}
	r.job.Layouts = []analytics.Layout{l}
	if rep := r.once(t); rep.Deleted != 1 {
		t.Errorf("sensor left the layout: %+v, want 1 unit deleted", rep)
	}
}

func TestOtherSpaceSkipped(t *testing.T) {
	r := newRig(t)
	tr := walkIn(a, "08", T0)
	tr.Space = event.SpaceImage
	for i := range tr.Points {
		tr.Points[i].X, tr.Points[i].Y = 0.5, 0.1*float64(i)
	}
	r.write(t, tr)
	if rep := r.once(t); rep.Skipped != 1 || rep.Tracks != 0 {
		t.Errorf("an image track under a floor layout: %+v", rep)
	}
}

// TestAggregatesShorterThanTracks: with an office limit on aggregates shorter than the tracks' retention,
// the job does not compute again what the purge removed.
func TestAggregatesShorterThanTracks(t *testing.T) {
	r := newRig(t)
	r.now = T0
	r.job.AggregateMaxDays = 7
	r.write(t, walkIn(a, "09", T0.Add(-10*day)), walkIn(a, "10", T0.Add(-time.Hour)))
	if rep := r.once(t); rep.Units != 1 {
		t.Errorf("%+v: want only the recent unit computed", rep)
	}
	if n := r.ins(t, T0.Add(-20*day), T0); n != 1 {
		t.Errorf("%d in, want 1", n)
	}
}
