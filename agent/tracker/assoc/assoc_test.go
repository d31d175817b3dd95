package assoc

import (
	"math"
	"testing"
	"time"
)

// feed runs frames 0..n-1 at fps through a new Tracker; dets(i) gives frame i's detections.
func feed(cfg Config, n int, fps float64, dets func(i int) []Detection) []Track {
	tr := New(cfg)
	var out []Track
	for i := 0; i < n; i++ {
		out = append(out, tr.Update(uint64(i), int64(float64(i)*1000/fps), dets(i))...)
	}
	return append(out, tr.Flush()...)
}

func det(x, y float64) Detection { return Detection{X: x, Y: y, W: 35, H: 90, Score: 1} }

func TestCrossingPathsKeepIDs(t *testing.T) {
	// Two people cross diagonally; at frame 20 they are at the same point.
	tracks := feed(Config{}, 40, 10, func(i int) []Detection {
		s := float64(i - 20)
		return []Detection{det(300+6*s, 300+2*s), det(300+6*s, 300-2*s)}
	})
	if len(tracks) != 2 {
		t.Fatalf("got %d tracks, want 2", len(tracks))
	}
	for _, tr := range tracks {
		up := tr.Points[0].Y < 300 // started above: must end below
		last := tr.Points[len(tr.Points)-1]
		if (last.Y < 300) == up {
			t.Errorf("track %d started at y=%.0f and ended at y=%.0f: identities swapped", tr.ID, tr.Points[0].Y, last.Y)
		}
		if len(tr.Points) != 40 {
			t.Errorf("track %d has %d points, want 40", tr.ID, len(tr.Points))
		}
	}
}

func TestCoastBridgesGapAndInterpolates(t *testing.T) {
	// Seen, hidden for 1 s (10 frames), seen again on the same straight line.
	tracks := feed(Config{}, 40, 10, func(i int) []Detection {
		if i >= 15 && i < 25 {
			return nil
		}
		return []Detection{det(100+5*float64(i), 300)}
	})
	if len(tracks) != 1 {
		t.Fatalf("got %d tracks, want 1", len(tracks))
	}
	pts := tracks[0].Points
	if len(pts) != 40 {
		t.Fatalf("got %d points, want 40 (gap filled)", len(pts))
	}
	for i, p := range pts {
		if p.Frame != uint64(i) || math.Abs(p.X-(100+5*float64(i))) > 1e-9 || p.TimeMS != int64(i)*100 {
			t.Fatalf("point %d = %+v, want frame %d x %.0f", i, p, i, 100+5*float64(i))
		}
	}
}

func TestClosesAfterMaxCoast(t *testing.T) {
	tr := New(Config{MaxCoast: time.Second})
	var closedAt = -1
	for i := 0; i < 40; i++ {
		var d []Detection
		if i < 10 {
			d = []Detection{det(100+5*float64(i), 300)}
		}
		if got := tr.Update(uint64(i), int64(i)*100, d); len(got) > 0 {
			if closedAt >= 0 || len(got) != 1 {
				t.Fatalf("frame %d closed %d tracks (already closed at %d)", i, len(got), closedAt)
			}
			closedAt = i
			if n := len(got[0].Points); n != 10 {
				t.Errorf("closed track has %d points, want the 10 seen (no trailing coast)", n)
			}
		}
		if i < 10 && i >= 2 && tr.InView() != 1 {
			t.Fatalf("frame %d: InView %d, want 1", i, tr.InView())
		}
		if i >= 10 && tr.InView() != 0 {
			t.Fatalf("frame %d: InView %d while coasting, want 0", i, tr.InView())
		}
	}
	// Last seen at frame 9 (900 ms); closed once more than 1 s has passed.
	if closedAt != 20 {
		t.Fatalf("closed at frame %d, want 20", closedAt)
	}
}

