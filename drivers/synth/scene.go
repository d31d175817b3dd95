package synth

import (
	"math"
	"slices"
	"sync"
)

// Scene model.
//
// The floor is a plane seen by a tilted camera. A point on it is (X, D) in metres: X across the view (0 on the
// centre column), D away from the camera (0 on the bottom row). The horizontal scale s(D) = sb·exp(−D/L) px/m
// falls off with depth, and rows are foreshortened by alpha: dy/dD = −alpha·s(D). With this choice a person's
// height in pixels is a linear function of the row of their feet, 110 px at the bottom and 60 px at the top
// for 480 rows (scaled with the height), which is what a ceiling-corner camera with mild perspective shows.
//
// Walkers are generated in blocks of blockSec seconds. Each block's walkers depend only on the seed and the
// block index, so any frame's walkers, and its ground truth, can be computed without rendering earlier frames.

const (
	blockSec  = 60.0 // walkers are generated per block of this many seconds
	refHeight = 1.7  // metres; the person height the 110/60 px figures refer to
	alpha     = 0.75 // row foreshortening of the floor
	gaitM     = 1.4  // metres walked per full gait cycle (two steps)
	minSpeed  = 1.0  // m/s
	maxSpeed  = 1.6  // m/s
	maxStop   = 5.0  // s; longest pause at a shelf
)

// vec is a point or direction on the floor, in metres.
type vec struct{ X, D float64 }

func (a vec) add(b vec) vec        { return vec{a.X + b.X, a.D + b.D} }
func (a vec) sub(b vec) vec        { return vec{a.X - b.X, a.D - b.D} }
func (a vec) mul(k float64) vec    { return vec{a.X * k, a.D * k} }
func (a vec) len() float64         { return math.Hypot(a.X, a.D) }
func (a vec) perp() vec            { return vec{-a.D, a.X} }
func lerp(a, b vec, f float64) vec { return a.add(b.sub(a).mul(f)) }
func (a vec) rot(th float64) vec   { s, c := math.Sincos(th); return vec{c*a.X - s*a.D, s*a.X + c*a.D} }
func (a vec) unit() vec            { return a.mul(1 / a.len()) }
func (a vec) dist(b vec) float64   { return b.sub(a).len() }

// geom maps floor points to image pixels.
type geom struct {
	w, h   float64 // image size in pixels
	sb, st float64 // horizontal px per metre on the bottom and top rows
	l      float64 // depth over which the scale falls by e, metres
	dTop   float64 // depth of the top row, metres
}

func newGeom(w, h int) geom {
	g := geom{w: float64(w), h: float64(h)}
	k := g.h / 480
	g.sb = 110 * k / refHeight
	g.st = 60 * k / refHeight
	g.l = g.h / (alpha * (g.sb - g.st))
	g.dTop = g.l * math.Log(g.sb/g.st)
	return g
}

// image returns the pixel position of floor point p and the horizontal scale there in px/m.
func (g *geom) image(p vec) (x, y, s float64) {
	s = g.sb * math.Exp(-p.D/g.l)
	y = g.h - alpha*g.l*(g.sb-s)
	x = g.w/2 + s*p.X
	return x, y, s
}

// ground returns the floor point seen at pixel position (x, y); y must lie below the horizon.
func (g *geom) ground(x, y float64) vec {
	s := g.sb - (g.h-y)/(alpha*g.l)
	return vec{(x - g.w/2) / s, g.l * math.Log(g.sb/s)}
}

// walker is one person's whole visit: a path of up to three points walked at constant speed, with an
// optional pause at the middle one.
type walker struct {
	id            int
	start, end    float64    // s; out of view before start and after end
	pts           [3]vec     // path points; the first and last are out of view
	n             int        // number of points used
	arrive, leave [3]float64 // s; when the walker reaches and leaves each point
	walked        [3]float64 // metres walked on reaching each point
	speed         float64    // m/s
	height        float64    // m
	phase0        float64    // gait phase at the start, radians
	torso, legs   uint8      // clothing luma
	head          uint8      // hair luma
}

