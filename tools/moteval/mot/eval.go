package mot

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// Mode says how a ground-truth object and a hypothesis are compared.
type Mode string

const (
	// Foot compares the ground truth's bottom-centre with the hypothesis' foot point (a box's bottom-centre
	// or a published point) by Euclidean distance in pixels.
	Foot Mode = "foot"
	// Centre compares box centres by Euclidean distance in pixels. Hypotheses must be boxes.
	Centre Mode = "centre"
	// IoU compares boxes by 1 − intersection-over-union. Hypotheses must be boxes.
	IoU Mode = "iou"
)

// ParseMode returns the Mode named s ("foot", "centre" or "center", "iou").
func ParseMode(s string) (Mode, error) {
	switch s {
	case "foot":
		return Foot, nil
	case "centre", "center":
		return Centre, nil
	case "iou":
		return IoU, nil
	}
	return "", fmt.Errorf("mot: unknown matching mode %q (want foot, centre or iou)", s)
}

// Config says what to score and how.
type Config struct {
	Mode Mode // "" means Foot
	// Frames is the number of frames in the sequence; frames 1..Frames are scored, empty ones too, and
	// rows outside that range are ignored. Required.
	Frames int
	// Width is the image width in pixels; with a zero Threshold, the point modes use Width/20.
	Width int
	// Threshold is the largest distance that may match: pixels in Foot and Centre mode, 1−IoU in IoU mode
	// (so 0.5 means IoU ≥ 0.5). 0 means Width/20 for the point modes and 0.5 for IoU.
	Threshold float64
	// Switch, if not nil, is called for every ID switch, in frame order: in frame, object obj, last
	// matched to hypothesis from, is now matched to hypothesis to. For looking at switches one by one.
	Switch func(frame int, obj, from, to string)
}

// Result holds the scores. JSON names are those of py-motmetrics.
type Result struct {
	Mode           Mode    `json:"mode"`
	MatchThreshold float64 `json:"match_threshold"`
	NumFrames      int     `json:"num_frames"`
	NumObjects     int     `json:"num_objects"`     // ground-truth rows scored
	NumPredictions int     `json:"num_predictions"` // hypothesis rows scored
	NumUnique      int     `json:"num_unique_objects"`
	MOTA           float64 `json:"mota"`
	// MOTP is the mean distance of the matched pairs: pixels in the point modes, 1−IoU in IoU mode
	// (py-motmetrics' convention). NaN when nothing matched, encoded as null.
	MOTP        float64  `json:"motp"`
	MOTPPixels  *float64 `json:"motp_px"`       // MOTP in the point modes, else nil
	MeanIoU     *float64 `json:"motp_mean_iou"` // 1−MOTP in IoU mode, else nil
	IDF1        float64  `json:"idf1"`
	IDP         float64  `json:"idp"`
	IDR         float64  `json:"idr"`
	IDTP        int      `json:"idtp"`
	IDFP        int      `json:"idfp"`
	IDFN        int      `json:"idfn"`
	Recall      float64  `json:"recall"`
	Precision   float64  `json:"precision"`
	Matches     int      `json:"num_matches"` // matched pairs that are not switches
	FP          int      `json:"num_false_positives"`
	FN          int      `json:"num_misses"`
	Switches    int      `json:"num_switches"`
	Frags       int      `json:"num_fragmentations"`
	MostlyTrack int      `json:"mostly_tracked"`    // objects tracked in ≥ 80% of their frames
	PartlyTrack int      `json:"partially_tracked"` // in ≥ 20% and < 80%
	MostlyLost  int      `json:"mostly_lost"`       // in < 20%
}

