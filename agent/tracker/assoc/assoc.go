// Package assoc links per-frame person detections into tracks with a constant-velocity Kalman filter and a
// global (Hungarian) assignment per frame.
//
// It knows nothing about pixels: detections come from the blob detector of package tracker, or from an
// external detector (MOT det.txt boxes), so that association can be compared with SORT on identical input.
// Each detection is a foot point (bottom-centre of the person) plus a box size. A track is tentative until
// it has MinHits matched frames, confirmed after that, and coasts on its motion model while unmatched for
// up to MaxCoast of frame time; then it is closed. Only confirmed tracks are ever reported. Gaps that a
// track coasted over and later bridged are filled by linear interpolation in the reported points.
package assoc

import (
	"math"
	"slices"
	"time"

	"github.com/ashiato/ashiato/agent/tracker/internal/hungarian"
)

// Config tunes the association. The zero value of each field means its documented default.
type Config struct {
	// MaxCoast is how long an unmatched track coasts before it is closed; 0 means 2s. Measured in frame
	// time (the timeMS passed to Update).
	MaxCoast time.Duration
	// MinHits is the number of matched frames that confirms a track; 0 means 3.
	MinHits int
	// MaxTentativeMiss is how many consecutive frames a tentative track may go unmatched before it is
	// dropped; 0 means 1.
	MaxTentativeMiss int
	// Gate is the largest distance between a track's predicted foot point and a detection's foot point
	// that may be matched, as a fraction of the person's height; 0 means 0.5. The gate widens with the
	// track's position uncertainty while it coasts.
	Gate float64
	// GateGrow caps how far the gate widens with position uncertainty, as a fraction of the person's
	// height; 0 means 1.
	GateGrow float64
	// SizeWeight weighs the change of height, |ln(h_det/h_track)|, in the matching cost against the
	// distance normalised by the gate; 0 means 1.
	SizeWeight float64
	// IoUWeight weighs 1 − IoU of the predicted and detected boxes in the matching cost; 0 means 0.5,
	// negative means none.
	IoUWeight float64
	// MinStartScore is the lowest Detection.Score that may start a track; weaker detections only extend
	// existing ones (as in ByteTrack). 0 means any score may start a track.
	MinStartScore float64
	// Accel is the Kalman filter's process noise, the white-acceleration density in (height/s²)²·s
	// relative to the person's height; 0 means 0.25.
	Accel float64
	// MeasNoise is the measurement noise standard deviation as a fraction of the person's height; 0 means
	// 0.06.
	MeasNoise float64
	// MinTravel, if positive, withholds confirmed tracks whose foot point never got farther than
	// MinTravel × the person's height from where the track started: background ghosts and objects left
	// behind. 0 means every confirmed track is reported.
	MinTravel float64
	// CoastPenalty is added to the matching cost of a coasting track per second since it was last
	// matched (without Cascade); 0 means none.
	CoastPenalty float64
	// Cascade, if true, gives confirmed tracks matched in the previous frame the first choice of
	// detections, before coasting ones (DeepSORT's matching cascade). It suits detector boxes; blob
	// detections come and go as people merge and split, and there a coasting track must be able to win
	// its blob back, so the default matches all confirmed tracks in one assignment. DetectorConfig sets
	// it.
	Cascade bool
	// Smooth, if true, reports the filtered foot point instead of the measured one.
	Smooth bool
	// LookTie breaks near-ties by appearance when a group parts: two tracks that were in a group within
	// the last second, matched to two whole-person detections, swap them when the swap costs at most
	// LookTie more by position and size and makes the appearance signatures (Detection.Look) agree better
	// by at least lookMargin grey levels. 0 means 0.3; negative means never.
	LookTie float64
	// NoBridge is the longest coast that a track may be found again far from its prediction (farther
	// than Gate × its height) with the gap filled by interpolation; 0 means 1s. After a longer coast the
	// gap is left unobserved (no points) and the motion model starts afresh from the detection: a straight
	// line between two far-apart sightings would be a path nobody walked. Negative means always bridge.
	NoBridge time.Duration
}

