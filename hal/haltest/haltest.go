// Package haltest provides plain, pokeable fakes of the hal device interfaces for tests, and the one test
// rig every package that drives devices shares: fakes that record into one ordered History, and a checker
// of the capture indicator's invariants over that history (History.Check).
//
// Each fake is a struct with exported fields. Fields marked "guarded by Mu" must be read and written with
// Mu held once the fake is in use by another goroutine. A fake whose Log field is set records what it is
// asked to do in that History (see the event constants); a nil Log records nothing.
//
// A typical rig:
//
//	h := &haltest.History{}
//	cam := &haltest.Camera{Format: hal.Format{Width: 160, Height: 120}, Frames: make(chan []byte), Log: h}
//	led := &haltest.LED{Log: h}
//	… run the code under test, feeding frames with cam.Feed …
//	h.Check(t) // the LED was on whenever the camera streamed, and went off within a second of it stopping
package haltest

import (
	"context"
	"image"
	"image/draw"
	"io"
	"sync"
	"time"

	"github.com/ashiato/ashiato/hal"
)

// Camera is a scripted hal.Camera. Each value received from Frames is copied into the caller's frame as
// one luma image of Format's size; closing Frames ends the stream with io.EOF. Modify its members to
// simulate failures.
type Camera struct {
	Format hal.Format // guarded by Mu once in use; see SetFormat
	// Frames delivers frame contents; a short slice is zero-padded. Closed means end of stream. A nil
	// Frames blocks ReadFrame until ctx is done.
	Frames chan []byte
	// Errs, if not nil, is polled before each frame: an error received from it is returned by ReadFrame.
	Errs chan error
	// Clock gives frame times; nil means time.Now.
	Clock func() time.Time
	// Log, if not nil, records CameraStart, CameraStartFailed and CameraStop.
	Log *History

	Mu        sync.Mutex
	StartErr  error // guarded by Mu; returned by Start
	Streaming bool  // guarded by Mu
	Starts    int   // guarded by Mu
	Stops     int   // guarded by Mu
	Reads     int   // guarded by Mu; frames delivered
}

// Start implements hal.Camera.
func (c *Camera) Start(ctx context.Context) (hal.Format, error) {
	c.Mu.Lock()
	defer c.Mu.Unlock()
	c.Starts++
	if c.StartErr != nil {
		c.Log.Add(CameraStartFailed)
		return hal.Format{}, c.StartErr
	}
	c.Streaming = true
	c.Log.Add(CameraStart)
	return c.Format, nil
}

// ReadFrame implements hal.Camera.
func (c *Camera) ReadFrame(ctx context.Context, f *hal.Frame) error {
	if c.Errs != nil {
		select {
		case err := <-c.Errs:
			return err
		default:
		}
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case err := <-c.Errs:
		return err
	case b, ok := <-c.Frames:
		if !ok {
			return io.EOF
		}
		c.Mu.Lock()
		format := c.Format
		c.Mu.Unlock()
		n := format.Size()
		copy(f.Pix[:n], b)
		if len(b) < n {
			clear(f.Pix[len(b):n])
		}
		f.Width, f.Height, f.Stride = format.Width, format.Height, format.Width
		if c.Clock != nil {
			f.Time = c.Clock()
		} else {
			f.Time = time.Now()
		}
		c.Mu.Lock()
		c.Reads++
		c.Mu.Unlock()
		return nil
	}
}

// Stop implements hal.Camera.
func (c *Camera) Stop() error {
	c.Mu.Lock()
	defer c.Mu.Unlock()
	c.Stops++
	c.Streaming = false
	c.Log.Add(CameraStop)
	return nil
}

// SetFormat changes, under Mu, the format the next Start announces and later frames have: a camera that
// comes back at another resolution. Format must not be changed otherwise while the camera is in use.
func (c *Camera) SetFormat(f hal.Format) {
	c.Mu.Lock()
	c.Format = f
	c.Mu.Unlock()
}

// SetStartErr sets StartErr under Mu.
func (c *Camera) SetStartErr(err error) {
	c.Mu.Lock()
	c.StartErr = err
	c.Mu.Unlock()
}

// FramesRead reports Reads under Mu.
func (c *Camera) FramesRead() int {
	c.Mu.Lock()
	defer c.Mu.Unlock()
	return c.Reads
}

