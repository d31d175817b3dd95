package tracker

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/ashiato/ashiato/hal"
)

// walker is a synthetic person: a textured rectangle whose foot point (bottom-centre) moves between
// waypoints at constant speed.
type walker struct {
	w, h  int                        // size in pixels
	tone  int                        // mean intensity
	path  []waypt                    // frame → foot position; linear in between
	shade [64]uint8                  // vertical texture
	fn    func(i int) (x, y float64) // if set, the foot point at frame i (always in view); path is unused
	// shadow, if positive, casts a soft shadow on the floor that darkens it by this fraction: attached to
	// the feet and reaching shadowLen·h to the right (to the left if shadowLen is negative).
	shadow, shadowLen float64
}

type waypt struct {
	frame int
	x, y  float64
}

// at returns the foot point at frame i and whether the walker is in view.
func (w *walker) at(i int) (float64, float64, bool) {
	if w.fn != nil {
		x, y := w.fn(i)
		return x, y, true
	}
	p := w.path
	if i < p[0].frame || i > p[len(p)-1].frame {
		return 0, 0, false
	}
	for k := 1; k < len(p); k++ {
		if i <= p[k].frame {
			a := float64(i-p[k-1].frame) / float64(p[k].frame-p[k-1].frame)
			return p[k-1].x + a*(p[k].x-p[k-1].x), p[k-1].y + a*(p[k].y-p[k-1].y), true
		}
	}
	return 0, 0, false
}

// scene renders frames of a textured background with sensor noise and walkers.
type scene struct {
	w, h    int
	bg      []uint8
	walkers []*walker
	rng     *rand.Rand
	noise   int
	fps     float64
	ntab    []int8              // noise table; each frame reads it from a random offset
	gain    func(i int) float64 // if set, a global lighting gain on frame i
}

func newScene(w, h int, seed uint64) *scene {
	s := &scene{w: w, h: h, bg: make([]uint8, w*h), rng: rand.New(rand.NewPCG(seed, 7)), noise: 3, fps: 10}
	r := rand.New(rand.NewPCG(seed, 99))
	// Smooth texture: a sum of a few random sinusoids plus fine grain.
	type wave struct{ fx, fy, ph, amp float64 }
	var ws [6]wave
	for i := range ws {
		ws[i] = wave{r.Float64() * 0.05, r.Float64() * 0.05, r.Float64() * 6.28, 10 + 10*r.Float64()}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := 120.0
			for _, q := range ws {
				v += q.amp * math.Sin(q.fx*float64(x)+q.fy*float64(y)+q.ph)
			}
			v += float64(r.IntN(9)) - 4
			s.bg[y*w+x] = uint8(max(0, min(255, v)))
		}
	}
	s.ntab = make([]int8, w*h+4096)
	for i := range s.ntab {
		s.ntab[i] = int8(r.IntN(2*s.noise+1) - s.noise)
	}
	return s
}

// tiles lays square tiles of side n pixels over the floor, each a little lighter or darker, with grout
// lines and a coarser grain: a floor with structure, as shops have.
func (s *scene) tiles(n int, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 5))
	tone := make([]int, (s.w/n+1)*(s.h/n+1))
	for i := range tone {
		tone[i] = r.IntN(25) - 12
	}
	for y := 0; y < s.h; y++ {
		for x := 0; x < s.w; x++ {
			v := int(s.bg[y*s.w+x]) + tone[(y/n)*(s.w/n+1)+x/n] + r.IntN(13) - 6
			if x%n < 2 || y%n < 2 {
				v -= 25
			}
			s.bg[y*s.w+x] = uint8(max(0, min(255, v)))
		}
	}
}

func (s *scene) add(w, h, tone int, path ...waypt) *walker {
	wk := &walker{w: w, h: h, tone: tone, path: path}
	for i := range wk.shade {
		wk.shade[i] = uint8(s.rng.IntN(30))
	}
	s.walkers = append(s.walkers, wk)
	return wk
}

// render draws frame i into f (whose Pix must hold w*h bytes).
func (s *scene) render(i int, f *hal.Frame) {
	f.Seq = uint64(i)
	f.Time = time.Unix(1000, 0).Add(time.Duration(float64(i) / s.fps * float64(time.Second)))
	f.Width, f.Height, f.Stride = s.w, s.h, s.w
	pix := f.Pix[:s.w*s.h]
	nt := s.ntab[s.rng.IntN(4096):]
	for j, b := range s.bg {
		v := int(b) + int(nt[j])
		pix[j] = uint8(max(0, min(255, v)))
	}
	for _, wk := range s.walkers {
		if fx, fy, ok := wk.at(i); ok && wk.shadow > 0 {
			s.drawShadow(pix, wk, fx, fy)
		}
	}
	for _, wk := range s.walkers {
		fx, fy, ok := wk.at(i)
		if !ok {
			continue
		}
		x0 := int(math.Round(fx - float64(wk.w)/2))
		y1 := int(math.Round(fy))
		for y := y1 - wk.h; y < y1; y++ {
			if y < 0 || y >= s.h {
				continue
			}
			t := wk.tone + int(wk.shade[(y1-y)*len(wk.shade)/wk.h%len(wk.shade)]) - 15
			for x := x0; x < x0+wk.w; x++ {
				if x < 0 || x >= s.w {
					continue
				}
				pix[y*s.w+x] = uint8(max(0, min(255, t+s.rng.IntN(5)-2)))
			}
		}
	}
	if s.gain != nil {
		g := s.gain(i)
		var lut [256]uint8
		for v := range lut {
			lut[v] = uint8(max(0, min(255, math.Round(float64(v)*g))))
		}
		for j, v := range pix {
			pix[j] = lut[v]
		}
	}
}

// drawShadow darkens the floor by wk.shadow in a flat ellipse that starts under the feet at (fx, fy) and
// reaches wk.shadowLen·h sideways, with a soft rim (the outer third of the radius fades out).
func (s *scene) drawShadow(pix []byte, wk *walker, fx, fy float64) {
	h := float64(wk.h)
	l := wk.shadowLen * h
	x0, x1 := fx-0.1*h, fx+l
	if l < 0 {
		x0, x1 = fx+l, fx+0.1*h
	}
	cx, rx := (x0+x1)/2, (x1-x0)/2
	cy, ry := fy-0.02*h, 0.06*h
	for y := int(cy - ry); y <= int(cy+ry)+1; y++ {
		if y < 0 || y >= s.h {
			continue
		}
		for x := int(cx - rx); x <= int(cx+rx)+1; x++ {
			if x < 0 || x >= s.w {
				continue
			}
			dx, dy := (float64(x)+0.5-cx)/rx, (float64(y)+0.5-cy)/ry
			a := min(1, 3*(1-math.Sqrt(dx*dx+dy*dy)))
			if a <= 0 {
				continue
			}
			pix[y*s.w+x] = uint8(float64(pix[y*s.w+x])*(1-a*wk.shadow) + 0.5)
		}
	}
}
