// Package motscore is a small CLEAR-MOT and IDF1 scorer with point matching, used by the tracker's tests
// to steer tuning until the project evaluator (tools/moteval) is available.
//
// It follows the py-motmetrics 1.2.0 rules that shared/data/README.md describes: per frame, existing
// correspondences are kept while within the threshold, the rest are matched by a minimum-distance
// assignment; a switch is a ground-truth object matched to another hypothesis than the one it was last
// matched to; IDF1 comes from the global one-to-one assignment of ids that maximises matched frames.
package motscore

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/ashiato/ashiato/agent/tracker/internal/hungarian"
)

// Obj is one object (ground truth or hypothesis) in one frame.
type Obj struct {
	ID   int
	X, Y float64
}

// Seq holds objects per frame; Seq[f] are the objects of 1-based frame f (Seq[0] is unused).
type Seq [][]Obj

// Result holds the scores.
type Result struct {
	Frames, Objects, Predictions int
	Matches, FP, FN, Switches    int
	MOTA, MOTP, IDF1, IDP, IDR   float64
	IDTP                         int
	// Trace, if Score is given a non-nil Trace via ScoreTrace, lists per gt id the (frame, hyp id) of
	// every new correspondence.
	Trace map[int][][2]int
}

func (r Result) String() string {
	return fmt.Sprintf("MOTA %.1f IDF1 %.1f IDsw %d FP %d FN %d (GT %d, hyp %d, MOTP %.2f px)",
		100*r.MOTA, 100*r.IDF1, r.Switches, r.FP, r.FN, r.Objects, r.Predictions, r.MOTP)
}

// Score scores hyp against gt over frames 1..n, matching points at most thr apart.
func Score(gt, hyp Seq, n int, thr float64) Result {
	r, _ := ScoreFP(gt, hyp, n, thr)
	return r
}

// ScoreFP is Score that also returns the unmatched hypotheses (false positives) per frame.
func ScoreFP(gt, hyp Seq, n int, thr float64) (Result, Seq) {
	return scoreTrace(gt, hyp, n, thr, false)
}

// ScoreTrace is ScoreFP that also fills Result.Trace.
func ScoreTrace(gt, hyp Seq, n int, thr float64) (Result, Seq) {
	return scoreTrace(gt, hyp, n, thr, true)
}

