// Package floor maps image points to the floor plane with a homography fitted to measured point pairs.
//
// A camera sees the flat floor through a perspective projection, and any perspective view of a plane is
// a homography: X = (h0·x + h1·y + h2)/w, Y = (h3·x + h4·y + h5)/w with w = h6·x + h7·y + h8. Four image
// points whose floor positions were measured with a tape fix it; more pairs are fitted by least squares.
// The matrix is all that is kept: no reference image is needed once the pairs are known.
package floor

import (
	"errors"
	"fmt"
	"math"
)

// Homography is a 3×3 matrix in row-major order that maps an image point (x, y) to the floor point
// (X, Y) as described in the package doc. It is defined up to scale, but not up to sign: a point is in
// front of the camera (on the floor side of the horizon) where w > 0. The zero value maps nothing.
type Homography [9]float64

// Identity maps every point to itself.
var Identity = Homography{1, 0, 0, 0, 1, 0, 0, 0, 1}

// MinPairs is the fewest point pairs Fit accepts.
const MinPairs = 4

// MaxPairs is the most point pairs Fit accepts; a calibration is a handful of tape measurements.
const MaxPairs = 64

// collinearTol is how flat a triangle of calibration points may be, as twice its area over the square of
// the points' spread, before its three points count as collinear.
const collinearTol = 1e-3

// disagree is the likely cause of pairs that no homography can fit.
const disagree = "are the image and floor points listed in the same order, and all on the floor?"

// Fit returns the homography that maps each image[i] to floor[i], fitted by the direct linear transform
// with Hartley normalisation: exact for four pairs, least squares (of the algebraic error) for more. It
// is scaled so that w = 1 at the centroid of the image points, so w > 0 on their side of the horizon.
//
// Fit rejects, with an error saying why: fewer than MinPairs or more than MaxPairs pairs, slices of
// different lengths, non-finite values, points among which no four are in general position (no three
// on a line), image points on both sides of the fitted horizon, and a singular result. It does not
// judge how well the pairs agree with each other: check that with Errors or RMS.
func Fit(image, floor [][2]float64) (Homography, error) {
	if err := checkPairs(image, floor); err != nil {
		return Homography{}, err
	}
	ti, _ := normaliser(image)
	tf, tfInv := normaliser(floor)
	sol, ok := solve8(normalEquations(image, floor, ti, tf))
	if !ok {
		return Homography{}, errors.New("floor: the point pairs determine no homography with the image points " +
			"in front of the camera: " + disagree)
	}
	hn := Homography{sol[0], sol[1], sol[2], sol[3], sol[4], sol[5], sol[6], sol[7], 1}
	// Undo the normalisations: H = Tf⁻¹ · Hn · Ti. Both keep w, so w = 1 at the image centroid.
	h := tfInv.mul(hn).mul(ti)
	if !h.finite() || h.singular() {
		return Homography{}, errors.New("floor: the fitted homography is singular")
	}
	for i, p := range image {
		if w := h.w(p[0], p[1]); !(w > h.tiny()) {
			return Homography{}, fmt.Errorf("floor: image point %d (%g, %g) falls beyond the horizon of the fit: %s",
				i, p[0], p[1], disagree)
		}
	}
	return h, nil
}

// checkPairs returns what Fit rejects in its input before fitting, or nil: the number of pairs,
// non-finite values, and points with no four in general position.
func checkPairs(image, floor [][2]float64) error {
	if len(image) != len(floor) {
		return fmt.Errorf("floor: %d image points but %d floor points", len(image), len(floor))
	}
	if len(image) < MinPairs {
		return fmt.Errorf("floor: a homography needs at least %d point pairs, have %d", MinPairs, len(image))
	}
	if len(image) > MaxPairs {
		return fmt.Errorf("floor: at most %d point pairs, have %d", MaxPairs, len(image))
	}
	for i := range image {
		if !finite(image[i][0], image[i][1]) {
			return fmt.Errorf("floor: image point %d (%g, %g) is not finite", i, image[i][0], image[i][1])
		}
		if !finite(floor[i][0], floor[i][1]) {
			return fmt.Errorf("floor: floor point %d (%g, %g) is not finite", i, floor[i][0], floor[i][1])
		}
	}
	if !generalPosition(image) {
		return errors.New("floor: three of the image points lie on a line (of more than four points, some four must have no three on a line)")
	}
	if !generalPosition(floor) {
		return errors.New("floor: three of the floor points lie on a line (of more than four points, some four must have no three on a line)")
	}
	return nil
}