// DetectorConfig is the configuration for boxes from a person detector (MOT det.txt, a CNN): the matching
// cascade on, the rest default. It is what TestBeatsSORTOnFRCNN scores. Blob detections, which merge and
// split, want the cascade off; package tracker's defaults are tuned for them.
func DetectorConfig() Config {
	return Config{Cascade: true}
}

func (c Config) withDefaults() Config {
	if c.MaxCoast == 0 {
		c.MaxCoast = 2 * time.Second
	}
	if c.MinHits == 0 {
		c.MinHits = 3
	}
	if c.MaxTentativeMiss == 0 {
		c.MaxTentativeMiss = 1
	}
	if c.Gate == 0 {
		c.Gate = 0.5
	}
	if c.GateGrow == 0 {
		c.GateGrow = 1
	}
	if c.SizeWeight == 0 {
		c.SizeWeight = 1
	}
	if c.IoUWeight == 0 {
		c.IoUWeight = 0.5
	}
	if c.Accel == 0 {
		c.Accel = 0.25
	}
	if c.MeasNoise == 0 {
		c.MeasNoise = 0.06
	}
	if c.NoBridge == 0 {
		c.NoBridge = time.Second
	}
	if c.LookTie == 0 {
		c.LookTie = 0.3
	}
	return c
}

// Detection is one person seen in one frame.
type Detection struct {
	// X, Y is the foot point: the bottom-centre of the person, in image pixels.
	X, Y float64
	// W, H are the width and height of the person's box in pixels. H must be positive.
	W, H float64
	// Score is the detector's confidence; only compared with Config.MinStartScore.
	Score float64
	// NoStart forbids this detection from starting a track (for example, outside the region of interest).
	NoStart bool
	// Look is a coarse appearance signature, derived numbers only: the mean grey level of the upper and
	// lower half of the person's pixels; HasLook says it is set. Solo says the detection is one person's
	// whole outline (not a part cut from a group), so its Look may teach the track its own.
	Look          [2]float64
	HasLook, Solo bool
	// NoPoint says the foot point is not seen (for example, a person cut off by the bottom of the picture):
	// the detection moves its track as any other, but adds no point to it.
	NoPoint bool
}

// Point is one foot point of a track, in the caller's pixel coordinates.
type Point struct {
	Frame  uint64
	TimeMS int64
	X, Y   float64
}

// Track is a closed, confirmed track. Points are in frame order, one per frame from the first detection
// with a point to the last, gaps filled by interpolation, except the frames of a gap left unobserved
// (see Config.NoBridge).
type Track struct {
	ID     uint64
	Points []Point
}

// track is the state of one open track.
type track struct {
	id        uint64 // 0 while tentative
	confirmed bool
	hits      int
	miss      int // consecutive unmatched frames
	// Kalman state per axis: position, velocity, covariance (p00, p01, p11).
	x, vx, y, vy        float64
	px00, px01, px11    float64
	py00, py01, py11    float64
	tMS                 int64 // time of the state
	w, h                float64
	lastMS              int64 // time of the last match
	pts                 []Point
	predX, predY, predR float64 // this frame's prediction and gate radius
	x0, y0              float64 // first detection
	moved               bool
	sent                bool     // pts[0] was reported by TakeSegments; it only anchors interpolation
	gaps                []uint64 // frames of points that follow an unobserved gap: not interpolated towards
	look                [2]float64
	hasLook             bool
	groupMS             int64 // time of the last match to a part of a group (a detection not Solo)
}

// Tracker is the association state. It is not safe for concurrent use.
type Tracker struct {
	cfg    Config
	tracks []*track
	free   []*track
	nextID uint64
	solver hungarian.Solver
	cost   []float64
	rowOf  []int
	detUse []bool
	segs   []Track
	rows   []int
	closed []Track
}

// New returns a Tracker with no tracks.
func New(cfg Config) *Tracker {
	return &Tracker{cfg: cfg.withDefaults(), nextID: 1}
}

