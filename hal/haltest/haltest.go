// Package haltest provides plain, pokeable fakes of the hal device interfaces for tests.
//
// Each fake is a struct with exported fields. Fields marked "guarded by Mu" must be read and written with
// Mu held once the fake is in use by another goroutine.
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
	Format hal.Format // immutable once in use
	// Frames delivers frame contents; a short slice is zero-padded. Closed means end of stream. A nil
	// Frames blocks ReadFrame until ctx is done.
	Frames chan []byte
	// Errs, if not nil, is polled before each frame: an error received from it is returned by ReadFrame.
	Errs chan error
	// Clock gives frame times; nil means time.Now.
	Clock func() time.Time

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
		return hal.Format{}, c.StartErr
	}
	c.Streaming = true
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
		n := c.Format.Size()
		copy(f.Pix[:n], b)
		if len(b) < n {
			clear(f.Pix[len(b):n])
		}
		f.Width, f.Height, f.Stride = c.Format.Width, c.Format.Height, c.Format.Width
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
	return nil
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
}

// Set implements hal.LED.
func (l *LED) Set(on bool) error {
	l.Mu.Lock()
	if l.Err != nil {
		err := l.Err
		l.Mu.Unlock()
		return err
	}
	l.On = on
	l.History = append(l.History, on)
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
