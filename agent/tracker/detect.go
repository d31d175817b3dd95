package tracker

import (
	"github.com/ashiato/ashiato/agent/tracker/assoc"
	"github.com/ashiato/ashiato/hal"
)

// detector holds the downscaled per-pixel state: the current image, the background model and the masks.
// Everything here is at processing resolution; no full-resolution pixel survives a call.
type detector struct {
	fw, fh int // capture size the state was built for
	s      int // downscale factor
	w, h   int // processing size

	wpr int // words per row of the bit masks (see pixels.go)

	cur      []uint8  // current frame, downscaled
	bg       []uint8  // background estimate (approximate median)
	v        []uint8  // per-pixel threshold (Σ-Δ deviation)
	fg       []uint64 // raw foreground mask, one bit per pixel
	mask     []uint64 // cleaned mask, one bit per pixel
	prot     []uint64 // set inside confirmed tracks' boxes: the background is not updated there
	hs0, hs1 []uint64 // scratch for the 3×3 filter: bit planes of row sums of three
	prev     []uint8  // previous frame, downscaled (for the motion test of ghosts, and the pending update)
	colCnt   []int32  // per-column scratch for splitting
	colBot   []int32
	colTop   []int32
	still    []uint8    // frames a foreground pixel has been part of a motionless blob
	ratio    [256]int32 // histogram scratch for the global gain estimate
	gainLUT  [256]uint8

	gainSteps int // times the model was rescaled for a global light change (for tests)

	// The background update of a frame is decided at the end of its Step (update) and carried out in the
	// next frame's threshold pass, which reads each model pixel anyway (foreground): pend is a model step
	// towards prev, pendV a threshold step, relit a gain rescale by gainLUT found by relight.
	pend, pendV, relit bool // pendV implies pend
	shadowPx           int  // foreground pixels labelled shadow in the last frame (for tests)

	frames      int   // frames since the model was (re)seeded
	updAccMS    int64 // frame time accumulated towards the next background step
	lastMS      int64
	ticks       int // background steps taken
	tune        tuning
	ghostFrames uint8 // ghostMS in frames at the observed frame rate

	// Connected components.
	runs   []run
	parent []int32
	blobs  []blob
}

// tuning holds detector parameters that tests may vary; defaultTuning is what the product uses.
type tuning struct {
	minThr, maxThr uint8 // per-pixel threshold range, grey levels
	sdN            int   // Σ-Δ factor: the threshold tracks sdN·|I−B|
	vEvery         int   // thresholds move every vEvery background steps
	clean          uint8 // 3×3 filter: a pixel is foreground when at least this many of 9 are
	noShadow       bool  // do not label shadows
	noGain         bool  // do not compensate global gain steps
	shLo, shHi     int   // shadow ratio band, in 1/gainOne
	shVarB, shRho  int   // shadow texture test: least variance of B per pixel; least correlation in tenths
}

var defaultTuning = tuning{minThr: 18, maxThr: 48, sdN: 3, vEvery: 4, clean: 5,
	shLo: shadowLo, shHi: shadowHi, shVarB: shadowVarB, shRho: shadowRho10}

type run struct {
	y, x0, x1 int32 // inclusive x range
	label     int32
}

type blob struct {
	area                   int32
	minX, maxX, minY, maxY int32
	motion                 int32 // pixels that changed since the previous frame
	edgeCur, edgeBg        int32 // gradient across the outline in the image and in the model
	root                   bool
}

// Detection constants; grey levels are at processing resolution.
const (
	bgStepMS    = 100  // one ±1 background step per this much frame time
	motionThr   = 8    // grey-level change that counts as motion
	ghostMS     = 1500 // a motionless untracked blob is absorbed after this long
	globalReset = 45   // percent of foreground pixels that means a sudden global change

	// Global gain: the ratio I/B in units of 1/gainOne; the model is rescaled when the median ratio over
	// background pixels is off by more than gainTol/gainOne.
	gainOne  = 128
	gainTol  = 8 // 6.25 %
	gainGrid = 4 // sample every gainGrid-th row and column

	// Shadow label: a foreground pixel is shadow when I/B (in 1/gainOne) is within [shadowLo, shadowHi)
	// over it and over its 3×3 patch, the model has structure there (variance of B over the patch at least
	// shadowVarB per pixel) and I follows it (correlation at least shadowRho10/10).
	shadowLo    = 58  // 0.45
	shadowHi    = 124 // 0.97
	shadowVarB  = 2
	shadowRho10 = 6
)

