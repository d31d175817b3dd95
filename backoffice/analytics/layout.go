package analytics

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/ashiato/ashiato/agent/event"
)

// XY is a position in a layout's space: metres on the floor, or fractions of the frame (x of the width, y
// of the height, y down) in image space.
type XY struct{ X, Y float64 }

// Layout is what the operator drew for one store: counting lines, zones, queues and an optional floor
// plan, in one space. Its zero values mean the defaults of its space (see WithDefaults).
type Layout struct {
	// Store is the store the layout belongs to (ashiato/v1/<store>/…).
	Store string `json:"store"`
	// Space is event.SpaceFloor (metres, for calibrated sensors) or event.SpaceImage (fractions of the
	// frame). Tracks in the other space are not analysed (counted as skipped).
	Space string `json:"space"`
	// Sensors lists the sensors whose tracks the layout describes; empty means every sensor of the store.
	// In image space each camera has its own coordinates, so list the one(s) the layout was drawn on.
	Sensors []string `json:"sensors,omitempty"`
	// Cell is the side of a heatmap cell: 0.5 m on the floor, 0.025 of the frame in image space.
	Cell float64 `json:"cell"`
	// Plan is the floor plan the pages draw the heatmap over; nil means none.
	Plan   *Plan  `json:"plan,omitempty"`
	Lines  []Line `json:"lines,omitempty"`
	Zones  []Zone `json:"zones,omitempty"`
	Queues []Zone `json:"queues,omitempty"`
}

// Plan is a floor plan picture and where the layout's coordinates fall on it.
type Plan struct {
	// Image is the path of the picture (SVG or PNG) as configured; the pages serve it.
	Image string `json:"image"`
	// Scale is pixels of the picture per unit of the layout: per metre on the floor; in image space, per
	// whole frame (the picture's width for x, its height for y, so 0 means "the picture is the frame").
	Scale float64 `json:"scale"`
	// OriginX and OriginY are the picture pixel where the layout's (0, 0) lies.
	OriginX float64 `json:"origin_x"`
	OriginY float64 `json:"origin_y"`
	// FlipY: the layout's y grows up the picture (a surveyor's floor plan) rather than down it.
	FlipY bool `json:"flip_y,omitempty"`
}

// Line is a counting line: the segment from A to B. A track crossing it from the side where
// cross(B−A, P−A) < 0 to the side where it is > 0 counts "in", the other way "out". In image space (y
// down) that is from the left of A→B to its right, as seen on the screen; on a floor with y up, from its
// right to its left. If the counts come out swapped, swap A and B.
type Line struct {
	Name string `json:"name"`
	A    XY     `json:"a"`
	B    XY     `json:"b"`
	// Entrance marks a line at a way into the store: footfall and the net count of the store are the
	// crossings of its entrance lines.
	Entrance bool `json:"entrance,omitempty"`
	// Hysteresis is how far past the line a track must get, on the far side, before a crossing counts,
	// and how far back on the near side it must be before it can count again: 0.3 m on the floor, 0.015
	// of the frame in image space.
	Hysteresis float64 `json:"hysteresis"`
}

// Zone is an area given as a polygon (its vertices in order, not closed; at least three). The same type
// describes a queue.
type Zone struct {
	Name    string `json:"name"`
	Polygon []XY   `json:"polygon"`
	// MinVisit is the shortest visit counted (5 s for a zone, 10 s for a queue): a track passing
	// through is not a visit.
	MinVisit time.Duration `json:"min_visit"`
	// Debounce is the longest time a track may be outside between two stays that still make one visit
	// (3 s): a person swaying on the edge visits once.
	Debounce time.Duration `json:"debounce"`
}

// Defaults of the layout keys. Image-space distances are the floor ones divided by ImageMetre: a
// twentieth of the frame stands for a metre, as in the minimisation rules (agent/minimise).
const (
	DefaultCellFloor       = 0.5
	DefaultHysteresisFloor = 0.3
	ImageMetre             = 20
	DefaultZoneMinVisit    = 5 * time.Second
	DefaultQueueMinVisit   = 10 * time.Second
	DefaultDebounce        = 3 * time.Second
	// MaxCoordinate bounds the coordinates of lines and polygons (metres, or fractions of the frame).
	MaxCoordinate = 10_000
)

// unit is the size of "a metre" in space: 1 on the floor, 1/ImageMetre of the frame in image space.
func unit(space string) float64 {
	if space == event.SpaceImage {
		return 1.0 / ImageMetre
	}
	return 1
}

// WithDefaults returns l with every zero value replaced by its default for l's space.
func (l Layout) WithDefaults() Layout {
	u := unit(l.Space)
	if l.Cell == 0 {
		l.Cell = DefaultCellFloor * u
	}
	l.Lines = slices.Clone(l.Lines)
	for i := range l.Lines {
		if l.Lines[i].Hysteresis == 0 {
			l.Lines[i].Hysteresis = DefaultHysteresisFloor * u
		}
	}
	fill := func(zs []Zone, minVisit time.Duration) []Zone {
		zs = slices.Clone(zs)
		for i := range zs {
			if zs[i].MinVisit == 0 {
				zs[i].MinVisit = minVisit
			}
			if zs[i].Debounce == 0 {
				zs[i].Debounce = DefaultDebounce
			}
		}
		return zs
	}
	l.Zones = fill(l.Zones, DefaultZoneMinVisit)
	l.Queues = fill(l.Queues, DefaultQueueMinVisit)
	return l
}