// Evaluate scores hypotheses hyp against ground truth gt. Both are used as given: drop ignored ground
// truth first (DropIgnored); every hypothesis counts, so one on an ignored person is a false positive.
// An id may appear at most once per frame in each: a track is one person, who is in one place. Input that
// repeats an id within a frame (detections, where every id is -1; two tracks merged under one id) is
// refused with an error naming the frame and the id, because CLEAR-MOT and IDF1 are not defined for it
// (counted naively, IDF1 exceeds 1). Track detections into tracks first (moteval -dets).
// Within a frame, rows keep their input order, which decides ties as in py-motmetrics.
//
// CLEAR-MOT, per frame: a previous correspondence of an object is kept when its hypothesis is present and
// still within the threshold; the rest are paired by an assignment that matches as many pairs as
// possible at least total distance. A match whose object was last matched to another hypothesis is an ID
// switch; a fragmentation is a run of misses between two frames in which the object was tracked. IDF1
// comes from a global one-to-one matching of object ids to hypothesis ids that maximises the number of
// frames in which paired ids are within the threshold (equivalently, minimises IDFP+IDFN).
func Evaluate(gt, hyp []Row, cfg Config) (Result, error) {
	mode := cfg.Mode
	if mode == "" {
		mode = Foot
	}
	if cfg.Frames <= 0 {
		return Result{}, fmt.Errorf("mot: Config.Frames is %d, want > 0", cfg.Frames)
	}
	thr := cfg.Threshold
	switch {
	case thr < 0 || math.IsNaN(thr):
		return Result{}, fmt.Errorf("mot: bad threshold %v", thr)
	case thr > 0:
	case mode == IoU:
		thr = 0.5
	case cfg.Width > 0:
		thr = float64(cfg.Width) / 20
	default:
		return Result{}, fmt.Errorf("mot: %s mode needs Config.Width or Config.Threshold", mode)
	}
	var dist func(o, h *Row) float64
	switch mode {
	case Foot:
		dist = func(o, h *Row) float64 {
			ox, oy := o.Foot()
			hx, hy := h.Foot()
			return math.Hypot(ox-hx, oy-hy)
		}
	case Centre:
		dist = func(o, h *Row) float64 {
			ox, oy := o.Centre()
			hx, hy := h.Centre()
			return math.Hypot(ox-hx, oy-hy)
		}
	case IoU:
		dist = func(o, h *Row) float64 { return 1 - iou(o, h) }
	default:
		return Result{}, fmt.Errorf("mot: unknown matching mode %q", mode)
	}
	for _, set := range [][]Row{gt, hyp} {
		for i := range set {
			if set[i].IsPoint && mode != Foot {
				return Result{}, fmt.Errorf("mot: %s mode needs boxes, but id %s in frame %d is a point", mode, set[i].ID, set[i].Frame)
			}
		}
	}

	e := newEvaluator(cfg.Frames)
	e.onSwitch = cfg.Switch
	ogs, err := e.group(gt, &e.oids, "ground truth")
	if err != nil {
		return Result{}, err
	}
	hgs, err := e.group(hyp, &e.hids, "hypothesis")
	if err != nil {
		return Result{}, err
	}
	res := Result{Mode: mode, MatchThreshold: thr, NumFrames: cfg.Frames}
	var sumD float64
	for f := 1; f <= cfg.Frames; f++ {
		d, sw := e.frame(ogs[f], hgs[f], func(o, h *Row) float64 {
			if v := dist(o, h); v <= thr {
				return v
			}
			return math.NaN()
		})
		sumD += d
		res.Switches += sw
	}
	for _, o := range e.objs {
		res.NumObjects += o.frames
		if o.frames == 0 {
			continue
		}
		res.NumUnique++
		res.FN += o.frames - o.tracked
		res.Frags += o.frags
		switch ratio := float64(o.tracked) / float64(o.frames); {
		case ratio >= 0.8:
			res.MostlyTrack++
		case ratio >= 0.2:
			res.PartlyTrack++
		default:
			res.MostlyLost++
		}
	}
	det := 0
	for _, h := range e.hyps {
		res.NumPredictions += h.frames
		det += h.tracked
	}
	res.FP = res.NumPredictions - det
	res.Matches = det - res.Switches
	res.MOTA = 1 - float64(res.FN+res.FP+res.Switches)/float64(res.NumObjects)
	res.MOTP = sumD / float64(det)
	if mode == IoU {
		v := 1 - res.MOTP
		res.MeanIoU = &v
	} else {
		v := res.MOTP
		res.MOTPPixels = &v
	}
	res.Recall = float64(det) / float64(res.NumObjects)
	res.Precision = float64(det) / float64(res.NumPredictions)

	res.IDTP = e.idtp()
	res.IDFN = res.NumObjects - res.IDTP
	res.IDFP = res.NumPredictions - res.IDTP
	res.IDP = float64(res.IDTP) / float64(res.NumPredictions)
	res.IDR = float64(res.IDTP) / float64(res.NumObjects)
	res.IDF1 = 2 * float64(res.IDTP) / float64(res.NumObjects+res.NumPredictions)
	return res, nil
}

