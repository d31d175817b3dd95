package tracker

import (
	"cmp"
	"math"
	"slices"

	"github.com/ashiato/ashiato/agent/tracker/assoc"
)

// sizeModel learns the expected standing height of a person from the foot row, h(y) ≈ a + b·y (on a flat
// floor this is k·(y − y_h) with y_h the horizon row), in processing pixels. It keeps a running median of
// blob heights per band of foot rows and fits a line through the band medians weighted by their counts.
type sizeModel struct {
	rows   int
	med    [sizeBands]float64
	n      [sizeBands]int
	a, b   float64
	ready  bool
	lo, hi float64 // foot rows the fit may be evaluated on: the data's band centres, one band beyond
	since  int     // samples since the last fit
}

const (
	sizeBands    = 12
	widthRatio   = 0.38 // person width / height (PETS09 ground truth: 0.34–0.38)
	minBandCount = 8

	splitSep      = 0.7 // tracks this many expected widths apart split a blob
	trackSplitMin = 1.3 // ... if the blob is at least this many expected widths wide
	splitMin      = 1.8 // a blob this many expected widths wide is split without tracks
	splitW        = 1.15
	fragment      = 0.5 // a blob shorter than this many expected heights cannot start a track

	// Splitting a blob of one or two people by its outline (lengths in expected heights he).
	headMinW  = 0.75 // blobs narrower than this many expected widths are not searched
	headMinH  = 0.7  // nor blobs shorter than this
	headApart = 0.2  // a second head is at least this far from the first
	headDrop  = 0.42 // and its top at most this far below the blob's top
	headCol   = 0.45 // and its column at least this full
	headDip   = 2    // pixels the outline between two heads dips below the lower one
	headTall  = 1.12 // without a dip, the blob must be this tall
	headStep  = 0.15 // and the outline must step up this much from the lower head towards the other
	headFoot  = 0.25 // a person's feet are within this of its head's column
	tallMin   = 1.2  // a blob this tall with one head may be one person a little behind another
	tallWin   = 0.3  // whose feet are within this of the head's column
	tallFlat  = 3    // on a flat level at least this many columns wide
	tallDx    = 0.1  // and the feet in front at least this far to one side

	rowSep  = 0.15 // tracks in one column whose feet are this many expected heights apart are stacked
	rowMinH = 0.08 // each person's own band of rows must be at least this many expected heights tall
	// rowFreshMS is how recently a track must have been matched to count in a row split.
	rowFreshMS = 300
)

// stacked reports whether the rearmost and frontmost track of one column, r[0] and r[1] (processing
// pixels), stand one behind the other.
func stacked(r [2][2]float64, he float64) bool {
	return !math.IsInf(r[0][1], 0) && !math.IsInf(r[1][1], 0) && r[1][1]-r[0][1] >= rowSep*he
}

// emitRows cuts part p of a blob (colStats filled) by rows between two tracks of one column, r[0] behind
// and r[1] in front, and emits a detection for each; it reports false, emitting nothing, when either
// person's own rows are too thin to place them. From an elevated camera the person behind stands higher
// in the picture, so below the rear person's feet only the front person is seen (their legs), and above
// the front person's head only the rear person (their head and shoulders). The front person's foot point
// is the part's lowest row, at the column centre of the rows below the rear person's feet; the rear
// person's is one expected height below the top of the rows above the front person's head, at their
// column centre. The rear detection may only extend a track, never start one: its feet are estimated.
func (t *Tracker) emitRows(p cand, r [2][2]float64) bool {
	d := &t.det
	rearY, frontY := r[0][1], r[1][1]
	hf := t.size.height(frontY)
	he := t.size.height(rearY)
	if hf == 0 || he == 0 || d.atBorder(&p) {
		return false // at the image border the outline is clipped: no band can be trusted
	}
	split := int32(math.Round(rearY))      // rows below this: the front person only
	over := int32(math.Round(frontY - hf)) // rows above this: the rear person only
	var fa, fx, ra, rx int64
	front := cand{x0: 1 << 30, x1: -1, y0: 1 << 30, y1: -1, label: p.label, split: true}
	rear := front
	for _, run := range d.runs {
		if run.label != p.label || run.x1 < p.x0 || run.x0 > p.x1 || run.y < p.y0 || run.y > p.y1 {
			continue
		}
		x0, x1 := max(run.x0, p.x0), min(run.x1, p.x1)
		n := int64(x1 - x0 + 1)
		sum := n * int64(x0+x1) / 2
		if run.y >= split {
			fa += n
			fx += sum
			front.x0, front.x1 = min(front.x0, x0), max(front.x1, x1)
			front.y1 = max(front.y1, run.y)
		}
		if run.y < over {
			ra += n
			rx += sum
			rear.x0, rear.x1 = min(rear.x0, x0), max(rear.x1, x1)
			rear.y0 = min(rear.y0, run.y)
		}
	}
	if float64(front.y1-split+1) < rowMinH*hf || float64(over-rear.y0) < rowMinH*he || fa == 0 || ra == 0 {
		return false
	}
	front.y0 = max(p.y0, front.y1-int32(hf)+1)
	front.cx = float64(fx)/float64(fa) + 0.5
	front.area = int32(fa)
	rear.y1 = rear.y0 + int32(math.Round(he)) - 1
	rear.cx = float64(rx)/float64(ra) + 0.5
	rear.area = int32(ra)
	t.emit(rear)
	t.dets[len(t.dets)-1].NoStart = true
	t.emit(front)
	return true
}

