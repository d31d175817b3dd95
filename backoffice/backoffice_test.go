package backoffice_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/backoffice"
)

func TestPointsRoundTrip(t *testing.T) {
	for _, c := range []struct {
		space string
		pts   []backoffice.Point
	}{
		{event.SpaceFloor, []backoffice.Point{{0, -4.05, 0.5}, {500, -3.9, 0.612}, {1000, 12345.678, -0.001}}},
		{event.SpaceImage, []backoffice.Point{{0, 0, 1}, {700, 0.12345, 0.99999}, {700, 1, 0}}},
		{event.SpaceFloor, []backoffice.Point{{0, 0, 0}}},
	} {
		b, err := backoffice.EncodePoints(c.space, c.pts)
		if err != nil {
			t.Fatal(err)
		}
		got, err := backoffice.DecodePoints(c.space, b)
		if err != nil || !reflect.DeepEqual(got, c.pts) {
			t.Errorf("%s: %v decoded as %v (%v)", c.space, c.pts, got, err)
		}
	}
	if _, err := backoffice.EncodePoints(event.SpaceFloor, []backoffice.Point{{T: 5}, {T: 4}}); err == nil {
		t.Error("points out of time order encoded")
	}
	if _, err := backoffice.EncodePoints("world", nil); err == nil {
		t.Error("unknown space encoded")
	}
}

// TestPointsBlobSize pins the size that the README's storage figures use.
func TestPointsBlobSize(t *testing.T) {
	var pts []backoffice.Point
	for i := range 240 { // 2 minutes at 2 Hz, walking at about 1 m/s in 0.1 m steps
		pts = append(pts, backoffice.Point{T: int64(i) * 500, X: float64(i*5) / 10, Y: float64(i%7) / 10})
	}
	b, err := backoffice.EncodePoints(event.SpaceFloor, pts)
	if err != nil {
		t.Fatal(err)
	}
	if perPoint := float64(len(b)) / 240; perPoint > 6 {
		t.Errorf("%d bytes for 240 points: %.1f a point", len(b), perPoint)
	}
}

func FuzzDecodePoints(f *testing.F) {
	good, _ := backoffice.EncodePoints(event.SpaceFloor, []backoffice.Point{{0, 1, 2}, {500, 1.5, 2.5}})
	f.Add(good)
	f.Add([]byte{1, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		pts, err := backoffice.DecodePoints(event.SpaceFloor, b)
		if err != nil {
			return
		}
		again, err := backoffice.EncodePoints(event.SpaceFloor, pts)
		if err == nil && len(again) > len(b) {
			t.Errorf("re-encoding grew %d bytes to %d", len(b), len(again))
		}
	})
}

func walk(n int) event.Track {
	tr := event.Track{V: 1, Sensor: "cam", ID: "00112233445566778899aabb", Space: event.SpaceFloor, W: 640, H: 480, Final: true}
	t0 := time.Date(2030, 3, 4, 10, 17, 23, 456e6, time.UTC).UnixMilli()
	for i := range n {
		tr.Points = append(tr.Points, event.Point{F: uint64(100 + i), T: t0 + int64(i)*100, X: 1.234 + 0.05*float64(i), Y: 2.345})
	}
	return tr
}

func TestNewTrackMinimises(t *testing.T) {
	k := backoffice.SensorKey{Store: "s1", Sensor: "cam"}
	tr, reason, err := backoffice.NewTrack(k, walk(41), backoffice.DefaultMinimisation())
	if err != nil || reason != "" {
		t.Fatal(reason, err)
	}
	if want := time.Date(2030, 3, 4, 10, 17, 0, 0, time.UTC); !tr.Start.Equal(want) {
		t.Errorf("start %v, want %v (rounded down to the minute)", tr.Start, want)
	}
	var ts []int64
	for _, p := range tr.Points {
		ts = append(ts, p.T)
	}
	if fmt.Sprint(ts) != "[0 500 1000 1500 2000 2500 3000 3500 4000]" || !tr.Minimised {
		t.Errorf("times %v relative to the first point at 2 Hz", ts)
	}
	if p := tr.Points[1]; p.X != 1.5 || p.Y != 2.3 {
		t.Errorf("point 1 (%v, %v), want (1.5, 2.3)", p.X, p.Y)
	}
	if _, reason, _ := backoffice.NewTrack(k, walk(10), backoffice.DefaultMinimisation()); reason != backoffice.DropDuration {
		t.Errorf("a 0.9 s track: %q", reason)
	}
	raw, _, _ := backoffice.NewTrack(k, walk(10), backoffice.Minimisation{})
	if len(raw.Points) != 10 || raw.Minimised || raw.Start.UnixMilli() != walk(1).Points[0].T {
		t.Errorf("minimisation off changed the track: %+v", raw)
	}
}

