// Package synth is a hal.Camera that renders a deterministic synthetic shop-floor scene, with its own ground truth.
//
// The scene is a tiled floor seen by a ceiling-corner camera with mild perspective. People enter and leave at
// the image edges and walk at 1.0–1.6 m/s; some walk in pairs, some cross each other's path, and a few pause
// for a few seconds. A person is a grey silhouette (head, torso, arms and legs with a walking gait) with a
// faint shadow, in clothing clearly darker or brighter than the floor. Every frame has sensor noise, and the
// lighting drifts by a few percent over a minute.
//
// Everything follows from Options: the same Options give bit-identical frames and ground truth on the same
// GOARCH (floating-point results may differ between architectures, e.g. where arm64 fuses multiply-adds).
// Frame k and its truth depend only on k, so the truth of any frame is computed without rendering.
package synth

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ashiato/ashiato/hal"
)

// Pace says when ReadFrame delivers frames.
type Pace int

const (
	// PaceRealtime delivers frame k at Epoch + k/FPS wall-clock time.
	PaceRealtime Pace = iota
	// PaceASAP delivers frames as fast as they are read; timestamps still advance by 1/FPS.
	PaceASAP
)

// String returns "realtime" or "asap".
func (p Pace) String() string {
	switch p {
	case PaceRealtime:
		return "realtime"
	case PaceASAP:
		return "asap"
	}
	return "Pace(" + strconv.Itoa(int(p)) + ")"
}

// Options describe a scene. The zero value is the default scene: 640×480 at 10 fps, endless, seed 0, 12
// walkers a minute, realtime.
type Options struct {
	Width, Height int     // pixels, each 16–4096; 0 means 640 and 480
	FPS           float64 // frames per second, up to 1000; 0 means 10
	// Frames is the length of the scene; 0 means endless. Otherwise ReadFrame returns io.EOF after this many
	// frames.
	Frames int
	// Seed selects the scene; the same Options give bit-identical frames and ground truth.
	Seed uint64
	// Walkers is the average number of people entering per minute, up to 600; 0 means 12 and a negative
	// value means nobody (an empty floor).
	Walkers int
	// Pace is PaceRealtime (the zero value) or PaceASAP.
	Pace Pace
	// Epoch is the timestamp of frame 0; the zero value means time.Now() at the first Start.
	Epoch time.Time
}

// withDefaults fills in zero fields and checks ranges.
func (o Options) withDefaults() (Options, error) {
	if o.Width == 0 {
		o.Width = 640
	}
	if o.Height == 0 {
		o.Height = 480
	}
	if o.FPS == 0 {
		o.FPS = 10
	}
	if o.Walkers == 0 {
		o.Walkers = 12
	}
	switch {
	case o.Width < 16 || o.Width > 4096 || o.Height < 16 || o.Height > 4096:
		return o, fmt.Errorf("synth: size %d×%d outside 16–4096", o.Width, o.Height)
	case !(o.FPS > 0 && o.FPS <= 1000):
		return o, fmt.Errorf("synth: fps %g outside (0, 1000]", o.FPS)
	case o.Frames < 0:
		return o, fmt.Errorf("synth: negative frame count %d", o.Frames)
	case o.Walkers > 600:
		return o, fmt.Errorf("synth: %d walkers a minute is more than 600", o.Walkers)
	case o.Pace != PaceRealtime && o.Pace != PaceASAP:
		return o, fmt.Errorf("synth: unknown %v", o.Pace)
	}
	return o, nil
}

// ParseSpec parses a source spec: "synth", or "synth:" followed by comma-separated key=value settings:
// frames, seed, w, h, fps, rate (walkers a minute; rate=0 means an empty floor) and pace (realtime or asap),
// e.g. "synth:frames=600,seed=3,w=640,h=480,fps=10,rate=12,pace=asap". Unknown or repeated keys and bad
// values are errors. Keys not given keep the Options zero value, i.e. the default.
func ParseSpec(s string) (Options, error) {
	var o Options
	name, rest, ok := strings.Cut(s, ":")
	if name != "synth" {
		return o, fmt.Errorf("synth: spec %q does not start with synth", s)
	}
	if !ok || rest == "" {
		return o, nil
	}
	seen := map[string]bool{}
	for _, kv := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || v == "" {
			return o, fmt.Errorf("synth: %q in spec %q is not key=value", kv, s)
		}
		if seen[k] {
			return o, fmt.Errorf("synth: key %q repeated in spec %q", k, s)
		}
		seen[k] = true
		var err error
		switch k {
		case "frames":
			o.Frames, err = strconv.Atoi(v)
		case "seed":
			o.Seed, err = strconv.ParseUint(v, 10, 64)
		case "w":
			o.Width, err = strconv.Atoi(v)
			if err == nil && o.Width <= 0 {
				err = errors.New("must be positive")
			}
		case "h":
			o.Height, err = strconv.Atoi(v)
			if err == nil && o.Height <= 0 {
				err = errors.New("must be positive")
			}
		case "fps":
			o.FPS, err = strconv.ParseFloat(v, 64)
			if err == nil && !(o.FPS > 0) {
				err = errors.New("must be positive")
			}
		case "rate":
			o.Walkers, err = strconv.Atoi(v)
			switch {
			case err != nil:
			case o.Walkers < 0:
				err = errors.New("must not be negative")
			case o.Walkers == 0:
				o.Walkers = -1
			}
		case "pace":
			switch v {
			case "realtime":
				o.Pace = PaceRealtime
			case "asap":
				o.Pace = PaceASAP
			default:
				err = errors.New("is not realtime or asap")
			}
		default:
			return o, fmt.Errorf("synth: unknown key %q in spec %q", k, s)
		}
		if err != nil {
			return Options{}, fmt.Errorf("synth: %s=%s: %v", k, v, err)
		}
	}
	if _, err := o.withDefaults(); err != nil {
		return Options{}, err
	}
	return o, nil
}

