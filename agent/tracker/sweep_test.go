package tracker

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/tracker/assoc"
	"github.com/ashiato/ashiato/agent/tracker/internal/motscore"
	"github.com/ashiato/ashiato/hal"
)

// TestSweepPETS runs several configurations side by side on one decode of the PETS dev frames. It is a
// tuning aid, enabled by SWEEP=1.
func TestSweepPETS(t *testing.T) {
	if os.Getenv("SWEEP") == "" {
		t.Skip("tuning aid; set SWEEP=1")
	}
	dir := filepath.Join(sharedData(t), "pets09-s2l1-dev")
	gtb, _ := motscore.ReadMOT(filepath.Join(dir, "gt.txt"))
	gt, _ := motscore.FootSeq(gtb, true)
	var cfgs []Config
	for _, acc := range []float64{0.25, 1, 4} {
		for _, iw := range []float64{-1, 0.5} {
			cfgs = append(cfgs, Config{Assoc: assoc.Config{Accel: acc, IoUWeight: iw}})
		}
	}
	trs := make([]*Tracker, len(cfgs))
	hyps := make([]motscore.Seq, len(cfgs))
	for i, c := range cfgs {
		trs[i] = New(c)
		hyps[i] = make(motscore.Seq, 401)
	}
	t0 := time.Unix(1_700_000_000, 0)
	add := func(h motscore.Seq, ts []Track) {
		for _, k := range ts {
			for _, p := range k.Points {
				h[p.Frame+1] = append(h[p.Frame+1], motscore.Obj{ID: int(k.ID), X: p.X, Y: p.Y})
			}
		}
	}
	decode(t, filepath.Join(dir, "vtest-dev.avi"), 768, 576, 400, func(i int, pix []byte) {
		f := hal.Frame{Seq: uint64(i - 1), Time: t0.Add(time.Duration(float64(i-1) / 7 * float64(time.Second))), Width: 768, Height: 576, Stride: 768, Pix: pix}
		for k, tr := range trs {
			add(hyps[k], tr.Step(&f))
		}
	})
	for k, tr := range trs {
		add(hyps[k], tr.Flush())
		r := motscore.Score(gt, hyps[k], 400, 38.4)
		a := cfgs[k].Assoc
		t.Log(fmt.Sprintf("acc %v iou %v: %v", a.Accel, a.IoUWeight, r))
	}
}
