package floor

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// camera is a pinhole camera high in a corner of a shop, looking down the floor at a tilt. Floor points
// are (X, Y) in metres with the camera's foot at the origin and Y along its view; image points are
// normalised to [0,1] of the width and height, y down.
type camera struct {
	height float64 // metres above the floor
	tilt   float64 // radians below the horizontal
	fx, fy float64 // focal lengths in image widths and heights
}

// ceilingCorner is a camera 2.8 m up, 35° down, with a 90°×70° field of view.
func ceilingCorner() camera {
	return camera{height: 2.8, tilt: 35 * math.Pi / 180, fx: 0.5 / math.Tan(45*math.Pi/180), fy: 0.5 / math.Tan(35*math.Pi/180)}
}

// project returns the image point of floor point (X, Y), and false if it is behind the camera.
func (c camera) project(X, Y float64) (x, y float64, ok bool) {
	s, co := math.Sincos(c.tilt)
	vx, vy, vz := X, Y, -c.height
	zc := vy*co - vz*s    // along the optical axis
	yc := -(vy*s + vz*co) // down in the image
	if zc <= 0 {
		return 0, 0, false
	}
	return 0.5 + c.fx*vx/zc, 0.5 + c.fy*yc/zc, true
}

// horizon is the image row of the horizon.
func (c camera) horizon() float64 { return 0.5 - c.fy*math.Tan(c.tilt) }

// pairs projects floor points through c.
func (c camera) pairs(t *testing.T, floor [][2]float64) (image [][2]float64) {
	t.Helper()
	for _, p := range floor {
		x, y, ok := c.project(p[0], p[1])
		if !ok {
			t.Fatalf("floor point %v is behind the camera", p)
		}
		image = append(image, [2]float64{x, y})
	}
	return image
}

// grid returns floor points seen inside the image, in a 0.5 m grid.
func (c camera) grid() (image, floor [][2]float64) {
	for X := -8.0; X <= 8; X += 0.5 {
		for Y := 0.5; Y <= 30; Y += 0.5 {
			x, y, ok := c.project(X, Y)
			if ok && x >= 0 && x <= 1 && y >= 0 && y <= 1 {
				image = append(image, [2]float64{x, y})
				floor = append(floor, [2]float64{X, Y})
			}
		}
	}
	return image, floor
}

// rectangle is four tape-measured floor points, the corners of a 3 m × 4 m area.
var rectangle = [][2]float64{{-1.5, 2}, {1.5, 2}, {1.5, 6}, {-1.5, 6}}

func TestFitFourPairsRecoversThePerspective(t *testing.T) {
	c := ceilingCorner()
	h, err := Fit(c.pairs(t, rectangle), rectangle)
	if err != nil {
		t.Fatal(err)
	}
	img, flr := c.grid()
	if len(img) < 50 {
		t.Fatalf("only %d grid points in view; the test camera is wrong", len(img))
	}
	for i := range img {
		X, Y, ok := h.Apply(img[i][0], img[i][1])
		if !ok || math.Hypot(X-flr[i][0], Y-flr[i][1]) > 1e-6*(1+flr[i][1]) {
			t.Fatalf("image %v → (%g, %g, %v), want %v", img[i], X, Y, ok, flr[i])
		}
	}
	if rms := h.RMS(c.pairs(t, rectangle), rectangle); rms > 1e-9 {
		t.Errorf("RMS of an exact fit %g", rms)
	}
}

