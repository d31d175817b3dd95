package tracker

import (
	"image"
	"time"

	"github.com/ashiato/ashiato/agent/tracker/assoc"
	"github.com/ashiato/ashiato/hal"
)

// Config tunes the tracker. The zero value of each field means its documented default.
type Config struct {
	// ProcWidth is the processing width; frames are box-downscaled by an integer factor so the width is at
	// most ProcWidth. 0 means 384 (so 768→384, 640→320). The factor is at least 2 whatever ProcWidth says,
	// so the tracker never holds a full-resolution image.
	ProcWidth int
	// MaxCoast is how long a lost track coasts before it is closed; 0 means 2s. Measured in frame time.
	MaxCoast time.Duration
	// MinHits is the number of hits to confirm a track; 0 means 3.
	MinHits int
	// ROI, if non-empty, is a polygon in normalised [0,1] image coordinates: tracks may only start inside
	// it.
	ROI [][2]float64
	// Shadows turns on the shadow label: foreground that is a darkened copy of the background's texture
	// (a cast shadow on a textured floor) is dropped from the mask, so it neither moves foot points nor
	// makes tracks. Off by default: on PETS09-S2L1, where shadows are faint, it costs accuracy (dev MOTA
	// 78.8 → 75.8, IDF1 75.0 → 66.0), because some pixels of people pass the test too. Turn it on for a
	// camera that sees hard shadows (sun through windows, spotlights) on a patterned floor.
	Shadows bool
	// EdgeInView says when a person at the left or right edge of the picture is far enough in view to be
	// given a foot point: at least this share of their expected width must be in view; 0 means 0.5 (see
	// DefaultEdgeInView). Until then, the person is tracked but the track gets no point, because the
	// bottom-centre of the visible part is not where the person stands. A person whose outline reaches the
	// bottom edge gets no point whatever this says: the feet are below the picture.
	EdgeInView float64
	// HoldCoasting keeps a track that lost its person inside the blob that swallowed them: while it coasts,
	// its position is clamped into the box of any blob that holds another, matched track (see
	// assoc.Tracker.Hold), instead of running on at its last velocity. Off by default: it helps where people
	// stand in one group for a long time, but on the test footage it costs more than it gains (README,
	// "Tracking accuracy").
	HoldCoasting bool
	// Assoc tunes the association stage (advanced). Its MaxCoast and MinHits are ignored in favour of the
	// fields above; other zero fields mean the tracker's defaults, which suit blob detections.
	Assoc assoc.Config
}

// Point is one foot point (bottom-centre of the person) of a track, in capture pixels. Frame is the
// hal.Frame.Seq and TimeMS its hal.Frame.Time in Unix milliseconds, counted as the first frame's Unix
// milliseconds plus the whole milliseconds since it (so it may differ from Time.UnixMilli by one).
type Point = assoc.Point

// Track is a closed, confirmed track, or a segment of an open one (see TakeSegments): one Point per frame
// from the first frame in which the person's feet were seen to the last, with the frames it coasted over
// filled by interpolation, except after a long coast that ended far from where the track was expected:
// those frames are left out (see assoc.Config.NoBridge). ID is unique within a Tracker and the same for
// every segment of one track.
type Track = assoc.Track

// Tracker turns luma frames into tracks. It is a pure function of the frames it is given: it starts no
// goroutines, does no I/O and takes time only from hal.Frame.Time. It is not safe for concurrent use.
type Tracker struct {
	cfg       Config
	det       detector
	as        *assoc.Tracker
	dets      []assoc.Detection
	boxes     []assoc.Box
	cands     []cand
	pred      []assoc.Box // tracks predicted to this frame's time
	size      sizeModel
	splitX    []float64
	splitPts  [][3]float64
	splitRows [][2][2]float64
	cuts      []int32
	roi       [][2]float64

	// The tracker's clock: frame times as Unix milliseconds, counted as whole milliseconds since the first
	// frame's time, so that the same frames at the same intervals give the same result whatever the
	// sub-millisecond phase of the first timestamp.
	origin   time.Time
	originMS int64
	clocked  bool
}

