package tracker

import "math/bits"

// The per-pixel passes work on eight pixels at a time in one uint64 (SWAR: SIMD within a register), in
// portable Go. Eight pixels are loaded little-endian, so lane k (bits 8k..8k+7) is the pixel at byte
// offset k on every platform. Every lane operation below is exact: no lane ever carries into or borrows
// from its neighbour, so the results are bit-identical to the one-pixel-at-a-time code they replace
// (fallback paths and the tests keep that code).
//
// Masks (raw foreground, cleaned foreground, protected pixels) are one bit per pixel: row y is words
// [y·wpr, (y+1)·wpr) with wpr = ⌈w/64⌉, pixel x is bit x mod 64 of word x/64, and the bits past w are 0.

const (
	lanes01 = 0x0101010101010101
	lanesHi = 0x8080808080808080
	lanes00 = 0x00ff00ff00ff00ff
)

// geHi has the top bit of each lane set where lane a ≥ lane b (unsigned), and nothing else. (a|0x80) −
// (b&0x7f) cannot borrow across lanes, and its top bit says a mod 128 ≥ b mod 128; the top bits of a and
// b decide the rest.
func geHi(a, b uint64) uint64 {
	d := (a | lanesHi) - (b &^ lanesHi)
	return ((a &^ b) | (^(a ^ b) & d)) & lanesHi
}

// ltHi has the top bit of each lane set where lane a < lane b.
func ltHi(a, b uint64) uint64 { return ^geHi(a, b) & lanesHi }

// full turns top-bit lanes (from geHi, ltHi) into 0xff lanes.
func full(m uint64) uint64 { return (m >> 7) * 0xff }

// movemask gathers the top bits of the lanes into a byte, lane k into bit k: each 0x01 lane times the
// constant lands in bit 56+k, and no two partial products share a bit, so nothing carries.
func movemask(m uint64) uint64 { return ((m >> 7) * 0x0102040810204080) >> 56 }

// absDiff8 is |a − b| per lane: the larger minus the smaller, which never borrows.
func absDiff8(a, b uint64) uint64 {
	m := full(geHi(a, b))
	return ((a & m) | (b &^ m)) - ((a &^ m) | (b & m))
}

// expandBits[b] has lane k 0xff where bit k of b is set.
var expandBits = func() (t [256]uint64) {
	for b := range t {
		for k := range 8 {
			if b>>k&1 != 0 {
				t[b] |= 0xff << (8 * k)
			}
		}
	}
	return t
}()

// bit reports bit x of row y of a mask.
func (d *detector) bit(m []uint64, x, y int) bool { return m[y*d.wpr+x>>6]>>(x&63)&1 != 0 }

// byteOf returns the 8 mask bits of pixels x..x+7 of row y (x a multiple of 8).
func (d *detector) byteOf(m []uint64, x, y int) uint64 { return m[y*d.wpr+x>>6] >> (x & 63) & 0xff }

// downscale2 box-averages 2×2 blocks of f's rows into d.cur, eight output pixels at a time: the sum of
// each horizontal pair of a row lands in a 16-bit lane, the two rows' pairs are added, and the lanes are
// rounded, halved twice and packed back into bytes.
func (d *detector) downscale2(pix []byte, stride int) {
	w := d.w
	for y := 0; y < d.h; y++ {
		r0 := pix[2*y*stride : 2*y*stride+2*w]
		r1 := pix[(2*y+1)*stride : (2*y+1)*stride+2*w]
		out := d.cur[y*w : (y+1)*w]
		x := 0
		for ; x+8 <= w; x += 8 {
			a, b := r0[2*x:2*x+16], r1[2*x:2*x+16]
			lo := quad4(load8(a[0:8]), load8(b[0:8]))
			hi := quad4(load8(a[8:16]), load8(b[8:16]))
			store8(out[x:x+8], lo|hi<<32)
		}
		for ; x < w; x++ {
			out[x] = uint8((uint(r0[2*x]) + uint(r0[2*x+1]) + uint(r1[2*x]) + uint(r1[2*x+1]) + 2) >> 2)
		}
	}
}

