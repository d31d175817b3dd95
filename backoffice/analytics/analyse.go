package analytics

import (
	"math"
	"slices"
	"time"

	"github.com/ashiato/ashiato/backoffice"
)

// Path is one track as the analysis sees it: its segments joined, times in seconds since the Unix epoch.
type Path []TimedXY

// TimedXY is a position at a time (seconds since the Unix epoch).
type TimedXY struct {
	T float64
	XY
}

// JoinGap is the time assumed between the last point of a segment and the first of the next: one sample
// of a track minimised to 2 Hz.
const JoinGap = 0.5

// Join joins the segments of one track (same id, any order) into one path. Only segments in space are
// used.
//
// A minimised segment's Start was rounded down to res when it was stored, so when it began within that
// interval is not kept; what is kept is that the segments of a track follow one another. Consecutive
// segments are therefore laid end to end, JoinGap apart, and the run is placed within the interval that
// every segment's rounded Start allows (no segment before its Start, none res or more after it), at a
// point drawn from the track's id: uniformly spread over the interval, the same every time. Placing every
// track at its rounded Start instead would put everyone who arrived in a minute in view at once at the
// minute, and inflate the peak occupancy. Durations within and across segments are exact. Segments
// stored without minimisation (Minimised false), or with res 0, are placed at their Start. After a
// missing segment, the next one starts a new run, at its Start or after the run before, whichever is
// later.
func Join(segs []backoffice.Track, space string, res time.Duration) Path {
	segs = slices.DeleteFunc(slices.Clone(segs), func(s backoffice.Track) bool { return s.Space != space || len(s.Points) == 0 })
	slices.SortFunc(segs, func(a, b backoffice.Track) int { return a.Seg - b.Seg })
	var p Path
	end := math.Inf(-1)
	for i := 0; i < len(segs); {
		j := i + 1
		for j < len(segs) && segs[j].Seg == segs[j-1].Seg+1 {
			j++
		}
		run := segs[i:j]
		// off[k]: where segment k starts, in seconds after the run's first segment.
		off := make([]float64, len(run))
		for k := 1; k < len(run); k++ {
			off[k] = off[k-1] + run[k-1].Duration().Seconds() + JoinGap
		}
		lo, hi := math.Inf(-1), math.Inf(1)
		for k, s := range run {
			lo = max(lo, secs(s.Start)-off[k])
			if s.Minimised && res > 0 {
				hi = min(hi, secs(s.Start)+res.Seconds()-off[k])
			} else {
				hi = min(hi, secs(s.Start)-off[k])
			}
		}
		start := lo
		if hi > lo {
			start += spreadOf(run[0].ID) * (hi - lo)
		}
		if !math.IsInf(end, -1) {
			start = max(start, end+JoinGap)
		}
		for k, s := range run {
			for _, pt := range s.Points {
				p = append(p, TimedXY{T: start + off[k] + float64(pt.T)/1000, XY: XY{pt.X, pt.Y}})
			}
		}
		end = p[len(p)-1].T
		i = j
	}
	return p
}

// spreadOf maps a track id to a number in [0, 1), the same for the same id (FNV-1a).
func spreadOf(id string) float64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= 1099511628211
	}
	return float64(h>>11) / (1 << 53)
}