// at returns the walker's floor position at time t, its walking direction (a unit vector), the distance
// walked so far and whether it is walking (false while paused).
func (w *walker) at(t float64) (p, dir vec, walked float64, moving bool) {
	dir = w.pts[1].sub(w.pts[0]).unit()
	if t <= w.leave[0] {
		return w.pts[0], dir, 0, true
	}
	for i := 1; i < w.n; i++ {
		a, b := w.pts[i-1], w.pts[i]
		dir = b.sub(a).unit()
		if t < w.arrive[i] {
			f := (t - w.leave[i-1]) / (w.arrive[i] - w.leave[i-1])
			return lerp(a, b, f), dir, w.walked[i-1] + f*a.dist(b), true
		}
		if t < w.leave[i] {
			return b, dir, w.walked[i], false
		}
	}
	return w.pts[w.n-1], dir, w.walked[w.n-1], true
}

// route lays out w's path: straight from start, through stop if stopDur > 0 (pausing there for stopDur), to
// end, passing anchor, a point on the first leg, at time tAnchor.
func (w *walker) route(start, stop vec, stopDur float64, end, anchor vec, tAnchor float64) {
	w.pts[0] = start
	if stopDur > 0 {
		w.pts[1], w.pts[2], w.n = stop, end, 3
	} else {
		w.pts[1], w.n = end, 2
	}
	t := tAnchor - start.dist(anchor)/w.speed
	w.arrive[0], w.leave[0] = t, t
	for i := 1; i < w.n; i++ {
		d := w.pts[i-1].dist(w.pts[i])
		w.walked[i] = w.walked[i-1] + d
		w.arrive[i] = w.leave[i-1] + d/w.speed
		w.leave[i] = w.arrive[i]
		if i < w.n-1 {
			w.leave[i] += stopDur
		}
	}
	w.start, w.end = w.arrive[0], w.leave[w.n-1]
}

// prim is a band of rows [y0, y1) whose horizontal extent is centred on c and half wide w, both varying
// linearly from (c0, w0) at y0 to (c1, w1) at y1. Limbs and the torso are prims.
type prim struct {
	y0, y1, c0, c1, w0, w1 float64
	luma                   uint8
}

// figure is a walker's silhouette in one frame, in pixels.
type figure struct {
	id             int
	fx, fy, h      float64 // foot point (bottom-centre) and height
	body           [5]prim // torso, two legs, two arms
	hx, hy, rx, ry float64 // head ellipse
	head           uint8
	box            Box // set by cover
}

// pose computes w's silhouette at time t.
func (g *geom) pose(w *walker, t float64) figure {
	p, dir, walked, moving := w.at(t)
	fx, fy, s := g.image(p)
	h := w.height * s
	ix, iy := dir.X, -alpha*dir.D
	if n := math.Hypot(ix, iy); n > 0 {
		ix, iy = ix/n, iy/n
	} else {
		ix, iy = 1, 0
	}
	ay := math.Abs(iy)
	sw := 0.0
	if moving {
		sw = math.Sin(w.phase0 + 2*math.Pi*walked/gaitM)
	}
	f := figure{id: w.id, fx: fx, fy: fy, h: h, head: w.head}
	// Seen from the front or back the shoulders are wide; seen from the side the body is narrower and the
	// limbs swing across the image.
	wt, wb := h*(0.075+0.05*ay), h*(0.065+0.04*ay)
	f.body[0] = prim{fy - 0.86*h, fy - 0.47*h, fx, fx, wt, wb, w.torso}
	for k, side := range [2]float64{-1, 1} {
		hip := fx + side*h*(0.02+0.035*ay)
		lift := 0.035 * h * math.Max(0, -side*sw) // the trailing foot is off the floor; the other is on it
		f.body[1+k] = prim{fy - 0.49*h, fy - lift, hip, hip + side*sw*0.17*h*ix, 0.042 * h, 0.034 * h, w.legs}
		f.body[3+k] = prim{fy - 0.835*h, fy - 0.5*h, fx + side*(wt-0.02*h),
			fx + side*(wt-0.005*h) - side*sw*0.12*h*ix, 0.028 * h, 0.024 * h, w.torso}
	}
	f.hx, f.hy, f.rx, f.ry = fx, fy-0.925*h, 0.055*h, 0.075*h
	return f
}

// rowSpan returns the pixel rows [j0, j1) whose centres lie in [y0, y1), clipped to [0, h).
func rowSpan(y0, y1 float64, h int) (j0, j1 int) {
	return max(0, int(math.Ceil(y0-0.5))), min(h, int(math.Ceil(y1-0.5)))
}

// colSpan returns the pixel columns [i0, i1) whose centres lie in [x0, x1), clipped to [0, w).
func colSpan(x0, x1 float64, w int) (i0, i1 int) {
	return max(0, int(math.Ceil(x0-0.5))), min(w, int(math.Ceil(x1-0.5)))
}

