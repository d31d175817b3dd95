package tracker

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"
)

// The eight-pixel passes against one-pixel-at-a-time references, on random data and sizes that are not
// multiples of 8 or 64 (the golden test covers the PETS clip, where the width is 384).

func TestLaneOpsExhaustive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for a := range 256 {
		for b := range 256 {
			k := r.IntN(8)
			// Random neighbours in the other lanes must not disturb lane k.
			x, y := r.Uint64(), r.Uint64()
			x = x&^(0xff<<(8*k)) | uint64(a)<<(8*k)
			y = y&^(0xff<<(8*k)) | uint64(b)<<(8*k)
			if got := geHi(x, y)>>(8*k+7)&1 != 0; got != (a >= b) {
				t.Fatalf("geHi lane %d: %d >= %d gave %v", k, a, b, got)
			}
			if got := int(absDiff8(x, y) >> (8 * k) & 0xff); got != int(absDiff(uint8(a), uint8(b))) {
				t.Fatalf("absDiff8 lane %d: |%d-%d| gave %d", k, a, b, got)
			}
			if got := movemask(ltHi(x, y)) >> k & 1; (got != 0) != (a < b) {
				t.Fatalf("movemask(ltHi) lane %d: %d < %d gave %d", k, a, b, got)
			}
		}
	}
}

// newRandomDetector returns a detector for a w×h capture (processing size w/2 × h/2) with random model,
// thresholds, frames and masks.
func newRandomDetector(r *rand.Rand, w, h int) *detector {
	d := &detector{tune: defaultTuning}
	d.tune.noShadow = true
	d.setup(w, h, w)
	for i := range d.cur {
		d.bg[i] = uint8(r.IntN(256))
		d.cur[i] = uint8(int(d.bg[i]) + r.IntN(81) - 40)
		d.prev[i] = uint8(int(d.bg[i]) + r.IntN(7) - 3)
		if r.IntN(4) == 0 {
			d.prev[i] = uint8(r.IntN(256))
		}
		d.v[i] = uint8(d.tune.minThr) + uint8(r.IntN(int(d.tune.maxThr-d.tune.minThr)+1))
	}
	for y := range d.h {
		for x := range d.w {
			if r.IntN(3) == 0 {
				d.fg[y*d.wpr+x>>6] |= 1 << uint(x&63)
			}
			if r.IntN(2) == 0 {
				d.prot[y*d.wpr+x>>6] |= 1 << uint(x&63)
			}
		}
	}
	return d
}

func cloneDetector(d *detector) *detector {
	c := *d
	c.cur, c.bg, c.v, c.prev = slices.Clone(d.cur), slices.Clone(d.bg), slices.Clone(d.v), slices.Clone(d.prev)
	c.fg, c.mask, c.prot = slices.Clone(d.fg), slices.Clone(d.mask), slices.Clone(d.prot)
	c.hs0, c.hs1 = slices.Clone(d.hs0), slices.Clone(d.hs1)
	return &c
}

func TestFusedForegroundMatchesScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 3))
	for _, w := range []int{16, 30, 46, 130, 142, 256, 270} {
		for _, flags := range [][2]bool{{false, false}, {true, false}, {true, true}} { // a threshold step comes only with a model step
			d := newRandomDetector(r, w, 14)
			d.pend, d.pendV = flags[0], flags[1]
			ref := cloneDetector(d)
			n := d.foreground()
			ref.applyPending()
			nRef := ref.threshold()
			if n != nRef || !slices.Equal(d.bg, ref.bg) || !slices.Equal(d.v, ref.v) || !slices.Equal(d.fg, ref.fg) {
				t.Fatalf("w %d pend %v: fused and scalar differ (count %d vs %d; bg %v, v %v, fg %v equal)", w/2, flags, n, nRef,
					slices.Equal(d.bg, ref.bg), slices.Equal(d.v, ref.v), slices.Equal(d.fg, ref.fg))
			}
			if d.pend || d.pendV {
				t.Fatal("the pending update was not consumed")
			}
		}
	}
}

func TestDownscale2MatchesScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 5))
	for _, w := range []int{16, 18, 34, 270} {
		const h = 6
		stride := w + 3
		pix := make([]byte, stride*h)
		for i := range pix {
			pix[i] = uint8(r.IntN(256))
		}
		d := &detector{}
		d.setup(w, h, w)
		d.downscale2(pix, stride)
		for y := range d.h {
			for x := range d.w {
				s := uint(pix[2*y*stride+2*x]) + uint(pix[2*y*stride+2*x+1]) + uint(pix[(2*y+1)*stride+2*x]) + uint(pix[(2*y+1)*stride+2*x+1])
				if want := uint8((s + 2) / 4); d.cur[y*d.w+x] != want {
					t.Fatalf("w %d (%d,%d): %d, want %d", w, x, y, d.cur[y*d.w+x], want)
				}
			}
		}
	}
}

func TestCleanAndRunsMatchScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 7))
	for _, w := range []int{16, 30, 130, 256, 258} {
		for k := uint8(1); k <= 10; k++ {
			d := newRandomDetector(r, w, 20)
			d.clean(k)
			fg := func(x, y int) int {
				if x < 0 || x >= d.w {
					return 0
				}
				if d.bit(d.fg, x, y) {
					return 1
				}
				return 0
			}
			for y := range d.h {
				var runs [][2]int
				d.forRuns(y, func(x0, x1 int) { runs = append(runs, [2]int{x0, x1}) })
				var want [][2]int
				for x := 0; x < d.w; x++ {
					n := 0
					if y > 0 && y < d.h-1 {
						for dy := -1; dy <= 1; dy++ {
							for dx := -1; dx <= 1; dx++ {
								n += fg(x+dx, y+dy)
							}
						}
					}
					on := y > 0 && y < d.h-1 && n >= int(k)
					if d.maskAt(x, y) != on {
						t.Fatalf("w %d k %d (%d,%d): mask %v, want %v (count %d)", d.w, k, x, y, !on, on, n)
					}
					if on && (len(want) == 0 || want[len(want)-1][1] != x-1) {
						want = append(want, [2]int{x, x})
					} else if on {
						want[len(want)-1][1] = x
					}
				}
				if !slices.Equal(runs, want) {
					t.Fatalf("w %d k %d row %d: runs %v, want %v", d.w, k, y, runs, want)
				}
			}
			for y := range d.h {
				if d.mask[y*d.wpr+d.wpr-1]>>uint(d.w&63) != 0 && d.w&63 != 0 {
					t.Fatalf("w %d: mask bits set past the width", d.w)
				}
			}
		}
	}
}

// TestLoad8Store8 checks the eight-pixel load and store at every alignment against encoding/binary's
// little-endian order (on 32-bit ARM they are two word accesses, possibly unaligned).
func TestLoad8Store8(t *testing.T) {
	buf := make([]byte, 32)
	for i := range buf {
		buf[i] = uint8(i*37 + 11)
	}
	for o := range 16 {
		if got, want := load8(buf[o:o+8]), binary.LittleEndian.Uint64(buf[o:]); got != want {
			t.Errorf("load8 at offset %d = %#x, want %#x", o, got, want)
		}
		out := make([]byte, 32)
		v := uint64(0x8877665544332211) + uint64(o)
		store8(out[o:o+8], v)
		var want [32]byte
		binary.LittleEndian.PutUint64(want[o:], v)
		if !bytes.Equal(out, want[:]) {
			t.Errorf("store8 at offset %d wrote % x, want % x", o, out, want)
		}
	}
}
