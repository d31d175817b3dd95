package analytics_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/backoffice/analytics"
	"github.com/ashiato/ashiato/backoffice/sqlite"
)

var ctx = context.Background()

var tokyo = time.FixedZone("JST", 9*3600)

func openDB(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// putPaths analyses paths as the tracks of sensor "entrance" and stores their buckets as one unit per
// path (the Service sums units and sensors alike).
func putPaths(t *testing.T, db *sqlite.DB, l *analytics.Layout, paths ...analytics.Path) {
	t.Helper()
	for i, p := range paths {
		acc := analytics.Acc{}
		analytics.Analyse(l, p, acc)
		hour := time.Unix(int64(p[0].T), 0).UTC().Truncate(time.Hour)
		u := backoffice.AggregateUnit{SensorKey: backoffice.SensorKey{Store: l.Store, Sensor: "entrance"},
			Hour: hour.Add(time.Duration(i) * 1000 * time.Hour), LayoutHash: l.Hash(), Expires: hour.Add(1000 * 24 * time.Hour)}
		for _, b := range acc.Buckets() {
			u.Buckets = append(u.Buckets, backoffice.AggregateBucket{Start: b.Start, Data: b.Encode()})
		}
		if err := db.PutAggregates(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
}

// walkInAt is a path through the door starting at at.
func walkInAt(at time.Time) analytics.Path {
	p := walk(pt{0, 2, -2}, pt{4, 2, 2})
	shift := float64(at.Unix()) - base
	for i := range p {
		p[i].T += shift
	}
	return p
}

func service(t *testing.T, db *sqlite.DB, o analytics.Options) *analytics.Service {
	t.Helper()
	if o.Location == nil {
		o.Location = tokyo
	}
	s, err := analytics.NewService(db, db, []analytics.Layout{testLayout()}, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFootfallAgainstLastWeek(t *testing.T) {
	db := openDB(t)
	l := testLayout()
	day := time.Date(2030, 3, 11, 0, 0, 0, 0, tokyo)
	var paths []analytics.Path
	for i := range 3 { // 3 people at 10:xx today
		paths = append(paths, walkInAt(day.Add(10*time.Hour+time.Duration(i)*time.Minute)))
	}
	paths = append(paths, walkInAt(day.Add(-7*24*time.Hour+15*time.Hour))) // 1 at 15:00 a week earlier
	paths = append(paths, walkInAt(day.Add(-time.Minute)))                 // yesterday: neither
	putPaths(t, db, &l, paths...)
	f, err := service(t, db, analytics.Options{}).Footfall(ctx, "store-1", day.Add(13*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !f.Day.Equal(day) || len(f.Hours) != 24 || len(f.LastWeek) != 24 {
		t.Fatalf("footfall of %v: %d and %d hours", f.Day, len(f.Hours), len(f.LastWeek))
	}
	if f.Hours[10].In != 3 || f.Hours[10].Entries != 3 || f.Total.In != 3 || !f.Hours[10].Start.Equal(day.Add(10*time.Hour)) {
		t.Errorf("today: hour 10 %+v, total %+v", f.Hours[10], f.Total)
	}
	if f.LastWeek[15].In != 1 || f.LastWeekTotal.In != 1 {
		t.Errorf("last week: hour 15 %+v, total %+v", f.LastWeek[15], f.LastWeekTotal)
	}
}

func TestPublicFootfallSuppression(t *testing.T) {
	db := openDB(t)
	l := testLayout()
	day := time.Date(2030, 3, 11, 0, 0, 0, 0, tokyo)
	var paths []analytics.Path
	// 4 people at 9:xx (< k = 5), 5 at 10:xx (= k), 12 at 11:xx.
	for h, n := range map[int]int{9: 4, 10: 5, 11: 12} {
		for i := range n {
			paths = append(paths, walkInAt(day.Add(time.Duration(h)*time.Hour+time.Duration(i)*time.Minute)))
		}
	}
	putPaths(t, db, &l, paths...)
	p, err := service(t, db, analytics.Options{}).PublicFootfall(ctx, "store-1", day)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Available || p.K != 5 || p.Noise || len(p.Hours) != 24 {
		t.Fatalf("public footfall: %+v", p)
	}
	for h, ph := range p.Hours {
		want := map[int]int{10: 5, 11: 12}[h]
		if suppressed := want == 0; ph.Suppressed != suppressed || ph.Entries != want {
			t.Errorf("hour %d: %+v, want %d entries (suppressed %v)", h, ph, want, suppressed)
		}
	}
	// k = 13 suppresses every hour.
	p, _ = service(t, db, analytics.Options{K: 13}).PublicFootfall(ctx, "store-1", day)
	for h, ph := range p.Hours {
		if !ph.Suppressed || ph.Entries != 0 {
			t.Errorf("k = 13, hour %d: %+v", h, ph)
		}
	}
}

func TestPublicCSV(t *testing.T) {
	db := openDB(t)
	l := testLayout()
	day := time.Date(2030, 3, 11, 0, 0, 0, 0, tokyo)
	var paths []analytics.Path
	for i := range 6 { // 6 people through the door and the same cells at 10:xx
		paths = append(paths, walkInAt(day.Add(10*time.Hour+time.Duration(i)*time.Minute)))
	}
	odd := walkInAt(day.Add(10*time.Hour + 30*time.Minute)) // one person who also walks off alone
	odd = append(odd, analytics.TimedXY{T: odd[len(odd)-1].T + 10, XY: analytics.XY{X: 12, Y: 2}})
	paths = append(paths, odd)
	putPaths(t, db, &l, paths...)
	s := service(t, db, analytics.Options{})
	rows := func(public bool) [][]string {
		var buf bytes.Buffer
		if err := s.WriteCSV(ctx, &buf, analytics.Export{Range: analytics.Range{Store: "store-1", From: day.Add(9 * time.Hour),
			To: day.Add(11 * time.Hour), Step: analytics.StepHour}, Public: public}); err != nil {
			t.Fatal(err)
		}
		rs, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(rs[0], ",") != "store,start,end,metric,key,value,suppressed" {
			t.Fatalf("header %v", rs[0])
		}
		return rs[1:]
	}
	find := func(rs [][]string, start, metric, key string) []string {
		for _, r := range rs {
			if strings.HasPrefix(r[1], start) && r[3] == metric && r[4] == key {
				return r
			}
		}
		return nil
	}
	pub := rows(true)
	if r := find(pub, "2030-03-11T10:00:00+09:00", "footfall", ""); r == nil || r[5] != "7" || r[6] != "false" {
		t.Errorf("public footfall at 10:00: %v", r)
	}
	if r := find(pub, "2030-03-11T09:00:00+09:00", "footfall", ""); r == nil || r[5] != "" || r[6] != "true" {
		t.Errorf("public footfall at 9:00 (nobody): %v, want suppressed", r)
	}
	cells, hot := 0, 0
	for _, r := range pub {
		if r[3] == "heat_visits" {
			cells++
			if r[5] == "7" {
				hot++
			}
		}
		if r[3] == "heat_seconds" || r[3] == "zone_dwell_p50_s" || r[3] == "occupancy_peak" {
			t.Errorf("public export has %v", r)
		}
	}
	// The door cells (7 tracks) are published, the cells only the odd walker entered are left out.
	if cells == 0 || cells != hot {
		t.Errorf("public heat: %d cells, %d with 7 visits; want only the 7-visit cells", cells, hot)
	}
	op := rows(false)
	opCells := 0
	for _, r := range op {
		if r[3] == "heat_visits" && strings.HasPrefix(r[1], "2030-03-11T10") {
			opCells++
		}
	}
	if opCells <= cells {
		t.Errorf("operator heat has %d cells, public %d: the operator sees every cell", opCells, cells)
	}
	if r := find(op, "2030-03-11T10:00:00+09:00", "line_in", "door"); r == nil || r[5] != "7" {
		t.Errorf("operator line_in: %v", r)
	}
}

// TestNoise checks the noise mode's distribution over many published hours: centred on the true count,
// with the Laplace distribution's spread for ε, the same answer when asked again, and another with
// another key.
func TestNoise(t *testing.T) {
	db := openDB(t)
	l := testLayout()
	const eps, count = 0.5, 20
	day := time.Date(2030, 3, 11, 0, 0, 0, 0, tokyo)
	// count people every hour for 40 days: 960 published hours.
	const days = 40
	var units []backoffice.AggregateUnit
	for d := range days {
		for h := range 24 {
			at := day.AddDate(0, 0, d).Add(time.Duration(h) * time.Hour)
			b := analytics.NewBucket(at.UTC())
			b.Entries = count
			b.Lines["door"] = &analytics.LineAgg{In: count, Tracks: count}
			units = append(units, backoffice.AggregateUnit{SensorKey: backoffice.SensorKey{Store: "store-1", Sensor: "entrance"},
				Hour: at.UTC(), LayoutHash: l.Hash(), Expires: at.Add(1000 * 24 * time.Hour),
				Buckets: []backoffice.AggregateBucket{{Start: at.UTC(), Data: b.Encode()}}})
		}
	}
	for _, u := range units {
		if err := db.PutAggregates(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	s := service(t, db, analytics.Options{Noise: true, Epsilon: eps})
	var sum, sumAbs, within float64
	n := 0
	for d := range days {
		p, err := s.PublicFootfall(ctx, "store-1", day.AddDate(0, 0, d))
		if err != nil {
			t.Fatal(err)
		}
		again, _ := s.PublicFootfall(ctx, "store-1", day.AddDate(0, 0, d))
		if !p.Noise || p.Epsilon != eps {
			t.Fatalf("noise not reported: %+v", p)
		}
		for i, h := range p.Hours {
			if h.Suppressed {
				t.Fatalf("hour %v suppressed", h.Start)
			}
			if again.Hours[i].Entries != h.Entries {
				t.Errorf("hour %v: %d, then %d when asked again", h.Start, h.Entries, again.Hours[i].Entries)
			}
			x := float64(h.Entries - count)
			sum += x
			sumAbs += math.Abs(x)
			if math.Abs(x) <= 1/eps {
				within++
			}
			n++
		}
	}
	// Laplace(b = 1/ε = 2), rounded: mean 0, mean |x| ≈ b, P(|x| ≤ b) ≈ 1 − 1/e ≈ 0.63 (more with
	// rounding). Bounds are about five standard errors wide for n = 960.
	b := 1 / eps
	if mean := sum / float64(n); math.Abs(mean) > 0.35 {
		t.Errorf("mean noise %.3f, want about 0", mean)
	}
	if mad := sumAbs / float64(n); math.Abs(mad-b) > 0.35 {
		t.Errorf("mean |noise| %.3f, want about %.1f", mad, b)
	}
	if f := within / float64(n); f < 0.6 || f > 0.8 {
		t.Errorf("%.2f of the counts within ±b, want about 0.63 to 0.7", f)
	}
	if sumAbs == 0 {
		t.Fatal("no noise at all")
	}
	// Another office (another key) draws other noise.
	other := openDB(t)
	for _, u := range units[:24] {
		other.PutAggregates(ctx, u)
	}
	p1, _ := s.PublicFootfall(ctx, "store-1", day)
	p2, _ := service(t, other, analytics.Options{Noise: true, Epsilon: eps}).PublicFootfall(ctx, "store-1", day)
	same := 0
	for i := range p1.Hours {
		if p1.Hours[i].Entries == p2.Hours[i].Entries {
			same++
		}
	}
	if same == 24 {
		t.Error("two keys drew the same noise for 24 hours")
	}
}

func TestLaplaceQuantiles(t *testing.T) {
	for _, tc := range []struct{ u, want float64 }{{0.5, 0}, {0.25, -2 * math.Ln2}, {0.75, 2 * math.Ln2}, {1 - 0.5/math.E, 2}} {
		if got := analytics.Laplace(tc.u, 2); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("Laplace(%g, 2) = %g, want %g", tc.u, got, tc.want)
		}
	}
}

func TestLive(t *testing.T) {
	db := openDB(t)
	l := testLayout()
	now := time.Date(2030, 3, 11, 12, 0, 0, 0, tokyo)
	stats := func(k string, inView int, at time.Time) backoffice.SensorUpdate {
		p, err := json.Marshal(event.Stats{V: 1, InView: inView})
		if err != nil {
			t.Fatal(err)
		}
		return backoffice.SensorUpdate{Kind: backoffice.UpdateStats, SensorKey: backoffice.SensorKey{Store: "store-1", Sensor: k}, At: at, Live: true, Payload: p}
	}
	if _, err := db.Write(ctx, &backoffice.Batch{Sensors: []backoffice.SensorUpdate{
		stats("entrance", 3, now.Add(-10*time.Second)), stats("tills", 2, now.Add(-5*time.Second)), stats("old", 7, now.Add(-time.Hour)),
	}}); err != nil {
		t.Fatal(err)
	}
	putPaths(t, db, &l, walkInAt(now.Add(-2*time.Hour)), walkInAt(now.Add(-time.Hour)), walkInAt(now.Add(-13*time.Hour)))
	live, err := service(t, db, analytics.Options{}).Live(ctx, "store-1", now)
	if err != nil {
		t.Fatal(err)
	}
	if live.InView != 5 || len(live.Sensors) != 3 || live.NetToday == nil || *live.NetToday != 2 {
		t.Errorf("live: in view %d (want 5), %d sensors, net today %v (want 2)", live.InView, len(live.Sensors), live.NetToday)
	}
	if _, err := service(t, db, analytics.Options{}).Live(ctx, "elsewhere", now); err == nil {
		t.Error("live occupancy of a store without a layout")
	}
}

func TestBucketCodec(t *testing.T) {
	l := testLayout()
	acc := analytics.Acc{}
	for _, p := range []analytics.Path{
		path(pt{0, 29, 11}, pt{1, 31, 11}, pt{60.5, 31, 11}, pt{61.5, 29, 11}),
		path(pt{0, 9, 11}, pt{1, 11, 11}, pt{11, 11, 11}, pt{12, 13, 11}, pt{19, 19, 11}, pt{20, 21, 11}, pt{30, 21, 11}, pt{31, 23, 11}),
		walk(pt{0, 2, -2}, pt{4, 2, 2}),
	} {
		analytics.Analyse(&l, p, acc)
	}
	for _, b := range acc.Buckets() {
		data := b.Encode()
		got, err := analytics.DecodeBucket(b.Start, data)
		if err != nil {
			t.Fatal(err)
		}
		if again := got.Encode(); !bytes.Equal(again, data) {
			t.Errorf("bucket does not survive a round trip:\n%s\n%s", data, again)
		}
		if got.Entries != 1 || got.Queues["q"].Visits != 1 || got.OD[analytics.ODPair{From: "shelf", To: "till"}] != 1 {
			t.Errorf("decoded %+v", got)
		}
	}
	for _, bad := range []string{``, `{`, `{"v":2}`, `{"v":1,"s":[1,2]}`, `{"v":1,"h":[1,2,3]}`, `{"v":1,"z":{"a":null}}`,
		`{"v":1,"h":[99999999999,0,1,1]}`} {
		if _, err := analytics.DecodeBucket(T0, []byte(bad)); err == nil {
			t.Errorf("DecodeBucket accepted %q", bad)
		}
	}
}

func FuzzDecodeBucket(f *testing.F) {
	b := analytics.NewBucket(T0)
	b.Entries, b.Heat[analytics.Cell{X: 1, Y: -2}] = 3, &analytics.HeatAgg{Visits: 2, Seconds: 1.5}
	f.Add(b.Encode())
	f.Add([]byte(`{"v":1,"z":{"a":{"d":[3,1,400,2]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, err := analytics.DecodeBucket(T0, data); err == nil {
			got.Encode()
		}
	})
}

func TestHistQuantile(t *testing.T) {
	h := analytics.Hist{}
	for _, s := range []float64{0.2, 3.7, 3.9, 150, 700, 5000, 20000} {
		h.Observe(s)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.1, 500 * time.Millisecond}, {0.3, 3500 * time.Millisecond}, {0.5, 152500 * time.Millisecond}, {0.7, 705 * time.Second},
		{0.8, 4950 * time.Second}, {1, 14400 * time.Second}} {
		if got := h.Quantile(tc.q); got != tc.want {
			t.Errorf("Quantile(%g) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if got := (analytics.Hist{}).Quantile(0.5); got != 0 {
		t.Errorf("empty: %v", got)
	}
}
