package haltest

import (
	"context"
	"fmt"
	"sync"

	"github.com/ashiato/ashiato/hal"
)

// WatchedCamera is a Camera that records, at each of its calls, whether the LED is lit as Lit reports
// it, and can be made to fail after a number of frames. It checks the capture indicator from the
// camera's side: where History.Check checks the order of events, a WatchedCamera asks the LED itself at
// the moment of each call.
type WatchedCamera struct {
	*Camera
	Lit func() bool // the LED's state as the hardware (or fake) shows it; called at each camera call

	FailAfter int   // with FailErr set, ReadFrame fails from this many frames on
	FailErr   error // returned by ReadFrame from the FailAfter-th call on, when not nil

	mu    sync.Mutex
	watch Watch
}

// Watch is what a WatchedCamera recorded: the LED's state at each call, in order.
type Watch struct {
	Starts []bool // at each Start, before the camera starts
	Reads  []bool // at each ReadFrame call, before it reads
	Frames []bool // after each ReadFrame that delivered a frame
	Stops  []bool // at each Stop, before the camera stops
	Dirty  int    // ReadFrame calls that found the caller's buffer not wiped (not all zero)
}

// Start records the LED's state, then starts the camera.
func (c *WatchedCamera) Start(ctx context.Context) (hal.Format, error) {
	c.mu.Lock()
	c.watch.Starts = append(c.watch.Starts, c.Lit())
	c.mu.Unlock()
	return c.Camera.Start(ctx)
}

// ReadFrame records the LED's state and whether f.Pix was wiped, reads a frame (or fails as FailAfter and
// FailErr say) and, if it delivered one, records the LED's state again.
func (c *WatchedCamera) ReadFrame(ctx context.Context, f *hal.Frame) error {
	c.mu.Lock()
	c.watch.Reads = append(c.watch.Reads, c.Lit())
	for _, v := range f.Pix {
		if v != 0 {
			c.watch.Dirty++
			break
		}
	}
	n := len(c.watch.Reads) - 1
	c.mu.Unlock()
	if c.FailErr != nil && n >= c.FailAfter {
		return c.FailErr
	}
	if err := c.Camera.ReadFrame(ctx, f); err != nil {
		return err
	}
	c.mu.Lock()
	c.watch.Frames = append(c.watch.Frames, c.Lit())
	c.mu.Unlock()
	return nil
}

// Stop records the LED's state, then stops the camera.
func (c *WatchedCamera) Stop() error {
	c.mu.Lock()
	c.watch.Stops = append(c.watch.Stops, c.Lit())
	c.mu.Unlock()
	return c.Camera.Stop()
}

// Watched returns a copy of what the camera has recorded so far.
func (c *WatchedCamera) Watched() Watch {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.watch
	w.Starts = append([]bool(nil), w.Starts...)
	w.Reads = append([]bool(nil), w.Reads...)
	w.Frames = append([]bool(nil), w.Frames...)
	w.Stops = append([]bool(nil), w.Stops...)
	return w
}

// Dark returns an error naming the first call at which the LED was dark, among the starts, the frames
// delivered, and (when reads and stops say so) every ReadFrame call and every stop; and an error if the
// camera was never started (or, with stops, never stopped). It returns nil if the LED was lit at all of
// them.
func (w Watch) Dark(reads, stops bool) error {
	if len(w.Starts) == 0 || (stops && len(w.Stops) == 0) {
		return fmt.Errorf("camera started %d and stopped %d times; want both", len(w.Starts), len(w.Stops))
	}
	for _, k := range []struct {
		name  string
		on    []bool
		check bool
	}{{"start", w.Starts, true}, {"read", w.Reads, reads}, {"frame", w.Frames, true}, {"stop", w.Stops, stops}} {
		if !k.check {
			continue
		}
		for i, on := range k.on {
			if !on {
				return fmt.Errorf("LED dark at camera %s %d (starts %v, reads %v, frames %v, stops %v)",
					k.name, i, w.Starts, w.Reads, w.Frames, w.Stops)
			}
		}
	}
	return nil
}