// normalEquations returns AᵀA and Aᵀb of the direct linear transform of the pairs, in the coordinates
// normalised by ti (image) and tf (floor), with h8 fixed at 1. In normalised coordinates the image
// centroid is the origin, where w is the mean of w over the points; for a valid calibration they all have
// w > 0, so fixing h8 = 1 loses no solution.
func normalEquations(image, floor [][2]float64, ti, tf Homography) ([8][8]float64, [8]float64) {
	var ata [8][8]float64
	var atb [8]float64
	for i := range image {
		x, y := ti.affine(image[i][0], image[i][1])
		X, Y := tf.affine(floor[i][0], floor[i][1])
		rows := [2][8]float64{
			{x, y, 1, 0, 0, 0, -x * X, -y * X},
			{0, 0, 0, x, y, 1, -x * Y, -y * Y},
		}
		rhs := [2]float64{X, Y}
		for k, r := range rows {
			for a := range 8 {
				atb[a] += r[a] * rhs[k]
				for b := range 8 {
					ata[a][b] += r[a] * r[b]
				}
			}
		}
	}
	return ata, atb
}

// Apply maps the image point (x, y) to the floor. ok is false, and X and Y are 0, when the point does
// not map to a finite floor point: when it lies on or beyond the horizon (w ≤ a tiny fraction of the
// bottom row's magnitude), or the result is not finite.
func (h Homography) Apply(x, y float64) (X, Y float64, ok bool) {
	w := h.w(x, y)
	if !(w > h.tiny()) {
		return 0, 0, false
	}
	X = (h[0]*x + h[1]*y + h[2]) / w
	Y = (h[3]*x + h[4]*y + h[5]) / w
	if !finite(X, Y) {
		return 0, 0, false
	}
	return X, Y, true
}

// Errors returns, for each pair, the distance on the floor between floor[i] and where h maps image[i],
// in the floor's units. A pair whose image point does not map is +Inf. It panics if the slices differ
// in length.
func (h Homography) Errors(image, floor [][2]float64) []float64 {
	if len(image) != len(floor) {
		panic("BUG: floor.Errors with slices of different lengths")
	}
	out := make([]float64, len(image))
	for i := range image {
		X, Y, ok := h.Apply(image[i][0], image[i][1])
		if !ok {
			out[i] = math.Inf(1)
			continue
		}
		out[i] = math.Hypot(X-floor[i][0], Y-floor[i][1])
	}
	return out
}

// RMS is the root mean square of Errors: the reprojection error of the pairs, in the floor's units. It
// is +Inf if any image point does not map, and 0 for no pairs.
func (h Homography) RMS(image, floor [][2]float64) float64 {
	es := h.Errors(image, floor)
	if len(es) == 0 {
		return 0
	}
	var s float64
	for _, e := range es {
		s += e * e
	}
	return math.Sqrt(s / float64(len(es)))
}

// Validate reports whether h can be used at all: finite and not singular. It does not check that h
// maps any particular point.
func (h Homography) Validate() error {
	if !h.finite() {
		return errors.New("floor: the matrix has a non-finite element")
	}
	if h.singular() {
		return errors.New("floor: the matrix is singular")
	}
	return nil
}

// Inverse returns the homography that maps floor points back to the image. It is the true inverse, not
// just one up to scale, so a floor point seen in front of the camera has w > 0 under it too.
func (h Homography) Inverse() (Homography, error) {
	if err := h.Validate(); err != nil {
		return Homography{}, err
	}
	// The adjugate is the inverse times det(h).
	a := Homography{
		h[4]*h[8] - h[5]*h[7], h[2]*h[7] - h[1]*h[8], h[1]*h[5] - h[2]*h[4],
		h[5]*h[6] - h[3]*h[8], h[0]*h[8] - h[2]*h[6], h[2]*h[3] - h[0]*h[5],
		h[3]*h[7] - h[4]*h[6], h[1]*h[6] - h[0]*h[7], h[0]*h[4] - h[1]*h[3],
	}
	d := h.det()
	for i := range a {
		a[i] /= d
	}
	return a, nil
}

// w is the homogeneous coordinate of the image point (x, y).
func (h Homography) w(x, y float64) float64 { return h[6]*x + h[7]*y + h[8] }

// tiny is the smallest w that still counts as in front of the camera.
func (h Homography) tiny() float64 { return 1e-9 * (math.Abs(h[6]) + math.Abs(h[7]) + math.Abs(h[8])) }