// Reset forgets all tracks without reporting them. Track ids keep increasing.
func (t *Tracker) Reset() {
	for _, tr := range t.tracks {
		t.release(tr)
	}
	t.tracks = t.tracks[:0]
}

// InView is the number of confirmed tracks that were matched in the last Update.
func (t *Tracker) InView() int {
	n := 0
	for _, tr := range t.tracks {
		if tr.confirmed && tr.miss == 0 {
			n++
		}
	}
	return n
}

// Box is the predicted box of an open track, in pixels; the foot point is at (X, Y).
type Box struct {
	X, Y, W, H float64
	Confirmed  bool
	Coasting   bool
	// Moved is set once the track's foot point has been more than max(MinTravel, 0.5) × its height away
	// from where it started. A track that never moved may be a ghost (a background change), not a person.
	Moved bool
	// MissMS is the frame time since the track was last matched.
	MissMS int64
}

// Boxes appends the box of every open track, extrapolated to timeMS on its motion model (without changing
// the track), to dst and returns it.
func (t *Tracker) Boxes(timeMS int64, dst []Box) []Box {
	for _, tr := range t.tracks {
		dt := float64(timeMS-tr.tMS) / 1000
		dst = append(dst, Box{X: tr.x + tr.vx*dt, Y: tr.y + tr.vy*dt, W: tr.w, H: tr.h, Confirmed: tr.confirmed,
			Coasting: tr.miss > 0, Moved: tr.moved, MissMS: timeMS - tr.lastMS})
	}
	return dst
}

// Update advances every track to timeMS, matches them to dets, starts tentative tracks from unmatched
// detections and closes tracks that coasted longer than MaxCoast. frame and timeMS must increase from call
// to call. dets is not retained. It returns the confirmed tracks closed by this frame; the slice is valid
// until the next call, the Points slices belong to the caller.
func (t *Tracker) Update(frame uint64, timeMS int64, dets []Detection) []Track {
	t.closed = t.closed[:0]
	cfg := &t.cfg
	for _, tr := range t.tracks {
		t.predict(tr, timeMS)
	}
	if cap(t.detUse) < len(dets) {
		t.detUse = make([]bool, len(dets), 2*len(dets))
	}
	detUse := t.detUse[:len(dets)]
	clear(detUse)

	// A matching cascade: confirmed tracks seen in the previous frame first, then coasting confirmed
	// tracks, then tentative ones, each against the detections left over.
	if !cfg.Cascade {
		t.match(dets, detUse, frame, timeMS, stageConfirmed)
	} else {
		t.match(dets, detUse, frame, timeMS, stageFresh)
		t.match(dets, detUse, frame, timeMS, stageCoasting)
	}
	t.match(dets, detUse, frame, timeMS, stageTentative)

	// Unmatched tracks coast; close the ones that coasted too long.
	maxCoast := cfg.MaxCoast.Milliseconds()
	k := 0
	for _, tr := range t.tracks {
		if tr.lastMS != timeMS {
			tr.miss++
			if (!tr.confirmed && tr.miss > cfg.MaxTentativeMiss) || timeMS-tr.lastMS > maxCoast {
				t.close(tr)
				continue
			}
		}
		t.tracks[k] = tr
		k++
	}
	clear(t.tracks[k:])
	t.tracks = t.tracks[:k]

	// Unmatched detections start tentative tracks.
	for i, d := range dets {
		if detUse[i] || d.NoStart || d.Score < cfg.MinStartScore || d.H <= 0 {
			continue
		}
		t.start(d, frame, timeMS)
	}
	return t.closed
}