func TestTentativeAndStartRules(t *testing.T) {
	// A detection seen twice (MinHits 3) is never reported.
	tracks := feed(Config{}, 10, 10, func(i int) []Detection {
		if i < 2 {
			return []Detection{det(100, 100)}
		}
		return nil
	})
	if len(tracks) != 0 {
		t.Fatalf("tentative track reported: %+v", tracks)
	}
	// Weak or NoStart detections cannot start tracks but do extend them.
	tracks = feed(Config{MinStartScore: 0.5}, 20, 10, func(i int) []Detection {
		weak := det(100+5*float64(i), 200)
		weak.Score = 0.3
		never := det(500, 100+3*float64(i))
		never.NoStart = true
		if i < 5 {
			return []Detection{det(100+5*float64(i), 200), never}
		}
		return []Detection{weak, never}
	})
	if len(tracks) != 1 || len(tracks[0].Points) != 20 {
		t.Fatalf("got %d tracks (%+v), want one of 20 points", len(tracks), tracks)
	}
}

func TestMinTravelHidesStaticTracks(t *testing.T) {
	static := func(i int) []Detection { return []Detection{det(200, 200)} }
	if got := feed(Config{}, 20, 10, static); len(got) != 1 {
		t.Fatalf("MinTravel 0: got %d tracks, want 1", len(got))
	}
	if got := feed(Config{MinTravel: 0.5}, 20, 10, static); len(got) != 0 {
		t.Fatalf("MinTravel 0.5: got %d tracks, want 0", len(got))
	}
}

func TestUpdateNoAllocsWhenWarm(t *testing.T) {
	tr := New(Config{})
	dets := make([]Detection, 10)
	i := 0
	step := func() {
		for k := range dets {
			dets[k] = det(50+70*float64(k)+float64(i%50), 300+float64(k%3)*60)
		}
		tr.Update(uint64(i), int64(i)*100, dets)
		i++
	}
	for range 20 {
		step()
	}
	// Points are appended to each track; capacity doubling makes that amortised, so average over many.
	if a := testing.AllocsPerRun(200, step); a >= 0.5 {
		t.Fatalf("%v allocs per Update, want 0 in steady state", a)
	}
}

// TestNoPointDetections: a person first seen cut off (NoPoint) is tracked from the start, but the track's
// points begin only where the feet are seen.
func TestNoPointDetections(t *testing.T) {
	tracks := feed(Config{}, 20, 10, func(i int) []Detection {
		d := det(100+5*float64(i), 300)
		d.NoPoint = i < 8
		return []Detection{d}
	})
	if len(tracks) != 1 {
		t.Fatalf("got %d tracks, want 1", len(tracks))
	}
	if p := tracks[0].Points; len(p) != 12 || p[0].Frame != 8 {
		t.Fatalf("points from frame %d, %d of them; want 12 from frame 8", p[0].Frame, len(p))
	}
	// Never a point: nothing to report.
	if tracks := feed(Config{}, 20, 10, func(i int) []Detection {
		d := det(100+5*float64(i), 300)
		d.NoPoint = true
		return []Detection{d}
	}); len(tracks) != 0 {
		t.Fatalf("a track without points was reported: %+v", tracks)
	}
}

// TestLongCoastFarAwayLeavesGap: after a coast longer than NoBridge that ends far from the prediction the
// gap is not filled; a short coast, or a long one that ends where the track was expected, is.
func TestLongCoastFarAwayLeavesGap(t *testing.T) {
	cases := []struct {
		name    string
		hidden  [2]int  // frames without a detection
		jump    float64 // where the person reappears, relative to walking on
		wantGap bool    // else every one of the 40 frames has a point
	}{
		{"short coast, far", [2]int{10, 15}, 80, false},
		{"long coast, on course", [2]int{10, 25}, 0, false},
		{"long coast, far", [2]int{10, 25}, 80, true},
	}
	for _, c := range cases {
		tracks := feed(Config{}, 40, 10, func(i int) []Detection {
			if i >= c.hidden[0] && i < c.hidden[1] {
				return nil
			}
			x := 100 + 5*float64(i)
			if i >= c.hidden[1] {
				x += c.jump
			}
			return []Detection{det(x, 300)}
		})
		if len(tracks) != 1 {
			t.Fatalf("%s: %d tracks, want 1", c.name, len(tracks))
		}
		pts := tracks[0].Points
		gap := false
		for i := 1; i < len(pts); i++ {
			gap = gap || pts[i].Frame != pts[i-1].Frame+1
		}
		want := 40
		if c.wantGap {
			want -= c.hidden[1] - c.hidden[0]
		}
		if gap != c.wantGap || len(pts) != want {
			t.Errorf("%s: %d points, gap %v; want %d, gap %v", c.name, len(pts), gap, want, c.wantGap)
		}
	}
}