// span returns the horizontal extent [x0, x1) of p on pixel row j, which must be one of p's rows.
func (p *prim) span(j int) (x0, x1 float64) {
	f := (float64(j) + 0.5 - p.y0) / (p.y1 - p.y0)
	c, hw := p.c0+f*(p.c1-p.c0), p.w0+f*(p.w1-p.w0)
	return c - hw, c + hw
}

// headSpan returns the horizontal extent [x0, x1) of the head on pixel row j, one of its rows.
func (f *figure) headSpan(j int) (x0, x1 float64) {
	dy := (float64(j) + 0.5 - f.hy) / f.ry
	hw := f.rx * math.Sqrt(math.Max(0, 1-dy*dy))
	return f.hx - hw, f.hx + hw
}

// cover sets f.box to the bounding box of the pixels of a w×h image that the silhouette covers, which are
// exactly the pixels the renderer paints, and reports whether there are any.
func (f *figure) cover(w, h int) bool {
	x0, y0, x1, y1 := w, h, 0, 0
	add := func(j int, a, b float64) {
		if i0, i1 := colSpan(a, b, w); i0 < i1 {
			x0, x1, y0, y1 = min(x0, i0), max(x1, i1), min(y0, j), max(y1, j+1)
		}
	}
	for i := range f.body {
		p := &f.body[i]
		j0, j1 := rowSpan(p.y0, p.y1, h)
		for j := j0; j < j1; j++ {
			a, b := p.span(j)
			add(j, a, b)
		}
	}
	j0, j1 := rowSpan(f.hy-f.ry, f.hy+f.ry, h)
	for j := j0; j < j1; j++ {
		a, b := f.headSpan(j)
		add(j, a, b)
	}
	if x0 >= x1 {
		return false
	}
	f.box = Box{ID: f.id, Left: float64(x0), Top: float64(y0), Width: float64(x1 - x0), Height: float64(y1 - y0)}
	return true
}

// block is the set of walkers whose group arrives within one block of time.
type block struct {
	index   int
	walkers []walker
}

// scene is the deterministic walker population of one Options. Its methods are safe for concurrent use.
type scene struct {
	g          geom
	seed       uint64
	rate       float64 // walkers per minute; 0 means none
	extCap     float64 // m; longest stretch walked out of view at either end of a path
	maxLife    float64 // s; bound on any walker's end − start
	idStride   int     // ids of block b are (b−firstBlock)·idStride + 1 …
	firstBlock int     // the earliest block that can have a walker in view at t ≥ 0
	ph1, ph2   float64 // lighting drift phases

	mu    sync.Mutex
	cache []*block // guarded by mu; indexed by block index modulo its length
}

func newScene(o Options) *scene {
	sc := &scene{g: newGeom(o.Width, o.Height), seed: o.Seed}
	if o.Walkers > 0 {
		sc.rate = float64(o.Walkers)
	}
	g := &sc.g
	diag := math.Hypot(g.w/g.st, g.dTop) + 1
	sc.extCap = diag + 3
	sc.maxLife = (2*diag+2+2*(sc.extCap+0.5))/minSpeed + maxStop
	sc.idStride = 1000
	for float64(sc.idStride) < 4*sc.rate+100 {
		sc.idStride *= 10
	}
	lo, _ := sc.blockRange(0)
	sc.firstBlock = lo
	lo, hi := sc.blockRange(1e6)
	sc.cache = make([]*block, hi-lo+2)
	r := rng{hash2(o.Seed, -1, 7)}
	sc.ph1, sc.ph2 = r.between(0, 2*math.Pi), r.between(0, 2*math.Pi)
	return sc
}

// blockRange returns the blocks whose walkers may be in view at time t.
//
// A group arrives at the image edge at a ∈ [b·blockSec, (b+1)·blockSec). Its walkers start no earlier than
// a − maxLife − 1 (a crossing walker reaches the meeting point up to 1 s before or after the other) and end
// no later than a + 2·maxLife + 1.
func (sc *scene) blockRange(t float64) (lo, hi int) {
	lo = int(math.Floor((t-2*sc.maxLife-1)/blockSec)) - 1
	hi = int(math.Floor((t + sc.maxLife + 1) / blockSec))
	return lo, hi
}