// quad4 averages the four 2×2 blocks of two rows of eight pixels (a above b) into four bytes, rounding as
// the one-pixel code does.
func quad4(a, b uint64) uint64 {
	s := (a & lanes00) + (a >> 8 & lanes00) + (b & lanes00) + (b >> 8 & lanes00)
	s = (s + 0x0002000200020002) >> 2 & lanes00
	s = (s | s>>8) & 0x0000ffff0000ffff
	return (s | s>>16) & 0xffffffff
}

// stepBg is the background model's one-grey-level step of pixel value b towards p, the frame it was
// taken with, unless the pixel was foreground in a protected box (fgProt).
func stepBg(b, p uint8, fgProt bool) uint8 {
	if fgProt {
		return b
	}
	switch {
	case p > b:
		return b + 1
	case p < b:
		return b - 1
	}
	return b
}

// stepV is the Σ-Δ threshold's unit step at a background pixel: towards sdN·|p − b| within [minThr, maxThr].
func (d *detector) stepV(v, p, b uint8) uint8 {
	t := d.tune.sdN * int(absDiff(p, b))
	if t > int(v) && v < d.tune.maxThr {
		return v + 1
	} else if t < int(v) && v > d.tune.minThr {
		return v - 1
	}
	return v
}

// fusedOK reports whether foreground may use the fused eight-pixel pass: no shadow label (it reads a
// 3×3 patch of the model), no gain rescale this frame, and the default Σ-Δ factor (the lanes compute
// min(|p−b|, 85)·3, which is exact when the factor is 3 and the largest threshold is below 255).
func (d *detector) fusedOK() bool {
	return d.tune.noShadow && !d.relit && d.tune.sdN == 3 && d.tune.maxThr < 255
}

// foreground first completes the background update of the previous frame that update left pending (the
// step of the model towards that frame, d.prev, and every vEvery steps the thresholds', both decided by
// that frame's raw foreground and protection; then a gain rescale if relight found one), and thresholds
// d.cur against the updated model into d.fg. It returns the number of foreground pixels. Foreground
// pixels that pass the shadow test (see isShadow) are left out.
//
// The two passes are one: each pixel of the model is read once, moved, and compared with the new frame.
func (d *detector) foreground() int {
	if !d.fusedOK() {
		d.applyPending()
		return d.threshold()
	}
	w, wpr := d.w, d.wpr
	pend, pendV := d.pend, d.pendV
	d.pend, d.pendV = false, false
	l := lanesFor(d.tune)
	cnt := 0
	for y := range d.h {
		o := y * w
		cur, bg, v, prev := d.cur[o:o+w], d.bg[o:o+w], d.v[o:o+w], d.prev[o:o+w]
		fgRow, protRow := d.fg[y*wpr:(y+1)*wpr], d.prot[y*wpr:(y+1)*wpr]
		x := 0
		for ; x+64 <= w; x += 64 {
			j := x >> 6
			var m uint64
			switch {
			case pendV:
				m = fused64(cur[x:x+64], bg[x:x+64], v[x:x+64], prev[x:x+64], fgRow[j], protRow[j], &l, true)
			case pend:
				m = fused64(cur[x:x+64], bg[x:x+64], v[x:x+64], prev[x:x+64], fgRow[j], protRow[j], &l, false)
			default:
				m = threshold64(cur[x:x+64], bg[x:x+64], v[x:x+64])
			}
			fgRow[j] = m
			cnt += bits.OnesCount64(m)
		}
		for ; x < w; x++ {
			i, wi, bi := o+x, x>>6, uint(x&63)
			fgOld := fgRow[wi]>>bi&1 != 0
			b := d.bg[i]
			if pend {
				b = stepBg(b, d.prev[i], fgOld && protRow[wi]>>bi&1 != 0)
				d.bg[i] = b
			}
			if pendV && !fgOld {
				d.v[i] = d.stepV(d.v[i], d.prev[i], b)
			}
			fgRow[wi] &^= 1 << bi
			if int32(absDiff(d.cur[i], b)) > int32(d.v[i]) {
				fgRow[wi] |= 1 << bi
				cnt++
			}
		}
	}
	return cnt
}

