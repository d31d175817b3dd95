package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"

	"github.com/ashiato/ashiato/agent/control"
	"github.com/ashiato/ashiato/agent/ring"
	"github.com/ashiato/ashiato/agent/zones"
	"github.com/ashiato/ashiato/hal"
)

// minFrameSide is the smallest frame width and height the agent accepts from a camera.
const minFrameSide = 32

// capture is the capture stage. The controller calls stream once per capture session; it moves the
// session's frames from the camera into the ring and ends the session in the ring's stream, so the track
// stage meets every session boundary exactly where it happened, with that session's frame format.
//
// The ring is made by the first session, once the frame size is known, and sent once on rings; finish
// ends the stream for good (or closes rings if capture never started).
type capture struct {
	cam           hal.Camera
	backpressure  bool // wait for a free slot instead of dropping the oldest frame
	slots         int  // ring slots; 0 means the ring's default
	requireLocked bool
	zones         [][][2]float64 // privacy zones, normalised
	newRing       func(ring.Options) (*ring.Ring, error)
	frames        *atomic.Uint64 // frames captured
	log           *slog.Logger
	rings         chan *ring.Ring // capacity 1

	rg  atomic.Pointer[ring.Ring] // set by the first session; read by the status
	seq uint64                    // the next frame's number; sessions run one at a time
}

// stream is one capture session's frame loop (control.Options.Stream): it moves frames into ring slots
// until ctx is done or the camera fails or ends, then ends the session in the ring. The frames still
// waiting are wiped when capture stops for a pause, the schedule or a fault (control.Cause.Wipes), and
// tracked at the end of a source or at shutdown; either way before stream returns, so before the LED
// goes off.
func (c *capture) stream(ctx context.Context, format hal.Format) error {
	if format.Width < minFrameSide || format.Height < minFrameSide {
		return &control.FatalError{Err: fmt.Errorf("agent: camera format %dx%d is too small to track people (at least %dx%d)",
			format.Width, format.Height, minFrameSide, minFrameSide)}
	}
	rg, err := c.ring(format)
	if err != nil {
		return err
	}
	err = c.frameLoop(ctx, rg, format)
	if n := rg.EndSession(format, wipes(ctx, err)); n > 0 {
		c.log.Info("wiped waiting frames", "frames", n)
	}
	return err
}

// wipes decides whether the frames waiting at the end of a session are wiped, from why it ended: the
// controller's cause when it stopped the session, else the camera's own end.
func wipes(ctx context.Context, err error) bool {
	if cause, ok := control.StopCause(ctx); ok {
		return cause.Wipes()
	}
	return !errors.Is(err, io.EOF) // a camera fault stops processing; the end of a source does not
}

// frameLoop reads frames into slots until ctx is done or the camera fails or ends.
func (c *capture) frameLoop(ctx context.Context, rg *ring.Ring, format hal.Format) error {
	var polys []zones.Polygon
	for _, z := range c.zones {
		polys = append(polys, zones.Polygon(z))
	}
	mask := zones.New(polys, format.Width, format.Height)
	start := c.seq
	for {
		var s *ring.Slot
		var err error
		if c.backpressure {
			s, err = rg.AcquireWait(ctx)
		} else {
			s, err = rg.Acquire()
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return &control.FatalError{Err: fmt.Errorf("agent: %w", err)}
		}
		if err := c.cam.ReadFrame(ctx, &s.Frame); err != nil {
			rg.Abandon(s)
			switch {
			case ctx.Err() != nil:
				return ctx.Err()
			case errors.Is(err, io.EOF):
				c.log.Info("source ended", "frames", c.seq)
				return io.EOF
			default:
				return fmt.Errorf("agent: capture stopped after %d frames: %w", c.seq-start, err)
			}
		}
		if s.Frame.Width != format.Width || s.Frame.Height != format.Height || s.Frame.Stride < s.Frame.Width {
			rg.Abandon(s)
			return fmt.Errorf("agent: camera delivered a %dx%d frame, stride %d, after announcing %dx%d",
				s.Frame.Width, s.Frame.Height, s.Frame.Stride, format.Width, format.Height)
		}
		s.Frame.Seq = c.seq
		mask.Apply(&s.Frame) // privacy zones are blanked before anything else reads the frame
		rg.Put(s)
		c.seq++
		c.frames.Add(1)
	}
}

// ring returns the ring, making it on the first session. A later session whose frames do not fit the
// slots is a fatal error: the process restarts with a ring of the new size.
func (c *capture) ring(format hal.Format) (*ring.Ring, error) {
	if rg := c.rg.Load(); rg != nil {
		if format.Size() > rg.SlotSize() {
			return nil, &control.FatalError{Err: fmt.Errorf("agent: camera format changed to %dx%d, larger than the ring's slots",
				format.Width, format.Height)}
		}
		return rg, nil
	}
	rg, err := c.newRing(ring.Options{Slots: c.slots, SlotSize: format.Size()})
	if err != nil {
		return nil, &control.FatalError{Err: fmt.Errorf("agent: %w", err)}
	}
	if !rg.Locked() {
		if c.requireLocked {
			rg.Close()
			return nil, &control.FatalError{Err: fmt.Errorf("%w: %v; set privacy.require_locked_memory = false only for development",
				ErrUnlockedRing, rg.LockErr())}
		}
		c.log.Warn("frame ring is not locked in RAM; frames could reach swap", "err", rg.LockErr())
	}
	c.rg.Store(rg)
	c.rings <- rg
	c.log.Info("frame ring ready", "width", format.Width, "height", format.Height, "fps", format.FPS,
		"slots", rg.Counters().Slots, "ring_locked", rg.Locked())
	return rg, nil
}

// finish ends the ring's stream for good once the controller has returned (no session runs any more):
// the track stage tracks what is left and returns. If capture never started, it tells the track stage
// there is nothing to track.
func (c *capture) finish() {
	if rg := c.rg.Load(); rg != nil {
		rg.Finish()
	}
	close(c.rings)
}

// close wipes and releases the ring once the track stage has returned.
func (c *capture) close() {
	if rg := c.rg.Load(); rg != nil {
		if err := rg.Close(); err != nil {
			c.log.Error("closing ring", "err", err)
		}
	}
}

// ringCounters returns the ring's counters and whether it is locked; zero before the ring exists.
func (c *capture) ringCounters() (ring.Counters, bool) {
	rg := c.rg.Load()
	if rg == nil {
		return ring.Counters{}, false
	}
	return rg.Counters(), rg.Locked()
}
