// Package hal defines the device seams between the agent and the hardware: camera, LED, panel and button.
//
// The agent sees devices only through these interfaces. Drivers implement them on top of periph.io's bus
// interfaces or the V4L2 API; hal/haltest holds fakes for tests. hal imports only the standard library.
package hal

import (
	"context"
	"errors"
	"image"
	"time"
)

// Frame is one 8-bit luma (grey) image.
//
// Pix is owned by whoever allocated it, normally a slot of the agent's locked frame ring. A Camera writes into
// it and must not keep a reference to it, or copy its bytes anywhere else, once ReadFrame returns.
type Frame struct {
	// Seq is the 0-based index of the frame since capture started. The capture stage sets it.
	Seq uint64
	// Time is when the frame was captured, or its timestamp in a replay. The camera sets it.
	Time time.Time
	// Width and Height are the image size in pixels. The camera sets them.
	Width, Height int
	// Stride is the distance in bytes between the starts of two rows; it is at least Width.
	Stride int
	// Pix holds the luma samples, row by row. The pixel at (x, y) is Pix[y*Stride+x].
	Pix []byte
}

// Format is what a camera delivers once it streams.
type Format struct {
	Width, Height int
	// FPS is the nominal frame rate; 0 means unknown.
	FPS float64
}

// Size is the number of bytes one frame of this format needs with Stride == Width.
func (f Format) Size() int { return f.Width * f.Height }

// ErrStalled is returned (wrapped) by Camera.ReadFrame when a device delivers no frame within its timeout.
// The camera may be restarted after Stop.
var ErrStalled = errors.New("camera stalled")

// ErrGone is returned (wrapped) by a Camera when the device has vanished (unplugged, ENODEV, EIO).
var ErrGone = errors.New("camera gone")

// Camera is a source of luma frames: a live V4L2 device, a replayed video, or a synthetic scene.
//
// The methods are called from one goroutine; a Camera need not be safe for concurrent use.
type Camera interface {
	// Start opens the device and begins streaming. Frames are being captured from the moment Start is
	// called, so the caller turns the indicator on first. Start may be called again after Stop.
	Start(ctx context.Context) (Format, error)
	// ReadFrame blocks until the next frame and writes its luma into f.Pix, which has room for at least
	// Format.Size() bytes. It sets f.Time, f.Width, f.Height and f.Stride and leaves f.Seq alone. It must
	// not retain f.Pix. It returns io.EOF when a finite source has ended, an error wrapping ErrStalled or
	// ErrGone for those conditions, ctx.Err() when ctx is done, and any other error for bad input.
	ReadFrame(ctx context.Context, f *Frame) error
	// Stop ends streaming and wipes and releases any buffers that held frame data. It is safe to call
	// when not streaming.
	Stop() error
}

// LED is the capture indicator. On must mean frames are being captured.
type LED interface {
	// Set switches the LED. An error means the LED's state is unknown.
	Set(on bool) error
}

// Panel is a public notice display, such as an e-ink panel. It mirrors periph's display.Drawer.
type Panel interface {
	// Bounds is the panel's size in pixels, in its drawing orientation.
	Bounds() image.Rectangle
	// Draw shows img, with a full refresh if full is true and a partial refresh otherwise (a panel that has
	// no partial refresh does a full one). It blocks until the panel has finished updating.
	Draw(img image.Image, full bool) error
	// Halt puts the panel into its lowest-power state, keeping the image shown.
	Halt() error
}

// Button is a push button, such as the pause button.
type Button interface {
	// WaitPress blocks until the button is pressed (debounced) or ctx is done, and returns the time of the
	// press. It returns ctx.Err() when ctx is done.
	WaitPress(ctx context.Context) (time.Time, error)
}