// iou is the intersection over union of two boxes (continuous coordinates, area w·h).
func iou(a, b *Row) float64 {
	iw := math.Min(a.Left+a.Width, b.Left+b.Width) - math.Max(a.Left, b.Left)
	ih := math.Min(a.Top+a.Height, b.Top+b.Height) - math.Max(a.Top, b.Top)
	if iw <= 0 || ih <= 0 {
		return 0
	}
	in := iw * ih
	union := a.Width*a.Height + b.Width*b.Height - in
	if union <= 0 {
		return 0
	}
	return in / union
}

// track is the running state of one object or hypothesis id.
type track struct {
	frames  int // frames in which it is present
	tracked int // frames in which it was matched
	// Objects only:
	last    int  // hypothesis index of the last match, -1 for never
	missRun bool // missed since its last match
	frags   int
}

type evaluator struct {
	oids, hids map[string]int
	objs, hyps []track
	// overlap[o][h] counts frames in which object o and hypothesis h were within the threshold.
	overlap []map[int]int
	frames  int
	// onSwitch is Config.Switch; hname gives back the hypothesis ids' names for it.
	onSwitch func(frame int, obj, from, to string)
	hname    []string
}

func newEvaluator(frames int) *evaluator {
	return &evaluator{oids: map[string]int{}, hids: map[string]int{}, frames: frames}
}

// indexed is a row with its id's index.
type indexed struct {
	row *Row
	id  int
}

// group splits rows by frame (1..frames, others dropped) keeping order, and numbers their ids. It refuses
// an id that appears twice in one frame; what names the rows in the error.
func (e *evaluator) group(rows []Row, ids *map[string]int, what string) ([][]indexed, error) {
	g := make([][]indexed, e.frames+1)
	type idFrame struct{ id, frame int }
	seen := make(map[idFrame]bool, len(rows))
	for i := range rows {
		r := &rows[i]
		if r.Frame < 1 || r.Frame > e.frames {
			continue
		}
		id, ok := (*ids)[r.ID]
		if !ok {
			id = len(*ids)
			(*ids)[r.ID] = id
			if ids == &e.hids {
				e.hname = append(e.hname, r.ID)
			}
		}
		k := idFrame{id, r.Frame}
		if seen[k] {
			return nil, fmt.Errorf("mot: %s id %s appears more than once in frame %d: an id is one person, "+
				"in one place per frame (to score detections, track them first: moteval -dets)", what, r.ID, r.Frame)
		}
		seen[k] = true
		g[r.Frame] = append(g[r.Frame], indexed{r, id})
	}
	for len(e.objs) < len(e.oids) {
		e.objs = append(e.objs, track{last: -1})
		e.overlap = append(e.overlap, map[int]int{})
	}
	for len(e.hyps) < len(e.hids) {
		e.hyps = append(e.hyps, track{last: -1})
	}
	return g, nil
}