func (m *sizeModel) reset(rows int) { *m = sizeModel{rows: rows} }

// add records a single person's foot row and height.
func (m *sizeModel) add(y, h float64) {
	k := int(y) * sizeBands / m.rows
	if k < 0 || k >= sizeBands {
		return
	}
	if m.n[k] == 0 {
		m.med[k] = h
	} else {
		// Running median: move 3% of the estimate towards the sample (faster while few samples).
		step := m.med[k] * max(0.03, 0.3/float64(m.n[k]))
		if h > m.med[k] {
			m.med[k] += min(step, h-m.med[k])
		} else {
			m.med[k] -= min(step, m.med[k]-h)
		}
	}
	m.n[k]++
	m.since++
	if m.since >= 10 {
		m.fit()
	}
}

func (m *sizeModel) fit() {
	m.since = 0
	var sw, sy, sh, syy, syh float64
	bands := 0
	for k := range sizeBands {
		if m.n[k] < minBandCount {
			continue
		}
		w := float64(min(m.n[k], 100))
		y := (float64(k) + 0.5) * float64(m.rows) / sizeBands
		sw += w
		sy += w * y
		sh += w * m.med[k]
		syy += w * y * y
		syh += w * y * m.med[k]
		bands++
	}
	if bands == 0 {
		return
	}
	m.ready = true
	band := float64(m.rows) / sizeBands
	m.lo, m.hi = math.Inf(1), math.Inf(-1)
	for k := range sizeBands {
		if m.n[k] >= minBandCount {
			y := (float64(k) + 0.5) * band
			m.lo, m.hi = min(m.lo, y-band), max(m.hi, y+band)
		}
	}
	det := sw*syy - sy*sy
	if bands < 2 || det <= 0 {
		m.a, m.b = sh/sw, 0
		return
	}
	m.b = (sw*syh - sy*sh) / det
	m.a = (sh - m.b*sy) / sw
	if m.b < 0 {
		// A camera looking down at a floor sees nearer (lower) people larger; a negative slope is noise.
		m.a, m.b = sh/sw, 0
	}
}

// height is the expected person height at foot row y; 0 while the model is not ready. Beyond the rows the
// model has data for (one band either side) it is extrapolated flat: a line through a few bands near the
// bottom of the image, biased by people one behind the other, can predict absurdly small people at the
// top, and every blob there would be shattered.
func (m *sizeModel) height(y float64) float64 {
	if !m.ready {
		return 0
	}
	y = min(max(y, m.lo), m.hi)
	return max(m.a+m.b*y, 4)
}

// colStats fills per-column foreground counts, top rows and bottom rows for the component with the given
// root label, over columns x0..x1. An empty column has count 0, top 1<<30 and bottom -1.
func (d *detector) colStats(label, x0, x1 int32) {
	for x := x0; x <= x1; x++ {
		d.colCnt[x] = 0
		d.colBot[x] = -1
		d.colTop[x] = 1 << 30
	}
	for _, r := range d.runs {
		if r.label != label {
			continue
		}
		for x := r.x0; x <= r.x1; x++ {
			d.colCnt[x]++
			d.colBot[x] = max(d.colBot[x], r.y)
			d.colTop[x] = min(d.colTop[x], r.y)
		}
	}
}

