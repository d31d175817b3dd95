// Package zones blanks privacy zones: configured polygons whose pixels are zeroed in the frame slot before
// anything else reads them.
package zones

import (
	"math"
	"sort"

	"github.com/ashiato/ashiato/hal"
)

// Polygon is a list of vertices in normalised image coordinates ([0,1] of width and height).
type Polygon [][2]float64

// span is a run of pixels [x0, x1) on row y to zero.
type span struct{ y, x0, x1 int32 }

// Mask is the set of pixel runs covered by the zones, for one frame size. It is immutable after New and safe
// for concurrent use.
type Mask struct {
	w, h  int
	spans []span
}

// New rasterises polys for a w×h frame. A pixel is covered when its centre lies inside any polygon
// (even-odd rule per polygon). A nil or empty polys gives a Mask that does nothing.
func New(polys []Polygon, w, h int) *Mask {
	m := &Mask{w: w, h: h}
	var xs []float64
	for _, p := range polys {
		if len(p) < 3 {
			continue
		}
		for y := 0; y < h; y++ {
			cy := (float64(y) + 0.5) / float64(h)
			xs = xs[:0]
			for i := range p {
				a, b := p[i], p[(i+1)%len(p)]
				if (a[1] <= cy) != (b[1] <= cy) {
					t := (cy - a[1]) / (b[1] - a[1])
					xs = append(xs, a[0]+t*(b[0]-a[0]))
				}
			}
			sort.Float64s(xs)
			for i := 0; i+1 < len(xs); i += 2 {
				// pixel x is covered when x+0.5 in [xs[i], xs[i+1]) (scaled)
				x0 := int(math.Ceil(xs[i]*float64(w) - 0.5))
				x1 := int(math.Ceil(xs[i+1]*float64(w) - 0.5))
				x0, x1 = max(x0, 0), min(x1, w)
				if x1 > x0 {
					m.spans = append(m.spans, span{int32(y), int32(x0), int32(x1)})
				}
			}
		}
	}
	return m
}

// Empty reports whether the mask covers no pixel.
func (m *Mask) Empty() bool { return m == nil || len(m.spans) == 0 }

// Pixels is the number of pixels covered (overlapping zones count twice).
func (m *Mask) Pixels() int {
	n := 0
	if m != nil {
		for _, s := range m.spans {
			n += int(s.x1 - s.x0)
		}
	}
	return n
}

// Fits reports whether the mask was made for frames of f's size.
func (m *Mask) Fits(f *hal.Frame) bool { return m != nil && f.Width == m.w && f.Height == m.h }

// Apply zeroes the covered pixels of f in place. f must have the size the mask was made for.
func (m *Mask) Apply(f *hal.Frame) {
	if m.Empty() {
		return
	}
	if !m.Fits(f) {
		panic("BUG: zones: mask applied to a frame of another size")
	}
	for _, s := range m.spans {
		row := int(s.y) * f.Stride
		clear(f.Pix[row+int(s.x0) : row+int(s.x1)])
	}
}