func scoreTrace(gt, hyp Seq, n int, thr float64, trace bool) (Result, Seq) {
	var r Result
	if trace {
		r.Trace = map[int][][2]int{}
	}
	fps := make(Seq, n+1)
	r.Frames = n
	var s hungarian.Solver
	last := map[int]int{} // gt id → hyp id it was last matched to
	type pair struct{ g, h int }
	co := map[pair]int{}
	gtCount, hypCount := map[int]int{}, map[int]int{}
	var sumD float64
	for f := 1; f <= n; f++ {
		var g, h []Obj
		if f < len(gt) {
			g = gt[f]
		}
		if f < len(hyp) {
			h = hyp[f]
		}
		r.Objects += len(g)
		r.Predictions += len(h)
		for _, o := range g {
			gtCount[o.ID]++
		}
		for _, o := range h {
			hypCount[o.ID]++
		}
		for _, a := range g {
			for _, b := range h {
				if math.Hypot(a.X-b.X, a.Y-b.Y) <= thr {
					co[pair{a.ID, b.ID}]++
				}
			}
		}
		gUsed := make([]bool, len(g))
		hUsed := make([]bool, len(h))
		matched := 0
		// Keep existing correspondences.
		for i, a := range g {
			hp, ok := last[a.ID]
			if !ok {
				continue
			}
			for j, b := range h {
				if b.ID == hp && !hUsed[j] {
					if d := math.Hypot(a.X-b.X, a.Y-b.Y); d <= thr {
						gUsed[i], hUsed[j] = true, true
						matched++
						sumD += d
					}
					break
				}
			}
		}
		// Assign the rest.
		const big = 1e9
		cost := make([]float64, len(g)*len(h))
		for i, a := range g {
			for j, b := range h {
				c := big
				if !gUsed[i] && !hUsed[j] {
					if d := math.Hypot(a.X-b.X, a.Y-b.Y); d <= thr {
						c = d
					}
				}
				cost[i*len(h)+j] = c
			}
		}
		out := make([]int, len(g))
		s.Solve(cost, len(g), len(h), out)
		for i, j := range out {
			if j < 0 || cost[i*len(h)+j] >= big {
				continue
			}
			a, b := g[i], h[j]
			if hp, ok := last[a.ID]; ok && hp != b.ID {
				r.Switches++
			}
			last[a.ID] = b.ID
			if r.Trace != nil {
				r.Trace[a.ID] = append(r.Trace[a.ID], [2]int{f, b.ID})
			}
			hUsed[j] = true
			matched++
			sumD += cost[i*len(h)+j]
		}
		for j, u := range hUsed {
			if !u {
				fps[f] = append(fps[f], h[j])
			}
		}
		r.Matches += matched
		r.FN += len(g) - matched
		r.FP += len(h) - matched
	}
	if r.Objects > 0 {
		r.MOTA = 1 - float64(r.FN+r.FP+r.Switches)/float64(r.Objects)
	}
	if r.Matches > 0 {
		r.MOTP = sumD / float64(r.Matches)
	}
	// IDF1: maximise co-occurring matched frames over one-to-one id pairs.
	var gids, hids []int
	for id := range gtCount {
		gids = append(gids, id)
	}
	for id := range hypCount {
		hids = append(hids, id)
	}
	if len(gids) > 0 && len(hids) > 0 {
		cost := make([]float64, len(gids)*len(hids))
		for i, g := range gids {
			for j, h := range hids {
				cost[i*len(hids)+j] = -float64(co[pair{g, h}])
			}
		}
		out := make([]int, len(gids))
		s.Solve(cost, len(gids), len(hids), out)
		for i, j := range out {
			if j >= 0 {
				r.IDTP += co[pair{gids[i], hids[j]}]
			}
		}
	}
	if r.Objects+r.Predictions > 0 {
		r.IDF1 = 2 * float64(r.IDTP) / float64(r.Objects+r.Predictions)
	}
	if r.Predictions > 0 {
		r.IDP = float64(r.IDTP) / float64(r.Predictions)
	}
	if r.Objects > 0 {
		r.IDR = float64(r.IDTP) / float64(r.Objects)
	}
	return r, fps
}

// Box is one MOT-format row.
type Box struct {
	Frame, ID       int
	Left, Top, W, H float64
	Conf            float64
}

// ReadMOT reads a MOT-format text file (frame,id,left,top,width,height,conf,...).
func ReadMOT(path string) ([]Box, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Box
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		fs := strings.Split(line, ",")
		if len(fs) < 7 {
			return nil, fmt.Errorf("motscore: %s: short line %q", path, line)
		}
		var v [7]float64
		for i := range v {
			v[i], err = strconv.ParseFloat(strings.TrimSpace(fs[i]), 64)
			if err != nil {
				return nil, fmt.Errorf("motscore: %s: %v", path, err)
			}
		}
		out = append(out, Box{Frame: int(v[0]), ID: int(v[1]), Left: v[2], Top: v[3], W: v[4], H: v[5], Conf: v[6]})
	}
	return out, sc.Err()
}

// FootSeq turns boxes into foot points (bottom-centre) per frame, dropping rows whose Conf is 0 when
// dropZeroConf is set (ground truth's "ignore" rows).
func FootSeq(boxes []Box, dropZeroConf bool) (Seq, int) {
	n := 0
	for _, b := range boxes {
		n = max(n, b.Frame)
	}
	s := make(Seq, n+1)
	for _, b := range boxes {
		if dropZeroConf && b.Conf == 0 {
			continue
		}
		s[b.Frame] = append(s[b.Frame], Obj{ID: b.ID, X: b.Left + b.W/2, Y: b.Top + b.H})
	}
	return s, n
}
