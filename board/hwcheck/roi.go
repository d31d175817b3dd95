package hwcheck

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ashiato/ashiato/hal"
	"github.com/ashiato/ashiato/internal/roiview"
)

// DefaultROICols is the width of ShowROI's drawing in terminal columns unless -cols says otherwise.
const DefaultROICols = 100

// ShowROI draws one live frame on out, a terminal, with view's layers over it (the floor area of interest,
// the privacy zones and the tracker's edge bands), so the installer can check them against what the
// camera sees. It refuses, before touching a device, when out is not a terminal (roiview.ErrNotTerminal):
// the frame is rendered, never saved. As the capture check does, it switches the LED on before the camera
// starts and off only after it has stopped; it grabs o.Frames frames (so that exposure settles) into one
// buffer, wiped before each frame, keeps the last, draws it once the camera has stopped and the LED is
// off, and wipes it. The buffer is o.Buffer's, or one outside the Go heap, locked where allowed.
func ShowROI(ctx context.Context, d *Devices, o Options, out io.Writer, cols int, view roiview.Layers) error {
	if !roiview.IsTerminal(out) {
		return fmt.Errorf("hwcheck -roi: %w", roiview.ErrNotTerminal)
	}
	if cols < roiview.MinCols || cols > roiview.MaxCols {
		return fmt.Errorf("hwcheck -roi: -cols %d is outside %d..%d", cols, roiview.MinCols, roiview.MaxCols)
	}
	o = o.withDefaults()
	switch {
	case d.BoardErr != nil:
		return fmt.Errorf("hwcheck -roi: %w", d.BoardErr)
	case d.Camera == nil:
		return errors.New("hwcheck -roi: no camera: run `ashiato hwcheck` to see why")
	case d.LED == nil:
		err := d.LEDErr
		if err == nil {
			err = errors.New("no LED configured")
		}
		return fmt.Errorf("hwcheck -roi: frames are captured only while the capture LED is on: %w (%s)", err, ledHint(err, d.Wiring))
	}
	if err := d.LED.Set(true); err != nil {
		_ = d.LED.Set(false)
		return fmt.Errorf("hwcheck -roi: the LED cannot be switched on: %w (%s)", err, ledHint(err, d.Wiring))
	}
	fmt.Fprintf(o.Progress, "roi: the LED is on while %d frames are grabbed; the last is drawn\n", o.Frames)
	f, release, err := grabLast(ctx, d.Camera, o)
	defer release() // wipes the frame
	stopErr := d.Camera.Stop()
	if offErr := d.LED.Set(false); offErr != nil {
		return fmt.Errorf("hwcheck -roi: the LED could not be switched off after capture: %w (%s)", offErr, ledHint(offErr, d.Wiring))
	}
	if err != nil {
		return fmt.Errorf("hwcheck -roi: %w (%s)", err, captureHint(err))
	}
	if stopErr != nil {
		return fmt.Errorf("hwcheck -roi: stopping the camera: %w (%s)", stopErr, captureHint(stopErr))
	}
	return roiview.Show(out, roiview.Frame{Pix: f.Pix, Width: f.Width, Height: f.Height, Stride: f.Stride}, cols, view)
}

// grabLast starts cam and reads o.Frames frames into one buffer, wiped before each, and returns the last
// and a release that wipes (and frees) the buffer. The caller stops the camera and calls release.
func grabLast(ctx context.Context, cam hal.Camera, o Options) (hal.Frame, func(), error) {
	format, err := cam.Start(ctx)
	if err != nil {
		return hal.Frame{}, func() {}, err
	}
	n := format.Size()
	if n <= 0 {
		return hal.Frame{}, func() {}, fmt.Errorf("hwcheck: camera reports an empty format %dx%d", format.Width, format.Height)
	}
	var buf []byte
	release := func() { clear(buf) }
	if o.Buffer != nil {
		buf = o.Buffer(n)
	} else {
		b, free, err := lockedBuffer(n)
		if err != nil {
			return hal.Frame{}, func() {}, err
		}
		buf, release = b, free
	}
	if len(buf) < n {
		release()
		return hal.Frame{}, func() {}, fmt.Errorf("hwcheck: frame buffer holds %d bytes, %d needed", len(buf), n)
	}
	f := hal.Frame{Pix: buf}
	for range o.Frames {
		clear(buf)
		fctx, cancel := context.WithTimeout(ctx, o.FrameTimeout)
		err := cam.ReadFrame(fctx, &f)
		cancel()
		if err != nil {
			release()
			if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
				err = fmt.Errorf("hwcheck: no frame within %v: %w", o.FrameTimeout, hal.ErrStalled)
			}
			return hal.Frame{}, func() {}, err
		}
	}
	if f.Width <= 0 || f.Height <= 0 || f.Stride < f.Width || (f.Height-1)*f.Stride+f.Width > len(buf) {
		release()
		return hal.Frame{}, func() {}, fmt.Errorf("hwcheck: camera returned a frame of inconsistent geometry %dx%d stride %d", f.Width, f.Height, f.Stride)
	}
	return f, release, nil
}