// emitSplit splits candidate c (one component) into people and appends their detections. It uses the
// tracks predicted inside it (track-guided split) or, with no more than one, the expected width at its
// foot row, and a blob that neither cuts, its outline (headSplit, tallSplit).
func (t *Tracker) emitSplit(c cand) {
	he := t.size.height(float64(c.y1 + 1))
	bw := float64(c.x1 - c.x0 + 1)
	if he == 0 || c.merged {
		t.emit(c)
		return
	}
	we := widthRatio * he
	xs, rows := t.trackColumns(t.predictedFeet(c, he, we), we)
	k := len(xs)
	n := int(math.Round(bw / (splitW * we)))
	if bw < splitMin*we {
		n = 1
	}
	if bw < trackSplitMin*we {
		k = min(k, 1)
	}
	if k < 2 && n < 2 {
		t.emitUncut(c, k, rows, he, we)
		return
	}
	t.det.colStats(c.label, c.x0, c.x1)
	t.emitParts(c, t.splitCuts(c, xs[:k], n, we), rows, k >= 2, he)
}

// predictedFeet returns the foot points (x, y in detector pixels, and the track's MissMS) of the confirmed
// tracks predicted in the lower part of candidate c, sorted by x. he and we are the expected height and
// width at its foot row. The result is t.splitPts, reused from frame to frame.
func (t *Tracker) predictedFeet(c cand, he, we float64) [][3]float64 {
	s := float64(t.det.s)
	pts := t.splitPts[:0]
	for _, b := range t.pred {
		if !b.Confirmed || b.MissMS > 1500 {
			continue
		}
		px, py := b.X/s, b.Y/s
		if px < float64(c.x0)-0.2*we || px > float64(c.x1)+0.2*we {
			continue
		}
		if py < float64(c.y1)-0.6*he || py > float64(c.y1)+0.4*he {
			continue
		}
		pts = append(pts, [3]float64{px, py, float64(b.MissMS)})
	}
	slices.SortFunc(pts, func(a, b [3]float64) int { return cmp.Compare(a[0], b[0]) })
	t.splitPts = pts
	return pts
}

// trackColumns groups the foot points pts (sorted by x) into columns and returns the x of each column and
// its rearmost and frontmost fresh foot point (t.splitX and t.splitRows, reused).
//
// Tracks closer than splitSep person widths are one behind the other: one part for them (one column).
// Within a column, the rearmost and the frontmost track are stacked when their feet are at least
// rowSep expected heights apart: from an elevated camera the person behind stands higher in the
// picture. Such a part is cut by rows (emitRows) rather than given one foot point. Only tracks seen
// within the last rowFreshMS count: people who walked into the group, not a track that has been
// coasting on its motion model for a while and may be anywhere.
func (t *Tracker) trackColumns(pts [][3]float64, we float64) ([]float64, [][2][2]float64) {
	xs := t.splitX[:0]
	rows := t.splitRows[:0]
	for i, p := range pts {
		q := [2]float64{p[0], p[1]}
		if i == 0 || p[0]-xs[len(xs)-1] >= splitSep*we {
			xs = append(xs, p[0])
			rows = append(rows, [2][2]float64{{0, math.Inf(1)}, {0, math.Inf(-1)}})
		}
		if p[2] > rowFreshMS {
			continue
		}
		r := &rows[len(rows)-1]
		if q[1] < r[0][1] {
			r[0] = q
		}
		if q[1] > r[1][1] {
			r[1] = q
		}
	}
	t.splitRows, t.splitX = rows, xs
	return xs, rows
}

// emitUncut emits candidate c, which is too narrow for a width split and holds k ≤ 1 track columns: cut
// by rows if its one column is stacked, else by its outline if that shows two people, else whole.
func (t *Tracker) emitUncut(c cand, k int, rows [][2][2]float64, he, we float64) {
	d := &t.det
	if k == 1 && stacked(rows[0], he) {
		d.colStats(c.label, c.x0, c.x1)
		if t.emitRows(c, rows[0]) {
			return
		}
	}
	// Two people side by side, or one a little behind the other, can stay one blob too narrow for
	// the width split and with at most one confirmed track in it; their outline still shows two
	// heads or two foot levels. (With two tracks in the blob the track-guided split is steadier.)
	if float64(c.x1-c.x0+1) >= headMinW*we && float64(c.y1-c.y0+1) >= headMinH*he {
		d.colStats(c.label, c.x0, c.x1)
		if t.headSplit(c, he) || t.tallSplit(c, he) {
			return
		}
	}
	t.emit(c)
}