// thrLanes are the threshold bounds of the Σ-Δ step, repeated in every lane.
type thrLanes struct{ minT, maxT uint64 }

func lanesFor(t tuning) thrLanes {
	return thrLanes{uint64(t.minThr) * lanes01, uint64(t.maxThr) * lanes01}
}

// threshold64 returns the foreground bits of 64 pixels: |cur − bg| > v.
func threshold64(cur, bg, v []byte) uint64 {
	var m uint64
	for k := 0; k < 64; k += 8 {
		m |= movemask(ltHi(load8(v[k:k+8]), absDiff8(load8(cur[k:k+8]), load8(bg[k:k+8])))) << uint(k)
	}
	return m
}

// fused64 applies the pending model step to 64 pixels (towards prev, except on raw foreground fgOld that
// is protected), with stepV also their threshold step (on background pixels), and returns the new
// foreground bits |cur − bg| > v.
func fused64(cur, bg, v, prev []byte, fgOld, prot uint64, l *thrLanes, stepV bool) uint64 {
	const k85 = 85 * lanes01
	keepAll := fgOld & prot
	var m uint64
	for k := 0; k < 64; k += 8 {
		b, p := load8(bg[k:k+8]), load8(prev[k:k+8])
		keep := expandBits[keepAll>>uint(k)&0xff]
		b = b + ltHi(b, p)>>7&^keep - ltHi(p, b)>>7&^keep
		store8(bg[k:k+8], b)
		vv := load8(v[k : k+8])
		if stepV {
			dd := absDiff8(p, b)
			big := full(geHi(dd, k85))
			t := ((dd &^ big) | (k85 & big)) * 3
			bgPx := ^expandBits[fgOld>>uint(k)&0xff]
			inc := ltHi(vv, t) & ltHi(vv, l.maxT) >> 7 & bgPx
			dec := ltHi(t, vv) & ltHi(l.minT, vv) >> 7 & bgPx
			vv = vv + inc - dec
			store8(v[k:k+8], vv)
		}
		m |= movemask(ltHi(vv, absDiff8(load8(cur[k:k+8]), b))) << uint(k)
	}
	return m
}

// applyPending completes the pending background update and gain rescale one pixel at a time (for the
// shadow label, a gain rescale, a Wipe). The update is exactly that of the fused pass.
func (d *detector) applyPending() {
	if d.pend || d.pendV {
		w, wpr := d.w, d.wpr
		for i := range d.cur {
			y, x := i/w, i%w
			wi, bi := y*wpr+x>>6, uint(x&63)
			fgOld := d.fg[wi]>>bi&1 != 0
			if d.pend {
				d.bg[i] = stepBg(d.bg[i], d.prev[i], fgOld && d.prot[wi]>>bi&1 != 0)
			}
			if d.pendV && !fgOld {
				d.v[i] = d.stepV(d.v[i], d.prev[i], d.bg[i])
			}
		}
	}
	d.pend, d.pendV = false, false
	if d.relit {
		lut := &d.gainLUT
		for i, b := range d.bg {
			d.bg[i] = lut[b]
		}
		for i, p := range d.prev {
			d.prev[i] = lut[p]
		}
		d.relit = false
	}
}