// figures appends to dst the silhouettes of the walkers in view at time t, in increasing id order.
func (sc *scene) figures(t float64, dst []figure) []figure {
	if sc.rate == 0 {
		return dst
	}
	lo, hi := sc.blockRange(t)
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for b := lo; b <= hi; b++ {
		blk := sc.block(b)
		for i := range blk.walkers {
			w := &blk.walkers[i]
			if t < w.start || t > w.end {
				continue
			}
			if f := sc.g.pose(w, t); f.cover(int(sc.g.w), int(sc.g.h)) {
				dst = append(dst, f)
			}
		}
	}
	return dst
}

// block returns block b's walkers, from the cache if it holds them. sc.mu must be held.
func (sc *scene) block(b int) *block {
	slot := b % len(sc.cache)
	if slot < 0 {
		slot += len(sc.cache)
	}
	if blk := sc.cache[slot]; blk != nil && blk.index == b {
		return blk
	}
	blk := sc.generate(b)
	sc.cache[slot] = blk
	return blk
}

// Group kinds.
const (
	single = iota
	pair   // two walkers side by side
	cross  // two walkers whose paths cross at about the same time
)

// generate builds block b: groups of walkers (single, pair or crossing) arriving at uniformly random
// times within the block. The first two groups of every block with enough people are a pair and a crossing,
// both arriving in the first half of the block, so every minute of the scene has at least one of each.
func (sc *scene) generate(b int) *block {
	r := rng{hash2(sc.seed, int64(b), 1)}
	// The count varies by ±20 % around the rate, less than a Poisson count would, so that every minute of
	// a demo has people in it.
	n := min(int(sc.rate*blockSec/60*r.between(0.8, 1.2)+r.float()), sc.idStride-1)
	blk := &block{index: b}
	for g := 0; n > 0; g++ {
		kind := single
		if n >= 2 {
			switch u := r.float(); {
			case g == 0, g > 1 && u < 0.2:
				kind = pair
			case g == 1, g > 1 && u < 0.35:
				kind = cross
			}
		}
		span := blockSec
		if g < 2 {
			span /= 2
		}
		at := float64(b)*blockSec + r.float()*span
		switch kind {
		case single:
			blk.walkers = sc.addSingle(&r, at, blk.walkers)
			n--
		case pair:
			blk.walkers = sc.addPair(&r, at, blk.walkers)
			n -= 2
		case cross:
			blk.walkers = sc.addCrossing(&r, at, blk.walkers)
			n -= 2
		}
	}
	slices.SortStableFunc(blk.walkers, func(a, b walker) int {
		switch {
		case a.start < b.start:
			return -1
		case a.start > b.start:
			return 1
		}
		return 0
	})
	for i := range blk.walkers {
		blk.walkers[i].id = (b-sc.firstBlock)*sc.idStride + i + 1
	}
	return blk
}

// newWalker draws a person's looks and pace.
func newWalker(r *rng) walker {
	w := walker{
		speed:  r.between(minSpeed, maxSpeed),
		height: r.between(1.55, 1.90),
		phase0: r.between(0, 2*math.Pi),
	}
	// Clothing is clearly darker or brighter than the floor (about 90–135); never floor-grey.
	tone := func(pDark float64) uint8 {
		if r.float() < pDark {
			return uint8(r.between(20, 60))
		}
		return uint8(r.between(175, 235))
	}
	w.torso, w.legs, w.head = tone(0.5), tone(0.7), tone(0.85)
	return w
}

// edgePoint returns a random foot position on one image edge: 0 left, 1 right, 2 top, 3 bottom.
func (sc *scene) edgePoint(r *rng, edge int) (x, y float64) {
	g := &sc.g
	switch edge {
	case 0:
		return 0, r.between(0.25, 0.97) * g.h
	case 1:
		return g.w, r.between(0.25, 0.97) * g.h
	case 2:
		return r.between(0.08, 0.92) * g.w, 0
	default:
		return r.between(0.08, 0.92) * g.w, g.h
	}
}

// passage returns where a walker enters and leaves the view: points on two different edges, far enough
// apart that the walk is not a corner clip.
func (sc *scene) passage(r *rng) (in, out vec) {
	edge := func() int {
		switch u := r.float(); {
		case u < 0.3:
			return 0
		case u < 0.6:
			return 1
		case u < 0.8:
			return 2
		}
		return 3
	}
	g := &sc.g
	for try := 0; ; try++ {
		e1, e2 := edge(), edge()
		x1, y1 := sc.edgePoint(r, e1)
		x2, y2 := sc.edgePoint(r, e2)
		if try < 30 && (e1 == e2 || math.Hypot(x2-x1, y2-y1) < 0.5*math.Min(g.w, g.h)) {
			continue
		}
		return g.ground(x1, y1), g.ground(x2, y2)
	}
}

