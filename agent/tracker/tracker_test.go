package tracker

import (
	"bytes"
	"image"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/ashiato/ashiato/hal"
)

// runScene feeds frames 0..n-1 of sc to a new tracker and returns all closed tracks, Flush included. If
// scribble is set, every frame's Pix is overwritten right after Step (the next frame uses another buffer).
func runScene(t testing.TB, cfg Config, sc *scene, n int, scribble bool) []Track {
	t.Helper()
	tr := New(cfg)
	bufs := [2][]byte{make([]byte, sc.w*sc.h), make([]byte, sc.w*sc.h)}
	var out []Track
	for i := 0; i < n; i++ {
		f := hal.Frame{Pix: bufs[i%2]}
		sc.render(i, &f)
		out = append(out, tr.Step(&f)...)
		if scribble {
			for j := range f.Pix {
				f.Pix[j] = uint8(j*31 + i)
			}
		}
	}
	return append(out, tr.Flush()...)
}

// checkFollows asserts that tr follows wk within tol pixels on every frame it covers, and covers at least
// minCover of the frames wk is in view.
func checkFollows(t *testing.T, tr Track, wk *walker, tol float64, minCover int) {
	t.Helper()
	covered := 0
	for _, p := range tr.Points {
		x, y, ok := wk.at(int(p.Frame))
		if !ok {
			t.Errorf("track %d has a point at frame %d where the walker is not in view", tr.ID, p.Frame)
			continue
		}
		if d := math.Hypot(p.X-x, p.Y-y); d > tol {
			t.Errorf("track %d frame %d: point (%.1f,%.1f), truth (%.1f,%.1f), %.1f px off", tr.ID, p.Frame, p.X, p.Y, x, y, d)
		}
		covered++
	}
	if covered < minCover {
		t.Errorf("track %d covers %d frames, want at least %d", tr.ID, covered, minCover)
	}
}

func TestOneWalker(t *testing.T) {
	sc := newScene(640, 480, 1)
	wk := sc.add(30, 90, 40, waypt{30, 80, 400}, waypt{90, 560, 380})
	tracks := runScene(t, Config{}, sc, 110, false)
	if len(tracks) != 1 {
		t.Fatalf("got %d tracks, want 1", len(tracks))
	}
	checkFollows(t, tracks[0], wk, 6, 55)
	for i := 1; i < len(tracks[0].Points); i++ {
		if p, q := tracks[0].Points[i-1], tracks[0].Points[i]; q.Frame != p.Frame+1 || q.TimeMS <= p.TimeMS {
			t.Fatalf("points %d,%d not consecutive: %+v %+v", i-1, i, p, q)
		}
	}
}

func TestTwoWalkers(t *testing.T) {
	sc := newScene(768, 576, 2)
	a := sc.add(34, 100, 200, waypt{30, 60, 300}, waypt{105, 700, 320})
	b := sc.add(40, 120, 30, waypt{40, 700, 520}, waypt{120, 80, 500})
	tracks := runScene(t, Config{}, sc, 135, false)
	if len(tracks) != 2 {
		t.Fatalf("got %d tracks, want 2", len(tracks))
	}
	if tracks[0].ID == tracks[1].ID {
		t.Fatalf("both tracks have id %d", tracks[0].ID)
	}
	for _, tr := range tracks {
		x, _, _ := a.at(int(tr.Points[0].Frame))
		if math.Abs(tr.Points[0].X-x) < 20 {
			checkFollows(t, tr, a, 7, 65)
		} else {
			checkFollows(t, tr, b, 7, 70)
		}
	}
}

func TestWalkerWhoStops(t *testing.T) {
	sc := newScene(640, 480, 3)
	// Walks 3 s, stands still 8 s (longer than the 2 s coast), walks on.
	wk := sc.add(30, 90, 50, waypt{30, 80, 400}, waypt{60, 300, 400}, waypt{140, 300, 400}, waypt{170, 560, 400})
	tracks := runScene(t, Config{}, sc, 185, false)
	if len(tracks) != 1 {
		for _, tr := range tracks {
			t.Logf("track %d frames %d..%d", tr.ID, tr.Points[0].Frame, tr.Points[len(tr.Points)-1].Frame)
		}
		t.Fatalf("got %d tracks, want 1", len(tracks))
	}
	checkFollows(t, tracks[0], wk, 6, 130)
}

