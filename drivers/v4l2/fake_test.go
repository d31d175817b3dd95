//go:build linux

package v4l2

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/blackjack/webcam"
	"golang.org/x/sys/unix"
)

// fakeDev is a scripted device. The fields up to tail are set by the test before use; the rest record
// what the Camera did.
type fakeDev struct {
	formats      map[webcam.PixelFormat]string
	sizes        map[webcam.PixelFormat][]webcam.FrameSize
	chooseFmt    webcam.PixelFormat // if non-zero, SetImageFormat answers with this fourcc
	setFmtErr    error
	framerateErr error
	startErr     error
	releaseErr   error

	waits []error     // results of successive WaitForFrame calls; none left means "ready"
	gets  []fakeFrame // results of successive GetFrame calls; none left means EAGAIN
	tail  int         // bytes beyond bytesused in each fake kernel buffer, filled with garbage

	calls     []string
	setFmt    [3]uint32 // fourcc, w, h of the last SetImageFormat
	bufCount  uint32
	fps       float32
	streaming bool
	closed    bool
	waitCalls int
	getCalls  int
	nextIdx   uint32
	held      map[uint32][]byte // dequeued and not released
	released  [][]byte          // whole kernel buffer (to cap) as it was at each ReleaseFrame
	// dirtyAtStop is set if a dequeued buffer still held non-zero bytes at StopStreaming.
	dirtyAtStop bool
}

type fakeFrame struct {
	data []byte
	err  error
}

func (d *fakeDev) log(s string) { d.calls = append(d.calls, s) }

func (d *fakeDev) GetSupportedFormats() map[webcam.PixelFormat]string {
	d.log("formats")
	return d.formats
}

func (d *fakeDev) GetSupportedFrameSizes(f webcam.PixelFormat) []webcam.FrameSize {
	d.log("sizes " + fourcc(f))
	return d.sizes[f]
}

func (d *fakeDev) SetImageFormat(f webcam.PixelFormat, w, h uint32) (webcam.PixelFormat, uint32, uint32, error) {
	d.log(fmt.Sprintf("setfmt %s %dx%d", fourcc(f), w, h))
	if d.setFmtErr != nil {
		return 0, 0, 0, d.setFmtErr
	}
	d.setFmt = [3]uint32{uint32(f), w, h}
	if d.chooseFmt != 0 {
		f = d.chooseFmt
	}
	return f, w, h, nil // echoes the request, like webcam v0.6.1
}

func (d *fakeDev) SetBufferCount(n uint32) error {
	d.log(fmt.Sprintf("bufcount %d", n))
	d.bufCount = n
	return nil
}

func (d *fakeDev) SetFramerate(fps float32) error {
	d.log(fmt.Sprintf("setfps %g", fps))
	if d.framerateErr != nil {
		return d.framerateErr
	}
	d.fps = fps
	return nil
}

func (d *fakeDev) GetFramerate() (float32, error) { return d.fps, nil }

func (d *fakeDev) StartStreaming() error {
	d.log("start")
	if d.startErr != nil {
		return d.startErr
	}
	d.streaming = true
	return nil
}

func (d *fakeDev) WaitForFrame(timeout uint32) error {
	d.waitCalls++
	if timeout != 1 {
		return fmt.Errorf("fake: WaitForFrame(%d), want 1", timeout)
	}
	if len(d.waits) == 0 {
		return nil
	}
	err := d.waits[0]
	d.waits = d.waits[1:]
	return err
}

func (d *fakeDev) GetFrame() ([]byte, uint32, error) {
	d.getCalls++
	if !d.streaming {
		return nil, 0, unix.EINVAL
	}
	if len(d.gets) == 0 {
		return nil, 0, unix.EAGAIN
	}
	g := d.gets[0]
	d.gets = d.gets[1:]
	if g.err != nil {
		return nil, 0, g.err
	}
	buf := make([]byte, len(g.data)+d.tail)
	for i := range buf {
		buf[i] = 0xa5
	}
	copy(buf, g.data)
	idx := d.nextIdx
	d.nextIdx++
	if d.held == nil {
		d.held = map[uint32][]byte{}
	}
	d.held[idx] = buf
	return buf[:len(g.data)], idx, nil
}

func (d *fakeDev) ReleaseFrame(idx uint32) error {
	d.log(fmt.Sprintf("release %d", idx))
	buf, ok := d.held[idx]
	if !ok {
		return fmt.Errorf("fake: release of buffer %d that is not dequeued", idx)
	}
	d.released = append(d.released, bytes.Clone(buf))
	delete(d.held, idx)
	return d.releaseErr
}

func (d *fakeDev) StopStreaming() error {
	d.log("stop")
	if !d.streaming {
		return errors.New("fake: stop when not streaming")
	}
	for _, b := range d.held {
		if !allZero(b) {
			d.dirtyAtStop = true
		}
	}
	d.streaming = false
	return nil
}

func (d *fakeDev) Close() error {
	d.log("close")
	d.closed = true
	return nil
}

func allZero(b []byte) bool {
	for _, v := range b {
		if v != 0 {
			return false
		}
	}
	return true
}

// stepClock advances by step on every reading.
type stepClock struct {
	t    time.Time
	step time.Duration
}

func (c *stepClock) Now() time.Time {
	c.t = c.t.Add(c.step)
	return c.t
}

// newCam returns a Camera on "/dev/video9" whose opener yields dev.
func newCam(t *testing.T, dev *fakeDev, opts Options) *Camera {
	t.Helper()
	c := Open("/dev/video9", opts)
	c.open = func(path string) (device, error) {
		if path != "/dev/video9" {
			t.Errorf("opened %q, want /dev/video9", path)
		}
		return dev, nil
	}
	return c
}

func discrete(w, h uint32) webcam.FrameSize {
	return webcam.FrameSize{MinWidth: w, MaxWidth: w, MinHeight: h, MaxHeight: h}
}
