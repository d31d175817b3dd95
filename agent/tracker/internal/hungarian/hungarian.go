// Package hungarian solves rectangular minimum-cost assignment problems without allocating in steady state.
package hungarian

import "math"

// Solver finds a minimum-cost assignment of rows to columns with the shortest-augmenting-path form of the
// Hungarian method (O(n²m)). It keeps its buffers between calls, so a warmed-up Solver does not allocate.
// The zero value is ready to use; a Solver is not safe for concurrent use.
type Solver struct {
	u, v, minv []float64
	p, way     []int
	used       []bool
	t          []float64
	rows       []int
}

// Solve assigns each of the n rows of the row-major n×m cost matrix to a distinct column, minimising the
// sum of the chosen costs, and writes the column of row i (or -1 when n > m leaves it unassigned) to
// out[i]. out must have length at least n. Costs must be finite; callers mark forbidden pairs with a large
// cost and discard such pairs afterwards. cost is not modified.
func (s *Solver) Solve(cost []float64, n, m int, out []int) {
	for i := 0; i < n; i++ {
		out[i] = -1
	}
	if n == 0 || m == 0 {
		return
	}
	if n > m {
		// Solve the transpose: columns become rows.
		s.t = grow(s.t, n*m)
		for i := 0; i < n; i++ {
			for j := 0; j < m; j++ {
				s.t[j*n+i] = cost[i*m+j]
			}
		}
		s.rows = growInt(s.rows, m)
		s.solve(s.t, m, n, s.rows)
		for j, i := range s.rows[:m] {
			if i >= 0 {
				out[i] = j
			}
		}
		return
	}
	s.solve(cost, n, m, out)
}

// solve requires n <= m.
func (s *Solver) solve(a []float64, n, m int, out []int) {
	s.u = grow(s.u, n+1)
	s.v = grow(s.v, m+1)
	s.minv = grow(s.minv, m+1)
	s.p = growInt(s.p, m+1)
	s.way = growInt(s.way, m+1)
	if cap(s.used) < m+1 {
		s.used = make([]bool, m+1)
	}
	u, v, minv, p, way, used := s.u[:n+1], s.v[:m+1], s.minv[:m+1], s.p[:m+1], s.way[:m+1], s.used[:m+1]
	clear(u)
	clear(v)
	clear(p)
	clear(way)
	for i := 1; i <= n; i++ {
		p[0] = i
		j0 := 0
		for j := range minv {
			minv[j] = math.Inf(1)
			used[j] = false
		}
		for {
			used[j0] = true
			i0 := p[j0]
			delta := math.Inf(1)
			j1 := 0
			row := a[(i0-1)*m : i0*m]
			for j := 1; j <= m; j++ {
				if used[j] {
					continue
				}
				cur := row[j-1] - u[i0] - v[j]
				if cur < minv[j] {
					minv[j] = cur
					way[j] = j0
				}
				if minv[j] < delta {
					delta = minv[j]
					j1 = j
				}
			}
			for j := 0; j <= m; j++ {
				if used[j] {
					u[p[j]] += delta
					v[j] -= delta
				} else {
					minv[j] -= delta
				}
			}
			j0 = j1
			if p[j0] == 0 {
				break
			}
		}
		for j0 != 0 {
			j1 := way[j0]
			p[j0] = p[j1]
			j0 = j1
		}
	}
	for j := 1; j <= m; j++ {
		if p[j] != 0 {
			out[p[j]-1] = j - 1
		}
	}
}

func grow(b []float64, n int) []float64 {
	if cap(b) < n {
		return make([]float64, n, 2*n)
	}
	return b[:n]
}

func growInt(b []int, n int) []int {
	if cap(b) < n {
		return make([]int, n, 2*n)
	}
	return b[:n]
}