// threshold is foreground's one-pixel-at-a-time pass, with the shadow label; the pending update must
// have been applied.
func (d *detector) threshold() int {
	cnt, sh := 0, 0
	w, h, wpr := d.w, d.h, d.wpr
	clear(d.fg)
	for i, c := range d.cur {
		b := d.bg[i]
		if int32(absDiff(c, b)) <= int32(d.v[i]) {
			continue
		}
		x, y := i%w, i/w
		// Only darker pixels can be shadow; the ratio test comes first because it is cheap.
		if c < b && !d.tune.noShadow && int(c)*gainOne >= d.tune.shLo*int(b) && int(c)*gainOne < d.tune.shHi*int(b) {
			if x > 0 && x < w-1 && y > 0 && y < h-1 && d.isShadow(i) {
				sh++
				continue
			}
		}
		d.fg[y*wpr+x>>6] |= 1 << uint(x&63)
		cnt++
	}
	d.shadowPx = sh
	return cnt
}

// clean writes the 3×3 majority of d.fg into d.mask: a pixel is set when at least k of the 9 pixels
// around it (itself included; pixels beyond the left and right edges count as 0) are, and the top and
// bottom rows are cleared. The counts are bit-sliced: 64 pixels' 2-bit row sums of three, then their
// 4-bit sums over three rows, in a few logical operations per word.
func (d *detector) clean(k uint8) {
	w, h, wpr := d.w, d.h, d.wpr
	h0, h1 := d.hs0, d.hs1
	for y := range h {
		r := d.fg[y*wpr : (y+1)*wpr]
		for j, c := range r {
			l := c << 1
			if j > 0 {
				l |= r[j-1] >> 63
			}
			rt := c >> 1
			if j+1 < wpr {
				rt |= r[j+1] << 63
			}
			h0[y*wpr+j] = l ^ c ^ rt
			h1[y*wpr+j] = l&c | rt&(l^c)
		}
	}
	clear(d.mask[:wpr])
	clear(d.mask[(h-1)*wpr:])
	if k > 9 {
		clear(d.mask) // no pixel has more than 9
		return
	}
	last := ^uint64(0)
	if w&63 != 0 {
		last = 1<<uint(w&63) - 1
	}
	for y := 1; y < h-1; y++ {
		for j := range wpr {
			a0, a1 := h0[(y-1)*wpr+j], h1[(y-1)*wpr+j]
			b0, b1 := h0[y*wpr+j], h1[y*wpr+j]
			c0, c1 := h0[(y+1)*wpr+j], h1[(y+1)*wpr+j]
			// a + b: three bits s2 s1 s0.
			s0, k0 := a0^b0, a0&b0
			s1, k1 := a1^b1^k0, a1&b1|k0&(a1^b1)
			// + c: four bits u3 u2 u1 u0.
			u0, q0 := s0^c0, s0&c0
			u1, q1 := s1^c1^q0, s1&c1|q0&(s1^c1)
			u2, u3 := k1^q1, k1&q1
			// u ≥ k, from the top bit down.
			gt, eq := uint64(0), ^uint64(0)
			for i, u := range [4]uint64{u3, u2, u1, u0} {
				if k>>(3-i)&1 != 0 {
					eq &= u
				} else {
					gt |= eq & u
					eq &^= u
				}
			}
			m := gt | eq
			if j == wpr-1 {
				m &= last
			}
			d.mask[y*wpr+j] = m
		}
	}
}

// maskAt reports whether the cleaned mask is set at (x, y).
func (d *detector) maskAt(x, y int) bool { return d.bit(d.mask, x, y) }

// forRuns calls fn with every run of set pixels in row y of the cleaned mask, left to right, as the
// inclusive range [x0, x1].
func (d *detector) forRuns(y int, fn func(x0, x1 int)) {
	row := d.mask[y*d.wpr : (y+1)*d.wpr]
	open, x0 := false, 0
	for j, wv := range row {
		base, pos := j*64, 0
		for pos < 64 {
			if !open {
				rest := wv >> uint(pos)
				if rest == 0 {
					break
				}
				pos += bits.TrailingZeros64(rest)
				x0, open = base+pos, true
			} else {
				z := ^wv >> uint(pos)
				if z == 0 {
					break
				}
				pos += bits.TrailingZeros64(z)
				fn(x0, base+pos-1)
				open = false
			}
		}
	}
	if open {
		fn(x0, d.w-1)
	}
}