// DefaultEdgeInView is Config.EdgeInView's default.
const DefaultEdgeInView = 0.5

// defaultProcWidth is Config.ProcWidth's default.
const defaultProcWidth = 384

// New returns a Tracker with an empty background model.
func New(cfg Config) *Tracker {
	if cfg.ProcWidth <= 0 {
		cfg.ProcWidth = defaultProcWidth
	}
	if cfg.EdgeInView <= 0 {
		cfg.EdgeInView = DefaultEdgeInView
	}
	t := &Tracker{cfg: cfg}
	t.det.tune = defaultTuning
	t.det.tune.noShadow = !cfg.Shadows
	t.roi = append([][2]float64(nil), cfg.ROI...)
	ac := cfg.Assoc
	ac.MaxCoast, ac.MinHits = cfg.MaxCoast, cfg.MinHits
	if ac.MaxTentativeMiss == 0 {
		ac.MaxTentativeMiss = 2
	}
	if ac.MinTravel == 0 {
		ac.MinTravel = 0.5
	}
	if ac.Accel == 0 {
		// Blob foot points jitter more than detector boxes, and people turn within a group.
		ac.Accel = 1
	}

	t.as = assoc.New(ac)
	return t
}

// Step processes one frame. It reads f.Pix only during the call and keeps nothing of it but downscaled,
// derived state (the background model). It returns the tracks closed by this frame, or nil; the slice is
// valid until the next Step, Flush or Reset, but the Points slices are the caller's. A frame whose size
// differs from the previous one resets the tracker (open tracks are dropped, not reported); a frame whose
// Pix is too short for its size is ignored. Frame times should increase; a frame older than the previous
// one closes and returns every open track and re-seeds the background from that frame.
func (t *Tracker) Step(f *hal.Frame) []Track {
	stride := max(f.Stride, f.Width)
	if f.Width < 2 || f.Height < 2 || len(f.Pix) < (f.Height-1)*stride+f.Width {
		return nil
	}
	d := &t.det
	if d.fw != f.Width || d.fh != f.Height {
		t.as.Reset()
		d.setup(f.Width, f.Height, t.cfg.ProcWidth)
		t.size.reset(d.h)
	}
	if d.w < MinProcSize || d.h < MinProcSize {
		return nil // too small to hold a person at the processing resolution: nothing to track
	}
	timeMS := t.frameMS(f.Time)
	d.downscale(f)
	if d.frames > 0 && timeMS < d.lastMS {
		// Time went backwards (a clock step, a replay restarted): close everything and start afresh.
		d.seed(timeMS)
		clear(d.cur)
		d.lastMS = timeMS
		d.frames = 1
		return t.as.Flush()
	}
	if d.frames == 0 {
		d.seed(timeMS)
	}
	t.pred = t.as.Boxes(timeMS, t.pred[:0])
	t.detect(timeMS)
	closed := t.as.Update(f.Seq, timeMS, t.dets)
	t.boxes = t.as.Boxes(timeMS, t.boxes[:0])
	if t.cfg.HoldCoasting {
		t.holdCoasting()
	}
	t.learn(timeMS)
	if len(closed) == 0 {
		return nil
	}
	return closed
}

// frameMS returns the time of a frame taken at ft in milliseconds on the tracker's clock: the first
// frame's Unix time, then monotonic offsets from it (ft's monotonic reading, when it has one).
func (t *Tracker) frameMS(ft time.Time) int64 {
	if !t.clocked {
		t.origin, t.originMS, t.clocked = ft, ft.UnixMilli(), true
	}
	return t.originMS + ft.Sub(t.origin).Milliseconds()
}

