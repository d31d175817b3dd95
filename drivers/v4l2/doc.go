// Package v4l2 implements hal.Camera for a V4L2 capture device (a USB UVC webcam) on github.com/blackjack/webcam.
//
// Frames are dequeued with webcam.GetFrame, never webcam.ReadFrame: the mmap'd kernel buffer is read in
// place, its luma is written straight into the caller's hal.Frame.Pix, the whole kernel buffer (up to its
// capacity) is zeroed, and only then is it handed back to the driver with ReleaseFrame. So the only lasting
// copy of a frame is the caller's Pix. The one exception is MJPEG, whose decoding needs heap memory; see
// the privacy note on decodeLuma in mjpeg.go.
//
// Pixel formats are preferred in the order GREY, YUYV, MJPEG (MJPG or JPEG fourcc).
//
// Facts about webcam v0.6.1 (webcam.go, v4l2.go in github.com/blackjack/webcam) that shape this code:
//   - ReadFrame re-queues the buffer (VIDIOC_QBUF) before it returns the slice, so the driver may already
//     be overwriting what the caller reads; GetFrame + ReleaseFrame keeps the buffer ours until released
//     (blackjack/webcam#16).
//   - SetImageFormat returns the requested width and height, not the driver's, so the size is checked on
//     the first frame instead.
//   - StartStreaming does not unmap its buffers when it fails halfway (blackjack/webcam#70).
//   - WaitForFrame's timeout is in whole seconds; the default buffer count is 256, so it is always set.
//   - Open accepts any node whose device (not node) capabilities include capture, such as a UVC camera's
//     metadata node, which lists no formats; such nodes are rejected here.
//
// The package needs Linux. Elsewhere it builds, but Open's camera, Formats, FindCaptureNode and Probe
// return an error wrapping errors.ErrUnsupported (the webcam library does not even build on Windows).
package v4l2

import (
	"fmt"
	"time"
)

// Auto is the path that makes Start look for a capture node with FindCaptureNode. An empty path means
// the same.
const Auto = "auto"

// Options configures a Camera. The zero value asks for 640×480 at 10 fps with 4 buffers.
type Options struct {
	// Width and Height are the requested frame size; the closest size the device lists is used. A zero
	// Width means 640 and a zero Height means 480.
	Width, Height int
	// FPS is the requested frame rate; 0 means 10. A device that rejects it streams at its own rate.
	FPS float64
	// Buffers is the number of kernel frame buffers to request; 0 (or less) means 4. The driver may
	// grant a different number.
	Buffers int
	// StallTimeout is how long ReadFrame waits for a frame before it fails with hal.ErrStalled; 0 means
	// 3s. The wait is polled in whole seconds, so a stall is noticed up to a second late.
	StallTimeout time.Duration
	// Clock gives frame times and measures stalls; nil means time.Now.
	Clock func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Width <= 0 {
		o.Width = 640
	}
	if o.Height <= 0 {
		o.Height = 480
	}
	if o.FPS <= 0 {
		o.FPS = 10
	}
	if o.Buffers <= 0 {
		o.Buffers = 4
	}
	if o.StallTimeout <= 0 {
		o.StallTimeout = 3 * time.Second
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	return o
}

// FormatInfo describes one pixel format a device lists, for diagnostics and installer self-tests.
type FormatInfo struct {
	FourCC      string // e.g. "YUYV", "MJPG"
	Description string // the driver's text, e.g. "YUYV 4:2:2"
	Usable      bool   // whether Camera can capture in this format
	Sizes       []FrameSize
}

// FrameSize is one frame size a device lists for a format: a discrete size (Min == Max, Step 0) or a
// stepwise range.
type FrameSize struct {
	MinWidth, MaxWidth, StepWidth    int
	MinHeight, MaxHeight, StepHeight int
}

// String formats a discrete size as "640x480" and a range as "[160-1280;16]x[120-720;8]".
func (s FrameSize) String() string {
	if s.StepWidth == 0 && s.StepHeight == 0 {
		return fmt.Sprintf("%dx%d", s.MaxWidth, s.MaxHeight)
	}
	return fmt.Sprintf("[%d-%d;%d]x[%d-%d;%d]", s.MinWidth, s.MaxWidth, s.StepWidth, s.MinHeight, s.MaxHeight, s.StepHeight)
}