// downscale is the integer factor by which a frame fw pixels wide is box-downscaled for processing
// width procW. It is at least 2 so that no full-resolution copy of a frame ever exists.
func downscale(fw, procW int) int {
	s := 2
	for fw/s > procW {
		s++
	}
	return s
}

func (d *detector) setup(fw, fh, procW int) {
	s := downscale(fw, procW)
	d.fw, d.fh, d.s = fw, fh, s
	d.w, d.h = fw/s, fh/s
	n := d.w * d.h
	d.cur = make([]uint8, n)
	d.bg = make([]uint8, n)
	d.v = make([]uint8, n)
	d.wpr = (d.w + 63) / 64
	nw := d.wpr * d.h
	d.fg = make([]uint64, nw)
	d.mask = make([]uint64, nw)
	d.prot = make([]uint64, nw)
	d.hs0 = make([]uint64, nw)
	d.hs1 = make([]uint64, nw)
	d.prev = make([]uint8, n)
	d.still = make([]uint8, n)
	d.colCnt = make([]int32, d.w)
	d.colBot = make([]int32, d.w)
	d.colTop = make([]int32, d.w)
	d.runs = make([]run, 0, 1024)
	d.parent = make([]int32, 0, 1024)
	d.blobs = make([]blob, 0, 1024)
	d.frames = 0
	d.pend, d.pendV, d.relit = false, false, false
}

// downscale box-averages f into d.cur.
func (d *detector) downscale(f *hal.Frame) {
	s, w := d.s, d.w
	stride := max(f.Stride, f.Width)
	pix := f.Pix
	if s == 2 {
		d.downscale2(pix, stride)
		return
	}
	n := uint(s * s)
	for y := 0; y < d.h; y++ {
		out := d.cur[y*w : (y+1)*w]
		for x := range out {
			var sum uint
			for yy := 0; yy < s; yy++ {
				row := pix[(y*s+yy)*stride+x*s : (y*s+yy)*stride+x*s+s]
				for _, p := range row {
					sum += uint(p)
				}
			}
			out[x] = uint8((sum + n/2) / n)
		}
	}
}

// isShadow reports whether the interior pixel i looks like a shadow cast on the background: over its 3×3
// patch, the image is darker than the model by a ratio in [shadowLo, shadowHi), and it keeps the model's
// local structure, which needs some structure (on a textureless floor a shadow cannot be told from flat
// clothing of the same shade, so it stays foreground) and a high correlation of I with B.
func (d *detector) isShadow(i int) bool {
	w := d.w
	var si, sb, sii, sbb, sib int
	for _, o := range [3]int{i - w - 1, i - 1, i + w - 1} {
		c, b := d.cur[o:o+3:o+3], d.bg[o:o+3:o+3]
		for k := range 3 {
			x, y := int(c[k]), int(b[k])
			si += x
			sb += y
			sii += x * x
			sbb += y * y
			sib += x * y
		}
	}
	if si*gainOne < d.tune.shLo*sb || si*gainOne >= d.tune.shHi*sb {
		return false
	}
	varB := 9*sbb - sb*sb // 81 × variance
	if varB < 81*d.tune.shVarB {
		return false
	}
	cov := 9*sib - si*sb
	if cov <= 0 {
		return false
	}
	varI := 9*sii - si*si
	r := int64(d.tune.shRho)
	return 100*int64(cov)*int64(cov) >= r*r*int64(varI)*int64(varB)
}

// relight compensates a sudden global change of gain (a light switched, an exposure step): it estimates
// the gain as the median of I/B over a sparse grid of pixels that were background in the last frame's
// mask, and when that is off by more than gainTol/gainOne it has foreground rescale the model (and the
// previous frame, for the motion test) by it, so the change does not turn the image into foreground. A
// slow drift never gets that far, because the median follows it. B is the model with the last frame's
// pending step applied.
func (d *detector) relight() {
	if d.tune.noGain {
		return
	}
	hist := &d.ratio
	clear(hist[:])
	n := 0
	w := d.w
	for y := gainGrid / 2; y < d.h; y += gainGrid {
		row := y * w
		for x := gainGrid / 2; x < w; x += gainGrid {
			i := row + x
			if d.bit(d.mask, x, y) {
				continue
			}
			b, c := int(d.bg[i]), int(d.cur[i])
			if d.pend {
				b = int(stepBg(d.bg[i], d.prev[i], d.bit(d.fg, x, y) && d.bit(d.prot, x, y)))
			}
			if b < 16 || b > 240 || c > 250 {
				continue
			}
			hist[min(c*gainOne/b, 255)]++
			n++
		}
	}
	if n < 64 {
		return
	}
	med, acc := 0, int32(0)
	for k, m := range hist {
		acc += m
		if 2*int(acc) >= n {
			med = k
			break
		}
	}
	if med > gainOne-gainTol && med < gainOne+gainTol {
		return
	}
	for v := range d.gainLUT {
		d.gainLUT[v] = uint8(min((v*med+gainOne/2)/gainOne, 255))
	}
	d.relit = true
	d.gainSteps++
}