// TestLookBreaksTieWhenGroupParts: a dark and a light person meet, stand together as a group (two parts
// of one blob), and part, each going on past the other. Their motion says nothing any more (both stood
// still at the same place); their appearance says who is who.
func TestLookBreaksTieWhenGroupParts(t *testing.T) {
	person := func(x float64, look float64, solo bool) Detection {
		d := det(x, 300)
		d.Look, d.HasLook, d.Solo = [2]float64{look, look}, true, solo
		return d
	}
	dets := func(i int) []Detection {
		switch {
		case i < 10:
			return []Detection{person(100+20*float64(i), 60, true), person(500-20*float64(i), 180, true)}
		case i < 30:
			return []Detection{person(299, 120, false), person(301, 120, false)}
		}
		k := float64(i - 29)
		return []Detection{person(301+20*k, 60, true), person(299-20*k, 180, true)}
	}
	for _, tie := range []float64{0, -1} {
		tracks := feed(Config{LookTie: tie}, 45, 10, dets)
		if len(tracks) != 2 {
			t.Fatalf("LookTie %g: %d tracks, want 2", tie, len(tracks))
		}
		followed := 0
		for _, tr := range tracks {
			first, last := tr.Points[0].X, tr.Points[len(tr.Points)-1].X
			if (first < 300) == (last > 300) {
				followed++ // went on past the other, as the person did
			}
		}
		if tie == 0 && followed != 2 {
			t.Errorf("with appearance: %d of 2 tracks followed their person through the group", followed)
		}
		if tie < 0 && followed == 2 {
			t.Errorf("without appearance the tracks followed too: the test shows nothing")
		}
	}
}

// TestHoldKeepsCoasterInBox: a person walking right at 100 px/s disappears into a group's box; held there,
// the coasting track stays inside the box (each frame starts its prediction from there), its foot point
// at least half a height below
// the box's top, where without Hold it runs on out of the box. A confirmed track that is matched, or one
// outside the box, is not moved.
func TestHoldKeepsCoasterInBox(t *testing.T) {
	const x0, y0, x1, y1 = 300.0, 200.0, 360.0, 320.0
	for _, hold := range []bool{false, true} {
		tr := New(Config{})
		for i := range 10 {
			tr.Update(uint64(i), int64(i*100), []Detection{det(250+10*float64(i), 310), det(100, 100)})
		}
		for i := 10; i < 20; i++ {
			tr.Update(uint64(i), int64(i*100), []Detection{det(100, 100)})
			if hold {
				tr.Hold(x0, y0, x1, y1)
				tr.Hold(0, 0, 50, 50) // holds nobody
			}
		}
		var coaster, still Box
		for _, b := range tr.Boxes(1900, nil) { // where the last frame left it
			if b.Coasting {
				coaster = b
			} else {
				still = b
			}
		}
		in := coaster.X >= x0 && coaster.X <= x1 && coaster.Y >= y0+45 && coaster.Y <= y1
		if in != hold || !coaster.Confirmed {
			t.Errorf("hold %v: the coasting track is predicted at (%.0f, %.0f), inside the box: %v", hold, coaster.X, coaster.Y, in)
		}
		if math.Hypot(still.X-100, still.Y-100) > 1 {
			t.Errorf("hold %v: the matched track moved to (%.0f, %.0f)", hold, still.X, still.Y)
		}
	}
}