// Box is a person's ground-truth box in one frame: the bounding box of the pixels their silhouette covers
// in the image (so it is clipped to the image and has whole-pixel edges; a shadow is not part of it). The
// foot point is the bottom-centre (Left+Width/2, Top+Height). For a person h metres tall (1.55–1.90) wholly
// in view with feet on row y of an image H rows high, Height is about (60 + 50·y/H)·(H/480)·(h/1.7) pixels.
type Box struct {
	ID                       int // the same for a person's whole visit, never reused; positive, not consecutive
	Left, Top, Width, Height float64
}

// FeetInView reports whether the person of truth box b (the visible part) in a width×height picture can
// be given a foot point: the box does not reach the bottom edge (the feet would be below the picture),
// and a box cut by the left or right edge shows at least half of the person (the scene's people are 0.32
// times as wide as tall, median), so the middle of the visible part is within a quarter of a width of
// where the person stands. Scorers treat the other boxes as ignored people, which is the tracker's rule
// (tracker.Config.EdgeInView at its default).
func FeetInView(b Box, width, height int) bool {
	if b.Top+b.Height >= float64(height)-0.5 {
		return false
	}
	side := b.Left <= 0.5 || b.Left+b.Width >= float64(width)-0.5
	return !side || b.Width >= 0.5*0.32*b.Height
}

// Camera renders the scene. It implements hal.Camera; like any hal.Camera, Start, ReadFrame and Stop are
// called from one goroutine. Truth may be called from any goroutine at any time.
type Camera struct {
	opts  Options // with defaults
	err   error   // from Options, reported by Start
	sc    *scene
	floor []byte // synthetic floor texture, built at the first Start; never holds captured pixels

	streaming bool
	started   bool // Start has succeeded before
	next      int  // index of the next frame to deliver
	epoch     time.Time
	timer     *time.Timer
	figs      []figure // scratch: walker geometry of the frame being rendered
}

// New returns a camera for the scene opts describes. It does no work; bad Options are reported by Start.
func New(opts Options) *Camera {
	o, err := opts.withDefaults()
	c := &Camera{opts: o, err: err}
	if err == nil {
		c.sc = newScene(o)
	}
	return c
}

// Format returns the frame format the camera delivers.
func (c *Camera) Format() hal.Format {
	return hal.Format{Width: c.opts.Width, Height: c.opts.Height, FPS: c.opts.FPS}
}

// Start begins streaming. The first Start builds the floor texture (a few tens of milliseconds at 640×480)
// and, if Options.Epoch is zero, takes time.Now() as the epoch. Start after Stop continues the scene: with
// PaceASAP at the next frame, with PaceRealtime at the first frame not yet due, as if the scene had kept
// going while stopped.
func (c *Camera) Start(ctx context.Context) (hal.Format, error) {
	if c.err != nil {
		return hal.Format{}, c.err
	}
	if err := ctx.Err(); err != nil {
		return hal.Format{}, err
	}
	if c.floor == nil {
		c.floor = makeFloor(c.sc, c.opts.Width, c.opts.Height)
	}
	switch {
	case !c.started:
		c.epoch = c.opts.Epoch
		if c.epoch.IsZero() {
			c.epoch = time.Now()
		}
	case c.opts.Pace == PaceRealtime:
		// Skip to the first frame due now or later.
		now := time.Now()
		k := max(c.next, int(now.Sub(c.epoch).Seconds()*c.opts.FPS))
		for c.FrameTime(k).Before(now) {
			k++
		}
		c.next = k
	}
	c.started, c.streaming = true, true
	return c.Format(), nil
}

// FrameTime is the timestamp of frame k: Epoch + k/FPS. It is meaningful once Start has succeeded.
func (c *Camera) FrameTime(k int) time.Time {
	return c.epoch.Add(time.Duration(math.Round(float64(k) * float64(time.Second) / c.opts.FPS)))
}

