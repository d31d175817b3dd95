package mot

import (
	"math"
	"math/rand/v2"
	"testing"
)

// bruteAssign returns the largest number of pairs through finite entries and the least total cost among
// assignments of that size, by enumeration.
func bruteAssign(cost [][]float64) (pairs int, total float64) {
	rows := len(cost)
	cols := 0
	if rows > 0 {
		cols = len(cost[0])
	}
	used := make([]bool, cols)
	bestN, bestC := -1, math.Inf(1)
	var rec func(i, n int, c float64)
	rec = func(i, n int, c float64) {
		if i == rows {
			if n > bestN || (n == bestN && c < bestC) {
				bestN, bestC = n, c
			}
			return
		}
		rec(i+1, n, c)
		for j := range cols {
			if !used[j] && isFinite(cost[i][j]) {
				used[j] = true
				rec(i+1, n+1, c+cost[i][j])
				used[j] = false
			}
		}
	}
	rec(0, 0, 0)
	return bestN, bestC
}

func checkAssignment(t *testing.T, cost [][]float64, got []int) (pairs int, total float64) {
	t.Helper()
	if len(got) != len(cost) {
		t.Fatalf("Assign returned %d entries for %d rows", len(got), len(cost))
	}
	seen := map[int]bool{}
	for i, j := range got {
		if j < 0 {
			continue
		}
		if seen[j] {
			t.Fatalf("column %d assigned twice in %v", j, got)
		}
		seen[j] = true
		if !isFinite(cost[i][j]) {
			t.Fatalf("row %d assigned to forbidden column %d", i, j)
		}
		pairs++
		total += cost[i][j]
	}
	return pairs, total
}

func TestAssignMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 2000 {
		rows, cols := rng.IntN(5), rng.IntN(5)
		cost := make([][]float64, rows)
		for i := range cost {
			cost[i] = make([]float64, cols)
			for j := range cost[i] {
				switch p := rng.Float64(); {
				case p < 0.25:
					cost[i][j] = math.NaN()
				case p < 0.3:
					cost[i][j] = math.Inf(1)
				case p < 0.4:
					cost[i][j] = float64(rng.IntN(3)) // ties
				default:
					cost[i][j] = rng.Float64()*200 - 50 // negative costs too
				}
			}
		}
		got := Assign(cost)
		n, c := checkAssignment(t, cost, got)
		wn, wc := bruteAssign(cost)
		if n != wn || math.Abs(c-wc) > 1e-9 {
			t.Fatalf("trial %d: %v: Assign %v gives %d pairs cost %g, want %d pairs cost %g", trial, cost, got, n, c, wn, wc)
		}
	}
}

func TestAssignPrefersMorePairsOverLowerCost(t *testing.T) {
	nan := math.NaN()
	// Pairing only row 1 with column 0 costs 0.5, but pairing both rows is possible (cost 101).
	got := Assign([][]float64{{1, nan}, {0.5, 100}})
	if got[0] != 0 || got[1] != 1 {
		t.Errorf("Assign = %v, want [0 1]", got)
	}
	// All forbidden: nothing pairs.
	got = Assign([][]float64{{nan, math.Inf(1)}, {nan, nan}})
	if got[0] != -1 || got[1] != -1 {
		t.Errorf("Assign on all-forbidden = %v, want [-1 -1]", got)
	}
	// The input is not modified.
	in := [][]float64{{nan, 2}, {3, 4}}
	Assign(in)
	if !math.IsNaN(in[0][0]) || in[1][1] != 4 {
		t.Errorf("Assign modified its input: %v", in)
	}
}

// TestIDTPEqualsFullCostMatrix checks the compact IDTP maximisation against py-motmetrics' formulation:
// minimum IDFP+IDFN over the (no+nh)² matrix with dummy rows and columns.
func TestIDTPEqualsFullCostMatrix(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 300 {
		no, nh := 1+rng.IntN(6), 1+rng.IntN(8)
		e := newEvaluator(1)
		oc := make([]int, no)
		hc := make([]int, nh)
		for o := range no {
			e.objs = append(e.objs, track{frames: 0})
			e.overlap = append(e.overlap, map[int]int{})
			oc[o] = 1 + rng.IntN(20)
		}
		for h := range nh {
			e.hyps = append(e.hyps, track{})
			hc[h] = 1 + rng.IntN(20)
		}
		for o := range no {
			for h := range nh {
				if rng.IntN(3) == 0 {
					e.overlap[o][h] = rng.IntN(min(oc[o], hc[h]) + 1)
				}
			}
		}
		n := no + nh
		full := make([][]float64, n)
		for r := range full {
			full[r] = make([]float64, n)
			for c := range full[r] {
				switch {
				case r < no && c < nh:
					full[r][c] = float64(oc[r] + hc[c] - 2*e.overlap[r][c])
				case r < no:
					full[r][c] = math.NaN()
					if c-nh == r {
						full[r][c] = float64(oc[r])
					}
				case c < nh:
					full[r][c] = math.NaN()
					if r-no == c {
						full[r][c] = float64(hc[c])
					}
				}
			}
		}
		_, minCost := checkAssignment(t, full, Assign(full))
		sum := 0
		for _, v := range oc {
			sum += v
		}
		for _, v := range hc {
			sum += v
		}
		if got, want := float64(sum-2*e.idtp()), minCost; got != want {
			t.Fatalf("trial %d: IDFP+IDFN from idtp = %v, from the full matrix = %v", trial, got, want)
		}
	}
}