// TestBusyFirstFrame starts with people in the first frame, so the background is seeded with them.
func TestBusyFirstFrame(t *testing.T) {
	sc := newScene(640, 480, 10)
	a := sc.add(30, 90, 40, waypt{0, 80, 400}, waypt{80, 560, 380})
	b := sc.add(28, 80, 190, waypt{0, 500, 250}, waypt{90, 100, 260})
	tracks := runScene(t, Config{}, sc, 100, false)
	if len(tracks) != 2 {
		t.Fatalf("got %d tracks, want 2", len(tracks))
	}
	for _, tr := range tracks {
		wk := a
		if tr.Points[0].Y < 320 {
			wk = b
		}
		// During the bootstrap the model still holds some of the walker: judge positions after it.
		var late Track
		late.ID = tr.ID
		for _, p := range tr.Points {
			if p.Frame >= 35 {
				late.Points = append(late.Points, p)
			}
		}
		checkFollows(t, late, wk, 7, 40)
		if tr.Points[0].Frame > 10 {
			t.Errorf("track %d starts at frame %d, want within the first second", tr.ID, tr.Points[0].Frame)
		}
	}
}

func TestDeterministicAndDoesNotRetainPix(t *testing.T) {
	mk := func() *scene {
		sc := newScene(640, 480, 4)
		sc.add(30, 90, 40, waypt{0, 80, 400}, waypt{60, 560, 380})
		sc.add(28, 80, 190, waypt{30, 500, 250}, waypt{90, 100, 260})
		return sc
	}
	a := runScene(t, Config{}, mk(), 100, false)
	b := runScene(t, Config{}, mk(), 100, false)
	c := runScene(t, Config{}, mk(), 100, true)
	if len(a) != 2 {
		t.Fatalf("got %d tracks, want 2", len(a))
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same input gave different tracks")
	}
	if !reflect.DeepEqual(a, c) {
		t.Fatal("overwriting Pix after Step changed the tracks: the tracker retains frame memory")
	}
}

func TestROILimitsStarts(t *testing.T) {
	sc := newScene(640, 480, 5)
	// a starts in the left half and walks out of it; b lives in the right half only.
	sc.add(30, 90, 40, waypt{30, 60, 400}, waypt{90, 580, 400})
	sc.add(30, 90, 200, waypt{30, 600, 250}, waypt{90, 400, 250})
	roi := [][2]float64{{0, 0}, {0.5, 0}, {0.5, 1}, {0, 1}}
	tracks := runScene(t, Config{ROI: roi}, sc, 100, false)
	if len(tracks) != 1 {
		t.Fatalf("got %d tracks, want 1", len(tracks))
	}
	tr := tracks[0]
	if first, last := tr.Points[0], tr.Points[len(tr.Points)-1]; first.X > 320 || last.X < 500 {
		t.Fatalf("track runs from x=%.0f to x=%.0f, want from the left half to the far right", first.X, last.X)
	}
	all := runScene(t, Config{}, sc, 100, false)
	if len(all) != 2 {
		t.Fatalf("without ROI got %d tracks, want 2", len(all))
	}
}

func TestInViewFlushReset(t *testing.T) {
	sc := newScene(640, 480, 6)
	sc.add(30, 90, 40, waypt{25, 80, 400}, waypt{125, 560, 380})
	tr := New(Config{})
	f := hal.Frame{Pix: make([]byte, 640*480)}
	for i := 0; i < 50; i++ {
		sc.render(i, &f)
		if got := tr.Step(&f); len(got) != 0 {
			t.Fatalf("frame %d closed %d tracks", i, len(got))
		}
	}
	if n := tr.InView(); n != 1 {
		t.Fatalf("InView = %d, want 1", n)
	}
	if got := tr.Flush(); len(got) != 1 {
		t.Fatalf("Flush returned %d tracks, want 1", len(got))
	}
	if n := tr.InView(); n != 0 {
		t.Fatalf("InView after Flush = %d, want 0", n)
	}
	tr.Reset()
	// After Reset the first frame seeds the model, even with the person in it.
	for i := 50; i < 90; i++ {
		sc.render(i, &f)
		tr.Step(&f)
	}
	if got := tr.Flush(); len(got) != 1 || got[0].ID == 1 {
		t.Fatalf("after Reset: %d tracks (%+v), want 1 with a new id", len(got), got)
	}
}

func TestSuddenLightChange(t *testing.T) {
	sc := newScene(640, 480, 8)
	wk := sc.add(30, 90, 40, waypt{30, 80, 400}, waypt{150, 560, 380})
	tr := New(Config{})
	f := hal.Frame{Pix: make([]byte, 640*480)}
	var out []Track
	for i := 0; i < 160; i++ {
		sc.render(i, &f)
		if i >= 80 {
			for j := range f.Pix {
				f.Pix[j] = uint8(min(255, int(f.Pix[j])*13/10))
			}
		}
		out = append(out, tr.Step(&f)...)
	}
	out = append(out, tr.Flush()...)
	if len(out) == 0 || len(out) > 2 {
		t.Fatalf("got %d tracks, want 1 or 2", len(out))
	}
	for _, trk := range out {
		checkFollows(t, trk, wk, 20, 10)
	}
}