// frame scores one frame given the thresholded distance (NaN when too far). It returns the sum of the
// matched distances and the number of ID switches.
func (e *evaluator) frame(os, hs []indexed, dist func(o, h *Row) float64) (sumD float64, switches int) {
	no, nh := len(os), len(hs)
	d := make([][]float64, no)
	for i, o := range os {
		d[i] = make([]float64, nh)
		for j, h := range hs {
			d[i][j] = dist(o.row, h.row)
			if !math.IsNaN(d[i][j]) {
				e.overlap[o.id][h.id]++
			}
		}
	}
	oMatched := make([]bool, no)
	hMatched := make([]bool, nh)
	match := func(i, j int) {
		oMatched[i], hMatched[j] = true, true
		o := &e.objs[os[i].id]
		o.last = hs[j].id
		o.tracked++
		if o.missRun {
			o.frags++
			o.missRun = false
		}
		e.hyps[hs[j].id].tracked++
		sumD += d[i][j]
	}

	// 1. Keep previous correspondences still within the threshold.
	if no > 0 && nh > 0 {
		for i, o := range os {
			prev := e.objs[o.id].last
			if prev < 0 {
				continue
			}
			for j, h := range hs {
				if hMatched[j] || h.id != prev {
					continue
				}
				if !math.IsNaN(d[i][j]) {
					match(i, j)
				}
				break // py-motmetrics looks at the first unmatched row of that id only
			}
		}
	}

	// 2. Assign the rest.
	var ri, ci []int
	for i := range os {
		if !oMatched[i] {
			ri = append(ri, i)
		}
	}
	for j := range hs {
		if !hMatched[j] {
			ci = append(ci, j)
		}
	}
	if len(ri) > 0 && len(ci) > 0 {
		sub := make([][]float64, len(ri))
		for a, i := range ri {
			sub[a] = make([]float64, len(ci))
			for b, j := range ci {
				sub[a][b] = d[i][j]
			}
		}
		for a, b := range Assign(sub) {
			if b < 0 {
				continue
			}
			i, j := ri[a], ci[b]
			if prev := e.objs[os[i].id].last; prev >= 0 && prev != hs[j].id {
				switches++
				if e.onSwitch != nil {
					e.onSwitch(os[i].row.Frame, os[i].row.ID, e.hname[prev], hs[j].row.ID)
				}
			}
			match(i, j)
		}
	}

	// 3. Count presence; misses start or extend a miss run of tracked objects.
	for i, o := range os {
		t := &e.objs[o.id]
		t.frames++
		if !oMatched[i] && t.tracked > 0 {
			t.missRun = true
		}
	}
	for _, h := range hs {
		e.hyps[h.id].frames++
	}
	return sumD, switches
}

// idtp returns the number of ID true positives: the maximum, over one-to-one pairings of object ids with
// hypothesis ids, of the frames in which paired ids are within the threshold. Pairing o with h costs
// IDFN+IDFP = n(o)+n(h)−2·overlap(o,h) against n(o)+n(h) for leaving both unpaired, so maximising total
// overlap is the same as py-motmetrics' minimum-cost assignment on the (no+nh)² IDFP+IDFN matrix.
func (e *evaluator) idtp() int {
	no, nh := len(e.objs), len(e.hyps)
	if no == 0 || nh == 0 {
		return 0
	}
	cost := make([][]float64, no)
	for o := range cost {
		cost[o] = make([]float64, nh)
		for h, n := range e.overlap[o] {
			cost[o][h] = -float64(n)
		}
	}
	tp := 0
	for o, h := range Assign(cost) {
		if h >= 0 {
			tp += e.overlap[o][h]
		}
	}
	return tp
}

// MarshalJSON encodes r with the field names of its tags, writing null for a non-finite number (such as
// MOTP when nothing matched), which encoding/json cannot represent.
func (r Result) MarshalJSON() ([]byte, error) {
	v := reflect.ValueOf(r)
	t := v.Type()
	b := []byte{'{'}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, name)
		b = append(b, ':')
		f := v.Field(i)
		if f.Kind() == reflect.Pointer && !f.IsNil() {
			f = f.Elem()
		}
		if f.Kind() == reflect.Float64 && !isFinite(f.Float()) {
			b = append(b, "null"...)
			continue
		}
		enc, err := json.Marshal(f.Interface())
		if err != nil {
			return nil, fmt.Errorf("mot: %w", err)
		}
		b = append(b, enc...)
	}
	return append(b, '}'), nil
}
