package tracker

import (
	"context"
	"flag"
	"fmt"
	"math"
	"sort"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/tracker/internal/hungarian"
	"github.com/ashiato/ashiato/agent/tracker/internal/motscore"
	"github.com/ashiato/ashiato/drivers/synth"
	"github.com/ashiato/ashiato/hal"
)

var (
	synthDiag = flag.Bool("synthdiag", false, "log where the synthetic scene's misses and false positives come from")
	synthDump = flag.String("synthdump", "", "seed:from-to: log truth, detections and tracks of these frames")
)

// synthRun is one tracker run over a synthetic scene, with the scene's truth.
type synthRun struct {
	w, h   int
	frames int
	gt     motscore.Seq // 1-based frames
	gtBox  [][]synth.Box
	hyp    motscore.Seq
	tracks []Track
}

// runSynth renders frames [0, frames) of the synth scene with the given seed at 640×480 10 fps, tracks them
// with cfg and returns the truth (foot points: bottom-centre of the clipped visible box) and the tracks.
func runSynth(t testing.TB, cfg Config, seed uint64, frames int) *synthRun {
	t.Helper()
	opts := synth.Options{Frames: frames, Seed: seed, Pace: synth.PaceASAP, Epoch: time.Unix(1_700_000_000, 0)}
	cam := synth.New(opts)
	format, err := cam.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer cam.Stop()
	r := &synthRun{w: format.Width, h: format.Height, frames: frames}
	r.gt = make(motscore.Seq, frames+1)
	r.gtBox = make([][]synth.Box, frames+1)
	r.hyp = make(motscore.Seq, frames+1)
	tr := New(cfg)
	f := hal.Frame{Pix: make([]byte, format.Size())}
	add := func(ts []Track) {
		for _, k := range ts {
			r.tracks = append(r.tracks, k)
			for _, p := range k.Points {
				if fi := int(p.Frame) + 1; fi <= frames {
					r.hyp[fi] = append(r.hyp[fi], motscore.Obj{ID: int(k.ID), X: p.X, Y: p.Y})
				}
			}
		}
	}
	for k := 0; k < frames; k++ {
		if err := cam.ReadFrame(context.Background(), &f); err != nil {
			t.Fatal(err)
		}
		f.Seq = uint64(k)
		add(tr.Step(&f))
		if *synthDump != "" {
			var sd uint64
			var a, b int
			if _, err := fmt.Sscanf(*synthDump, "%d:%d-%d", &sd, &a, &b); err != nil {
				t.Fatalf("-synthdump %q: want seed:from-to", *synthDump)
			}
			if sd == seed && k+1 >= a && k+1 <= b {
				s := fmt.Sprintf("frame %d truth:", k+1)
				for _, g := range cam.Truth(k) {
					s += fmt.Sprintf(" [%d %.0f,%.0f %.0fx%.0f]", g.ID, g.Left+g.Width/2, g.Top+g.Height, g.Width, g.Height)
				}
				s += "\n  dets:"
				for _, d := range tr.dets {
					s += fmt.Sprintf(" [%.0f,%.0f %.0fx%.0f ns%v]", d.X, d.Y, d.W, d.H, d.NoStart)
				}
				s += "\n  boxes:"
				for _, bx := range tr.boxes {
					s += fmt.Sprintf(" [%.0f,%.0f %.0fx%.0f c%v m%v miss%d]", bx.X, bx.Y, bx.W, bx.H, bx.Confirmed, bx.Moved, bx.MissMS)
				}
				s += "\n  cands:"
				for _, c := range tr.cands {
					s += fmt.Sprintf(" [x%d-%d y%d-%d a%d]", c.x0, c.x1, c.y0, c.y1, c.area)
				}
				s += fmt.Sprintf("\n  size a=%.1f b=%.3f med=%.0f n=%v", tr.size.a, tr.size.b, tr.size.med, tr.size.n)
				t.Log(s)
			}
		}
		for _, b := range cam.Truth(k) {
			r.gtBox[k+1] = append(r.gtBox[k+1], b)
			r.gt[k+1] = append(r.gt[k+1], motscore.Obj{ID: b.ID, X: b.Left + b.Width/2, Y: b.Top + b.Height})
		}
	}
	add(tr.Flush())
	clear(f.Pix)
	return r
}

func (r *synthRun) score() (motscore.Result, motscore.Seq) {
	return motscore.ScoreFP(r.gt, r.hyp, r.frames, float64(r.w)/20)
}