// Validate checks a layout (with or without defaults) and returns one error per problem, joined; each
// names the key, as the config file spells it, under "layout".
func (l Layout) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if !event.ValidName(l.Store) {
		bad("store", "%q must be 1-64 characters of A-Z a-z 0-9 _ -", l.Store)
	}
	if l.Space != event.SpaceFloor && l.Space != event.SpaceImage {
		bad("space", "%q is not %q or %q", l.Space, event.SpaceFloor, event.SpaceImage)
	}
	for i, s := range l.Sensors {
		if !event.ValidName(s) {
			bad(fmt.Sprintf("sensors[%d]", i), "%q is not a sensor id", s)
		}
	}
	if c := l.Cell; c < 0 || math.IsNaN(c) || (c > 0 && (c < 0.05*unit(l.Space) || c > 10*unit(l.Space))) {
		bad("cell", "%g, want %g to %g (or 0 for the default)", c, 0.05*unit(l.Space), 10*unit(l.Space))
	}
	if p := l.Plan; p != nil {
		if p.Image == "" {
			bad("plan.image", "missing")
		}
		if p.Scale < 0 || math.IsNaN(p.Scale) || math.IsInf(p.Scale, 0) || (l.Space == event.SpaceFloor && p.Scale == 0) {
			bad("plan.scale", "%g, want pixels per metre (> 0)", p.Scale)
		}
	}
	names := map[string]string{}
	name := func(key, kind, n string) {
		if n == "" || len(n) > 64 {
			bad(key+".name", "must be 1-64 characters")
		} else if prev, ok := names[n]; ok {
			bad(key+".name", "%q is already the name of a %s", n, prev)
		}
		names[n] = kind
	}
	okXY := func(p XY) bool {
		return !math.IsNaN(p.X) && !math.IsNaN(p.Y) && math.Abs(p.X) <= MaxCoordinate && math.Abs(p.Y) <= MaxCoordinate
	}
	for i, ln := range l.Lines {
		key := fmt.Sprintf("line[%d]", i)
		name(key, "line", ln.Name)
		if !okXY(ln.A) || !okXY(ln.B) || ln.A == ln.B {
			bad(key, "a and b must be two different points within ±%d", MaxCoordinate)
		}
		if ln.Hysteresis < 0 || math.IsNaN(ln.Hysteresis) || ln.Hysteresis > 10*unit(l.Space) {
			bad(key+".hysteresis", "%g, want 0 (the default) to %g", ln.Hysteresis, 10*unit(l.Space))
		}
	}
	zones := func(kind string, zs []Zone) {
		for i, z := range zs {
			key := fmt.Sprintf("%s[%d]", kind, i)
			name(key, kind, z.Name)
			if len(z.Polygon) < 3 || len(z.Polygon) > 256 {
				bad(key+".polygon", "has %d points, want 3 to 256", len(z.Polygon))
			}
			for _, p := range z.Polygon {
				if !okXY(p) {
					bad(key+".polygon", "a point is not within ±%d", MaxCoordinate)
					break
				}
			}
			if len(z.Polygon) >= 3 && area(z.Polygon) == 0 {
				bad(key+".polygon", "encloses no area")
			}
			if z.MinVisit < 0 || z.Debounce < 0 || z.MinVisit > 24*time.Hour || z.Debounce > time.Hour {
				bad(key, "min_visit must be 0 to 24h and debounce 0 to 1h")
			}
		}
	}
	zones("zone", l.Zones)
	zones("queue", l.Queues)
	return errors.Join(errs...)
}

// Reads reports whether the layout describes sensor's tracks.
func (l *Layout) Reads(sensor string) bool {
	return len(l.Sensors) == 0 || slices.Contains(l.Sensors, sensor)
}

// Hash identifies the layout with its defaults applied: two layouts that compute the same aggregates have
// the same hash (16 hex digits). The floor plan is left out: it changes only how the pages draw.
func (l Layout) Hash() string {
	l = l.WithDefaults()
	l.Plan = nil
	l.Sensors = slices.Clone(l.Sensors)
	slices.Sort(l.Sensors)
	b, err := json.Marshal(struct {
		V int
		L Layout
	}{FormatVersion, l})
	if err != nil {
		panic("BUG: layout does not marshal: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// area returns the absolute area of polygon p (shoelace formula).
func area(p []XY) float64 {
	a := 0.0
	for i := range p {
		q, r := p[i], p[(i+1)%len(p)]
		a += q.X*r.Y - r.X*q.Y
	}
	return math.Abs(a) / 2
}