// splitCuts returns the part boundaries of candidate c (t.cuts, reused): the midpoints between the track
// columns xs when there are two or more, else n (at most 6) equal widths, each cut moved to the emptiest
// column within a quarter of the expected width we. The column statistics of c must be current.
func (t *Tracker) splitCuts(c cand, xs []float64, n int, we float64) []int32 {
	d := &t.det
	cuts := t.cuts[:0]
	if len(xs) >= 2 {
		for i := 1; i < len(xs); i++ {
			cuts = append(cuts, int32((xs[i-1]+xs[i])/2))
		}
		t.cuts = cuts
		return cuts
	}
	bw := float64(c.x1 - c.x0 + 1)
	n = min(n, 6)
	r := int32(0.25 * we)
	for i := 1; i < n; i++ {
		x := c.x0 + int32(float64(i)*bw/float64(n))
		best, bx := int32(1<<30), x
		for xx := max(x-r, c.x0+1); xx <= min(x+r, c.x1-1); xx++ {
			if d.colCnt[xx] < best {
				best, bx = d.colCnt[xx], xx
			}
		}
		cuts = append(cuts, bx)
	}
	t.cuts = cuts
	return cuts
}

// emitParts emits the parts of candidate c between the cuts that are big enough; with byTracks (the cuts
// fall between track columns), a part whose column rows says is stacked is cut by rows. The column
// statistics of c must be current.
func (t *Tracker) emitParts(c cand, cuts []int32, rows [][2][2]float64, byTracks bool, he float64) {
	d := &t.det
	lo := c.x0
	for i := 0; i <= len(cuts); i++ {
		hi := c.x1
		if i < len(cuts) {
			hi = min(cuts[i], c.x1)
		}
		var area, sx int64
		p := cand{x0: 1 << 30, x1: -1, y1: -1, y0: c.y0, label: c.label}
		for x := lo; x <= hi; x++ {
			if d.colCnt[x] == 0 {
				continue
			}
			area += int64(d.colCnt[x])
			sx += int64(d.colCnt[x]) * int64(x)
			p.x0 = min(p.x0, x)
			p.x1 = max(p.x1, x)
			p.y1 = max(p.y1, d.colBot[x])
		}
		lo = hi + 1
		if area == 0 {
			continue
		}
		p.area = int32(area)
		p.cx = float64(sx)/float64(area) + 0.5
		p.split = true
		if p.area >= int32(d.w*d.h/1500)/2 {
			if byTracks && stacked(rows[i], he) && t.emitRows(p, rows[i]) {
				continue
			}
			t.emit(p)
		}
	}
}

// emit appends the detection of one person candidate.
func (t *Tracker) emit(c cand) {
	d := &t.det
	s := float64(d.s)
	bw := float64(c.x1-c.x0+1) * s
	bh := float64(c.y1-c.y0+1) * s
	x := (float64(c.x0+c.x1) + 1) / 2 * s
	if c.split {
		x = c.cx * s
	}
	y := float64(c.y1+1) * s
	det := assoc.Detection{X: x, Y: y, W: bw, H: bh, Score: 1}
	if len(t.roi) > 0 && !inPolygon(t.roi, x/float64(d.fw), y/float64(d.fh)) {
		det.NoStart = true
	}
	if he := t.size.height(float64(c.y1 + 1)); he > 0 && float64(c.y1-c.y0+1) < fragment*he && !d.atBorder(&c) {
		// Much shorter than a person standing there: a fragment (part of a person the background
		// hides), or a small object. It may extend a track but not start one. At the image border a
		// short blob is a person partly in view, and may start one.
		det.NoStart = true
		det.Score = 0.5
	}
	if he := t.size.height(float64(c.y1 + 1)); he > 0 && d.atBorder(&c) {
		// A person partly in view: the box is clipped, the person is not. Gating and the size cost
		// work on the person's expected height.
		det.H = max(det.H, he*s)
	}
	det.NoPoint = !t.feetInView(&c)
	det.Look, det.HasLook = d.look(&c)
	det.Solo = !c.split && !c.merged
	if !c.split && !c.merged {
		// A single blob with a plausible single-person shape teaches the size model.
		if r := float64(c.x1-c.x0+1) / float64(c.y1-c.y0+1); r > 0.2 && r < 0.55 && c.x0 > 1 && c.x1 < int32(d.w-2) && c.y0 > 1 && c.y1 < int32(d.h-2) {
			t.size.add(float64(c.y1+1), float64(c.y1-c.y0+1))
		}
	}
	t.dets = append(t.dets, det)
}

