package tracker

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/tracker/internal/motscore"
	"github.com/ashiato/ashiato/hal"
)

func TestDebugPETS(t *testing.T) {
	if os.Getenv("DBG") == "" {
		t.Skip()
	}
	dir := filepath.Join(sharedData(t), "pets09-s2l1-dev")
	gtb, _ := motscore.ReadMOT(filepath.Join(dir, "gt.txt"))
	gt, _ := motscore.FootSeq(gtb, true)
	ign := make(motscore.Seq, 401)
	for _, b := range gtb {
		if b.Conf == 0 {
			ign[b.Frame] = append(ign[b.Frame], motscore.Obj{ID: b.ID, X: b.Left + b.W/2, Y: b.Top + b.H})
		}
	}
	hyp, n, _ := runVideo(t, Config{}, filepath.Join(dir, "vtest-dev.avi"), 768, 576, 7, 400)
	_, fps := motscore.ScoreFP(gt, hyp, n, 38.4)
	var nearIgn, dup, far int
	perTrack := map[int]int{}
	trackLen := map[int]int{}
	for f := 1; f <= n; f++ {
		for _, h := range hyp[f] {
			trackLen[h.ID]++
		}
		for _, h := range fps[f] {
			best := math.Inf(1)
			for _, g := range gt[f] {
				best = min(best, math.Hypot(g.X-h.X, g.Y-h.Y))
			}
			bi := math.Inf(1)
			for _, g := range ign[f] {
				bi = min(bi, math.Hypot(g.X-h.X, g.Y-h.Y))
			}
			switch {
			case bi <= 38.4:
				nearIgn++
			case best <= 80:
				dup++
				perTrack[h.ID]++
			default:
				far++
				perTrack[h.ID]++
			}
		}
	}
	t.Logf("FP near ignored %d, within 80px of gt %d, far %d", nearIgn, dup, far)
	for id, c := range perTrack {
		if c >= 10 {
			first := -1
			for f := 1; f <= n && first < 0; f++ {
				for _, h := range hyp[f] {
					if h.ID == id {
						first = f
					}
				}
			}
			t.Logf("track %d: %d FP of %d points, first frame %d", id, c, trackLen[id], first)
			for f := first; f <= n; f += 15 {
				for _, h := range hyp[f] {
					if h.ID == id {
						best, bid := math.Inf(1), 0
						for _, g := range gt[f] {
							if d := math.Hypot(g.X-h.X, g.Y-h.Y); d < best {
								best, bid = d, g.ID
							}
						}
						t.Logf("   f %d (%.0f,%.0f) nearest gt %d at %.0f", f, h.X, h.Y, bid, best)
					}
				}
			}
		}
	}
	if os.Getenv("DBGF") != "" {
		var want int
		fmt.Sscan(os.Getenv("DBGF"), &want)
		dumpFrame(t, filepath.Join(dir, "vtest-dev.avi"), want, gt, hyp)
	}
}

// dumpFrame writes the mask of frame want with GT (green) and hyp (red) foot points to /tmp.
func dumpFrame(t *testing.T, video string, want int, gt, hyp motscore.Seq) {
	tr := New(Config{})
	t0 := time.Unix(1_700_000_000, 0)
	decode(t, video, 768, 576, want, func(i int, pix []byte) {
		f := hal.Frame{Seq: uint64(i - 1), Time: t0.Add(time.Duration(float64(i-1) / 7 * float64(time.Second))), Width: 768, Height: 576, Stride: 768, Pix: pix}
		tr.Step(&f)
		if i != want {
			return
		}
		d := &tr.det
		img := image.NewRGBA(image.Rect(0, 0, 2*d.w, d.h))
		for y := 0; y < d.h; y++ {
			for x := 0; x < d.w; x++ {
				v := d.cur[y*d.w+x]
				img.Set(x, y, color.RGBA{v, v, v, 255})
				m := d.mask[y*d.w+x] * 255
				fgv := d.fg[y*d.w+x] * 120
				img.Set(d.w+x, y, color.RGBA{m, max(m, fgv), m, 255})
			}
		}
		mark := func(o motscore.Obj, c color.RGBA) {
			x, y := int(o.X)/2, int(o.Y)/2
			for k := -3; k <= 3; k++ {
				img.Set(x+k, y, c)
				img.Set(x, y+k, c)
				img.Set(d.w+x+k, y, c)
				img.Set(d.w+x, y+k, c)
			}
		}
		for _, o := range gt[i] {
			mark(o, color.RGBA{0, 255, 0, 255})
		}
		for _, o := range hyp[i] {
			mark(o, color.RGBA{255, 0, 0, 255})
		}
		for _, dt := range tr.dets {
			mark(motscore.Obj{X: dt.X, Y: dt.Y}, color.RGBA{0, 128, 255, 255})
		}
		t.Logf("size model a=%.1f b=%.3f ready=%v med=%v n=%v", tr.size.a, tr.size.b, tr.size.ready, tr.size.med, tr.size.n)
		for _, c := range tr.cands {
			t.Logf("cand %+v", c)
		}
		for _, dt := range tr.dets {
			t.Logf("det %+v", dt)
		}
		fo, _ := os.Create(fmt.Sprintf("/tmp/trk-%03d.png", i))
		png.Encode(fo, img)
		fo.Close()
	})
}