// frameSec is the scene time of frame k in seconds.
func (c *Camera) frameSec(k int) float64 { return float64(k) / c.opts.FPS }

// ReadFrame renders the next frame into f.Pix, which must hold at least Width×Height bytes, and sets f.Time,
// f.Width, f.Height and f.Stride (= Width). It keeps no reference to f.Pix. With PaceRealtime it first
// waits until the frame is due, returning ctx.Err() if ctx is done before. It returns io.EOF after
// Options.Frames frames.
func (c *Camera) ReadFrame(ctx context.Context, f *hal.Frame) error {
	if !c.streaming {
		return errors.New("synth: ReadFrame while not streaming")
	}
	if c.opts.Frames > 0 && c.next >= c.opts.Frames {
		return io.EOF
	}
	if n := c.opts.Width * c.opts.Height; len(f.Pix) < n {
		return fmt.Errorf("synth: frame buffer of %d bytes is smaller than %d", len(f.Pix), n)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	due := c.FrameTime(c.next)
	if c.opts.Pace == PaceRealtime {
		if d := time.Until(due); d > 0 {
			if c.timer == nil {
				c.timer = time.NewTimer(d)
			} else {
				c.timer.Reset(d)
			}
			select {
			case <-ctx.Done():
				c.timer.Stop()
				return ctx.Err()
			case <-c.timer.C:
			}
		}
	}
	c.render(c.next, f.Pix)
	f.Time, f.Width, f.Height, f.Stride = due, c.opts.Width, c.opts.Height, c.opts.Width
	c.next++
	return nil
}

// Stop ends streaming. The camera holds no frame data between calls, so there is nothing to wipe.
func (c *Camera) Stop() error {
	c.streaming = false
	if c.timer != nil {
		c.timer.Stop()
	}
	return nil
}

// Truth returns the ground truth of frame k (0-based), in increasing ID order: one box for every person of
// whom at least one pixel is in view. It does not render and does not depend on streaming; it returns nil
// for bad Options or a negative k.
func (c *Camera) Truth(k int) []Box {
	if c.sc == nil || k < 0 {
		return nil
	}
	figs := c.sc.figures(c.frameSec(k), nil)
	boxes := make([]Box, len(figs))
	for i := range figs {
		boxes[i] = figs[i].box
	}
	return boxes
}

// frameCount resolves a caller's frame count against Options.Frames.
func frameCount(o Options, frames int) int {
	if o.Frames > 0 && (frames <= 0 || frames > o.Frames) {
		return o.Frames
	}
	return frames
}

// WriteGroundTruth writes the truth of frames [0, frames) in MOT15 text form, one line per box:
// "frame,id,left,top,width,height,1,-1,-1,-1" with 1-based frame numbers, ordered by frame then id.
// frames ≤ 0, or more than Options.Frames when that is set, means Options.Frames; an endless scene needs
// frames > 0.
func WriteGroundTruth(w io.Writer, opts Options, frames int) error {
	c := New(opts)
	if c.err != nil {
		return c.err
	}
	frames = frameCount(c.opts, frames)
	if frames <= 0 {
		return errors.New("synth: ground truth of an endless scene needs a frame count")
	}
	bw := bufio.NewWriter(w)
	var line []byte
	var figs []figure
	for k := range frames {
		figs = c.sc.figures(c.frameSec(k), figs[:0])
		for i := range figs {
			b := figs[i].box
			line = strconv.AppendInt(line[:0], int64(k+1), 10)
			line = append(line, ',')
			line = strconv.AppendInt(line, int64(b.ID), 10)
			for _, v := range [4]float64{b.Left, b.Top, b.Width, b.Height} {
				line = append(line, ',')
				line = strconv.AppendFloat(line, v, 'f', 2, 64)
			}
			line = append(line, ",1,-1,-1,-1\n"...)
			if _, err := bw.Write(line); err != nil {
				return fmt.Errorf("synth: writing ground truth: %w", err)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("synth: writing ground truth: %w", err)
	}
	return nil
}

// PeopleIn returns the number of distinct people in view in frames [0, frames) (frames is resolved as in
// WriteGroundTruth); it returns 0 for bad Options.
func PeopleIn(opts Options, frames int) int {
	c := New(opts)
	if c.err != nil {
		return 0
	}
	frames = frameCount(c.opts, frames)
	var ids []int
	var figs []figure
	for k := range frames {
		figs = c.sc.figures(c.frameSec(k), figs[:0])
		for i := range figs {
			if j, found := slices.BinarySearch(ids, figs[i].id); !found {
				ids = slices.Insert(ids, j, figs[i].id)
			}
		}
	}
	return len(ids)
}

var _ hal.Camera = (*Camera)(nil)