// look returns the mean grey level of the current frame over candidate c's pixels in the upper and lower
// half of its box: a coarse appearance signature (two numbers; no pixel is kept).
func (d *detector) look(c *cand) ([2]float64, bool) {
	mid := (c.y0 + c.y1 + 1) / 2
	var sum, n [2]int
	for _, r := range d.runs {
		if r.label != c.label || r.y < c.y0 || r.y > c.y1 || r.x1 < c.x0 || r.x0 > c.x1 {
			continue
		}
		k := 0
		if r.y >= mid {
			k = 1
		}
		o := int(r.y) * d.w
		for _, v := range d.cur[o+int(max(r.x0, c.x0)) : o+int(min(r.x1, c.x1))+1] {
			sum[k] += int(v)
		}
		n[k] += int(min(r.x1, c.x1) - max(r.x0, c.x0) + 1)
	}
	if n[0] == 0 || n[1] == 0 {
		return [2]float64{}, false
	}
	return [2]float64{float64(sum[0]) / float64(n[0]), float64(sum[1]) / float64(n[1])}, true
}

// feetInView reports whether candidate c shows where the person stands: not when it reaches the bottom
// edge (the feet are below the picture), nor when it is cut by the left or right edge with less than
// Config.EdgeInView of the expected width in view (the middle of the visible part is not the middle of
// the person). On a shop floor this is someone walking in under the camera or past the side of the
// picture; the track follows them, and its points begin once they stand in view.
func (t *Tracker) feetInView(c *cand) bool {
	d := &t.det
	if c.y1 >= int32(d.h-2) {
		return false
	}
	if c.x0 > 1 && c.x1 < int32(d.w-2) {
		return true
	}
	he := t.size.height(float64(c.y1 + 1))
	return he > 0 && float64(c.x1-c.x0+1) >= t.cfg.EdgeInView*widthRatio*he
}

// headSplit looks for two people in candidate c (one component, colStats filled) by their heads: the
// blob's highest column and, at least headApart·he to one side, another column whose top is at most
// headDrop·he lower, with a dip in the top outline between them. A single person has nothing that high so
// far from the head (shoulders end at about 0.14·h, a swinging hand is half a height down). On success it
// emits one detection per head and reports true; otherwise it emits nothing. Each foot point is below its
// head. The person whose feet are the blob's lowest row is in front; the one behind stands on the lowest
// row of the columns near its head, unless that is further below its head than the front person is tall
// (it would be the front person's leg), in which case it is its head plus the front person's height.
func (t *Tracker) headSplit(c cand, he float64) bool {
	a1, b1 := t.firstHead(c)
	xh1 := float64(a1+b1) / 2
	a2, b2, top2, ok := t.secondHead(c, xh1, he)
	if !ok {
		return false
	}
	cut, ok := t.headCut(c, [2]int32{a1, b1}, [2]int32{a2, b2}, top2, he)
	if !ok {
		return false
	}
	var heads [2]float64
	xh2 := float64(a2+b2) / 2
	if xh1 < xh2 {
		heads = [2]float64{xh1, xh2}
	} else {
		heads = [2]float64{xh2, xh1}
	}
	ps, ok := t.headParts(c, cut, heads)
	if !ok {
		return false
	}
	t.placeBackFeet(&ps, heads, he)
	t.emit(ps[0])
	t.emit(ps[1])
	return true
}

// firstHead returns the columns [a, b] of the first head of candidate c: the run of columns at its top row.
func (t *Tracker) firstHead(c cand) (a, b int32) {
	d := &t.det
	top := c.y0
	a = c.x0
	for a <= c.x1 && d.colTop[a] > top {
		a++
	}
	b = a
	for b+1 <= c.x1 && d.colTop[b+1] <= top+1 {
		b++
	}
	for a-1 >= c.x0 && d.colTop[a-1] <= top+1 {
		a--
	}
	return a, b
}