func (h Homography) det() float64 {
	return h[0]*(h[4]*h[8]-h[5]*h[7]) - h[1]*(h[3]*h[8]-h[5]*h[6]) + h[2]*(h[3]*h[7]-h[4]*h[6])
}

func (h Homography) finite() bool {
	for _, v := range h {
		if !finite(v, 0) {
			return false
		}
	}
	return true
}

// singular reports whether det(h) is negligible against the size of h's elements.
func (h Homography) singular() bool {
	var n float64
	for _, v := range h {
		n += v * v
	}
	n = math.Sqrt(n)
	return n == 0 || math.Abs(h.det())/(n*n*n) < 1e-12
}

// mul returns the product h·g.
func (h Homography) mul(g Homography) Homography {
	var p Homography
	for r := range 3 {
		for c := range 3 {
			p[3*r+c] = h[3*r]*g[c] + h[3*r+1]*g[3+c] + h[3*r+2]*g[6+c]
		}
	}
	return p
}

// affine applies the top two rows of h, which is all there is to a similarity.
func (h Homography) affine(x, y float64) (float64, float64) {
	return h[0]*x + h[1]*y + h[2], h[3]*x + h[4]*y + h[5]
}

// normaliser returns Hartley's normalising similarity for pts (centroid to the origin, mean distance
// from it √2) and its inverse.
func normaliser(pts [][2]float64) (t, inv Homography) {
	var cx, cy float64
	for _, p := range pts {
		cx += p[0]
		cy += p[1]
	}
	n := float64(len(pts))
	cx, cy = cx/n, cy/n
	var d float64
	for _, p := range pts {
		d += math.Hypot(p[0]-cx, p[1]-cy)
	}
	d /= n
	s := math.Sqrt2 / d // d > 0: the points are in general position
	t = Homography{s, 0, -s * cx, 0, s, -s * cy, 0, 0, 1}
	inv = Homography{1 / s, 0, cx, 0, 1 / s, cy, 0, 0, 1}
	return t, inv
}

// solve8 solves a·x = b by Gaussian elimination with partial pivoting. ok is false when a is singular
// (a pivot is negligible against a's largest element).
func solve8(a [8][8]float64, b [8]float64) (x [8]float64, ok bool) {
	var big float64
	for i := range 8 {
		for j := range 8 {
			big = max(big, math.Abs(a[i][j]))
		}
	}
	if !(big > 0) || math.IsInf(big, 0) {
		return x, false
	}
	for k := range 8 {
		p := k
		for i := k + 1; i < 8; i++ {
			if math.Abs(a[i][k]) > math.Abs(a[p][k]) {
				p = i
			}
		}
		if math.Abs(a[p][k]) <= 1e-12*big {
			return x, false
		}
		a[k], a[p] = a[p], a[k]
		b[k], b[p] = b[p], b[k]
		for i := k + 1; i < 8; i++ {
			f := a[i][k] / a[k][k]
			for j := k; j < 8; j++ {
				a[i][j] -= f * a[k][j]
			}
			b[i] -= f * b[k]
		}
	}
	for i := 7; i >= 0; i-- {
		s := b[i]
		for j := i + 1; j < 8; j++ {
			s -= a[i][j] * x[j]
		}
		x[i] = s / a[i][i]
	}
	for _, v := range x {
		if !finite(v, 0) {
			return x, false
		}
	}
	return x, true
}

// generalPosition reports whether some four of pts have no three on a line (up to collinearTol).
func generalPosition(pts [][2]float64) bool {
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range pts {
		minX, maxX = min(minX, p[0]), max(maxX, p[0])
		minY, maxY = min(minY, p[1]), max(maxY, p[1])
	}
	spread := max(maxX-minX, maxY-minY)
	if !(spread > 0) {
		return false
	}
	tol := collinearTol * spread * spread
	flat := func(a, b, c [2]float64) bool {
		return math.Abs((b[0]-a[0])*(c[1]-a[1])-(b[1]-a[1])*(c[0]-a[0])) <= tol
	}
	n := len(pts)
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			for k := j + 1; k < n; k++ {
				if flat(pts[i], pts[j], pts[k]) {
					continue
				}
				for l := k + 1; l < n; l++ {
					if !flat(pts[i], pts[j], pts[l]) && !flat(pts[i], pts[k], pts[l]) && !flat(pts[j], pts[k], pts[l]) {
						return true
					}
				}
			}
		}
	}
	return false
}

func finite(a, b float64) bool {
	return !math.IsNaN(a) && !math.IsInf(a, 0) && !math.IsNaN(b) && !math.IsInf(b, 0)
}
