//go:build linux

package v4l2

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/blackjack/webcam"
	"golang.org/x/sys/unix"

	"github.com/ashiato/ashiato/hal"
)

// device is the part of *webcam.Webcam this package uses, so tests can run without a camera.
type device interface {
	GetSupportedFormats() map[webcam.PixelFormat]string
	GetSupportedFrameSizes(f webcam.PixelFormat) []webcam.FrameSize
	// SetImageFormat returns the requested width and height, not the driver's (webcam v0.6.1 bug).
	SetImageFormat(f webcam.PixelFormat, width, height uint32) (webcam.PixelFormat, uint32, uint32, error)
	SetBufferCount(count uint32) error
	SetFramerate(fps float32) error
	GetFramerate() (float32, error)
	StartStreaming() error
	// WaitForFrame's timeout is in whole seconds; a timeout is a *webcam.Timeout error.
	WaitForFrame(timeout uint32) error
	// GetFrame returns a window onto the mmap'd kernel buffer, valid until ReleaseFrame or StopStreaming.
	GetFrame() ([]byte, uint32, error)
	ReleaseFrame(index uint32) error
	StopStreaming() error
	Close() error
}

var _ device = (*webcam.Webcam)(nil)

// opener opens a device node.
type opener func(path string) (device, error)

func openWebcam(path string) (device, error) {
	w, err := webcam.Open(path)
	if err != nil {
		return nil, err // not a typed nil in an interface
	}
	return w, nil
}

// Camera is a hal.Camera reading a V4L2 device. It is not safe for concurrent use: Start, ReadFrame and
// Stop are called from one goroutine, as hal.Camera requires.
type Camera struct {
	path string // as given to Open; Auto or "" means search at each Start
	opts Options
	open opener
	find func() (string, error)

	// Set by Start, cleared by Stop.
	dev       device
	node      string // the node actually opened
	pf        webcam.PixelFormat
	w, h      int
	sizes     []webcam.FrameSize // as listed for pf, to explain a size mismatch
	delivered bool               // a frame has been delivered since Start

	dropped uint64 // frames dequeued but not delivered (bad size after the first, undecodable MJPEG)
	scratch []byte // MJPEG with a DHT segment inserted; all zero between calls
}

var _ hal.Camera = (*Camera)(nil)

// Open returns a Camera for the device node at path, such as "/dev/video0" or a stable
// "/dev/v4l/by-id/usb-…-video-index0" link; Auto (or "") means the first node FindCaptureNode finds at
// each Start. Nothing touches the device until Start.
func Open(path string, opts Options) *Camera {
	return &Camera{
		path: path,
		opts: opts.withDefaults(),
		open: openWebcam,
		find: func() (string, error) { return FindCaptureNode() },
	}
}

