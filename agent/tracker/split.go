package tracker

import (
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
)

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

// colStats fills per-column foreground counts and bottom rows for the component with the given root label,
// over columns x0..x1.
func (d *detector) colStats(label, x0, x1 int32) {
	for x := x0; x <= x1; x++ {
		d.colCnt[x] = 0
		d.colBot[x] = -1
	}
	for _, r := range d.runs {
		if r.label != label {
			continue
		}
		for x := r.x0; x <= r.x1; x++ {
			d.colCnt[x]++
			d.colBot[x] = max(d.colBot[x], r.y)
		}
	}
}

// emitSplit splits candidate c (one component) into people and appends their detections. It uses the
// tracks predicted inside it (track-guided split) or, with no more than one, the expected width at its
// foot row.
func (t *Tracker) emitSplit(c cand) {
	d := &t.det
	he := t.size.height(float64(c.y1 + 1))
	bw := float64(c.x1 - c.x0 + 1)
	if he == 0 || c.merged {
		t.emit(c)
		return
	}
	we := widthRatio * he
	s := float64(d.s)
	// Confirmed tracks whose predicted foot point falls in the blob's lower part.
	xs := t.splitX[:0]
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
		xs = append(xs, px)
	}
	slices.Sort(xs)
	// Tracks closer than splitSep person widths are one behind the other: one part for them.
	k := 0
	for i, x := range xs {
		if i == 0 || x-xs[k-1] >= splitSep*we {
			xs[k] = x
			k++
		}
	}
	xs = xs[:k]
	n := int(math.Round(bw / (splitW * we)))
	if bw < splitMin*we {
		n = 1
	}
	if bw < trackSplitMin*we {
		k = min(k, 1)
	}
	t.splitX = xs
	if k < 2 && n < 2 {
		t.emit(c)
		return
	}
	d.colStats(c.label, c.x0, c.x1)
	// Part boundaries: midpoints between tracks, or equal widths moved to the emptiest nearby column.
	cuts := t.cuts[:0]
	if k >= 2 {
		for i := 1; i < k; i++ {
			cuts = append(cuts, int32((xs[i-1]+xs[i])/2))
		}
	} else {
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
	}
	t.cuts = cuts
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
	if !c.split && !c.merged {
		// A single blob with a plausible single-person shape teaches the size model.
		if r := float64(c.x1-c.x0+1) / float64(c.y1-c.y0+1); r > 0.2 && r < 0.55 && c.x0 > 1 && c.x1 < int32(d.w-2) && c.y0 > 1 && c.y1 < int32(d.h-2) {
			t.size.add(float64(c.y1+1), float64(c.y1-c.y0+1))
		}
	}
	t.dets = append(t.dets, det)
}