func TestSteadyStateNoAllocs(t *testing.T) {
	sc := newScene(768, 576, 9)
	sc.add(34, 100, 40, waypt{0, 60, 400}, waypt{1000, 700, 420})
	sc.add(34, 100, 200, waypt{0, 700, 250}, waypt{1000, 60, 260})
	tr := New(Config{})
	f := hal.Frame{Pix: make([]byte, 768*576)}
	i := 0
	for ; i < 60; i++ {
		sc.render(i, &f)
		tr.Step(&f)
	}
	a := testing.AllocsPerRun(100, func() {
		f.Seq++
		f.Time = f.Time.Add(100 * time.Millisecond)
		tr.Step(&f)
	})
	if a != 0 {
		t.Fatalf("%v allocs per frame, want 0", a)
	}
}

// TestCrossingKeepsIdentities has two people cross on nearly the same row, so their blobs merge for a few
// frames; each must keep its own track.
func TestCrossingKeepsIdentities(t *testing.T) {
	sc := newScene(640, 480, 11)
	a := sc.add(30, 90, 40, waypt{30, 60, 400}, waypt{110, 580, 400})
	b := sc.add(30, 90, 60, waypt{30, 580, 410}, waypt{110, 60, 410})
	tracks := runScene(t, Config{}, sc, 125, false)
	if len(tracks) != 2 {
		for _, tr := range tracks {
			t.Logf("track %d frames %d..%d", tr.ID, tr.Points[0].Frame, tr.Points[len(tr.Points)-1].Frame)
		}
		t.Fatalf("got %d tracks, want 2", len(tracks))
	}
	for _, tr := range tracks {
		wk := a
		if tr.Points[0].X > 320 {
			wk = b
		}
		// While merged the foot points are estimates: allow a third of a person's height.
		checkFollows(t, tr, wk, 30, 70)
	}
}

// TestGroupIsSplit has two people walk side by side, their blobs touching all the way, after single
// walkers taught the size model: the pair must give two tracks.
func TestGroupIsSplit(t *testing.T) {
	sc := newScene(640, 480, 12)
	for k := 0; k < 4; k++ {
		y := 300 + 40*float64(k)
		h := int(0.3 * y)
		sc.add(h*38/100, h, 40, waypt{20 + 25*k, 40, y}, waypt{80 + 25*k, 600, y})
	}
	// Same size as the singles at this row (height 0.3·y), shoulder to shoulder.
	a := sc.add(46, 120, 40, waypt{140, 50, 400}, waypt{220, 550, 400})
	b := sc.add(46, 120, 200, waypt{140, 96, 400}, waypt{220, 596, 400})
	tracks := runScene(t, Config{}, sc, 235, false)
	var pair []Track
	for _, tr := range tracks {
		if tr.Points[0].Frame >= 130 {
			pair = append(pair, tr)
		}
	}
	if len(pair) != 2 {
		t.Fatalf("got %d tracks for the pair, want 2", len(pair))
	}
	for _, tr := range pair {
		wk := a
		if x, _, _ := b.at(int(tr.Points[5].Frame)); math.Abs(tr.Points[5].X-x) < 23 {
			wk = b
		}
		checkFollows(t, tr, wk, 15, 60)
	}
}

func TestTimeGoingBackwardsClosesTracks(t *testing.T) {
	sc := newScene(640, 480, 13)
	sc.add(30, 90, 40, waypt{25, 80, 400}, waypt{125, 560, 380})
	tr := New(Config{})
	f := hal.Frame{Pix: make([]byte, 640*480)}
	for i := 0; i < 60; i++ {
		sc.render(i, &f)
		tr.Step(&f)
	}
	if tr.InView() != 1 {
		t.Fatalf("InView = %d, want 1", tr.InView())
	}
	sc.render(60, &f)
	f.Time = f.Time.Add(-time.Hour)
	if got := tr.Step(&f); len(got) != 1 {
		t.Fatalf("a frame from the past closed %d tracks, want 1", len(got))
	}
	// A frame whose Pix is too short is ignored, not a panic.
	short := hal.Frame{Seq: 61, Time: f.Time.Add(time.Second), Width: 640, Height: 480, Stride: 640, Pix: make([]byte, 100)}
	if got := tr.Step(&short); got != nil {
		t.Fatalf("short frame returned %v", got)
	}
}