// Start opens the device, picks a pixel format (GREY, then YUYV, then MJPEG) and the listed frame size
// closest to the requested one, sets the frame rate and buffer count, and starts streaming. The returned
// Format is what was requested from the driver; webcam cannot read back the size the driver chose, so
// the first ReadFrame checks it against the frame it gets and fails if they differ.
//
// Opening a node that is absent or unplugged fails with an error wrapping hal.ErrGone (and the OS error,
// so errors.Is(err, os.ErrNotExist) works). A node that lists no capture formats, like the metadata node
// a UVC camera also creates, is rejected. Start fails if the camera is already started.
func (c *Camera) Start(ctx context.Context) (hal.Format, error) {
	if c.dev != nil {
		return hal.Format{}, fmt.Errorf("v4l2: %s: Start while streaming; call Stop first", c.node)
	}
	if err := ctx.Err(); err != nil {
		return hal.Format{}, err
	}
	node := c.path
	if node == "" || node == Auto {
		var err error
		if node, err = c.find(); err != nil {
			return hal.Format{}, err
		}
	}
	dev, err := c.open(node)
	if err != nil {
		return hal.Format{}, openError(node, err)
	}
	ok := false
	defer func() {
		if !ok {
			dev.Close()
		}
	}()

	pf, err := chooseFormat(dev.GetSupportedFormats())
	if err != nil {
		return hal.Format{}, fmt.Errorf("v4l2: %s: %w", node, err)
	}
	sizes := dev.GetSupportedFrameSizes(pf)
	w, h := chooseSize(sizes, c.opts.Width, c.opts.Height)
	// The returned width and height are just our request echoed back (webcam v0.6.1), so they are ignored;
	// the returned fourcc is the driver's.
	got, _, _, err := dev.SetImageFormat(pf, uint32(w), uint32(h))
	if err != nil {
		return hal.Format{}, ioError(node, fmt.Sprintf("set format %s %dx%d", fourcc(pf), w, h), err)
	}
	if got != pf {
		if rank(got) < 0 {
			return hal.Format{}, fmt.Errorf("v4l2: %s: asked for %s, driver chose unsupported %s", node, fourcc(pf), fourcc(got))
		}
		pf, sizes = got, dev.GetSupportedFrameSizes(got)
	}
	if err := dev.SetBufferCount(uint32(c.opts.Buffers)); err != nil {
		return hal.Format{}, fmt.Errorf("v4l2: %s: set buffer count: %w", node, err)
	}
	// A driver without frame-rate control streams at its own rate; that is not worth failing for, and
	// the Format then reports the rate as unknown.
	fps := 0.0
	if err := dev.SetFramerate(float32(c.opts.FPS)); err == nil {
		if r, err := dev.GetFramerate(); err == nil {
			fps = float64(r)
		}
	}
	if err := dev.StartStreaming(); err != nil {
		// github.com/blackjack/webcam v0.6.1's StartStreaming flattens the errno into a string, and when
		// an mmap or an enqueue fails it returns without unmapping the buffers it has already mapped (its
		// Close unmaps only a streaming device); closing the fd is all that can be done here.
		return hal.Format{}, fmt.Errorf("v4l2: %s: %w", node, err)
	}
	ok = true
	c.dev, c.node, c.pf, c.w, c.h, c.sizes, c.delivered = dev, node, pf, w, h, sizes, false
	return hal.Format{Width: w, Height: h, FPS: fps}, nil
}

// ReadFrame blocks until the next frame and writes its luma into f.Pix (Stride == Width), which must hold
// at least Width×Height bytes of the Format Start returned. It sets f.Time (from Options.Clock, when the
// frame is dequeued), f.Width, f.Height and f.Stride, and leaves f.Seq alone. It does not retain f.Pix.
//
// The kernel buffer is zeroed before it is handed back to the driver, whether or not the frame could be
// used. ReadFrame returns ctx.Err() when ctx is done (noticed within about a second), an error wrapping
// hal.ErrStalled when no usable frame arrives within Options.StallTimeout, and an error wrapping
// hal.ErrGone when the device has been unplugged (ENODEV, ENXIO, EIO). If the first frame after Start
// does not have the requested size, it fails with an error naming the sizes; later frames of the wrong
// size, and MJPEG frames that do not decode, are dropped and counted (see Dropped).
func (c *Camera) ReadFrame(ctx context.Context, f *hal.Frame) error {
	if c.dev == nil {
		return errors.New("v4l2: ReadFrame before Start")
	}
	n := c.w * c.h
	if len(f.Pix) < n {
		return fmt.Errorf("v4l2: %s: frame buffer holds %d bytes, %dx%d needs %d", c.node, len(f.Pix), c.w, c.h, n)
	}
	since := c.opts.Clock()
	stalled := func() error {
		if waited := c.opts.Clock().Sub(since); waited >= c.opts.StallTimeout {
			return fmt.Errorf("v4l2: %s: no usable frame for %v: %w", c.node, waited.Round(time.Millisecond), hal.ErrStalled)
		}
		return nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := c.dev.WaitForFrame(1)
		if _, ok := errors.AsType[*webcam.Timeout](err); ok {
			if err := stalled(); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return ioError(c.node, "wait for frame", err)
		}
		buf, idx, err := c.dev.GetFrame()
		if errors.Is(err, unix.EAGAIN) {
			if err := stalled(); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return ioError(c.node, "dequeue frame", err)
		}
		t := c.opts.Clock()
		cerr := c.convert(buf, f.Pix[:n])
		// The kernel buffer held the frame: wipe all of it, not just bytesused, before the driver gets it
		// back (and before it could be unmapped by Stop).
		clear(buf[:cap(buf)])
		if err := c.dev.ReleaseFrame(idx); err != nil {
			if cerr == nil {
				clear(f.Pix[:n])
			}
			return ioError(c.node, "requeue buffer", err)
		}
		if cerr == nil {
			c.delivered = true
			f.Time, f.Width, f.Height, f.Stride = t, c.w, c.h, c.w
			return nil
		}
		if _, ok := errors.AsType[*sizeError](cerr); ok && !c.delivered {
			return cerr
		}
		c.dropped++
		if err := stalled(); err != nil {
			return fmt.Errorf("%w (last frame: %v)", err, cerr)
		}
	}
}

