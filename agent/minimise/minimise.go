// Package minimise reduces a track to what the analytics need before anyone stores it: coordinates
// coarsened to a step, at most a few points per second, and tracks too short or too small to be anything
// but noise dropped.
//
// The rules and their defaults are written once, here, so that the sensor (before publishing) and the back
// office (before storing) apply the same ones. The package is pure: it imports only the standard library and
// the wire contract, takes its time from the points and never calls time.Now.
//
// What each rule costs:
//   - Quantising to 0.1 m moves a floor point by at most 5 cm, well inside the tracker's own foot-point error
//     (about 0.2 m at 5 m from a 640×480 camera); counting lines and 0.5 m heatmap cells are unaffected.
//     1/1000 of the frame is under one pixel at 640×480.
//   - Resampling to 2 Hz keeps one point every 0.5 s. A walker (1.2 m/s) moves 0.6 m between points, so a
//     zone smaller than that can be crossed between two samples; dwell times lose up to 0.5 s at each end.
//   - Dropping tracks under 2 s or within 1 m of where they started removes flicker (a door, a shadow, a
//     trolley edge) and also a person seen only for an instant at the edge of view; such a track carries no
//     path anyway. The drop is counted, never silent.
package minimise

import (
	"math"
	"time"

	"github.com/ashiato/ashiato/agent/event"
)

// Reason says why a track was dropped. The empty Reason means it was kept.
type Reason string

// Reasons for dropping a whole track.
const (
	// ReasonDuration: the track lasted less than Rules.MinDuration.
	ReasonDuration Reason = "duration"
	// ReasonExtent: no point was farther than the minimum extent from the first point.
	ReasonExtent Reason = "extent"
)

// Rules are the minimisation rules. The zero value changes nothing and drops nothing; Default returns the
// rules both the sensor and the back office apply unless configured otherwise.
type Rules struct {
	// FloorStep is the grid, in metres, that floor coordinates are rounded to; 0 leaves them as they are.
	FloorStep float64
	// ImageStep is the grid, as a fraction of the frame, that image coordinates are rounded to; 0 leaves
	// them as they are.
	ImageStep float64
	// MinInterval is the least time between two kept points (0.5 s is at most 2 Hz); 0 keeps every point.
	MinInterval time.Duration
	// MinDuration drops a whole track that lasted less than this, from its first to its last point; 0 drops
	// none for being short.
	MinDuration time.Duration
	// MinExtentFloor drops a whole floor-space track none of whose points is at least this many metres
	// from its first point; 0 drops none for being small.
	MinExtentFloor float64
	// MinExtentImage is MinExtentFloor for image-space tracks, as a fraction of the frame (the distance
	// in normalised coordinates, x of the width and y of the height).
	MinExtentImage float64
}

// Default values of Rules.
const (
	DefaultFloorStep      = 0.1
	DefaultImageStep      = 0.001
	DefaultMinInterval    = 500 * time.Millisecond
	DefaultMinDuration    = 2 * time.Second
	DefaultMinExtentFloor = 1.0
	// DefaultMinExtentImage is a twentieth of the frame: about 1 m across a typical 8–10 m wide view, and
	// the distance the tracker itself treats as one place.
	DefaultMinExtentImage = 0.05
)

// Default returns the rules on by default: 0.1 m or 1/1000 of the frame, at most 2 Hz, tracks under 2 s or
// 1 m (a twentieth of the frame in image space) dropped.
func Default() Rules {
	return Rules{
		FloorStep: DefaultFloorStep, ImageStep: DefaultImageStep, MinInterval: DefaultMinInterval,
		MinDuration: DefaultMinDuration, MinExtentFloor: DefaultMinExtentFloor, MinExtentImage: DefaultMinExtentImage,
	}
}

// Apply minimises tr and returns the result, or the zero Track and the reason it was dropped.
//
// The drop rules judge only a track sent whole (seg 0 and final): a segment of a long track is part of a
// path longer than any segment and is never dropped on its own. Resampling keeps the first and the last
// point, and otherwise a point only when it is at least MinInterval after the last one kept; when the last
// point comes sooner than that, it replaces the point kept before it (so a segment shorter than
// MinInterval keeps two points). Points must be in time order, as the sensor sends them. tr is not
// modified; the result has its own Points.
func (r Rules) Apply(tr event.Track) (event.Track, Reason) {
	if len(tr.Points) == 0 {
		return tr, ""
	}
	if tr.Seg == 0 && tr.Final {
		if reason := r.drop(tr); reason != "" {
			return event.Track{}, reason
		}
	}
	out := tr
	out.Points = r.resample(tr.Points)
	step := r.ImageStep
	if tr.Space == event.SpaceFloor {
		step = r.FloorStep
	}
	if step > 0 {
		for i := range out.Points {
			out.Points[i].X = quantise(out.Points[i].X, step)
			out.Points[i].Y = quantise(out.Points[i].Y, step)
		}
	}
	return out, ""
}

func (r Rules) drop(tr event.Track) Reason {
	first, last := tr.Points[0], tr.Points[len(tr.Points)-1]
	if r.MinDuration > 0 && time.Duration(last.T-first.T)*time.Millisecond < r.MinDuration {
		return ReasonDuration
	}
	minExtent := r.MinExtentImage
	if tr.Space == event.SpaceFloor {
		minExtent = r.MinExtentFloor
	}
	if minExtent > 0 {
		far := 0.0
		for _, p := range tr.Points {
			far = max(far, math.Hypot(p.X-first.X, p.Y-first.Y))
		}
		if far < minExtent {
			return ReasonExtent
		}
	}
	return ""
}

func (r Rules) resample(pts []event.Point) []event.Point {
	if r.MinInterval <= 0 || len(pts) <= 2 {
		return append([]event.Point(nil), pts...)
	}
	gap := r.MinInterval.Milliseconds()
	out := make([]event.Point, 0, len(pts))
	out = append(out, pts[0])
	for _, p := range pts[1 : len(pts)-1] {
		if p.T-out[len(out)-1].T >= gap {
			out = append(out, p)
		}
	}
	last := pts[len(pts)-1]
	if len(out) > 1 && last.T-out[len(out)-1].T < gap {
		out[len(out)-1] = last
	} else {
		out = append(out, last)
	}
	return out
}

// quantise rounds v to the nearest multiple of step, and then to 9 significant decimals so that the result
// prints as the step does (0.30000000000000004 becomes 0.3).
func quantise(v, step float64) float64 {
	q := math.Round(v/step) * step
	return math.Round(q*1e9) / 1e9
}