// diagnose logs where misses come from: per ground-truth id, its frames, the frames missed, and what kind
// of situation the misses were in.
func (r *synthRun) diagnose(t *testing.T, fps motscore.Seq) {
	thr := float64(r.w) / 20
	type stat struct {
		first, last, n, miss int
		edge, stopped, near  int
		missFrames           []int
	}
	st := map[int]*stat{}
	var hs hungarian.Solver
	for f := 1; f <= r.frames; f++ {
		// One-to-one matching within thr, as the score does (one hypothesis between a pair is one hit).
		g, h := r.gt[f], r.hyp[f]
		cost := make([]float64, len(g)*len(h))
		for i, a := range g {
			for j, b := range h {
				cost[i*len(h)+j] = 1e9
				if d := math.Hypot(a.X-b.X, a.Y-b.Y); d <= thr {
					cost[i*len(h)+j] = d
				}
			}
		}
		out := make([]int, len(g))
		hs.Solve(cost, len(g), len(h), out)
		for i, g := range r.gt[f] {
			s := st[g.ID]
			if s == nil {
				s = &stat{first: f}
				st[g.ID] = s
			}
			s.last = f
			s.n++
			if j := out[i]; j >= 0 && cost[i*len(h)+j] < 1e9 {
				continue
			}
			s.miss++
			s.missFrames = append(s.missFrames, f)
			b := r.gtBox[f][i]
			if b.Left <= 0.5 || b.Top <= 0.5 || b.Left+b.Width >= float64(r.w)-0.5 || b.Top+b.Height >= float64(r.h)-0.5 {
				s.edge++
			}
			if f > 1 {
				for _, p := range r.gt[f-1] {
					if p.ID == g.ID && math.Hypot(p.X-g.X, p.Y-g.Y) < 0.5 {
						s.stopped++
					}
				}
			}
			for _, o := range r.gt[f] {
				if o.ID != g.ID && math.Hypot(o.X-g.X, o.Y-g.Y) < 60 {
					s.near++
					break
				}
			}
		}
	}
	ids := make([]int, 0, len(st))
	for id := range st {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, id := range ids {
		s := st[id]
		if s.miss == 0 {
			continue
		}
		t.Logf("gt %d frames %d..%d (%d): missed %d (edge %d, stopped %d, near other %d) %s", id, s.first, s.last, s.n,
			s.miss, s.edge, s.stopped, s.near, spans(s.missFrames))
	}
	var fpf []int
	for f := 1; f <= r.frames; f++ {
		for range fps[f] {
			fpf = append(fpf, f)
		}
	}
	t.Logf("false positives in frames %s", spans(fpf))
	for _, k := range r.tracks {
		t.Logf("track %d frames %d..%d", k.ID, k.Points[0].Frame+1, k.Points[len(k.Points)-1].Frame+1)
	}
}

// spans formats sorted frame numbers as runs "a-b".
func spans(fs []int) string {
	s := ""
	for i := 0; i < len(fs); {
		j := i
		for j+1 < len(fs) && fs[j+1] <= fs[j]+1 {
			j++
		}
		if fs[i] == fs[j] {
			s += fmt.Sprintf(" %d", fs[i])
		} else {
			s += fmt.Sprintf(" %d-%d", fs[i], fs[j])
		}
		i = j + 1
	}
	return s
}

// Synthetic-scene MOTA: the target of issue 3 is synthTarget, and synthFloor now guards it (measured 91.8
// and 91.0 on seeds 1 and 7; the misses left are mostly people straight behind another, pairs whose heads
// touch, and the first and last frames of people at the border).
const (
	synthTarget = 0.90
	synthFloor  = 0.90
)

// TestSynthScene scores the tracker with the agent's defaults on the synthetic shop-floor scene against its
// own ground truth (foot points within W/20; a person partly in view counts, with the bottom-centre of the
// visible part as the foot point). -synthdiag and -synthdump show where the errors come from.
func TestSynthScene(t *testing.T) {
	skipShort(t)
	for _, seed := range []uint64{1, 7} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r := runSynth(t, Config{}, seed, 1200)
			res, fps := r.score()
			t.Logf("synthetic scene seed %d: %v", seed, res)
			if *synthDiag {
				r.diagnose(t, fps)
			}
			if res.MOTA < synthFloor {
				t.Errorf("MOTA %.1f, want at least %.0f (target %.0f)", 100*res.MOTA, 100*synthFloor, 100*synthTarget)
			}
		})
	}
}