// Dropped is the number of frames dequeued since Open that ReadFrame could not use (a wrong size after
// the first frame, an MJPEG frame that did not decode). Such frames still count towards a stall.
func (c *Camera) Dropped() uint64 { return c.dropped }

// Stop zeroes every frame the driver has completed but ReadFrame has not yet taken, then stops streaming
// and closes the device. It is safe to call when not started, and more than once. The device is closed
// even if stopping fails.
//
// Limits (webcam gives no other access to its buffers): a frame the driver finishes between the last
// drain and STREAMOFF is unmapped without being zeroed; the memory is freed by the kernel when the fd
// closes and is never mapped into this process again.
func (c *Camera) Stop() error {
	dev := c.dev
	if dev == nil {
		return nil
	}
	c.dev = nil
	// Completed frames sit in the driver's done queue; dequeue and wipe them, and do not requeue them,
	// so the driver cannot fill them again before STREAMOFF. The bound only guards against a device that
	// keeps answering; V4L2 allows at most 64 buffers.
	for range 64 {
		buf, _, err := dev.GetFrame()
		if err != nil {
			break
		}
		clear(buf[:cap(buf)])
	}
	var errs []error
	if err := dev.StopStreaming(); err != nil {
		errs = append(errs, ioError(c.node, "stop streaming", err))
	}
	if err := dev.Close(); err != nil {
		errs = append(errs, ioError(c.node, "close", err))
	}
	return errors.Join(errs...)
}

// convert writes the luma of one w×h frame in c.pf into dst (len w×h). It only reads src.
func (c *Camera) convert(src, dst []byte) error {
	n := c.w * c.h
	switch c.pf {
	case pixGREY:
		if len(src) != n {
			return c.sizeErr(len(src), n, 1)
		}
		copy(dst, src)
	case pixYUYV:
		if len(src) != 2*n {
			return c.sizeErr(len(src), 2*n, 2)
		}
		// Y0 U Y1 V: luma is every even byte.
		for i := range dst {
			dst[i] = src[2*i]
		}
	case pixMJPG, pixJPEG:
		w, h, err := decodeLuma(src, dst, c.w, c.h, &c.scratch)
		if err != nil {
			if w != 0 && (w != c.w || h != c.h) {
				return &sizeError{node: c.node, format: fourcc(c.pf), wantW: c.w, wantH: c.h, gotW: w, gotH: h}
			}
			return fmt.Errorf("v4l2: %s: %w", c.node, err)
		}
	default:
		panic("BUG: v4l2: streaming unsupported format " + fourcc(c.pf))
	}
	return nil
}