// TestSegmentsOfPersonWhoStops has a person walk in and stand for 12 s; taking 5 s segments while they
// stand must give parts with one id that join to exactly what an unsegmented run reports.
func TestSegmentsOfPersonWhoStops(t *testing.T) {
	mk := func() *scene {
		sc := newScene(640, 480, 3)
		sc.add(30, 90, 50, waypt{30, 80, 400}, waypt{60, 300, 400}, waypt{180, 300, 400}, waypt{210, 560, 400})
		return sc
	}
	whole := runScene(t, Config{}, mk(), 225, false)
	if len(whole) != 1 {
		for _, k := range whole {
			t.Logf("track %d frames %d..%d", k.ID, k.Points[0].Frame, k.Points[len(k.Points)-1].Frame)
		}
		t.Fatalf("unsegmented: %d tracks, want 1", len(whole))
	}
	sc := mk()
	tr := New(Config{})
	f := hal.Frame{Pix: make([]byte, 640*480)}
	var parts []Track
	for i := 0; i < 225; i++ {
		sc.render(i, &f)
		closed := tr.Step(&f)
		parts = append(parts, tr.TakeSegments(5*time.Second)...)
		parts = append(parts, closed...)
	}
	parts = append(parts, tr.Flush()...)
	if len(parts) < 3 {
		t.Fatalf("got %d parts, want at least two 5 s segments and a final part", len(parts))
	}
	var joined []Point
	for _, p := range parts {
		if p.ID != whole[0].ID {
			t.Fatalf("part with id %d, want %d", p.ID, whole[0].ID)
		}
		joined = append(joined, p.Points...)
	}
	if !reflect.DeepEqual(joined, whole[0].Points) {
		t.Fatalf("joined segments (%d points) differ from the whole track (%d points)", len(joined), len(whole[0].Points))
	}
}

// Tiny or degenerate frame sizes, which a bad y4m header can announce, must never crash the tracker.
func TestTinyFramesDoNotCrash(t *testing.T) {
	for _, sz := range [][2]int{{2, 2}, {3, 8}, {2, 100}, {8, 3}, {800, 2}, {8192, 2}, {2, 8192}, {15, 15}, {16, 16}, {17, 9}} {
		tr := New(Config{})
		w, h := sz[0], sz[1]
		for k := range 5 {
			f := &hal.Frame{Seq: uint64(k), Time: time.UnixMilli(int64(1000 + 100*k)), Width: w, Height: h, Stride: w,
				Pix: bytes.Repeat([]byte{byte(50 + 40*k)}, w*h)}
			tr.Step(f)
		}
		tr.Flush()
	}
}

func TestWipeClearsFrameCopies(t *testing.T) {
	tr := New(Config{})
	w, h := 640, 480
	pix := make([]byte, w*h)
	for i := range pix {
		pix[i] = byte(30 + i%200)
	}
	tr.Step(&hal.Frame{Time: time.UnixMilli(1000), Width: w, Height: h, Stride: w, Pix: pix})
	for _, v := range tr.det.cur {
		if v != 0 {
			t.Fatal("the current downscaled frame outlived Step")
		}
	}
	tr.Wipe()
	for _, v := range tr.det.prev {
		if v != 0 {
			t.Fatal("Wipe left the previous downscaled frame")
		}
	}
}

// TestEdgeBandIsWhereFeetAreWithheld walks a person down to the bottom of the picture and out: the track
// has points while the feet are above EdgeBand's bottom band and none once the outline reaches into it.
func TestEdgeBandIsWhereFeetAreWithheld(t *testing.T) {
	const w, h = 640, 480
	band := EdgeBand(Config{}, w, h)
	if want := image.Rect(4, 0, 636, 476); band != want {
		t.Fatalf("EdgeBand(640×480) = %v, want %v (factor 2: the outermost two of 320×240 columns and rows)", band, want)
	}
	if got := EdgeBand(Config{ProcWidth: 200}, 768, 576); got != image.Rect(8, 0, 760, 568) {
		t.Errorf("EdgeBand(768×576, width 200) = %v, want the factor-4 band", got)
	}
	if got := EdgeBand(Config{}, 14, 14); !got.Empty() {
		t.Errorf("EdgeBand of a frame too small to track = %v, want empty", got)
	}
	sc := newScene(w, h, 3)
	sc.add(30, 90, 40, waypt{20, 320, 300}, waypt{100, 320, 540})
	tracks := runScene(t, Config{}, sc, 110, false)
	if len(tracks) != 1 {
		t.Fatalf("got %d tracks, want 1", len(tracks))
	}
	last := tracks[0].Points[len(tracks[0].Points)-1]
	if last.Y > float64(band.Max.Y) {
		t.Errorf("a point at y %.1f, inside the bottom band (from %d)", last.Y, band.Max.Y)
	}
	if last.Y < float64(band.Max.Y)-6 {
		t.Errorf("the last point is at y %.1f, far above the bottom band (%d): points stopped early", last.Y, band.Max.Y)
	}
}
