package synth

import (
	"math"
	"math/cmplx"
)

const noiseSigma = 2.0 // grey levels of sensor noise (standard deviation)

// noiseTab maps a random byte to Gaussian noise of deviation noiseSigma (the normal quantile of the byte's
// bin centre), so one 64-bit draw gives noise for 8 pixels. Its values lie within ±6.
var noiseTab = func() (t [256]int16) {
	for i := range t {
		p := (float64(i) + 0.5) / 256
		t[i] = int16(math.Round(noiseSigma * math.Sqrt2 * math.Erfinv(2*p-1)))
	}
	return t
}()

// clampTab[v+clampBias] is v clamped to 0…255, for v in [−clampBias, 512−clampBias).
var clampTab = func() (t [512]uint8) {
	for i := range t {
		t[i] = uint8(max(0, min(255, i-clampBias)))
	}
	return t
}()

const clampBias = 32

// gain is the global lighting gain at time t: a slow drift of a few percent over a minute.
func (sc *scene) gain(t float64) float64 {
	return 1 + 0.03*math.Sin(2*math.Pi*t/83+sc.ph1) + 0.012*math.Sin(2*math.Pi*t/29+sc.ph2)
}

// makeFloor renders the static, noise-free floor: 0.6 m tiles in perspective, each a little lighter or
// darker, with darker grout lines, a faint blotchy wear pattern, fine grain and a vignette. Values are
// about 90–135. It is synthetic, not a captured image.
func makeFloor(sc *scene, w, h int) []byte {
	const tile = 0.6
	g := &sc.g
	r := rng{hash2(sc.seed, -2, 11)}
	type wave struct{ kx, kd, ph, amp float64 }
	var waves [4]wave
	for i := range waves {
		waves[i] = wave{r.between(-1.2, 1.2), r.between(-1.2, 1.2), r.between(0, 2*math.Pi), r.between(1.5, 3)}
	}
	floor := make([]byte, w*h)
	var rot, cur [len(waves)]complex128 // per-pixel phase step and current phase of each wave, as unit phasors
	for y := range h {
		yc := float64(y) + 0.5
		s := g.sb - (g.h-yc)/(alpha*g.l) // px per metre across; alpha·s down
		p := g.ground(0.5, yc)
		td := math.Floor(p.D / tile)
		fd := p.D/tile - td
		ed := math.Min(fd, 1-fd) * tile * s * alpha
		for i, q := range waves {
			rot[i] = cmplx.Rect(1, q.kx/s)
			cur[i] = cmplx.Rect(1, q.kx*p.X+q.kd*p.D+q.ph)
		}
		tx, tv := math.Inf(-1), 0.0
		dy := (yc - g.h/2) / g.h
		row := floor[y*w : y*w+w]
		for x := range row {
			xc := float64(x) + 0.5
			X := (xc - g.w/2) / s
			if t := math.Floor(X / tile); t != tx {
				tx, tv = t, float64(int(hash2(sc.seed, int64(tx), int64(td))%15)-7)
			}
			v := 118 + tv
			fx := X/tile - tx
			if e := min(fx, 1-fx, ed/(tile*s)) * tile * s; e < 0.9 {
				v -= 18 * (1 - e/0.9)
			}
			for i, q := range waves {
				v += q.amp * imag(cur[i])
				cur[i] *= rot[i]
			}
			v += float64(int(hash2(sc.seed^0xf1007, int64(x), int64(y))%7) - 3)
			dx := (xc - g.w/2) / g.w
			v -= 16 * (dx*dx + dy*dy)
			row[x] = uint8(max(0, min(255, int(v+0.5))))
		}
	}
	return floor
}

