package main

import (
	"crypto/rand"
	"encoding/hex"
	"math"
	mrand "math/rand/v2"
	"time"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/agent/minimise"
)

// Floor is the simulated sensor's view of the floor, in metres: a 12 m × 8 m stretch of aisle, about
// what one ceiling camera 3 m up sees.
const (
	floorW = 12.0
	floorH = 8.0
)

// Frame size and rate of the simulated camera (the agent's synth source defaults).
const (
	frameW   = 640
	frameH   = 480
	frameFPS = 10
)

// Track durations: log-normal with this median, clamped; the longest stays under the agent's default
// segment_time (5 min), so every track is sent whole (seg 0, final).
const (
	medianDuration = 25 * time.Second
	minDuration    = 4 * time.Second
	maxDuration    = 290 * time.Second
)

// walker makes shoppers' paths as a minimising sensor publishes them. It is not safe for concurrent use.
type walker struct {
	rng   *mrand.Rand
	rules minimise.Rules // the sensor's default minimisation: 0.1 m grid, at most 2 points a second
	hz    float64        // points per second before minimisation
}

func newWalker(seed uint64, hz float64) *walker {
	return &walker{rng: mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), rules: minimise.Default(), hz: hz}
}

// trackID is a random 24-hex-digit id, as the agent makes them: never reused, across runs too.
func trackID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// track returns a closed track of sensor whose last point is at end, on a camera that started capturing at
// started: a shopper enters at an edge, walks towards a few shelves at 0.5-1.5 m/s, stops at some of them,
// until the tracker closes the track. It is minimised with the sensor's default rules, as the agent does before
// publishing.
func (w *walker) track(sensor string, started, end time.Time) event.Track {
	d := time.Duration(float64(medianDuration) * math.Exp(0.8*w.rng.NormFloat64()))
	d = min(max(d, minDuration), maxDuration)
	n := int(d.Seconds()*w.hz) + 1
	step := time.Duration(float64(time.Second) / w.hz)
	t0 := end.Add(-time.Duration(n-1) * step)
	x, y := w.edge()
	tx, ty := w.shelf()
	speed := 0.5 + w.rng.Float64()
	var dwell int // points left standing still
	tr := event.Track{V: event.Version, Sensor: sensor, ID: trackID(), Space: event.SpaceFloor, W: frameW, H: frameH,
		Seg: 0, Final: true, Points: make([]event.Point, 0, n)}
	for i := range n {
		t := t0.Add(time.Duration(i) * step)
		f := max(t.Sub(started), 0) * frameFPS / time.Second
		// The foot point jitters by a few centimetres, as a detector's box does.
		tr.Points = append(tr.Points, event.Point{F: uint64(f), T: t.UnixMilli(),
			X: x + 0.03*w.rng.NormFloat64(), Y: y + 0.03*w.rng.NormFloat64()})
		if dwell > 0 {
			dwell--
			continue
		}
		dx, dy := tx-x, ty-y
		dist := math.Hypot(dx, dy)
		move := speed / w.hz
		if dist <= move {
			x, y = tx, ty
			tx, ty = w.shelf()
			if w.rng.IntN(3) == 0 { // stops at one shelf in three, for 2 to 20 s
				dwell = int((2 + 18*w.rng.Float64()) * w.hz)
			}
			continue
		}
		x, y = x+dx/dist*move, y+dy/dist*move
	}
	out, reason := w.rules.Apply(tr)
	if reason != "" {
		// A shopper who stood still the whole time: the sensor withholds it. Walk straight instead.
		for i := range tr.Points {
			tr.Points[i].X = float64(i) * floorW / float64(n)
		}
		out, _ = w.rules.Apply(tr)
	}
	return out
}

// edge is a point on the border of the view, where shoppers enter.
func (w *walker) edge() (x, y float64) {
	switch w.rng.IntN(4) {
	case 0:
		return 0, w.rng.Float64() * floorH
	case 1:
		return floorW, w.rng.Float64() * floorH
	case 2:
		return w.rng.Float64() * floorW, 0
	}
	return w.rng.Float64() * floorW, floorH
}

// shelf is somewhere inside the view a shopper walks to.
func (w *walker) shelf() (x, y float64) {
	return 0.5 + w.rng.Float64()*(floorW-1), 0.5 + w.rng.Float64()*(floorH-1)
}
