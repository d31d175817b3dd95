package trackeval

import (
	"context"
	"flag"
	"fmt"
	"math"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/tracker"
	"github.com/ashiato/ashiato/drivers/synth"
	"github.com/ashiato/ashiato/hal"
	"github.com/ashiato/ashiato/tools/moteval/mot"
)

var (
	synthDiag = flag.Bool("synthdiag", false, "log where the synthetic scene's misses and false positives come from")
	synthDump = flag.String("synthdump", "", "seed:from-to: log truth, detections and tracks of these frames")
)

// synthRun is one tracker run over a synthetic scene, with the scene's truth.
type synthRun struct {
	w, h   int
	frames int
	gtBox  [][]synth.Box // the truth per 1-based frame
	hyp    [][]mot.Row   // the tracks' points per 1-based frame
	tracks []tracker.Track
}

// runSynth renders frames [0, frames) of the synth scene with the given seed at 640×480 10 fps, tracks them
// with cfg and returns the truth (foot points: bottom-centre of the clipped visible box) and the tracks.
func runSynth(t testing.TB, cfg tracker.Config, seed uint64, frames int) *synthRun {
	t.Helper()
	opts := synth.Options{Frames: frames, Seed: seed, Pace: synth.PaceASAP, Epoch: time.Unix(1_700_000_000, 0)}
	cam := synth.New(opts)
	format, err := cam.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer cam.Stop()
	r := &synthRun{w: format.Width, h: format.Height, frames: frames}
	r.gtBox = make([][]synth.Box, frames+1)
	r.hyp = make([][]mot.Row, frames+1)
	tr := tracker.New(cfg)
	f := hal.Frame{Pix: make([]byte, format.Size())}
	add := func(ts []tracker.Track) {
		for _, k := range ts {
			r.tracks = append(r.tracks, k)
			for _, p := range k.Points {
				if fi := int(p.Frame) + 1; fi <= frames {
					r.hyp[fi] = append(r.hyp[fi], hypRow(k.ID, fi, p.X, p.Y))
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
				s += "\n  " + tr.DebugState()
				t.Log(s)
			}
		}
		r.gtBox[k+1] = append(r.gtBox[k+1], cam.Truth(k)...)
	}
	add(tr.Flush())
	clear(f.Pix)
	return r
}

// foot is the foot point of a truth box: the bottom-centre of its visible part.
func foot(b synth.Box) (x, y float64) { return b.Left + b.Width/2, b.Top + b.Height }

// score scores the tracks of frames 1..n against the truth with foot points within W/20.
func (r *synthRun) score(t *testing.T, n int) mot.Result {
	t.Helper()
	var gt, hyp []mot.Row
	for f := 1; f <= n; f++ {
		for _, b := range r.gtBox[f] {
			if !synth.FeetInView(b, r.w, r.h) {
				continue // no foot point to find: scored as an ignored person
			}
			gt = append(gt, mot.Row{Frame: f, ID: strconv.Itoa(b.ID), Left: b.Left, Top: b.Top, Width: b.Width, Height: b.Height, Conf: 1})
		}
		hyp = append(hyp, r.hyp[f]...)
	}
	cfg := mot.Config{Mode: mot.Foot, Frames: n, Width: r.w}
	if *synthDiag && n == r.frames {
		cfg.Switch = func(f int, obj, from, to string) {
			t.Logf("identity switch in frame %d: person %s from track %s to track %s", f, obj, from, to)
		}
	}
	res, err := mot.Evaluate(gt, hyp, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// fpFrames returns the frame of each false positive of the score, in order. Scoring is causal, so the
// false positives of frame f are those of frames 1..f less those of frames 1..f−1. It rescores every
// prefix, which is quadratic: for -synthdiag only.
func (r *synthRun) fpFrames(t *testing.T) []int {
	var fpf []int
	prev := 0
	for f := 1; f <= r.frames; f++ {
		fp := r.score(t, f).FP
		for range fp - prev {
			fpf = append(fpf, f)
		}
		prev = fp
	}
	return fpf
}

// diagnose logs where misses come from: per ground-truth id, its frames, the frames missed, and what kind
// of situation the misses were in; then the frames of the score's false positives and the tracks' spans.
func (r *synthRun) diagnose(t *testing.T) {
	thr := float64(r.w) / 20
	type stat struct {
		first, last, n, miss int
		edge, stopped, near  int
		missFrames           []int
	}
	st := map[int]*stat{}
	for f := 1; f <= r.frames; f++ {
		// One-to-one matching within thr, as the score does (one hypothesis between a pair is one hit).
		gs, h := r.gtBox[f], r.hyp[f]
		cost := make([][]float64, len(gs))
		for i, a := range gs {
			ax, ay := foot(a)
			cost[i] = make([]float64, len(h))
			for j, b := range h {
				cost[i][j] = math.Inf(1)
				if d := math.Hypot(ax-b.X, ay-b.Y); d <= thr {
					cost[i][j] = d
				}
			}
		}
		out := mot.Assign(cost)
		for i, g := range gs {
			gx, gy := foot(g)
			s := st[g.ID]
			if s == nil {
				s = &stat{first: f}
				st[g.ID] = s
			}
			s.last = f
			s.n++
			if out[i] >= 0 {
				continue
			}
			s.miss++
			s.missFrames = append(s.missFrames, f)
			if g.Left <= 0.5 || g.Top <= 0.5 || g.Left+g.Width >= float64(r.w)-0.5 || g.Top+g.Height >= float64(r.h)-0.5 {
				s.edge++
			}
			if f > 1 {
				for _, p := range r.gtBox[f-1] {
					if px, py := foot(p); p.ID == g.ID && math.Hypot(px-gx, py-gy) < 0.5 {
						s.stopped++
					}
				}
			}
			for _, o := range r.gtBox[f] {
				if ox, oy := foot(o); o.ID != g.ID && math.Hypot(ox-gx, oy-gy) < 60 {
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
	t.Logf("false positives in frames %s", spans(r.fpFrames(t)))
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

// Synthetic-scene MOTA: the target is synthTarget; synthFloor guards the measured 90.0 and 90.5 on seeds 1
// and 7 (people whose feet are out of view scored as ignored; the misses left are mostly people straight
// behind another, pairs whose heads touch, and people coming in at the side).
const (
	synthTarget = 0.90
	synthFloor  = 0.895
)

// TestSynthScene scores the tracker with the agent's defaults on the synthetic shop-floor scene against its
// own ground truth (foot points within W/20; a person partly in view counts, with the bottom-centre of the
// visible part as the foot point). -synthdiag and -synthdump show where the errors come from.
func TestSynthScene(t *testing.T) {
	skipShort(t)
	for _, seed := range []uint64{1, 7} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r := runSynth(t, tracker.Config{}, seed, 1200)
			res := r.score(t, r.frames)
			t.Logf("synthetic scene seed %d: %s", seed, motSummary(res))
			if *synthDiag {
				r.diagnose(t)
			}
			if res.MOTA < synthFloor {
				t.Errorf("MOTA %.1f, want at least %.0f (target %.0f)", 100*res.MOTA, 100*synthFloor, 100*synthTarget)
			}
		})
	}
}