func TestNewTrackRejects(t *testing.T) {
	k := backoffice.SensorKey{Store: "s1", Sensor: "cam"}
	bad := map[string]func(*event.Track){
		"other sensor":  func(tr *event.Track) { tr.Sensor = "other" },
		"out of order":  func(tr *event.Track) { tr.Points[3].T -= 1000 },
		"far away":      func(tr *event.Track) { tr.Points[2].X = 1e9 },
		"longer a day":  func(tr *event.Track) { tr.Points[len(tr.Points)-1].T += 25 * 3600 * 1000 },
		"without point": func(tr *event.Track) { tr.Points = nil },
	}
	for name, f := range bad {
		tr := walk(30)
		f(&tr)
		if _, _, err := backoffice.NewTrack(k, tr, backoffice.DefaultMinimisation()); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestRetention(t *testing.T) {
	cases := []struct {
		max, promise, days int
		clamped            bool
	}{
		{0, 90, 90, false},
		{30, 90, 30, false}, // the office keeps less: fine
		{365, 90, 90, true}, // the office would keep more: clamped to the promise
		{0, 0, backoffice.UnknownNoticeDays, false},
		{30, 0, backoffice.UnknownNoticeDays, true},
	}
	for _, c := range cases {
		days, clamped := backoffice.Retention{MaxDays: c.max}.Days(c.promise)
		if days != c.days || clamped != c.clamped {
			t.Errorf("max %d, promise %d: %d days clamped %v, want %d %v", c.max, c.promise, days, clamped, c.days, c.clamped)
		}
	}
	r := backoffice.Retention{}
	start := time.Date(2030, 3, 4, 10, 17, 0, 0, time.UTC)
	if got := r.Expires(start, start.Add(time.Hour), 2, time.Minute); !got.Equal(start.Add(48 * time.Hour)) {
		t.Errorf("expires %v", got)
	}
	// A sensor clock 3 h ahead cannot stretch the promise: age counts from the receipt.
	recv := start.Add(-3*time.Hour + 1234*time.Millisecond)
	if got := r.Expires(start, recv, 2, time.Minute); !got.Equal(start.Add(45 * time.Hour)) {
		t.Errorf("expires %v with a clock ahead", got)
	}
	now := time.Date(2030, 3, 4, 12, 0, 0, 0, time.UTC)
	plan := backoffice.Retention{MaxDays: 60, Margin: time.Hour}.Plan(now, []backoffice.Sensor{
		{SensorKey: backoffice.SensorKey{Store: "s", Sensor: "a"}, RetentionDays: 30},
		{SensorKey: backoffice.SensorKey{Store: "s", Sensor: "b"}},
	})
	if !plan.Horizon.Equal(now.Add(time.Hour)) || len(plan.Limits) != 2 {
		t.Fatalf("plan %+v", plan)
	}
	if l := plan.Limits[0]; l.Days != 30 || !l.Clamped || !l.Cutoff.Equal(now.Add(time.Hour-30*24*time.Hour)) {
		t.Errorf("limit a %+v", l)
	}
	if l := plan.Limits[1]; l.Days != 1 || !l.NoNotice {
		t.Errorf("limit b %+v", l)
	}
}

func TestFlags(t *testing.T) {
	now := time.Date(2030, 3, 4, 12, 0, 0, 0, time.UTC)
	k := backoffice.SensorKey{Store: "s", Sensor: "a"}
	w := backoffice.Watch{ExpectNotice: map[backoffice.SensorKey]string{k: "good"}}
	ok := backoffice.Sensor{SensorKey: k, LastSeen: now.Add(-time.Minute), NoticeHash: "good", PrivacyState: event.PrivacyCapturing,
		Status: json.RawMessage(`{"v":1,"state":"online","birth":1}`)}
	if f := w.Flags(ok, now); f != nil {
		t.Errorf("healthy sensor flagged %v", f)
	}
	bad := ok
	bad.NoticeHash, bad.PrivacyState, bad.LastSeen = "other", event.PrivacyFault, now.Add(-6*time.Minute)
	bad.Status = json.RawMessage(`{"v":1,"state":"online","birth":1,"warnings":["no indicator LED"]}`)
	want := []backoffice.Flag{backoffice.FlagNoticeMismatch, backoffice.FlagFault, backoffice.FlagWarnings, backoffice.FlagOffline}
	if f := w.Flags(bad, now); !reflect.DeepEqual(f, want) {
		t.Errorf("flags %v, want %v", f, want)
	}
	none := ok
	none.NoticeHash = ""
	if f := w.Flags(none, now); !backoffice.HasFlag(f, backoffice.FlagNoNotice) || len(f) != 1 {
		t.Errorf("no notice: %v", f)
	}
}