// detect finds the people in the downscaled frame, taken at timeMS, into t.dets: foreground against the
// background model, cleaned, labelled and split into detections. A sudden global change (lights,
// exposure) instead re-seeds the background and detects nothing; the tracks coast meanwhile.
func (t *Tracker) detect(timeMS int64) {
	d := &t.det
	if d.frames > 0 {
		d.relight()
	}
	n := d.foreground()
	t.dets = t.dets[:0]
	if d.frames > 0 && n*100 > globalReset*len(d.cur) {
		d.seed(timeMS)
		return
	}
	d.clean(d.tune.clean)
	d.label()
	d.ghosts()
	t.blobsToDetections()
}

// learn updates the background model with the frame taken at timeMS, sparing the tracked boxes, and keeps
// the downscaled frame only as the previous one for the next frame's motion test.
func (t *Tracker) learn(timeMS int64) {
	d := &t.det
	d.protect(t.boxes)
	if d.frames > 0 {
		dt := max(timeMS-d.lastMS, 1)
		d.ghostFrames = uint8(min(max(ghostMS/dt, 3), 120))
	}
	d.update(timeMS)
	// The downscaled frame lives on only as prev, for the next frame's motion test and pending update;
	// the buffer that held the frame before it is cleared and takes the next one.
	d.prev, d.cur = d.cur, d.prev
	clear(d.cur)
	d.lastMS = timeMS
	d.frames++
}

// holdCoasting keeps coasting tracks inside the blob that swallowed them: every blob that holds the foot
// point of a track matched in this frame holds any coasting track whose position lies in it
// (assoc.Tracker.Hold).
func (t *Tracker) holdCoasting() {
	d := &t.det
	s := float64(d.s)
	for _, c := range t.cands {
		x0, y0 := float64(c.x0)*s, float64(c.y0)*s
		x1, y1 := float64(c.x1+1)*s, float64(c.y1+1)*s
		held, coasting := false, false
		for _, b := range t.boxes {
			if !b.Confirmed || b.X < x0 || b.X > x1 || b.Y < y0 || b.Y > y1+0.1*b.H {
				continue
			}
			if b.Coasting {
				coasting = true
			} else {
				held = true
			}
		}
		if held && coasting {
			t.as.Hold(x0, y0, x1, y1)
		}
	}
}

// MinProcSize is the smallest processing width and height the tracker works at; Step ignores frames that
// downscale to less.
const MinProcSize = 8

// Wipe clears the downscaled copies of recent frames (the current and previous frame the motion test
// keeps) without touching the background model or the tracks. The agent calls it when capture pauses or
// stops, so no image-like state outlives capture; the next Step starts its motion test afresh.
func (t *Tracker) Wipe() {
	if t.det.cur == nil {
		return
	}
	t.det.applyPending() // it needs prev
	clear(t.det.cur)
	clear(t.det.prev)
}

// blobsToDetections turns components into foot-point detections in capture pixels. Fragments of one
// person (split where clothing matches the background) are merged first: two boxes that overlap
// horizontally by at least half the narrower one and are vertically closer than a third of the taller one
// become one.
func (t *Tracker) blobsToDetections() {
	d := &t.det
	minArea := int32(d.w * d.h / 1500)
	c := t.cands[:0]
	for i := range d.blobs {
		b := &d.blobs[i]
		if !b.root || b.area < minArea/4 {
			continue
		}
		c = append(c, cand{x0: b.minX, x1: b.maxX, y0: b.minY, y1: b.maxY, area: b.area, label: int32(i)})
	}
	for merged := true; merged; {
		merged = false
		for i := 0; i < len(c); i++ {
			for j := i + 1; j < len(c); j++ {
				if !mergeable(&c[i], &c[j]) {
					continue
				}
				c[i].x0, c[i].x1 = min(c[i].x0, c[j].x0), max(c[i].x1, c[j].x1)
				c[i].y0, c[i].y1 = min(c[i].y0, c[j].y0), max(c[i].y1, c[j].y1)
				c[i].area += c[j].area
				c[i].merged = true
				c[j] = c[len(c)-1]
				c = c[:len(c)-1]
				j--
				merged = true
			}
		}
	}
	t.cands = c
	for _, b := range c {
		if b.area < minArea && (b.area < minArea/4 || !d.atBorder(&b)) {
			// Too small for a person, unless it is the part of one that is still (or already) in view
			// at the image border.
			continue
		}
		t.emitSplit(b)
	}
}