// Feed sends frame(0), frame(1), … on Frames, one every period (a real or synctest clock), until ctx is
// done. A frame waits until the camera reads it, so frames are numbered in the order they were read;
// frame nil sends nil (a black frame).
func (c *Camera) Feed(ctx context.Context, period time.Duration, frame func(k int) []byte) {
	t := time.NewTicker(period)
	defer t.Stop()
	for k := 0; ; k++ {
		var b []byte
		if frame != nil {
			b = frame(k)
		}
		select {
		case c.Frames <- b:
		case <-ctx.Done():
			return
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

// Walker draws frame k of a bright, person-sized block walking left to right over a dark floor, in a
// w×h luma image: a scene the tracker follows as one track.
func Walker(w, h, k int) []byte {
	b := make([]byte, w*h)
	for i := range b {
		b[i] = 40
	}
	bw, top, bottom := max(w/12, 4), h/3, h*5/6
	x0 := 5 + (k*3)%max(w-bw-10, 1)
	for y := top; y < bottom; y++ {
		for x := x0; x < x0+bw && x < w; x++ {
			b[y*w+x] = 220
		}
	}
	return b
}

// IsStreaming reports Streaming under Mu.
func (c *Camera) IsStreaming() bool {
	c.Mu.Lock()
	defer c.Mu.Unlock()
	return c.Streaming
}

// LED is a recording hal.LED.
type LED struct {
	Mu      sync.Mutex
	On      bool   // guarded by Mu; the current state
	History []bool // guarded by Mu; every successful Set, in order
	Err     error  // guarded by Mu; if set, Set fails with it and leaves On unchanged
	// Changed, if not nil, receives the new state after each successful Set (non-blocking send).
	Changed chan bool
	// Log, if not nil, records LEDOn, LEDOff and LEDFailed.
	Log *History
}

// Set implements hal.LED.
func (l *LED) Set(on bool) error {
	l.Mu.Lock()
	if l.Err != nil {
		err := l.Err
		l.Log.Add(LEDFailed)
		l.Mu.Unlock()
		return err
	}
	l.On = on
	l.History = append(l.History, on)
	if on {
		l.Log.Add(LEDOn)
	} else {
		l.Log.Add(LEDOff)
	}
	ch := l.Changed
	l.Mu.Unlock()
	if ch != nil {
		select {
		case ch <- on:
		default:
		}
	}
	return nil
}

// IsOn reports On under Mu.
func (l *LED) IsOn() bool {
	l.Mu.Lock()
	defer l.Mu.Unlock()
	return l.On
}

// SetErr sets Err under Mu.
func (l *LED) SetErr(err error) {
	l.Mu.Lock()
	l.Err = err
	l.Mu.Unlock()
}

// Panel is a recording hal.Panel backed by an *image.Gray.
type Panel struct {
	Rect image.Rectangle // immutable; zero means 250×122

	Mu     sync.Mutex
	Image  *image.Gray // guarded by Mu; what the panel shows
	Draws  int         // guarded by Mu
	Fulls  int         // guarded by Mu; draws with a full refresh
	Halts  int         // guarded by Mu
	Halted bool        // guarded by Mu; true after Halt until the next Draw
	Err    error       // guarded by Mu; if set, Draw fails with it
	// Log, if not nil, records what each successful Draw says, as Says classifies the image.
	Log *History
	// Says classifies a drawn image: NoticeOn, NoticeOff, or "" to record nothing. nil records nothing.
	Says func(img image.Image) string
}

// Bounds implements hal.Panel.
func (p *Panel) Bounds() image.Rectangle {
	if p.Rect.Empty() {
		return image.Rect(0, 0, 250, 122)
	}
	return p.Rect
}

// Draw implements hal.Panel.
func (p *Panel) Draw(img image.Image, full bool) error {
	p.Mu.Lock()
	defer p.Mu.Unlock()
	if p.Err != nil {
		return p.Err
	}
	g := image.NewGray(p.Bounds())
	draw.Draw(g, g.Rect, img, img.Bounds().Min, draw.Src)
	p.Image = g
	p.Draws++
	if full {
		p.Fulls++
	}
	p.Halted = false
	if p.Says != nil {
		if what := p.Says(g); what != "" {
			p.Log.Add(what)
		}
	}
	return nil
}

// Halt implements hal.Panel.
func (p *Panel) Halt() error {
	p.Mu.Lock()
	defer p.Mu.Unlock()
	p.Halts++
	p.Halted = true
	return nil
}

// Button is a hal.Button pressed by sending on Presses (or calling Press).
type Button struct {
	Presses chan time.Time // nil blocks forever
}

// NewButton returns a Button with a buffered Presses channel.
func NewButton() *Button { return &Button{Presses: make(chan time.Time, 8)} }

// Press simulates a press at t.
func (b *Button) Press(t time.Time) { b.Presses <- t }

// WaitPress implements hal.Button.
func (b *Button) WaitPress(ctx context.Context) (time.Time, error) {
	select {
	case <-ctx.Done():
		return time.Time{}, ctx.Err()
	case t := <-b.Presses:
		return t, nil
	}
}

var (
	_ hal.Camera = (*Camera)(nil)
	_ hal.LED    = (*LED)(nil)
	_ hal.Panel  = (*Panel)(nil)
	_ hal.Button = (*Button)(nil)
)