// Hold keeps confirmed tracks that are coasting (unmatched in the last Update) inside a box that swallowed
// them: a track whose position lies within the box (x0..x1, y0..y1 in pixels, widened by half the
// track's width) has it clamped into the box, its foot point at least half its height below the box's
// top. The velocity is kept, so a person who walks on out of the group is looked for on that side. Call it
// after Update with the boxes of blobs that hold other, matched tracks: a person hidden in a group is in
// the group, not wherever their last velocity would carry them. It changes no matching cost; only where
// the next prediction starts from.
func (t *Tracker) Hold(x0, y0, x1, y1 float64) {
	for _, tr := range t.tracks {
		if !tr.confirmed || tr.miss == 0 {
			continue
		}
		m := tr.w / 2
		if tr.x < x0-m || tr.x > x1+m || tr.y < y0 || tr.y > y1+m {
			continue
		}
		tr.x = min(max(tr.x, x0), x1)
		tr.y = min(max(tr.y, min(y0+tr.h/2, y1)), y1)
	}
}

// Flush closes every open track and returns the confirmed ones, as Update does.
func (t *Tracker) Flush() []Track {
	t.closed = t.closed[:0]
	for _, tr := range t.tracks {
		t.close(tr)
	}
	clear(t.tracks)
	t.tracks = t.tracks[:0]
	return t.closed
}

const (
	stageFresh     = iota // confirmed, matched in the previous frame
	stageCoasting         // confirmed, unmatched in the previous frame
	stageConfirmed        // all confirmed
	stageTentative
)

// match assigns the detections not yet used (detUse) to the tracks of one stage, at least total cost, and
// corrects each matched track with its detection.
func (t *Tracker) match(dets []Detection, detUse []bool, frame uint64, timeMS int64, stage int) {
	rows := t.stageRows(stage)
	n, m := len(rows), len(dets)
	if n == 0 || m == 0 {
		return
	}
	cost, ok := t.costs(rows, dets, detUse, timeMS)
	if !ok {
		return
	}
	if cap(t.rowOf) < n {
		t.rowOf = make([]int, n, 2*n)
	}
	out := t.rowOf[:n]
	t.solver.Solve(cost, n, m, out)
	if t.cfg.LookTie > 0 {
		t.lookTies(dets, rows, cost, m, out, timeMS)
	}
	for r, j := range out {
		if j < 0 || cost[r*m+j] >= forbidden {
			continue
		}
		detUse[j] = true
		t.correct(t.tracks[rows[r]], dets[j], frame, timeMS)
	}
}

// stageRows returns the indices in t.tracks of the tracks of stage (t.rows, reused).
func (t *Tracker) stageRows(stage int) []int {
	rows := t.rows[:0]
	for i, tr := range t.tracks {
		var in bool
		switch stage {
		case stageFresh:
			in = tr.confirmed && tr.miss == 0
		case stageCoasting:
			in = tr.confirmed && tr.miss > 0
		case stageConfirmed:
			in = tr.confirmed
		default:
			in = !tr.confirmed
		}
		if in {
			rows = append(rows, i)
		}
	}
	t.rows = rows
	return rows
}

// forbidden is the cost of a pair that must not match: the detection is used or outside the track's gate.
const forbidden = 1e6

// costs returns the row-major len(rows)×len(dets) cost matrix (t.cost, reused) of matching the tracks
// t.tracks[rows[r]] to the detections at timeMS, and whether any pair is allowed.
func (t *Tracker) costs(rows []int, dets []Detection, detUse []bool, timeMS int64) ([]float64, bool) {
	n, m := len(rows), len(dets)
	if cap(t.cost) < n*m {
		t.cost = make([]float64, n*m, 2*n*m)
	}
	cost := t.cost[:n*m]
	any := false
	for r, ti := range rows {
		tr := t.tracks[ti]
		for j, d := range dets {
			c := forbidden
			if !detUse[j] {
				dx, dy := d.X-tr.predX, d.Y-tr.predY
				dist := math.Sqrt(dx*dx + dy*dy)
				if dist <= tr.predR {
					// Normalised distance plus a size-change penalty and box overlap.
					// The distance is scaled by the fixed part of the gate, not by the widened gate, so that a
					// coasting track does not look closer than a fresh one at the same distance.
					c = dist/(t.cfg.Gate*tr.h) + t.cfg.SizeWeight*math.Abs(math.Log(d.H/tr.h))
					if tr.miss > 0 {
						c += t.cfg.CoastPenalty * float64(timeMS-tr.lastMS) / 1000
					}
					if t.cfg.IoUWeight > 0 {
						c += t.cfg.IoUWeight * (1 - iou(tr.predX, tr.predY, tr.w, tr.h, d.X, d.Y, d.W, d.H))
					}
					any = true
				}
			}
			cost[r*m+j] = c
		}
	}
	return cost, any
}