// cand is a candidate person box at processing resolution (inclusive bounds).
type cand struct {
	x0, x1, y0, y1, area int32
	label                int32   // component label (root)
	merged               bool    // made of several components
	split                bool    // a part of a split component; cx is its centre of mass
	cx                   float64 // centre column (split parts)
}

// atBorder reports whether c reaches the outermost rows or columns the mask can hold: a person partly out
// of view.
func (d *detector) atBorder(c *cand) bool {
	return c.x0 <= 1 || c.y0 <= 1 || c.x1 >= int32(d.w-2) || c.y1 >= int32(d.h-2)
}

// EdgeBand returns the part of a w×h frame, processed with cfg, inside the left, right and bottom edge
// bands, in frame pixels. A person whose outline reaches into a band is partly out of view: the tracker
// follows them but gives their track foot points only where the feet are seen (never while the outline
// reaches the bottom band; at the left and right once Config.EdgeInView of their width is in view). The
// bands are the outermost two columns and rows of the downscaled picture, so they are a few pixels wide.
// An empty rectangle means the frame is too small to be tracked.
func EdgeBand(cfg Config, w, h int) image.Rectangle {
	if cfg.ProcWidth <= 0 {
		cfg.ProcWidth = defaultProcWidth
	}
	s := downscale(w, cfg.ProcWidth)
	mw, mh := w/s, h/s
	if w < 2 || h < 2 || mw < MinProcSize || mh < MinProcSize {
		return image.Rectangle{}
	}
	return image.Rect(2*s, 0, (mw-2)*s, (mh-2)*s)
}

func mergeable(a, b *cand) bool {
	ov := min(a.x1, b.x1) - max(a.x0, b.x0) + 1
	if 2*ov < min(a.x1-a.x0+1, b.x1-b.x0+1) {
		return false
	}
	gap := max(a.y0, b.y0) - min(a.y1, b.y1) - 1
	return 3*gap < max(a.y1-a.y0+1, b.y1-b.y0+1)
}

// Flush closes and returns every open confirmed track. The background model is kept.
func (t *Tracker) Flush() []Track {
	return t.as.Flush()
}

// TakeSegments returns, and forgets, the points of long-open tracks so far, for publishing a track in
// parts: for every open track that would be reported if it closed now and whose points held span at
// least minSpan of frame time, a Track with the track's ID holding its points not yet reported, up to but
// excluding the latest matched one. IDs are stable across segments; the segments and the final part that
// Step or Flush returns at close do not overlap and join to exactly the points the whole track would have
// had (gaps are interpolated across segment boundaries too); a segment never holds points of a track that
// is later withheld; the final part is never empty. It keeps a person standing in view all day from
// growing the tracker's memory. The result is valid until the next TakeSegments; its Points slices are
// the caller's. See assoc.Tracker.TakeSegments.
func (t *Tracker) TakeSegments(minSpan time.Duration) []Track {
	return t.as.TakeSegments(minSpan)
}

// InView is the number of confirmed tracks matched in the last frame (not coasting).
func (t *Tracker) InView() int { return t.as.InView() }

// Reset forgets the background model and all tracks without reporting them; call Flush first to keep
// them. The next frame seeds a new background model.
func (t *Tracker) Reset() {
	t.as.Reset()
	t.det.frames = 0
}

// inPolygon reports whether (x, y) is inside poly (even-odd rule).
func inPolygon(poly [][2]float64, x, y float64) bool {
	in := false
	j := len(poly) - 1
	for i := range poly {
		xi, yi := poly[i][0], poly[i][1]
		xj, yj := poly[j][0], poly[j][1]
		if (yi > y) != (yj > y) && x < (xj-xi)*(y-yi)/(yj-yi)+xi {
			in = !in
		}
		j = i
	}
	return in
}
