package main

import (
	"fmt"
	"io"
	"math/rand/v2"
)

// scene renders a small synthetic shop floor as YUV4MPEG2 (luma only): a lit gradient floor with sensor
// noise and people-sized dark and bright blobs crossing it, so that the agent's tracker has real work.
// Frame k depends only on the seed and k.
type scene struct {
	W, H    int
	Walkers int    // people crossing at any time
	Seed    uint64 // the same seed gives the same frames
	FPS     int
}

// header is the stream header of the scene.
func (s scene) header() string {
	return fmt.Sprintf("YUV4MPEG2 W%d H%d F%d:1 Ip A1:1 Cmono\n", s.W, s.H, s.FPS)
}

// frame renders frame k into pix (len W×H).
func (s scene) frame(k int, pix []byte) {
	noise := rand.New(rand.NewPCG(s.Seed, uint64(k)))
	for y := range s.H {
		for x := range s.W {
			v := 60 + (x*60)/s.W + (y*40)/s.H + int(noise.IntN(9)) - 4
			pix[y*s.W+x] = byte(v)
		}
	}
	bw, bh := max(s.W/24, 4), max(s.H/6, 8) // a person: about 1/24 of the width, 1/6 of the height
	for i := range s.Walkers {
		r := rand.New(rand.NewPCG(s.Seed^0x5eed, uint64(i)))
		period := s.W + bw + r.IntN(s.W) // frames to cross, then the next person enters
		speed := 1 + r.IntN(3)
		x := (k*speed+r.IntN(period))%period - bw
		y := r.IntN(s.H - bh)
		if r.IntN(2) == 1 { // walking right to left
			x = s.W - x - bw
		}
		shade := byte(20)
		if r.IntN(3) == 0 {
			shade = 220
		}
		for yy := max(y, 0); yy < min(y+bh, s.H); yy++ {
			for xx := max(x, 0); xx < min(x+bw, s.W); xx++ {
				pix[yy*s.W+xx] = shade
			}
		}
	}
}

// write writes the header and frames 0..n-1 to w. mark, if not nil, may change each frame before it is
// written.
func (s scene) write(w io.Writer, n int, mark func(k int, pix []byte)) error {
	if _, err := io.WriteString(w, s.header()); err != nil {
		return err
	}
	pix := make([]byte, s.W*s.H)
	for k := range n {
		s.frame(k, pix)
		if mark != nil {
			mark(k, pix)
		}
		if _, err := io.WriteString(w, "FRAME\n"); err != nil {
			return err
		}
		if _, err := w.Write(pix); err != nil {
			return err
		}
	}
	return nil
}
