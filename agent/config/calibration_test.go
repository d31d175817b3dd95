package config

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// synthCalibration is six points of the synthetic 640×480 scene, measured on its floor to the centimetre:
// x across the view from the centre column, y away from the bottom row.
const synthCalibration = `
[calibration]
image = [[0.1, 0.95], [0.9, 0.95], [0.85, 0.6], [0.15, 0.6], [0.8, 0.25], [0.2, 0.25]]
floor = [[-4.05, 0.5], [4.05, 0.5], [4.23, 4.37], [-4.23, 4.37], [4.5, 9.07], [-4.5, 9.07]]
`

func TestCalibrationPairs(t *testing.T) {
	c, err := Parse("c.toml", []byte(synthCalibration))
	if err != nil {
		t.Fatal(err)
	}
	h, ok, err := c.Calibration.Homography()
	if err != nil || !ok {
		t.Fatalf("Homography = %v, %v", ok, err)
	}
	// Each image point lands near its measured floor point (the synthetic lens is not exactly a
	// homography, so not exactly on it).
	for i, p := range c.Calibration.Image {
		X, Y, ok := h.Apply(p[0], p[1])
		f := c.Calibration.Floor[i]
		if !ok || math.Hypot(X-f[0], Y-f[1]) > 0.5 {
			t.Errorf("point %d: %v → (%.2f, %.2f, %v), measured %v", i, p, X, Y, ok, f)
		}
	}
	base, _ := Parse("b.toml", nil)
	if c.Hash() == base.Hash() {
		t.Error("the calibration does not change the config hash")
	}
	if _, ok, err := base.Calibration.Homography(); ok || err != nil {
		t.Errorf("no calibration: Homography = %v, %v", ok, err)
	}
}

func TestCalibrationMatrix(t *testing.T) {
	c, err := Parse("m.toml", []byte("[calibration]\nmatrix = [10, 0, -5, 0, -12, 12, 0, 0, 1]\n"))
	if err != nil {
		t.Fatal(err)
	}
	h, ok, err := c.Calibration.Homography()
	if err != nil || !ok {
		t.Fatalf("Homography = %v, %v", ok, err)
	}
	if X, Y, ok := h.Apply(0.5, 1); !ok || X != 0 || Y != 0 {
		t.Errorf("bottom centre → (%g, %g, %v), want the origin", X, Y, ok)
	}
}

func TestCalibrationErrors(t *testing.T) {
	for _, tc := range []struct {
		name, toml string
		want       []string
	}{
		{"image without floor", "image = [[0.1, 0.9], [0.9, 0.9], [0.8, 0.3], [0.2, 0.3]]",
			[]string{"calibration: image and floor go together"}},
		{"floor without image", "floor = [[0, 0], [1, 0], [1, 1], [0, 1]]",
			[]string{"calibration: image and floor go together"}},
		{"three pairs", "image = [[0.1, 0.9], [0.9, 0.9], [0.5, 0.3]]\nfloor = [[0, 0], [1, 0], [0.5, 5]]",
			[]string{"calibration.image: needs at least 4 points, has 3"}},
		{"counts differ", "image = [[0.1, 0.9], [0.9, 0.9], [0.8, 0.3], [0.2, 0.3], [0.5, 0.5]]\nfloor = [[0, 0], [1, 0], [1, 1], [0, 1]]",
			[]string{"calibration.floor: has 4 points, but calibration.image has 5"}},
		{"outside the image", "image = [[0.1, 0.9], [1.9, 0.9], [0.8, 0.3], [0.2, -0.3]]\nfloor = [[0, 0], [1, 0], [1, 1], [0, 1]]",
			[]string{"calibration.image: point 1 (1.9, 0.9) is outside [0,1]", "calibration.image: point 3 (0.2, -0.3) is outside [0,1]"}},
		{"not finite", "image = [[0.1, 0.9], [0.9, 0.9], [0.8, 0.3], [0.2, 0.3]]\nfloor = [[0, 0], [1, 0], [1, inf], [0, 1]]",
			[]string{"k.toml:3: calibration.floor[2][1]: want a finite number"}},
		{"collinear", "image = [[0.1, 0.9], [0.5, 0.9], [0.9, 0.9], [0.5, 0.3]]\nfloor = [[0, 0], [1, 0], [2, 0], [1, 5]]",
			[]string{"calibration: three of the image points lie on a line"}},
		{"misread tape", strings.Replace(strings.TrimPrefix(synthCalibration, "\n[calibration]\n"), "[4.23, 4.37]", "[5.53, 4.37]", 1),
			[]string{"calibration.floor: the points disagree with one another by", "the worst is point 2, measured (5.53, 4.37)"}},
		{"both", "image = [[0.1, 0.9], [0.9, 0.9], [0.8, 0.3], [0.2, 0.3]]\nfloor = [[0, 0], [1, 0], [1, 1], [0, 1]]\nmatrix = [1, 0, 0, 0, 1, 0, 0, 0, 1]",
			[]string{"calibration.matrix: give either matrix or image and floor, not both"}},
		{"matrix size", "matrix = [1, 0, 0, 0, 1, 0, 0, 0]",
			[]string{"calibration.matrix: has 8 numbers, want 9"}},
		{"singular matrix", "matrix = [1, 2, 3, 2, 4, 6, 0, 0, 1]",
			[]string{"calibration.matrix: the matrix is singular"}},
		{"flipped matrix", "matrix = [-10, 0, 5, 0, 12, -12, 0, 0, -1]",
			[]string{"calibration.matrix: maps no part of the image to the floor"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("k.toml", []byte("[calibration]\n"+tc.toml+"\n"))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestExampleCalibration loads the example file with its commented [calibration] section switched on, so
// the example cannot go stale either.
func TestExampleCalibration(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "ashiato.example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	on := 0
	for _, l := range strings.Split(string(b), "\n") {
		for _, k := range []string{"[calibration]", "image = ", "floor = "} {
			if strings.HasPrefix(l, "# "+k) {
				l = strings.TrimPrefix(l, "# ")
				on++
			}
		}
		out = append(out, l)
	}
	if on != 3 {
		t.Fatalf("found %d of the 3 commented calibration lines", on)
	}
	c, err := Parse("example", []byte(strings.Join(out, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := c.Calibration.Homography(); !ok || err != nil {
		t.Fatalf("example calibration: %v %v", ok, err)
	}
}