// render draws the scene at frame k into pix (w·h bytes, stride w): the floor, soft shadows, the walkers
// from the farthest to the nearest, then lighting gain and sensor noise. pix is the only place frame bytes
// are written; c.figs (walker geometry, no pixels) is reused as scratch.
func (c *Camera) render(k int, pix []byte) {
	w, h := c.opts.Width, c.opts.Height
	n := w * h
	pix = pix[:n]
	copy(pix, c.floor)
	t := c.frameSec(k)
	c.figs = c.sc.figures(t, c.figs[:0])
	figs := c.figs
	// Insertion sort by foot row: nearer people (lower in the image) are drawn last, over farther ones.
	for i := 1; i < len(figs); i++ {
		for j := i; j > 0 && figs[j].fy < figs[j-1].fy; j-- {
			figs[j], figs[j-1] = figs[j-1], figs[j]
		}
	}
	for i := range figs {
		drawShadow(pix, w, h, &figs[i])
	}
	for i := range figs {
		f := &figs[i]
		for i := range f.body {
			p := &f.body[i]
			j0, j1 := rowSpan(p.y0, p.y1, h)
			for j := j0; j < j1; j++ {
				x0, x1 := p.span(j)
				fillRow(pix, w, j, x0, x1, p.luma)
			}
		}
		j0, j1 := rowSpan(f.hy-f.ry, f.hy+f.ry, h)
		for j := j0; j < j1; j++ {
			x0, x1 := f.headSpan(j)
			fillRow(pix, w, j, x0, x1, f.head)
		}
	}
	c.figs = figs

	var lut [256]int16
	gn := c.sc.gain(t)
	for v := range lut {
		lut[v] = int16(math.Round(float64(v)*gn)) + clampBias
	}
	rnd := newXorshift(hash2(c.sc.seed, int64(k), 3))
	i := 0
	for ; i+8 <= n; i += 8 {
		r := rnd.next()
		p := pix[i : i+8 : i+8]
		p[0] = clampTab[(lut[p[0]]+noiseTab[uint8(r)])&511]
		p[1] = clampTab[(lut[p[1]]+noiseTab[uint8(r>>8)])&511]
		p[2] = clampTab[(lut[p[2]]+noiseTab[uint8(r>>16)])&511]
		p[3] = clampTab[(lut[p[3]]+noiseTab[uint8(r>>24)])&511]
		p[4] = clampTab[(lut[p[4]]+noiseTab[uint8(r>>32)])&511]
		p[5] = clampTab[(lut[p[5]]+noiseTab[uint8(r>>40)])&511]
		p[6] = clampTab[(lut[p[6]]+noiseTab[uint8(r>>48)])&511]
		p[7] = clampTab[(lut[p[7]]+noiseTab[uint8(r>>56)])&511]
	}
	for r := rnd.next(); i < n; i, r = i+1, r>>8 {
		pix[i] = clampTab[(lut[pix[i]]+noiseTab[uint8(r)])&511]
	}
}

func fillRow(pix []byte, w, j int, x0, x1 float64, v uint8) {
	i0, i1 := colSpan(x0, x1, w)
	if i0 >= i1 {
		return
	}
	s := pix[j*w+i0 : j*w+i1]
	for i := range s {
		s[i] = v
	}
}

// drawShadow darkens the floor under a figure's feet by up to 13 %, fading out towards the rim of a flat
// ellipse.
func drawShadow(pix []byte, w, h int, f *figure) {
	rx, ry := 0.17*f.h, 0.045*f.h
	cx, cy := f.fx, f.fy-0.01*f.h
	j0, j1 := rowSpan(cy-ry, cy+ry, h)
	for j := j0; j < j1; j++ {
		dy := (float64(j) + 0.5 - cy) / ry
		hw := rx * math.Sqrt(math.Max(0, 1-dy*dy))
		a, b := colSpan(cx-hw, cx+hw, w)
		row := pix[j*w : j*w+w]
		for i := a; i < b; i++ {
			dx := (float64(i) + 0.5 - cx) / rx
			m := 256 - int(33*math.Max(0, 1-dx*dx-dy*dy))
			row[i] = uint8(int(row[i]) * m >> 8)
		}
	}
}
