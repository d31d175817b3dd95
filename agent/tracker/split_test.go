package tracker

import (
	"math"
	"testing"

	"github.com/ashiato/ashiato/agent/tracker/assoc"
)

// figure is a person drawn into the mask at processing resolution: feet at (fx, fy), height h; reach > 0
// adds an arm held out sideways to fx + reach·h.
type figure struct{ fx, fy, h, reach float64 }

// drawFigures clears the mask of a 640×480 tracker (processing size 320×240) and draws the silhouettes:
// an elliptic head, a torso, two arms and two legs, in the proportions of the synthetic scene's walkers.
func drawFigures(tr *Tracker, figs ...figure) {
	d := &tr.det
	clear(d.mask)
	fill := func(y0, y1, cx, hw float64) {
		for y := int(math.Ceil(y0 - 0.5)); float64(y)+0.5 < y1; y++ {
			for x := int(math.Ceil(cx - hw - 0.5)); float64(x)+0.5 < cx+hw; x++ {
				if x >= 0 && x < d.w && y >= 0 && y < d.h {
					d.mask[y*d.wpr+x>>6] |= 1 << uint(x&63)
				}
			}
		}
	}
	for _, f := range figs {
		h := f.h
		hy, rx, ry := f.fy-0.925*h, 0.055*h, 0.075*h
		for y := int(math.Ceil(hy - ry - 0.5)); float64(y)+0.5 < hy+ry; y++ {
			dy := (float64(y) + 0.5 - hy) / ry
			fill(float64(y), float64(y)+1, f.fx, rx*math.Sqrt(max(0, 1-dy*dy)))
		}
		fill(f.fy-0.86*h, f.fy-0.47*h, f.fx, 0.1*h)
		for _, s := range [2]float64{-1, 1} {
			fill(f.fy-0.835*h, f.fy-0.5*h, f.fx+s*0.11*h, 0.025*h)
			fill(f.fy-0.49*h, f.fy, f.fx+s*0.045*h, 0.04*h)
		}
		if f.reach > 0 {
			fill(f.fy-0.62*h, f.fy-0.56*h, f.fx+f.reach*h/2, f.reach*h/2)
		}
	}
}

// detectFigures runs blob extraction and splitting on the drawn mask with a size model that expects
// people he rows tall everywhere, and returns the detections' foot points in processing pixels.
func detectFigures(he float64, figs ...figure) [][2]float64 {
	tr := New(Config{})
	tr.det.setup(640, 480, 384)
	tr.size.reset(tr.det.h)
	tr.size.ready, tr.size.a, tr.size.b, tr.size.lo, tr.size.hi = true, he, 0, 0, float64(tr.det.h)
	drawFigures(tr, figs...)
	tr.det.label()
	tr.blobsToDetections()
	var out [][2]float64
	s := float64(tr.det.s)
	for _, d := range tr.dets {
		out = append(out, [2]float64{d.X / s, d.Y / s})
	}
	return out
}

// TestOutlineSplit checks that a blob of two people too narrow for the width split is split by its
// outline — two heads side by side, or two foot levels one a little behind the other — into detections at
// each person's feet, and that single people, also tall ones or ones with their arms out, are not.
func TestOutlineSplit(t *testing.T) {
	const he = 50.0
	cases := []struct {
		name string
		figs []figure
		want int
	}{
		{"single", []figure{{100, 200, he, 0}}, 1},
		{"tall single", []figure{{100, 200, 1.3 * he, 0}}, 1},
		{"arm out", []figure{{100, 200, he, 0.35}}, 1},
		{"side by side", []figure{{100, 200, he, 0}, {100 + 0.25*he, 200, he, 0}}, 2},
		{"side by side, one shorter", []figure{{100, 200, he, 0}, {100 + 0.25*he, 200, 0.88 * he, 0}}, 2},
		{"diagonal", []figure{{100, 188, he, 0}, {100 + 0.26*he, 200, he, 0}}, 2},
		{"behind", []figure{{100, 185, he, 0}, {100 + 0.16*he, 200, he, 0}}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dets := detectFigures(he, c.figs...)
			if len(dets) != c.want {
				t.Fatalf("%d detections %v, want %d", len(dets), dets, c.want)
			}
			if c.want == 1 {
				return
			}
			// Each person's feet have a detection within 0.15 of a height (the accuracy test allows W/20,
			// 0.32 of the height of these figures).
			for _, f := range c.figs {
				best := math.Inf(1)
				for _, d := range dets {
					best = min(best, math.Hypot(d[0]-f.fx, d[1]-f.fy))
				}
				if best > 0.15*he {
					t.Errorf("person at (%.0f, %.0f): nearest detection %.1f px away, in %v", f.fx, f.fy, best, dets)
				}
			}
		})
	}
	// The pairs above are single blobs; the test would be vacuous otherwise.
	tr := New(Config{})
	tr.det.setup(640, 480, 384)
	for _, c := range cases[3:] {
		drawFigures(tr, c.figs...)
		tr.det.label()
		n := 0
		for _, b := range tr.det.blobs {
			if b.root {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: drawn as %d blobs, want 1", c.name, n)
		}
	}
}

// TestRowSplit: two people one straight behind the other (the rear one 0.3 heights higher in the picture,
// within a few pixels of the same column) make one blob that neither the column nor the outline split can
// cut. When two confirmed tracks, both seen in the last frame, are predicted at their feet, the blob is cut
// by rows: one detection at each person's feet, the rear one not allowed to start a track. A track that
// has coasted for a second does not count, and neither does a single track.
func TestRowSplit(t *testing.T) {
	const he = 60.0
	rear, front := figure{fx: 160, fy: 120, h: he}, figure{fx: 163, fy: 138, h: he}
	run := func(pred ...assoc.Box) []assoc.Detection {
		tr := New(Config{})
		tr.det.setup(640, 480, 384)
		tr.size.reset(tr.det.h)
		tr.size.ready, tr.size.a, tr.size.b, tr.size.lo, tr.size.hi = true, he, 0, 0, float64(tr.det.h)
		drawFigures(tr, rear, front)
		tr.det.label()
		tr.pred = pred
		tr.blobsToDetections()
		return tr.dets
	}
	s := 2.0 // 640 → 320
	track := func(f figure, missMS int64) assoc.Box {
		return assoc.Box{X: f.fx * s, Y: f.fy * s, W: 0.38 * he * s, H: he * s, Confirmed: true, MissMS: missMS}
	}
	near := func(d assoc.Detection, f figure) bool {
		return math.Hypot(d.X/s-f.fx, d.Y/s-f.fy) <= 0.15*he
	}
	dets := run(track(rear, 0), track(front, 143))
	if len(dets) != 2 || !near(dets[0], rear) || !near(dets[1], front) || !dets[0].NoStart || dets[1].NoStart {
		t.Fatalf("two stacked tracks: detections %+v; want the rear feet near (%v, %v) that start no track, then the front feet near (%v, %v)",
			dets, rear.fx, rear.fy, front.fx, front.fy)
	}
	for name, pred := range map[string][]assoc.Box{
		"one track":                {track(front, 0)},
		"a track coasting for 1 s": {track(rear, 1000), track(front, 0)},
	} {
		for _, d := range run(pred...) {
			if d.NoStart && near(d, rear) {
				t.Errorf("%s: the blob was cut by rows: %+v", name, run(pred...))
			}
		}
	}
}