// seed makes the current frame the background.
func (d *detector) seed(timeMS int64) {
	copy(d.bg, d.cur)
	copy(d.prev, d.cur)
	clear(d.still)
	for i := range d.v {
		d.v[i] = d.tune.minThr
	}
	d.frames = 0
	d.updAccMS = 0
	d.pend, d.pendV, d.relit = false, false, false
}

// update decides the background update of this frame: one grey level towards the current frame per
// bgStepMS of frame time, everywhere except on foreground inside the boxes of confirmed tracks that have
// moved (see protect), after absorbing ghosts (see ghosts); every vEvery-th step also moves the per-pixel
// thresholds (Σ-Δ: V tracks sdN·|I−B| by unit steps, within [minThr, maxThr], on background pixels). The
// per-pixel work is left pending for the next frame's foreground pass, which reads the frame kept as prev.
func (d *detector) update(timeMS int64) {
	d.updAccMS += timeMS - d.lastMS
	if d.updAccMS < bgStepMS {
		return
	}
	d.updAccMS -= bgStepMS
	if d.updAccMS > bgStepMS {
		d.updAccMS = 0
	}
	d.absorb()
	d.pend = true
	d.ticks++
	d.pendV = d.ticks%d.tune.vEvery == 0
}

// absorb takes into the background, at once, the pixels of blobs that have been motionless for
// ghostFrames frames (a ghost, or an object left behind), unless they are a protected tracked person and
// not an evident ghost.
func (d *detector) absorb() {
	cur, bg, still := d.cur, d.bg[:len(d.cur)], d.still[:len(d.cur)]
	gf := d.ghostFrames
	for _, r := range d.runs {
		o := int(r.y) * d.w
		for i := o + int(r.x0); i <= o+int(r.x1); i++ {
			st := still[i]
			if st&0x7f >= gf && (st&0x80 != 0 || !d.bit(d.prot, i-o, int(r.y))) {
				bg[i] = cur[i]
				still[i] = 0
			}
		}
	}
}

// ghosts finds motionless blobs: blobs of which almost no pixel changed since the previous frame. Their
// pixels' still counters (low 7 bits) grow; every other pixel's counter is reset. A motionless blob whose
// outline is an edge of the background model but not of the current image is a ghost (the model is wrong
// there: something that was learnt has left); its pixels get the ghost bit (0x80), which lets the
// background update absorb them even inside a tracked person's box. The update absorbs pixels whose count
// reaches ghostFrames.
func (d *detector) ghosts() {
	cur, bg, prev, still := d.cur, d.bg[:len(d.cur)], d.prev[:len(d.cur)], d.still[:len(d.cur)]
	w := d.w
	for i := range d.blobs {
		b := &d.blobs[i]
		b.motion, b.edgeCur, b.edgeBg = 0, 0, 0
	}
	for _, r := range d.runs {
		o := int(r.y) * w
		c, p := cur[o+int(r.x0):o+int(r.x1)+1], prev[o+int(r.x0):o+int(r.x1)+1]
		m := int32(0)
		for x, v := range c {
			diff := int(v) - int(p[x])
			if diff > motionThr || diff < -motionThr {
				m++
			}
		}
		b := &d.blobs[r.label]
		b.motion += m
		// Horizontal gradient across the run's two ends.
		if r.x0 > 0 && r.x1 < int32(w-1) {
			i0, i1 := o+int(r.x0), o+int(r.x1)
			b.edgeCur += absDiff(cur[i0-1], cur[i0+1]) + absDiff(cur[i1-1], cur[i1+1])
			b.edgeBg += absDiff(bg[i0-1], bg[i0+1]) + absDiff(bg[i1-1], bg[i1+1])
		}
	}
	// Pixels off the mask are not still.
	for y := range d.h {
		row := still[y*w : (y+1)*w]
		x := 0
		for ; x+8 <= w; x += 8 {
			store8(row[x:], load8(row[x:])&expandBits[d.byteOf(d.mask, x, y)])
		}
		for ; x < w; x++ {
			if !d.bit(d.mask, x, y) {
				row[x] = 0
			}
		}
	}
	for _, r := range d.runs {
		b := &d.blobs[r.label]
		o := int(r.y) * w
		st := still[o+int(r.x0) : o+int(r.x1)+1]
		if b.motion*10 < b.area {
			var ghost, inc uint8 = 0, 1
			if 10*b.edgeCur < 7*b.edgeBg {
				ghost = 0x80
				if 3*b.edgeCur < b.edgeBg {
					inc = 4 // an unmistakable ghost heals four times as fast
				}
			}
			for x, v := range st {
				st[x] = min(v&0x7f+inc, 0x7f) | ghost
			}
		} else {
			clear(st)
		}
	}
}

