package minimise_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/agent/minimise"
)

// walk is a floor track of n points every dt, moving dx metres per point along x, starting at t0.
func walk(n int, dt time.Duration, dx float64) event.Track {
	tr := event.Track{V: 1, Sensor: "s", ID: "00112233445566778899aabb", Space: event.SpaceFloor, W: 640, H: 480, Final: true}
	t0 := int64(1_700_000_000_000)
	for i := range n {
		tr.Points = append(tr.Points, event.Point{F: uint64(i), T: t0 + int64(i)*dt.Milliseconds(), X: 1.234 + float64(i)*dx, Y: 2.345})
	}
	return tr
}

func TestDefaultDropsShortAndSmallTracks(t *testing.T) {
	r := minimise.Default()
	cases := []struct {
		name string
		tr   event.Track
		want minimise.Reason
	}{
		{"1.9 s", walk(20, 100*time.Millisecond, 0.2), minimise.ReasonDuration}, // 1.9 s, 3.8 m
		{"2 s", walk(21, 100*time.Millisecond, 0.2), ""},
		{"stays within 1 m", walk(100, 100*time.Millisecond, 0.0099), minimise.ReasonExtent}, // 0.98 m in 9.9 s
		{"reaches 1 m", walk(100, 100*time.Millisecond, 0.0102), ""},
		{"single point", walk(1, 0, 0), minimise.ReasonDuration},
	}
	for _, c := range cases {
		_, got := r.Apply(c.tr)
		if got != c.want {
			t.Errorf("%s: reason %q, want %q", c.name, got, c.want)
		}
	}
	// Image space: the extent is a fraction of the frame.
	im := walk(50, 100*time.Millisecond, 0.0009)
	im.Space = event.SpaceImage
	im.Points[0].X = 0.5
	for i := range im.Points {
		im.Points[i].X, im.Points[i].Y = 0.5+float64(i)*0.0009, 0.5
	}
	if _, got := r.Apply(im); got != minimise.ReasonExtent {
		t.Errorf("image track within 0.045 of the frame: reason %q, want extent", got)
	}
	// A segment is never dropped on its own, however short.
	seg := walk(3, 100*time.Millisecond, 0)
	seg.Seg, seg.Final = 2, true
	if out, got := r.Apply(seg); got != "" || len(out.Points) != 2 {
		t.Errorf("short last segment: reason %q, %d points; want kept with first and last", got, len(out.Points))
	}
	first := walk(3, 100*time.Millisecond, 0)
	first.Final = false
	if _, got := r.Apply(first); got != "" {
		t.Errorf("first segment of a long track dropped: %q", got)
	}
}

func TestResampleAtMostTwoHertzKeepingEnds(t *testing.T) {
	r := minimise.Rules{MinInterval: 500 * time.Millisecond}
	tr := walk(31, 100*time.Millisecond, 0.1) // 3.0 s at 10 Hz
	out, _ := r.Apply(tr)
	var ts []int64
	for _, p := range out.Points {
		ts = append(ts, p.T-tr.Points[0].T)
	}
	want := []int64{0, 500, 1000, 1500, 2000, 2500, 3000}
	if fmt.Sprint(ts) != fmt.Sprint(want) {
		t.Fatalf("times %v, want %v", ts, want)
	}
	// A last point sooner than the interval replaces the one kept before it.
	tr = walk(28, 100*time.Millisecond, 0.1) // 2.7 s
	out, _ = r.Apply(tr)
	ts = ts[:0]
	for _, p := range out.Points {
		ts = append(ts, p.T-tr.Points[0].T)
	}
	if want := []int64{0, 500, 1000, 1500, 2000, 2700}; fmt.Sprint(ts) != fmt.Sprint(want) {
		t.Fatalf("times %v, want %v", ts, want)
	}
	for i := 1; i < len(ts); i++ {
		if ts[i]-ts[i-1] < 500 {
			t.Errorf("points %d and %d are %d ms apart", i-1, i, ts[i]-ts[i-1])
		}
	}
	if len(tr.Points) != 28 {
		t.Error("Apply modified its input")
	}
}

func TestQuantise(t *testing.T) {
	r := minimise.Default()
	tr := walk(30, 100*time.Millisecond, 0.2)
	out, reason := r.Apply(tr)
	if reason != "" {
		t.Fatal(reason)
	}
	for _, p := range out.Points {
		for _, v := range []float64{p.X, p.Y} {
			if d := v*10 - math.Round(v*10); math.Abs(d) > 1e-9 || len(fmt.Sprint(v)) > 5 {
				t.Errorf("floor coordinate %v is not on the 0.1 m grid", v)
			}
		}
	}
	if got := out.Points[0]; got.X != 1.2 || got.Y != 2.3 {
		t.Errorf("first point (%v, %v), want (1.2, 2.3)", got.X, got.Y)
	}
	im := event.Track{Space: event.SpaceImage, Seg: 1, Points: []event.Point{{T: 0, X: 0.12345, Y: 0.99981}}}
	out, _ = r.Apply(im)
	if got := out.Points[0]; got.X != 0.123 || got.Y != 1 {
		t.Errorf("image point (%v, %v), want (0.123, 1)", got.X, got.Y)
	}
	// The zero Rules change nothing.
	out, reason = minimise.Rules{}.Apply(tr)
	if reason != "" || fmt.Sprint(out.Points) != fmt.Sprint(tr.Points) {
		t.Errorf("zero rules changed the track: %q", reason)
	}
}
