package agent

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/ashiato/ashiato/agent/ring"
	"github.com/ashiato/ashiato/agent/tracker"
	"github.com/ashiato/ashiato/hal"
)

// resetGap is the longest pause after which the tracker keeps its background model.
const resetGap = 10 * time.Second

// track is the track stage: it takes the ring's stream in order (frames and session marks), runs the
// tracker on every frame, and hands closed tracks, with the frame size they were seen at, to the emitter.
// Everything it uses it owns; it runs in one goroutine.
type track struct {
	tr          Tracker
	out         *emitter
	inView      *atomic.Int64  // people in view in the latest frame, for stats
	tracked     *atomic.Uint64 // frames tracked, for the watchdog
	segmentTime time.Duration  // a track open this long is published in segments so far

	format   hal.Format // size of the current session's frames
	lastTime time.Time  // time of the latest frame tracked
	segCheck time.Time  // frame time of the latest segment check
	fresh    bool       // the next frame starts a session
}

// run tracks the ring's stream until its final mark. It waits for the ring on rings, and returns at once
// if rings is closed without one (capture never started).
func (t *track) run(rings <-chan *ring.Ring) {
	rg, ok := <-rings
	if !ok {
		return
	}
	t.fresh = true
	for {
		// Not cancellable: the stream always ends with the final mark, after which nothing is left.
		it, err := rg.Next(context.Background())
		if err != nil {
			return // closed
		}
		if it.Mark != nil {
			t.endSession(*it.Mark)
			if it.Mark.Final {
				return
			}
			continue
		}
		t.frame(rg, it.Slot)
	}
}

// frame tracks one frame and publishes what it closed. A frame wiped by a pause after it was taken is
// skipped.
func (t *track) frame(rg *ring.Ring, s *ring.Slot) {
	var closed []tracker.Track
	used := rg.Use(s, func(f *hal.Frame) {
		if t.fresh && f.Time.Sub(t.lastTime) > resetGap {
			t.tr.Reset() // after a long gap the scene's background has changed
		}
		closed = t.tr.Step(f)
		t.format = hal.Format{Width: f.Width, Height: f.Height}
		t.lastTime = f.Time
	})
	if !used {
		return
	}
	t.fresh = false
	t.tracked.Add(1)
	t.inView.Store(int64(t.tr.InView()))
	t.out.closed(closed, t.format)
	// Long-open tracks go out in segments, checked once a second of frame time.
	if t.lastTime.Sub(t.segCheck) >= time.Second || t.lastTime.Before(t.segCheck) {
		t.segCheck = t.lastTime
		t.out.segments(t.tr.TakeSegments(t.segmentTime), t.format)
	}
}

// endSession closes every open track, normalised with the frame size of the session that ended, and wipes
// the tracker's downscaled copies of recent frames, so no image-like state outlives capture.
func (t *track) endSession(m ring.Mark) {
	format := m.Format
	if format.Width == 0 {
		format = t.format
	}
	t.out.closed(t.tr.Flush(), format)
	t.tr.Wipe()
	t.inView.Store(0)
	t.fresh = true
}
