package mot

import "math"

// Assign solves the rectangular linear assignment problem on cost, a rows×cols matrix given as a slice of
// rows of equal length. An entry that is NaN or ±Inf forbids that pair.
//
// Among the assignments that pair as many rows as possible through allowed entries, it returns one of
// minimum total cost, as py-motmetrics does (it replaces forbidden entries by a constant larger than any
// sum of allowed ones, solves, then drops the forbidden pairs). The result has one entry per row: the
// column assigned to that row, or -1. Which optimum is returned when several tie is unspecified.
//
// It runs the shortest-augmenting-path Hungarian method with potentials, O(r²·c) for r ≤ c. It does not
// modify or retain cost.
func Assign(cost [][]float64) []int {
	rows := len(cost)
	out := make([]int, rows)
	for i := range out {
		out[i] = -1
	}
	if rows == 0 || len(cost[0]) == 0 {
		return out
	}
	cols := len(cost[0])

	// Replace forbidden entries by a large constant: choosing one forbidden pair plus the best possible
	// r-1 others costs more than any r allowed pairs.
	maxAbs, anyValid := 0.0, false
	for _, row := range cost {
		for _, v := range row {
			if isFinite(v) {
				anyValid = true
				maxAbs = math.Max(maxAbs, math.Abs(v))
			}
		}
	}
	if !anyValid {
		return out
	}
	r := min(rows, cols)
	large := 2*float64(r)*(maxAbs+1) + 1

	// Work on the orientation with no more rows than columns.
	transpose := rows > cols
	n, m := rows, cols
	if transpose {
		n, m = cols, rows
	}
	a := make([]float64, n*m)
	for i := range n {
		for j := range m {
			var v float64
			if transpose {
				v = cost[j][i]
			} else {
				v = cost[i][j]
			}
			if !isFinite(v) {
				v = large
			}
			a[i*m+j] = v
		}
	}
	colOf := hungarian(a, n, m)
	for i, j := range colOf {
		ri, cj := i, j
		if transpose {
			ri, cj = j, i
		}
		if isFinite(cost[ri][cj]) {
			out[ri] = cj
		}
	}
	return out
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// hungarian assigns every one of n rows to a distinct one of m ≥ n columns at minimum total cost. a is
// row-major n×m with finite entries. It returns the column of each row.
func hungarian(a []float64, n, m int) []int {
	// Rows and columns are 1-based inside; column 0 is a virtual column that holds the row being inserted.
	u := make([]float64, n+1)    // row potentials
	v := make([]float64, m+1)    // column potentials
	rowAt := make([]int, m+1)    // row assigned to column j, 0 for none
	prev := make([]int, m+1)     // previous column on the shortest path to j
	dist := make([]float64, m+1) // reduced shortest-path length to column j
	done := make([]bool, m+1)
	for i := 1; i <= n; i++ {
		rowAt[0] = i
		j0 := 0
		for j := range dist {
			dist[j] = math.Inf(1)
			done[j] = false
		}
		for {
			done[j0] = true
			i0 := rowAt[j0]
			delta, j1 := math.Inf(1), -1
			for j := 1; j <= m; j++ {
				if done[j] {
					continue
				}
				if c := a[(i0-1)*m+j-1] - u[i0] - v[j]; c < dist[j] {
					dist[j] = c
					prev[j] = j0
				}
				if dist[j] < delta {
					delta, j1 = dist[j], j
				}
			}
			for j := 0; j <= m; j++ {
				if done[j] {
					u[rowAt[j]] += delta
					v[j] -= delta
				} else {
					dist[j] -= delta
				}
			}
			j0 = j1
			if rowAt[j0] == 0 {
				break
			}
		}
		// Flip the augmenting path back to the virtual column.
		for j0 != 0 {
			j1 := prev[j0]
			rowAt[j0] = rowAt[j1]
			j0 = j1
		}
	}
	colOf := make([]int, n)
	for j := 1; j <= m; j++ {
		if rowAt[j] != 0 {
			colOf[rowAt[j]-1] = j - 1
		}
	}
	return colOf
}