// secondHead returns the columns [a, b] and the top row of the second head of candidate c: the highest
// full column at least headApart·he from the first head's centre xh1 and at most headDrop·he below the
// top, widened to the flat top around it. ok is false when there is none.
func (t *Tracker) secondHead(c cand, xh1, he float64) (a, b, top2 int32, ok bool) {
	d := &t.det
	apart, drop, full := headApart*he, int32(headDrop*he), int32(headCol*he)
	x2 := int32(-1)
	top2 = 1 << 30
	for x := c.x0; x <= c.x1; x++ {
		if math.Abs(float64(x)-xh1) < apart || d.colCnt[x] < full || d.colTop[x] > c.y0+drop {
			continue
		}
		if d.colTop[x] < top2 || d.colTop[x] == top2 && d.colCnt[x] > d.colCnt[x2] {
			x2, top2 = x, d.colTop[x]
		}
	}
	if x2 < 0 {
		return 0, 0, 0, false
	}
	a, b = x2, x2
	for b+1 <= c.x1 && d.colTop[b+1] <= top2+1 && d.colTop[b+1] >= top2 {
		b++
	}
	for a-1 >= c.x0 && d.colTop[a-1] <= top2+1 && d.colTop[a-1] >= top2 {
		a--
	}
	return a, b, top2, true
}

// headCut returns the column at which candidate c divides between the heads h1 and h2 (each [a, b]; h2's
// top row is top2): the deepest column of a dip in the outline between them, or, with no dip, the edge
// of the lower head when it touches the shoulder of the person behind. ok is false when neither holds.
func (t *Tracker) headCut(c cand, h1, h2 [2]int32, top2 int32, he float64) (int32, bool) {
	d := &t.det
	a1, b1, a2, b2 := h1[0], h1[1], h2[0], h2[1]
	lo, hi := b1+1, a2-1
	if a2 < a1 {
		lo, hi = b2+1, a1-1
	}
	if lo > hi {
		return 0, false
	}
	cut, dip := lo, int32(-1)
	mid := float64(lo+hi) / 2
	for x := lo; x <= hi; x++ {
		if v := d.colTop[x]; v > dip || v == dip && math.Abs(float64(x)-mid) < math.Abs(float64(cut)-mid) {
			cut, dip = x, v
		}
	}
	if dip >= top2+headDip {
		return cut, true
	}
	// No dip: the lower head may touch the shoulder of the person behind. Then the blob is taller
	// than one person, the lower head is a flat top at least two columns wide, and the outline
	// steps up sharply from it towards the other head (a shoulder or an arm slopes).
	next := b2 + 1
	if a2 > a1 {
		next = a2 - 1
	}
	if float64(c.y1-c.y0+1) < headTall*he || b2 == a2 || float64(top2-d.colTop[next]) < headStep*he {
		return 0, false
	}
	if a2 > a1 {
		return a2 - 1, true
	}
	return b2, true
}

// headParts returns the two parts of candidate c, [c.x0, cut] and [cut+1, c.x1], centred on heads (left
// to right). ok is false when either is too small to be a person.
func (t *Tracker) headParts(c cand, cut int32, heads [2]float64) ([2]cand, bool) {
	d := &t.det
	var ps [2]cand
	for i := range ps {
		p := &ps[i]
		*p = cand{x0: 1 << 30, x1: -1, y0: 1 << 30, y1: -1, label: c.label, split: true, cx: heads[i] + 0.5}
		x0, x1 := c.x0, cut
		if i == 1 {
			x0, x1 = cut+1, c.x1
		}
		for x := x0; x <= x1; x++ {
			if d.colCnt[x] == 0 {
				continue
			}
			p.area += d.colCnt[x]
			p.x0, p.x1 = min(p.x0, x), max(p.x1, x)
			p.y0 = min(p.y0, d.colTop[x])
			p.y1 = max(p.y1, d.colBot[x])
		}
		if p.area < int32(d.w*d.h/1500)/2 {
			return ps, false
		}
	}
	return ps, true
}