func absDiff(a, b uint8) int32 {
	if a > b {
		return int32(a - b)
	}
	return int32(b - a)
}

// label finds the 8-connected components of d.mask with a run-based union-find and fills d.blobs (only
// entries with root set are components).
func (d *detector) label() {
	h := d.h
	d.runs = d.runs[:0]
	d.parent = d.parent[:0]
	prevStart, prevEnd := int32(0), int32(0)
	for y := 0; y < h; y++ {
		start := int32(len(d.runs))
		p := prevStart
		d.forRuns(y, func(x0, x1 int) {
			lbl := int32(len(d.parent))
			d.parent = append(d.parent, lbl)
			// Runs of the previous row that touch [x0-1, x1+1].
			for p < prevEnd && d.runs[p].x1 < int32(x0-1) {
				p++
			}
			for q := p; q < prevEnd && d.runs[q].x0 <= int32(x1+1); q++ {
				d.union(lbl, d.runs[q].label)
			}
			d.runs = append(d.runs, run{y: int32(y), x0: int32(x0), x1: int32(x1), label: lbl})
		})
		prevStart, prevEnd = start, int32(len(d.runs))
	}
	// Statistics per root.
	if cap(d.blobs) < len(d.parent) {
		d.blobs = make([]blob, len(d.parent), 2*len(d.parent))
	}
	d.blobs = d.blobs[:len(d.parent)]
	for i := range d.blobs {
		d.blobs[i] = blob{minX: 1 << 30, minY: 1 << 30, maxX: -1, maxY: -1}
	}
	for i := range d.runs {
		r := &d.runs[i]
		l := d.find(r.label)
		r.label = l
		b := &d.blobs[l]
		b.root = true
		n := r.x1 - r.x0 + 1
		b.area += n
		b.minX = min(b.minX, r.x0)
		b.maxX = max(b.maxX, r.x1)
		b.minY = min(b.minY, r.y)
		b.maxY = max(b.maxY, r.y)
	}
}

func (d *detector) find(x int32) int32 {
	p := d.parent
	for p[x] != x {
		p[x] = p[p[x]]
		x = p[x]
	}
	return x
}

func (d *detector) union(a, b int32) {
	ra, rb := d.find(a), d.find(b)
	if ra == rb {
		return
	}
	if ra < rb {
		d.parent[rb] = ra
	} else {
		d.parent[ra] = rb
	}
}

// protect marks the boxes (in capture pixels) of confirmed tracks that have moved as not to be learnt where
// they are foreground, so people who stop are not absorbed. Tracks that never moved are not protected: a
// ghost left by a wrong seed must be allowed to heal.
func (d *detector) protect(boxes []assoc.Box) {
	clear(d.prot)
	s := float64(d.s)
	for _, b := range boxes {
		if !b.Confirmed || !b.Moved {
			continue
		}
		x0 := int((b.X-0.6*b.W)/s) - 1
		x1 := int((b.X+0.6*b.W)/s) + 1
		y0 := int((b.Y-1.1*b.H)/s) - 1
		y1 := int((b.Y+0.1*b.H)/s) + 1
		x0, x1 = max(x0, 0), min(x1, d.w-1)
		y0, y1 = max(y0, 0), min(y1, d.h-1)
		if x0 > x1 {
			continue
		}
		for y := y0; y <= y1; y++ {
			row := d.prot[y*d.wpr : (y+1)*d.wpr]
			for j := x0 >> 6; j <= x1>>6; j++ {
				m := ^uint64(0)
				if j == x0>>6 {
					m <<= uint(x0 & 63)
				}
				if j == x1>>6 {
					m &= ^uint64(0) >> uint(63-x1&63)
				}
				row[j] |= m
			}
		}
	}
}