// lookTies swaps the detections of pairs of tracks that were just in a group when the motion costs
// nearly tie and the appearance clearly prefers the swap (see Config.LookTie).
func (t *Tracker) lookTies(dets []Detection, rows []int, cost []float64, m int, out []int, timeMS int64) {
	ok := func(r int) bool {
		j := out[r]
		if j < 0 || cost[r*m+j] >= forbidden || !dets[j].Solo || !dets[j].HasLook {
			return false
		}
		tr := t.tracks[rows[r]]
		return tr.hasLook && timeMS-tr.groupMS <= lookWindowMS
	}
	diff := func(r, j int) float64 {
		tr := t.tracks[rows[r]]
		return math.Abs(dets[j].Look[0]-tr.look[0]) + math.Abs(dets[j].Look[1]-tr.look[1])
	}
	for a := range out {
		if !ok(a) {
			continue
		}
		for b := a + 1; b < len(out); b++ {
			if !ok(b) {
				continue
			}
			ja, jb := out[a], out[b]
			if cost[a*m+jb] >= forbidden || cost[b*m+ja] >= forbidden {
				continue
			}
			extra := cost[a*m+jb] + cost[b*m+ja] - cost[a*m+ja] - cost[b*m+jb]
			if extra <= t.cfg.LookTie && diff(a, jb)+diff(b, ja)+lookMargin <= diff(a, ja)+diff(b, jb) {
				out[a], out[b] = jb, ja
			}
		}
	}
}

// lookMargin is by how many grey levels (both halves of both people summed) a swap must make the
// appearance signatures agree better.
const lookMargin = 20

// lookWindowMS is how long after a track was last seen in a group (or while it coasts) appearance counts
// in its matching: when a merge ends, to tell apart people who walked together.
const lookWindowMS = 1000

// iou is the intersection over union of two boxes given by foot point and size.
func iou(x1, y1, w1, h1, x2, y2, w2, h2 float64) float64 {
	ix := min(x1+w1/2, x2+w2/2) - max(x1-w1/2, x2-w2/2)
	iy := min(y1, y2) - max(y1-h1, y2-h2)
	if ix <= 0 || iy <= 0 {
		return 0
	}
	in := ix * iy
	return in / (w1*h1 + w2*h2 - in)
}

// predict moves tr's state to timeMS and computes its gate.
func (t *Tracker) predict(tr *track, timeMS int64) {
	dt := float64(timeMS-tr.tMS) / 1000
	if dt > 0 {
		q := t.cfg.Accel * tr.h * tr.h
		tr.x += tr.vx * dt
		tr.y += tr.vy * dt
		tr.px00, tr.px01, tr.px11 = propagate(tr.px00, tr.px01, tr.px11, dt, q)
		tr.py00, tr.py01, tr.py11 = propagate(tr.py00, tr.py01, tr.py11, dt, q)
		tr.tMS = timeMS
	}
	r := t.cfg.MeasNoise * tr.h
	sd := math.Sqrt(max(tr.px00, tr.py00) + r*r)
	tr.predX, tr.predY = tr.x, tr.y
	tr.predR = t.cfg.Gate*tr.h + min(2*sd, t.cfg.GateGrow*tr.h)
}

// propagate applies the constant-velocity transition over dt to a 2×2 covariance and adds process noise
// of density q.
func propagate(p00, p01, p11, dt, q float64) (float64, float64, float64) {
	n00 := p00 + 2*dt*p01 + dt*dt*p11 + q*dt*dt*dt/3
	n01 := p01 + dt*p11 + q*dt*dt/2
	n11 := p11 + q*dt
	return n00, n01, n11
}