func TestFitEightNoisyPairs(t *testing.T) {
	c := ceilingCorner()
	flr := [][2]float64{{-2, 1.5}, {0, 1.5}, {2, 1.5}, {-2.5, 4}, {2.5, 4}, {-3, 7}, {0, 7}, {3, 7}}
	exact := c.pairs(t, flr)
	rng := rand.New(rand.NewPCG(1, 2))
	const sigma = 0.0015 // about 1 px at 640×480
	var noisy [][2]float64
	for _, p := range exact {
		noisy = append(noisy, [2]float64{p[0] + sigma*rng.NormFloat64(), p[1] + sigma*rng.NormFloat64()})
	}
	h, err := Fit(noisy, flr)
	if err != nil {
		t.Fatal(err)
	}
	rms := h.RMS(noisy, flr)
	if rms <= 0 || rms > 0.1 {
		t.Errorf("RMS %g m: want small but not zero for 1 px of noise", rms)
	}
	// Inside the calibrated area the fit must be close to the truth: a few centimetres.
	var worst float64
	for X := -2.0; X <= 2; X += 0.5 {
		for Y := 2.0; Y <= 6.5; Y += 0.5 {
			x, y, _ := c.project(X, Y)
			gx, gy, ok := h.Apply(x, y)
			if !ok {
				t.Fatalf("(%g, %g) does not map", X, Y)
			}
			worst = max(worst, math.Hypot(gx-X, gy-Y))
		}
	}
	if worst > 0.1 {
		t.Errorf("worst error inside the calibrated area %.3f m", worst)
	}
	// Least squares over more pairs beats the worst exact fit of four of them.
	var worst4 float64
	for _, q := range [][4]int{{0, 2, 7, 5}, {0, 1, 3, 6}, {1, 2, 4, 6}} {
		var i4, f4 [][2]float64
		for _, k := range q {
			i4, f4 = append(i4, noisy[k]), append(f4, flr[k])
		}
		h4, err := Fit(i4, f4)
		if err != nil {
			t.Fatal(err)
		}
		worst4 = max(worst4, h4.RMS(noisy, flr))
	}
	if worst4 <= rms {
		t.Errorf("RMS over all pairs: least squares %g, worst four-pair fit %g", rms, worst4)
	}
}

func TestFitNamesDegenerateInput(t *testing.T) {
	c := ceilingCorner()
	img := c.pairs(t, rectangle)
	nan := math.NaN()
	for _, tc := range []struct {
		name       string
		image, flr [][2]float64
		want       string
	}{
		{"three pairs", img[:3], rectangle[:3], "at least 4"},
		{"lengths differ", img, rectangle[:3], "4 image points but 3 floor"},
		{"NaN image", [][2]float64{img[0], img[1], {nan, 0.5}, img[3]}, rectangle, "image point 2"},
		{"Inf floor", img, [][2]float64{rectangle[0], {math.Inf(1), 0}, rectangle[2], rectangle[3]}, "floor point 1"},
		{"three collinear image points", [][2]float64{{0.1, 0.9}, {0.5, 0.9}, {0.9, 0.9}, {0.5, 0.3}}, rectangle, "of the image points lie on a line"},
		{"duplicate image point", [][2]float64{img[0], img[0], img[2], img[3]}, rectangle, "image points"},
		{"collinear floor points", img, [][2]float64{{0, 1}, {0, 2}, {0, 3}, {1, 4}}, "of the floor points lie on a line"},
		{"all image points on a line", [][2]float64{{0.1, 0.1}, {0.2, 0.2}, {0.3, 0.3}, {0.4, 0.4}, {0.5, 0.5}},
			[][2]float64{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {2, 2}}, "of the image points lie on a line"},
		// Two floor points swapped: the fit needs the horizon to cross the calibrated area.
		{"swapped pair", img, [][2]float64{rectangle[0], rectangle[2], rectangle[1], rectangle[3]}, "same order"},
		{"too many", make([][2]float64, MaxPairs+1), make([][2]float64, MaxPairs+1), "at most"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := Fit(tc.image, tc.flr)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "floor: ") {
				t.Fatalf("Fit = %v, %v; want an error containing %q", h, err, tc.want)
			}
			if h != (Homography{}) {
				t.Errorf("Fit returned a matrix with its error: %v", h)
			}
		})
	}
}

func TestMoreThanFourPairsMayIncludeThreeOnALine(t *testing.T) {
	// Three marks along one tape line are fine as long as four others are in general position.
	c := ceilingCorner()
	flr := append([][2]float64{{0, 2}, {0, 4}, {0, 6}}, rectangle...)
	h, err := Fit(c.pairs(t, flr), flr)
	if err != nil {
		t.Fatal(err)
	}
	if rms := h.RMS(c.pairs(t, flr), flr); rms > 1e-9 {
		t.Errorf("RMS %g", rms)
	}
}

