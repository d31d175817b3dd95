package hungarian

import (
	"math"
	"math/rand/v2"
	"testing"
)

// brute returns the minimum total cost over all assignments of min(n,m) pairs.
func brute(c []float64, n, m int) float64 {
	best := math.Inf(1)
	usedCol := make([]bool, m)
	var rec func(i int, sum float64, assigned int)
	rec = func(i int, sum float64, assigned int) {
		if i == n {
			if assigned == min(n, m) && sum < best {
				best = sum
			}
			return
		}
		// Leave row i unassigned only if there are more rows than columns.
		if n-i-1 >= min(n, m)-assigned {
			rec(i+1, sum, assigned)
		}
		for j := 0; j < m; j++ {
			if !usedCol[j] {
				usedCol[j] = true
				rec(i+1, sum+c[i*m+j], assigned+1)
				usedCol[j] = false
			}
		}
	}
	rec(0, 0, 0)
	return best
}

func TestSolveMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var s Solver
	for trial := 0; trial < 300; trial++ {
		n, m := 1+r.IntN(6), 1+r.IntN(6)
		c := make([]float64, n*m)
		for i := range c {
			c[i] = float64(r.IntN(20))
		}
		out := make([]int, n)
		s.Solve(c, n, m, out)
		seen := map[int]bool{}
		sum, k := 0.0, 0
		for i, j := range out {
			if j < 0 {
				continue
			}
			if seen[j] {
				t.Fatalf("column %d assigned twice", j)
			}
			seen[j] = true
			sum += c[i*m+j]
			k++
		}
		if k != min(n, m) {
			t.Fatalf("%dx%d: %d pairs assigned, want %d", n, m, k, min(n, m))
		}
		if want := brute(c, n, m); sum != want {
			t.Fatalf("%dx%d: cost %v, brute force %v (%v)", n, m, sum, want, c)
		}
	}
}

func TestSolveNoAllocsWhenWarm(t *testing.T) {
	var s Solver
	c := make([]float64, 8*10)
	for i := range c {
		c[i] = float64((i * 7) % 13)
	}
	out := make([]int, 10)
	s.Solve(c, 8, 10, out)
	s.Solve(c, 10, 8, out)
	if a := testing.AllocsPerRun(50, func() { s.Solve(c, 8, 10, out); s.Solve(c, 10, 8, out) }); a != 0 {
		t.Fatalf("%v allocs per run, want 0", a)
	}
}