// kal1 is a scalar-measurement Kalman update of one axis.
func kal1(x, v, p00, p01, p11, z, r2 float64) (float64, float64, float64, float64, float64) {
	s := p00 + r2
	k0, k1 := p00/s, p01/s
	e := z - x
	x += k0 * e
	v += k1 * e
	n00 := (1 - k0) * p00
	n01 := (1 - k0) * p01
	n11 := p11 - k1*p01
	return x, v, n00, n01, n11
}

func (t *Tracker) correct(tr *track, d Detection, frame uint64, timeMS int64) {
	r := t.cfg.MeasNoise * d.H
	r2 := r * r
	if tr.miss > 0 && t.cfg.NoBridge >= 0 && timeMS-tr.lastMS > t.cfg.NoBridge.Milliseconds() &&
		math.Hypot(d.X-tr.predX, d.Y-tr.predY) > t.cfg.Gate*tr.h {
		// Found far from where a long coast put it: do not invent the path in between, and let the
		// motion model start afresh here.
		if !d.NoPoint {
			tr.gaps = append(tr.gaps, frame)
		}
	}
	tr.x, tr.vx, tr.px00, tr.px01, tr.px11 = kal1(tr.x, tr.vx, tr.px00, tr.px01, tr.px11, d.X, r2)
	tr.y, tr.vy, tr.py00, tr.py01, tr.py11 = kal1(tr.y, tr.vy, tr.py00, tr.py01, tr.py11, d.Y, r2)
	tr.w += 0.3 * (d.W - tr.w)
	tr.h += 0.3 * (d.H - tr.h)
	if !d.Solo {
		tr.groupMS = timeMS
	}
	if d.HasLook && d.Solo {
		if !tr.hasLook {
			tr.look, tr.hasLook = d.Look, true
		} else {
			tr.look[0] += 0.3 * (d.Look[0] - tr.look[0])
			tr.look[1] += 0.3 * (d.Look[1] - tr.look[1])
		}
	}
	if !tr.moved && math.Hypot(d.X-tr.x0, d.Y-tr.y0) > max(t.cfg.MinTravel, 0.5)*tr.h {
		tr.moved = true
	}
	tr.hits++
	tr.miss = 0
	tr.lastMS = timeMS
	px, py := d.X, d.Y
	if t.cfg.Smooth {
		px, py = tr.x, tr.y
	}
	if !d.NoPoint {
		tr.pts = append(tr.pts, Point{Frame: frame, TimeMS: timeMS, X: px, Y: py})
	}
	if !tr.confirmed && tr.hits >= t.cfg.MinHits {
		tr.confirmed = true
		tr.id = t.nextID
		t.nextID++
	}
}

func (t *Tracker) start(d Detection, frame uint64, timeMS int64) {
	var tr *track
	if n := len(t.free); n > 0 {
		tr = t.free[n-1]
		t.free = t.free[:n-1]
		*tr = track{pts: tr.pts[:0], gaps: tr.gaps[:0]}
	} else {
		tr = &track{}
	}
	tr.x, tr.y = d.X, d.Y
	tr.x0, tr.y0 = d.X, d.Y
	tr.groupMS = math.MinInt64 / 2
	if d.HasLook && d.Solo {
		tr.look, tr.hasLook = d.Look, true
	}
	tr.w, tr.h = d.W, d.H
	r := t.cfg.MeasNoise * d.H
	// Unknown velocity: allow about one body height per second.
	tr.px00, tr.py00 = r*r, r*r
	tr.px11, tr.py11 = d.H*d.H, d.H*d.H
	tr.tMS = timeMS
	tr.hits = 1
	tr.lastMS = timeMS
	if !d.NoPoint {
		tr.pts = append(tr.pts, Point{Frame: frame, TimeMS: timeMS, X: d.X, Y: d.Y})
	}
	if t.cfg.MinHits <= 1 {
		tr.confirmed = true
		tr.id = t.nextID
		t.nextID++
	}
	t.tracks = append(t.tracks, tr)
}