// sizeErr describes a raw frame of got bytes where want (bpp bytes per pixel) were expected, naming a
// listed size that matches got if there is one.
func (c *Camera) sizeErr(got, want, bpp int) error {
	e := &sizeError{node: c.node, format: fourcc(c.pf), wantW: c.w, wantH: c.h, gotBytes: got, wantBytes: want}
	for _, s := range c.sizes {
		if s.StepWidth == 0 && s.StepHeight == 0 && int(s.MaxWidth*s.MaxHeight)*bpp == got {
			e.gotW, e.gotH = int(s.MaxWidth), int(s.MaxHeight)
			break
		}
	}
	return e
}

// sizeError reports a frame whose size is not the one requested from the driver.
type sizeError struct {
	node, format        string
	wantW, wantH        int
	gotW, gotH          int // 0 if unknown
	gotBytes, wantBytes int // 0 for decoded formats
}

func (e *sizeError) Error() string {
	s := fmt.Sprintf("v4l2: %s: driver delivers frames of another size than the requested %dx%d %s", e.node, e.wantW, e.wantH, e.format)
	if e.wantBytes != 0 {
		s += fmt.Sprintf(" (%d bytes, want %d)", e.gotBytes, e.wantBytes)
	}
	if e.gotW != 0 {
		s += fmt.Sprintf("; they look like %dx%d", e.gotW, e.gotH)
	}
	return s + "; request a size that Formats lists"
}

// openError explains why node could not be opened and what to do about it. An absent or vanished node
// wraps hal.ErrGone as well as the OS error, so errors.Is(err, os.ErrNotExist) works.
func openError(node string, err error) error {
	switch {
	case isGone(err) || errors.Is(err, unix.ENOENT):
		return fmt.Errorf("v4l2: open %s: %w: %w; is the camera plugged in? `ls /dev/v4l/by-id/` lists the "+
			"USB cameras by a name that does not change between boots", node, err, hal.ErrGone)
	case errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM):
		return fmt.Errorf("v4l2: open %s: %w; camera nodes belong to group video: add the user to it "+
			"(sudo usermod -aG video $USER, then log in again; the systemd unit has SupplementaryGroups=video)", node, err)
	case errors.Is(err, unix.EBUSY):
		return fmt.Errorf("v4l2: open %s: %w; another program is using the camera (the ashiato service? "+
			"sudo systemctl stop ashiato)", node, err)
	}
	return fmt.Errorf("v4l2: open %s: %w", node, err)
}

// Probe checks that the camera at path can be opened and lists a pixel format this package can use, and
// returns the node; for Auto (or "") it returns the node FindCaptureNode finds. It opens the device, asks
// for its formats and closes it: nothing is streamed, so no frame is captured and the capture LED may be
// off. Errors say what to do (see Start).
func Probe(path string) (string, error) {
	return probe(openWebcam, func() (string, error) { return FindCaptureNode() }, path)
}

func probe(open opener, find func() (string, error), path string) (string, error) {
	if path == "" || path == Auto {
		return find()
	}
	dev, err := open(path)
	if err != nil {
		return "", openError(path, err)
	}
	defer dev.Close()
	if _, err := chooseFormat(dev.GetSupportedFormats()); err != nil {
		return "", fmt.Errorf("v4l2: %s: %w", path, err)
	}
	return path, nil
}

// isGone reports whether err means the device has vanished (USB unplug).
func isGone(err error) bool {
	return errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENXIO) || errors.Is(err, unix.EIO)
}

// ioError wraps a device error, adding hal.ErrGone when it means the device has vanished.
func ioError(node, op string, err error) error {
	if isGone(err) {
		return fmt.Errorf("v4l2: %s: %s: %w: %w", node, op, err, hal.ErrGone)
	}
	return fmt.Errorf("v4l2: %s: %s: %w", node, op, err)
}
