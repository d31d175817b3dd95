package agent

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"math"
	"sync/atomic"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/agent/floor"
	"github.com/ashiato/ashiato/agent/minimise"
	"github.com/ashiato/ashiato/agent/publish"
	"github.com/ashiato/ashiato/agent/tracker"
	"github.com/ashiato/ashiato/hal"
)

// enqueuer is what the emitter needs of the publisher.
type enqueuer interface{ Enqueue(publish.Message) }

// emitter turns the tracker's closed tracks and segments into track messages and queues them: a random id
// per track, kept across its segments; the frame size the track was seen at; floor space when calibrated;
// then the minimisation rules, so that what the back office would throw away never leaves the sensor.
// It is used by the track stage's goroutine only.
type emitter struct {
	sensor      string
	topic       string
	hom         *floor.Homography // image (normalised) to floor metres; nil: tracks stay in image space
	rules       *minimise.Rules   // nil: tracks are published at full resolution
	pub         enqueuer
	closedCount *atomic.Uint64 // track messages queued
	withheld    *atomic.Uint64 // whole tracks the rules dropped
	fallbacks   *atomic.Uint64 // messages sent in image space because a point did not map to the floor
	log         *slog.Logger
	segs        map[uint64]segState // by tracker id: tracks sent in segments so far
}

// segState is the published identity of a track sent in segments: its random id and the next segment
// number.
type segState struct {
	id   string
	next int
}

// closed publishes closed tracks seen in frames of size f: a track never segmented gets a fresh random id
// and goes out whole (seg 0, final); a segmented one goes out as its final segment, under the id its
// segments carried.
func (e *emitter) closed(tracks []tracker.Track, f hal.Format) {
	for _, t := range tracks {
		if len(t.Points) == 0 {
			continue
		}
		sg, ok := e.segs[t.ID]
		if !ok {
			sg = segState{id: newTrackID()}
		}
		delete(e.segs, t.ID)
		e.publish(t, sg.id, sg.next, true, f)
	}
}

// segments publishes the parts of long-open tracks that TakeSegments returned, each under its track's
// random id with the next segment number and final false.
func (e *emitter) segments(parts []tracker.Track, f hal.Format) {
	for _, t := range parts {
		if len(t.Points) == 0 {
			continue
		}
		sg, ok := e.segs[t.ID]
		if !ok {
			sg = segState{id: newTrackID()}
		}
		e.publish(t, sg.id, sg.next, false, f)
		sg.next++
		e.segs[t.ID] = sg
	}
}

// publish encodes one track message (a whole track or one segment), minimises it and queues it.
// tracks_closed counts these messages, so a track sent in n segments counts n; a whole track the rules
// drop is counted in tracks_withheld instead.
func (e *emitter) publish(t tracker.Track, id string, seg int, final bool, f hal.Format) {
	space, points := e.toSpace(t.Points, f)
	msg := event.Track{
		V: event.Version, Sensor: e.sensor, ID: id, Space: space,
		W: f.Width, H: f.Height, Seg: seg, Final: final, Points: points,
	}
	if e.rules != nil {
		var why minimise.Reason
		if msg, why = e.rules.Apply(msg); why != "" {
			e.withheld.Add(1)
			e.log.Debug("track withheld by minimisation", "reason", string(why))
			return
		}
	}
	b, err := json.Marshal(msg)
	if err != nil {
		e.log.Error("encoding track", "err", err)
		return
	}
	e.closedCount.Add(1)
	e.pub.Enqueue(publish.Message{Topic: e.topic, Payload: b, QoS: 1})
}

// toSpace converts one message's points from pixels of an f-sized frame to its space: floor metres
// (rounded to the millimetre) when calibrated, else fractions of the image. One message never mixes
// spaces: if any point does not map to the floor (it lies beyond the horizon), all of them are sent in
// image space, and the fallback is counted and logged.
func (e *emitter) toSpace(pts []tracker.Point, f hal.Format) (string, []event.Point) {
	out := make([]event.Point, 0, len(pts))
	for _, p := range pts {
		out = append(out, event.Point{F: p.Frame, T: p.TimeMS,
			X: clamp01(p.X / float64(f.Width)), Y: clamp01(p.Y / float64(f.Height))})
	}
	if e.hom == nil {
		return event.SpaceImage, out
	}
	floorPts := make([]event.Point, len(out))
	for i, p := range out {
		X, Y, ok := e.hom.Apply(p.X, p.Y)
		if !ok {
			if n := e.fallbacks.Add(1); n&(n-1) == 0 { // log the 1st, 2nd, 4th, 8th, …
				e.log.Warn("track point beyond the calibrated floor's horizon; track sent in image space",
					"x", p.X, "y", p.Y, "fallbacks", n)
			}
			return event.SpaceImage, out
		}
		floorPts[i] = event.Point{F: p.F, T: p.T, X: math.Round(X*1000) / 1000, Y: math.Round(Y*1000) / 1000}
	}
	return event.SpaceFloor, floorPts
}

func clamp01(v float64) float64 { return min(max(v, 0), 1) }

// newTrackID returns 96 random bits as hex. Track ids are never derived from anything observable.
func newTrackID() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("BUG: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}