// close reports tr if it is confirmed, and recycles it.
func (t *Tracker) close(tr *track) {
	if t.reportable(tr) {
		if pts := interpolate(tr.pts, tr.sent, len(tr.pts), tr.gaps); len(pts) > 0 {
			t.closed = append(t.closed, Track{ID: tr.id, Points: pts})
		}
	}
	t.release(tr)
}

// reportable reports whether tr would be reported if it closed now.
func (t *Tracker) reportable(tr *track) bool {
	return tr.confirmed && len(tr.pts) > 0 && (tr.moved || t.cfg.MinTravel <= 0)
}

// interpolate returns a new slice with the points pts[:n], one per frame, the frames between two of them
// filled by linear interpolation unless the later one's frame is in gaps; if skipFirst is set, pts[0]
// (already reported) only anchors the interpolation and is not returned.
func interpolate(pts []Point, skipFirst bool, n int, gaps []uint64) []Point {
	if n == 0 {
		return nil
	}
	first, last := pts[0].Frame, pts[n-1].Frame
	out := make([]Point, 0, int(last-first)+1)
	for i, p := range pts[:n] {
		if i > 0 && !slices.Contains(gaps, p.Frame) {
			q := pts[i-1]
			for f := q.Frame + 1; f < p.Frame; f++ {
				a := float64(f-q.Frame) / float64(p.Frame-q.Frame)
				out = append(out, Point{
					Frame:  f,
					TimeMS: q.TimeMS + int64(math.Round(a*float64(p.TimeMS-q.TimeMS))),
					X:      q.X + a*(p.X-q.X),
					Y:      q.Y + a*(p.Y-q.Y),
				})
			}
		}
		if i > 0 || !skipFirst {
			out = append(out, p)
		}
	}
	return out
}

// TakeSegments lets a caller publish long-open tracks in parts, so that a person who stays in view for
// hours neither waits that long to be reported nor makes the tracker's memory grow.
//
// For every open track that would be reported if it closed now (confirmed, and moved if MinTravel is set:
// a segment never holds points of a track that is later withheld) and whose held points span at least
// minSpan of frame time, it returns a Track with the track's ID holding the points not yet reported, up
// to but excluding the latest matched one, gaps filled by interpolation as at close; the tracker then
// forgets them. It keeps the last point it returned, only to interpolate the next gap from, and the
// latest matched point, which is reported by the next segment or at close. So the segments and the
// final part that Update or Flush returns when the track closes have the same ID, do not overlap, and
// together hold exactly the points the track would have had unsegmented; the final part is never empty.
// minSpan ≤ 0 means any track with a point to give. The result is valid until the next TakeSegments;
// its Points slices are the caller's.
func (t *Tracker) TakeSegments(minSpan time.Duration) []Track {
	t.segs = t.segs[:0]
	span := minSpan.Milliseconds()
	for _, tr := range t.tracks {
		n := len(tr.pts)
		if !t.reportable(tr) || n < 2 || (tr.sent && n < 3) {
			continue
		}
		if tr.pts[n-1].TimeMS-tr.pts[0].TimeMS < span {
			continue
		}
		pts := interpolate(tr.pts, tr.sent, n-1, tr.gaps)
		t.segs = append(t.segs, Track{ID: tr.id, Points: pts})
		// Keep the last reported point (anchor) and the latest matched one.
		tr.pts[0], tr.pts[1] = tr.pts[n-2], tr.pts[n-1]
		clear(tr.pts[2:])
		tr.pts = tr.pts[:2]
		tr.sent = true
		tr.gaps = slices.DeleteFunc(tr.gaps, func(f uint64) bool { return f < tr.pts[1].Frame })
	}
	return t.segs
}

func (t *Tracker) release(tr *track) {
	clear(tr.pts)
	tr.pts = tr.pts[:0]
	tr.gaps = tr.gaps[:0]
	t.free = append(t.free, tr)
}