// placeBackFeet sets the foot row of the person behind: the part whose lowest row is higher. It stands on
// the lowest row of the columns within headFoot·he of its head, unless that is further below its head
// than the front person is tall (it would be the front person's leg), in which case its foot row is its
// head plus the front person's height.
func (t *Tracker) placeBackFeet(ps *[2]cand, heads [2]float64, he float64) {
	d := &t.det
	front, back := 0, 1
	if ps[1].y1 > ps[0].y1 {
		front, back = 1, 0
	}
	hf := ps[front].y1 - ps[front].y0 + 1
	b := &ps[back]
	yb := int32(-1)
	r := headFoot * he
	for x := b.x0; x <= b.x1; x++ {
		if math.Abs(float64(x)-heads[back]) <= r && d.colCnt[x] > 0 {
			yb = max(yb, d.colBot[x])
		}
	}
	if yb < 0 || 10*(yb-b.y0+1) > 11*hf {
		yb = b.y0 + hf - 1
	}
	b.y1 = yb
}

// tallSplit looks for two people one a little behind the other in candidate c (one component, colStats
// filled, one head): the blob is taller than one person (tallMin·he), and near the head's column, one
// expected height below the top, the outline has a second foot level — the feet of the person behind —
// clearly above the blob's lowest row, the feet of the person in front. On success it emits both and
// reports true; otherwise it emits nothing.
func (t *Tracker) tallSplit(c cand, he float64) bool {
	d := &t.det
	if float64(c.y1-c.y0+1) < tallMin*he || d.atBorder(&c) {
		return false
	}
	a, b := c.x0, c.x0
	for a <= c.x1 && d.colTop[a] > c.y0 {
		a++
	}
	for b = a; b+1 <= c.x1 && d.colTop[b+1] <= c.y0+1; b++ {
	}
	xh := float64(a+b) / 2
	est := float64(c.y0) + he
	if float64(c.y1) < est+0.15*he {
		return false
	}
	yb, ok := t.backFeet(c, xh, est, he)
	if !ok {
		return false
	}
	fx := t.frontFeetX(c, he)
	if math.Abs(fx-xh) < tallDx*he {
		// Feet straight below the head: more likely one tall person (or a shadow) than two.
		return false
	}
	hw := int32(0.2 * he)
	back := cand{x0: max(c.x0, int32(xh)-hw), x1: min(c.x1, int32(xh)+hw), y0: c.y0, y1: yb, label: c.label,
		split: true, cx: xh + 0.5, area: c.area / 2}
	front := cand{x0: max(c.x0, int32(fx)-hw), x1: min(c.x1, int32(fx)+hw), y0: max(c.y0, c.y1-int32(he)+1),
		y1: c.y1, label: c.label, split: true, cx: fx + 0.5, area: c.area / 2}
	t.emit(back)
	t.emit(front)
	return true
}

// backFeet returns the row of the feet of the person behind in candidate c, whose head is at column xh
// and whose feet are expected at row est: a flat level (at least tallFlat columns whose lowest rows are
// within a pixel of each other) within tallWin·he of the head's column, near est; a leg's slanting edge
// gives no such level. ok is false when there is none.
func (t *Tracker) backFeet(c cand, xh, est, he float64) (int32, bool) {
	d := &t.det
	r := tallWin * he
	lo, hi := max(c.x0, int32(xh-r)), min(c.x1, int32(xh+r))
	yb, best := int32(-1), int32(0)
	for x := lo; x <= hi; x++ {
		l := d.colBot[x]
		if d.colCnt[x] == 0 || float64(l) < est-0.15*he || float64(l) > est+0.1*he {
			continue
		}
		var n int32
		for xx := lo; xx <= hi; xx++ {
			if d.colCnt[xx] > 0 && d.colBot[xx] >= l-1 && d.colBot[xx] <= l+1 {
				n++
			}
		}
		if n > best || n == best && l > yb {
			best, yb = n, l
		}
	}
	return yb, best >= tallFlat
}

// frontFeetX returns the mean column of the feet of the person in front in candidate c: the columns that
// reach (nearly) its lowest row.
func (t *Tracker) frontFeetX(c cand, he float64) float64 {
	d := &t.det
	var fn int32
	var fx float64
	for x := c.x0; x <= c.x1; x++ {
		if d.colCnt[x] > 0 && float64(d.colBot[x]) >= float64(c.y1)-0.05*he-1 {
			fn++
			fx += float64(x)
		}
	}
	return fx / float64(fn)
}