func TestRoundTrip(t *testing.T) {
	c := ceilingCorner()
	h, err := Fit(c.pairs(t, rectangle), rectangle)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := h.Inverse()
	if err != nil {
		t.Fatal(err)
	}
	img, flr := c.grid()
	for i := range flr {
		x, y, ok := inv.Apply(flr[i][0], flr[i][1])
		if !ok || math.Hypot(x-img[i][0], y-img[i][1]) > 1e-9 {
			t.Fatalf("inverse of %v → (%g, %g, %v), want %v", flr[i], x, y, ok, img[i])
		}
		X, Y, ok := h.Apply(x, y)
		if !ok || math.Hypot(X-flr[i][0], Y-flr[i][1]) > 1e-6 {
			t.Fatalf("round trip of %v → (%g, %g, %v)", flr[i], X, Y, ok)
		}
	}
	// A floor point behind the camera has no image.
	if _, _, ok := inv.Apply(0, -3); ok {
		t.Error("a floor point behind the camera maps into the image")
	}
}

func TestBeyondTheHorizon(t *testing.T) {
	// A camera tilted only 15° sees the horizon a third of the way down its image.
	c := ceilingCorner()
	c.tilt = 15 * math.Pi / 180
	hy := c.horizon()
	if hy < 0.1 || hy > 0.5 {
		t.Fatalf("horizon at %g; the test camera is wrong", hy)
	}
	h, err := Fit(c.pairs(t, rectangle), rectangle)
	if err != nil {
		t.Fatal(err)
	}
	for _, y := range []float64{0, hy / 2, hy - 1e-6, hy} {
		for _, x := range []float64{0, 0.5, 1} {
			if X, Y, ok := h.Apply(x, y); ok {
				t.Errorf("(%g, %g) at or above the horizon %g maps to (%g, %g)", x, y, hy, X, Y)
			}
		}
	}
	// Just below the horizon a point maps, far away; further down it comes closer.
	_, far, ok1 := h.Apply(0.5, hy+1e-4)
	_, near, ok2 := h.Apply(0.5, hy+0.1)
	if !ok1 || !ok2 || !(far > 100) || !(near < far) {
		t.Errorf("below the horizon: %g m (%v), then %g m (%v)", far, ok1, near, ok2)
	}
}

func TestErrorsFindTheBadPair(t *testing.T) {
	c := ceilingCorner()
	flr := [][2]float64{{-2, 1.5}, {2, 1.5}, {-2.5, 4}, {2.5, 4}, {-3, 7}, {3, 7}}
	img := c.pairs(t, flr)
	mis := append([][2]float64(nil), flr...)
	mis[3] = [2]float64{3.5, 4} // misread tape: one metre off
	h, err := Fit(img, mis)
	if err != nil {
		t.Fatal(err)
	}
	es := h.Errors(img, mis)
	worst := 0
	for i, e := range es {
		if e > es[worst] {
			worst = i
		}
	}
	if worst != 3 {
		t.Errorf("errors %v: the misread pair 3 is not the worst", es)
	}
	if rms := h.RMS(img, mis); rms < 0.1 {
		t.Errorf("RMS %g m hides a one-metre misreading", rms)
	}
	// Pairs listed out of order either fail or fit badly.
	swapped := [][2]float64{flr[0], flr[1], flr[2], flr[5], flr[4], flr[3]}
	if h, err := Fit(img, swapped); err == nil && h.RMS(img, swapped) < 0.5 {
		t.Errorf("two pairs swapped: RMS %g m", h.RMS(img, swapped))
	}
	// A point that does not map is an infinite error.
	h2 := Homography{1, 0, 0, 0, 1, 0, 0, 1, -0.5} // horizon at y = 0.5
	if es := h2.Errors([][2]float64{{0.5, 0.2}, {0.5, 0.9}}, [][2]float64{{0, 0}, {1.25, 2.25}}); !math.IsInf(es[0], 1) || es[1] > 1e-12 {
		t.Errorf("errors %v, want [+Inf 0]", es)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		h  Homography
		ok bool
	}{
		{Identity, true},
		{Homography{}, false},
		{Homography{1, 2, 3, 2, 4, 6, 0, 0, 1}, false}, // rows 1 and 2 are parallel
		{Homography{1, 0, 0, 0, math.NaN(), 0, 0, 0, 1}, false},
		{Homography{20, 0, -10, 0, 15, 0, 0, 0.5, 1}, true},
	} {
		if err := tc.h.Validate(); (err == nil) != tc.ok {
			t.Errorf("%v: Validate = %v", tc.h, err)
		}
	}
	if _, err := (Homography{}).Inverse(); err == nil {
		t.Error("the zero matrix has an inverse")
	}
	if _, _, ok := (Homography{}).Apply(0.5, 0.5); ok {
		t.Error("the zero matrix maps a point")
	}
}