func secs(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// Acc accumulates the buckets of many tracks.
type Acc map[int64]*Bucket

// bucketIndex is the bucket holding time t (seconds since the epoch).
func bucketIndex(t float64) int64 { return int64(math.Floor(t / BucketSize.Seconds())) }

func (a Acc) at(t float64) *Bucket { return a.bucket(bucketIndex(t)) }

// bucket returns bucket i (starting at i·BucketSize since the epoch).
func (a Acc) bucket(i int64) *Bucket {
	if a[i] == nil {
		a[i] = NewBucket(time.Unix(i*int64(BucketSize.Seconds()), 0).UTC())
	}
	return a[i]
}

// Buckets returns the non-empty buckets, in order of start.
func (a Acc) Buckets() []*Bucket {
	out := make([]*Bucket, 0, len(a))
	for _, b := range a {
		if !b.Empty() {
			out = append(out, b)
		}
	}
	slices.SortFunc(out, func(x, y *Bucket) int { return x.Start.Compare(y.Start) })
	return out
}

// Analyse adds one track's figures to acc under layout l, whose defaults must be applied (WithDefaults).
func Analyse(l *Layout, p Path, acc Acc) {
	if len(p) == 0 {
		return
	}
	presence(p, acc)
	lines(l, p, acc)
	var visits []visit
	for _, z := range l.Zones {
		vs := zoneVisits(z, p)
		recordVisits(acc, vs, func(b *Bucket) *ZoneAgg { return zoneIn(b.Zones, z.Name) }, false)
		visits = append(visits, vs...)
	}
	for _, q := range l.Queues {
		recordVisits(acc, zoneVisits(q, p), func(b *Bucket) *ZoneAgg { return zoneIn(b.Queues, q.Name) }, true)
	}
	if len(visits) > 0 {
		first := slices.MinFunc(visits, func(a, b visit) int { return cmpFloat(a.from, b.from) })
		last := slices.MaxFunc(visits, func(a, b visit) int { return cmpFloat(a.from, b.from) })
		acc.at(p[0].T).OD[ODPair{first.zone, last.zone}]++
	}
	heat(l.Cell, p, acc)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// presence records the arrival, the person-seconds in view and the 10-s samples of the path.
func presence(p Path, acc Acc) {
	t0, t1 := p[0].T, p[len(p)-1].T
	acc.at(t0).Arrivals++
	spread(acc, t0, t1, func(b *Bucket, secs float64) { b.Presence += secs })
	sample(acc, t0, t1, func(b *Bucket) *[]int { return &b.Samples })
}

// spread calls f for each bucket that [t0, t1] overlaps, with the seconds of the overlap.
func spread(acc Acc, t0, t1 float64, f func(*Bucket, float64)) {
	size := BucketSize.Seconds()
	for t := t0; t < t1; {
		end := min(t1, float64(bucketIndex(t)+1)*size)
		f(acc.at(t), end-t)
		t = end
	}
}

// sample adds 1 to the sample of every SampleEvery instant in [t0, t1].
func sample(acc Acc, t0, t1 float64, samples func(*Bucket) *[]int) {
	every := SampleEvery.Seconds()
	for s := math.Ceil(t0/every) * every; s <= t1; s += every {
		b := acc.at(s)
		sp := samples(b)
		if *sp == nil {
			*sp = make([]int, SamplesPerBucket)
		}
		(*sp)[int(math.Round((s-float64(b.Start.Unix()))/every))]++
	}
}

// lines counts the path's crossings of every line of l (see the package documentation).
func lines(l *Layout, p Path, acc Acc) {
	entered := false
	for _, ln := range l.Lines {
		c := newCrossing(ln)
		counted := false
		for i := range p {
			dir, at := c.step(p, i)
			if dir == 0 {
				continue
			}
			b := acc.at(at)
			agg := b.line(ln.Name)
			if dir > 0 {
				agg.In++
				if ln.Entrance && !entered {
					entered = true
					b.Entries++
				}
			} else {
				agg.Out++
			}
			if !counted {
				counted = true
				agg.Tracks++
			}
		}
	}
}

// crossing is the hysteresis state of one track against one line.
type crossing struct {
	a, d    XY      // the line's start, and B − A
	length  float64 // |B − A|
	h       float64
	side    int // the side the track was last clear on: -1, +1, or 0 before it was clear of the band
	touched bool
	touchT  float64
}

func newCrossing(ln Line) *crossing {
	d := XY{ln.B.X - ln.A.X, ln.B.Y - ln.A.Y}
	return &crossing{a: ln.A, d: d, length: math.Hypot(d.X, d.Y), h: ln.Hysteresis}
}

// dist is the signed distance of q from the line: positive on the "in" side.
func (c *crossing) dist(q XY) float64 {
	return (c.d.X*(q.Y-c.a.Y) - c.d.Y*(q.X-c.a.X)) / c.length
}

// step takes point i of p (after every point before it) and returns +1 for a crossing in, -1 for one out
// and 0 for none, with the time the path crossed the segment.
func (c *crossing) step(p Path, i int) (int, float64) {
	if i > 0 {
		if s, ok := segmentHit(p[i-1].XY, p[i].XY, c.a, XY{c.a.X + c.d.X, c.a.Y + c.d.Y}); ok {
			c.touched, c.touchT = true, p[i-1].T+s*(p[i].T-p[i-1].T)
		}
	}
	d := c.dist(p[i].XY)
	now := 0
	switch {
	case d >= c.h:
		now = 1
	case d <= -c.h:
		now = -1
	default:
		return 0, 0
	}
	dir := 0
	if c.side != 0 && now != c.side && c.touched {
		dir = now
	}
	c.side, c.touched = now, false
	return dir, c.touchT
}

// segmentHit reports whether segment p0→p1 meets segment a→b, and where along p0→p1 (0 to 1).
func segmentHit(p0, p1, a, b XY) (float64, bool) {
	r := XY{p1.X - p0.X, p1.Y - p0.Y}
	s := XY{b.X - a.X, b.Y - a.Y}
	den := r.X*s.Y - r.Y*s.X
	if den == 0 {
		return 0, false // parallel (or a standing step): it never crosses to the other side
	}
	q := XY{a.X - p0.X, a.Y - p0.Y}
	t := (q.X*s.Y - q.Y*s.X) / den
	u := (q.X*r.Y - q.Y*r.X) / den
	if t < 0 || t > 1 || u < 0 || u > 1 {
		return 0, false
	}
	return t, true
}

// visit is one counted visit of a zone: from entry to exit, seconds since the epoch.
type visit struct {
	zone     string
	from, to float64
}

// zoneVisits returns the path's visits of z: the stretches inside its polygon, merged across gaps shorter
// than z.Debounce, at least z.MinVisit long.
func zoneVisits(z Zone, p Path) []visit {
	var stays [][2]float64
	add := func(from, to float64) {
		if n := len(stays); n > 0 && stays[n-1][1] >= from {
			stays[n-1][1] = max(stays[n-1][1], to)
			return
		}
		stays = append(stays, [2]float64{from, to})
	}
	if len(p) == 1 && inside(z.Polygon, p[0].XY) {
		add(p[0].T, p[0].T)
	}
	box := boundsOf(z.Polygon)
	cuts := make([]float64, 0, 8)
	for i := 1; i < len(p); i++ {
		p0, p1 := p[i-1], p[i]
		if min(p0.X, p1.X) > box[1].X || max(p0.X, p1.X) < box[0].X || min(p0.Y, p1.Y) > box[1].Y || max(p0.Y, p1.Y) < box[0].Y {
			continue // the step is nowhere near the zone
		}
		cuts = append(cuts[:0], 0, 1)
		for j := range z.Polygon {
			if s, ok := segmentHit(p0.XY, p1.XY, z.Polygon[j], z.Polygon[(j+1)%len(z.Polygon)]); ok {
				cuts = append(cuts, s)
			}
		}
		slices.Sort(cuts)
		for k := 1; k < len(cuts); k++ {
			s0, s1 := cuts[k-1], cuts[k]
			if s1 == s0 && len(cuts) > 2 {
				continue
			}
			m := (s0 + s1) / 2
			if inside(z.Polygon, XY{p0.X + m*(p1.X-p0.X), p0.Y + m*(p1.Y-p0.Y)}) {
				add(p0.T+s0*(p1.T-p0.T), p0.T+s1*(p1.T-p0.T))
			}
		}
	}
	var out []visit
	debounce, minVisit := z.Debounce.Seconds(), z.MinVisit.Seconds()
	for _, s := range stays {
		if n := len(out); n > 0 && s[0]-out[n-1].to < debounce {
			out[n-1].to = s[1]
			continue
		}
		out = append(out, visit{zone: z.Name, from: s[0], to: s[1]})
	}
	return slices.DeleteFunc(out, func(v visit) bool { return v.to-v.from < minVisit })
}

// boundsOf returns the corners (lowest, highest) of the bounding box of poly.
func boundsOf(poly []XY) [2]XY {
	b := [2]XY{poly[0], poly[0]}
	for _, q := range poly[1:] {
		b[0] = XY{min(b[0].X, q.X), min(b[0].Y, q.Y)}
		b[1] = XY{max(b[1].X, q.X), max(b[1].Y, q.Y)}
	}
	return b
}

// inside reports whether q is inside polygon poly (even-odd rule; points on an edge may go either way).
func inside(poly []XY, q XY) bool {
	in := false
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		a, b := poly[i], poly[j]
		if (a.Y > q.Y) != (b.Y > q.Y) && q.X < (b.X-a.X)*(q.Y-a.Y)/(b.Y-a.Y)+a.X {
			in = !in
		}
	}
	return in
}

// recordVisits adds a track's visits of one zone (or queue) to acc.
func recordVisits(acc Acc, vs []visit, agg func(*Bucket) *ZoneAgg, samples bool) {
	for i, v := range vs {
		b := acc.at(v.from)
		z := agg(b)
		z.Visits++
		if i == 0 {
			z.Tracks++
		}
		d := v.to - v.from
		z.Dwell.Observe(d)
		z.DwellSum += d
		spread(acc, v.from, v.to, func(b *Bucket, secs float64) { agg(b).Seconds += secs })
		if samples {
			sample(acc, v.from, v.to, func(b *Bucket) *[]int { return &agg(b).Samples })
		}
	}
}

// maxCellsPerStep bounds the rasterisation of one step: a step across more cells is a jump in the data
// (a tracker's identity switch), not a walk, and leaves no heat.
const maxCellsPerStep = 1000

// heat rasterises the path on a grid of cell-sized squares.
func heat(cell float64, p Path, acc Acc) {
	seen := make(map[Cell]bool, len(p))
	if len(p) == 1 {
		c := Cell{int(math.Floor(p[0].X / cell)), int(math.Floor(p[0].Y / cell))}
		seen[c] = true
		acc.at(p[0].T).cell(c).Visits++
	}
	size := BucketSize.Seconds()
	for i := 1; i < len(p); i++ {
		p0, p1 := p[i-1], p[i]
		// Split the step at bucket boundaries, so that each piece's seconds go to one bucket.
		for k := bucketIndex(p0.T); k <= bucketIndex(p1.T); k++ {
			t0, t1 := max(p0.T, float64(k)*size), min(p1.T, float64(k+1)*size)
			if t1 < t0 || (t1 == t0 && p1.T > p0.T) {
				continue
			}
			s0, s1 := 0.0, 1.0
			if p1.T > p0.T {
				s0, s1 = (t0-p0.T)/(p1.T-p0.T), (t1-p0.T)/(p1.T-p0.T)
			}
			b := acc.bucket(k)
			raster(lerp(p0, p1, s0), lerp(p0, p1, s1), cell, func(c Cell, f0, f1 float64) {
				if !seen[c] {
					seen[c] = true
					b.cell(c).Visits++
				}
				if secs := (f1 - f0) * (t1 - t0); secs > 0 {
					b.cell(c).Seconds += secs
				}
			})
		}
	}
}

func lerp(p0, p1 TimedXY, s float64) XY {
	return XY{p0.X + s*(p1.X-p0.X), p0.Y + s*(p1.Y-p0.Y)}
}

// cornerEpsilon is the fraction of a step below which a cell is only touched (at a corner, up to rounding)
// and not entered.
const cornerEpsilon = 1e-9

// raster calls f for every cell the segment a→b passes through, in order, with the fractions of the
// segment where it enters and leaves the cell (Amanatides and Woo's grid traversal). A segment of no
// length is in its one cell for all of it; corners touched for no length are skipped.
func raster(a, b XY, cell float64, f func(c Cell, f0, f1 float64)) {
	cx, cy := int(math.Floor(a.X/cell)), int(math.Floor(a.Y/cell))
	ex, ey := int(math.Floor(b.X/cell)), int(math.Floor(b.Y/cell))
	if n := abs(ex-cx) + abs(ey-cy); n > maxCellsPerStep {
		return
	}
	dx, dy := b.X-a.X, b.Y-a.Y
	next := func(c int, d, from float64) (step int, tMax, tDelta float64) {
		switch {
		case d > 0:
			return 1, (float64(c+1)*cell - from) / d, cell / d
		case d < 0:
			return -1, (float64(c)*cell - from) / d, -cell / d
		}
		return 0, math.Inf(1), math.Inf(1)
	}
	sx, tMaxX, tDeltaX := next(cx, dx, a.X)
	sy, tMaxY, tDeltaY := next(cy, dy, a.Y)
	s := 0.0
	for range maxCellsPerStep + 2 {
		if cx == ex && cy == ey {
			if s < 1 || (dx == 0 && dy == 0) {
				f(Cell{cx, cy}, min(s, 1), 1)
			}
			return
		}
		end := min(tMaxX, tMaxY, 1)
		if end > s+cornerEpsilon {
			f(Cell{cx, cy}, s, end)
		}
		if end >= 1 {
			return
		}
		if tMaxX < tMaxY {
			cx += sx
			s, tMaxX = tMaxX, tMaxX+tDeltaX
		} else {
			cy += sy
			s, tMaxY = tMaxY, tMaxY+tDeltaY
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