// extend walks from p along u until people at p+o, for every offset o, are wholly out of view, and
// returns a point 0.3 m further on (at most extCap from p).
func (sc *scene) extend(p, u vec, offsets ...vec) vec {
	for d := 0.0; d < sc.extCap; d += 0.1 {
		q := p.add(u.mul(d))
		if sc.outOfView(q, offsets) {
			return q.add(u.mul(0.3))
		}
	}
	return p.add(u.mul(sc.extCap))
}

// outOfView reports whether a person of the tallest height with feet at q+o, for every o (q itself when
// offsets is empty), is wholly outside the image, shadow and swinging limbs included.
func (sc *scene) outOfView(q vec, offsets []vec) bool {
	g := &sc.g
	check := func(p vec) bool {
		x, y, s := g.image(p)
		h := 1.95 * s
		return x+0.3*h < 0 || x-0.3*h > g.w || y-h > g.h || y+0.05*h < 0
	}
	if len(offsets) == 0 {
		return check(q)
	}
	for _, o := range offsets {
		if !check(q.add(o)) {
			return false
		}
	}
	return true
}

// inner reports whether floor point p's image lies inside the given fractions of the frame.
func (sc *scene) inner(p vec, x0, x1, y0, y1 float64) bool {
	x, y, _ := sc.g.image(p)
	return x >= x0*sc.g.w && x <= x1*sc.g.w && y >= y0*sc.g.h && y <= y1*sc.g.h
}

// addSingle appends one walker arriving at time at; a few pause at a shelf on the way.
func (sc *scene) addSingle(r *rng, at float64, ws []walker) []walker {
	w := newWalker(r)
	in, out := sc.passage(r)
	stop, stopDur := out, 0.0
	if r.float() < 0.15 {
		u := out.sub(in).unit()
		s := lerp(in, out, r.between(0.3, 0.7)).add(u.perp().mul(r.between(-1, 1)))
		if d := r.between(2, maxStop); sc.inner(s, 0.1, 0.9, 0.3, 0.95) {
			stop, stopDur = s, d
		}
	}
	first := out
	if stopDur > 0 {
		first = stop
	}
	lastFrom := in
	if stopDur > 0 {
		lastFrom = stop
	}
	start := sc.extend(in, in.sub(first).unit())
	end := sc.extend(out, out.sub(lastFrom).unit())
	w.route(start, stop, stopDur, end, in, at)
	return append(ws, w)
}

// addPair appends two walkers side by side, at the same pace, arriving at time at.
func (sc *scene) addPair(r *rng, at float64, ws []walker) []walker {
	a, b := newWalker(r), newWalker(r)
	b.speed = a.speed
	in, out := sc.passage(r)
	u := out.sub(in).unit()
	off := u.perp().mul(r.sign() * r.between(0.55, 0.75)).add(u.mul(-r.between(0, 0.3)))
	start := sc.extend(in, u.mul(-1), vec{}, off)
	end := sc.extend(out, u, vec{}, off)
	a.route(start, vec{}, 0, end, in, at)
	b.route(start.add(off), vec{}, 0, end.add(off), in.add(off), at)
	return append(ws, a, b)
}

// addCrossing appends two walkers whose paths cross in view, the second reaching the crossing point
// 0.5–0.9 s before or after the first.
func (sc *scene) addCrossing(r *rng, at float64, ws []walker) []walker {
	a, b := newWalker(r), newWalker(r)
	var in, out, m vec
	for try := 0; try < 10; try++ {
		in, out = sc.passage(r)
		m = lerp(in, out, r.between(0.35, 0.65))
		if sc.inner(m, 0.15, 0.85, 0.25, 0.9) {
			break
		}
	}
	u := out.sub(in).unit()
	a.route(sc.extend(in, u.mul(-1)), vec{}, 0, sc.extend(out, u), in, at)
	tm := at + in.dist(m)/a.speed
	ub := u.rot(r.sign() * r.between(60, 150) * math.Pi / 180)
	b.route(sc.extend(m, ub.mul(-1)), vec{}, 0, sc.extend(m, ub), m, tm+r.sign()*r.between(0.5, 0.9))
	return append(ws, a, b)
}
