package tracker

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ashiato/ashiato/hal"
)

func TestDebugGhost(t *testing.T) {
	if os.Getenv("DBG") == "" {
		t.Skip()
	}
	dir := filepath.Join(sharedData(t), "pets09-s2l1-dev")
	tr := New(Config{})
	t0 := time.Unix(1_700_000_000, 0)
	decode(t, filepath.Join(dir, "vtest-dev.avi"), 768, 576, 160, func(i int, pix []byte) {
		f := hal.Frame{Seq: uint64(i - 1), Time: t0.Add(time.Duration(float64(i-1) / 7 * float64(time.Second))), Width: 768, Height: 576, Stride: 768, Pix: pix}
		tr.Step(&f)
		d := &tr.det
		if i%5 != 0 {
			return
		}
		for li, b := range d.blobs {
			if b.root && b.minX <= 257 && b.maxX >= 257 && b.minY <= 110 && b.maxY >= 100 {
				idx := 110*d.w + 257
				t.Logf("f %d blob %d box %d-%d,%d-%d area %d motion %d edge cur %d bg %d still %#x prot %d fg %d cur %d bg %d gf %d", i, li, b.minX, b.maxX, b.minY, b.maxY, b.area, b.motion, b.edgeCur, b.edgeBg, d.still[idx], d.prot[idx], d.fg[idx], d.cur[idx], d.bg[idx], d.ghostFrames)
			}
		}
	})
}
