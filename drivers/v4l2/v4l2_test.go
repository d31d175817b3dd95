//go:build linux

package v4l2

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/blackjack/webcam"
	"golang.org/x/sys/unix"

	"github.com/ashiato/ashiato/hal"
)

func TestChooseFormat(t *testing.T) {
	const rgb3 = webcam.PixelFormat('R' | 'G'<<8 | 'B'<<16 | '3'<<24)
	const ba81 = webcam.PixelFormat('B' | 'A'<<8 | '8'<<16 | '1'<<24)
	tests := []struct {
		name    string
		formats []webcam.PixelFormat
		want    webcam.PixelFormat
		wantErr string
	}{
		{"all three", []webcam.PixelFormat{pixMJPG, pixYUYV, pixGREY}, pixGREY, ""},
		{"yuyv over mjpeg", []webcam.PixelFormat{pixMJPG, rgb3, pixYUYV}, pixYUYV, ""},
		{"mjpeg only usable", []webcam.PixelFormat{rgb3, pixMJPG}, pixMJPG, ""},
		{"jpeg fourcc", []webcam.PixelFormat{pixJPEG}, pixJPEG, ""},
		{"mjpg over jpeg", []webcam.PixelFormat{pixJPEG, pixMJPG}, pixMJPG, ""},
		{"metadata node", nil, 0, "no capture formats"},
		{"bayer only", []webcam.PixelFormat{ba81, rgb3}, 0, "BA81, RGB3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := map[webcam.PixelFormat]string{}
			for _, f := range tt.formats {
				m[f] = "desc " + fourcc(f)
			}
			got, err := chooseFormat(m)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("chooseFormat = %s, %v; want error containing %q", fourcc(got), err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("chooseFormat = %s, %v; want %s", fourcc(got), err, fourcc(tt.want))
			}
		})
	}
}

func TestFourcc(t *testing.T) {
	for _, f := range []webcam.PixelFormat{pixGREY, pixYUYV, pixMJPG, pixJPEG} {
		s := fourcc(f)
		if len(s) != 4 {
			t.Fatalf("fourcc(%#x) = %q", uint32(f), s)
		}
	}
	if got := fourcc(0x56595559); got != "YUYV" {
		t.Errorf("fourcc(0x56595559) = %q, want YUYV", got)
	}
	if got := fourcc(0x47504a4d); got != "MJPG" {
		t.Errorf("fourcc(0x47504a4d) = %q, want MJPG", got)
	}
}

func TestChooseSize(t *testing.T) {
	disc := []webcam.FrameSize{discrete(1280, 720), discrete(320, 240), discrete(640, 480), discrete(160, 120)}
	step := []webcam.FrameSize{{MinWidth: 48, MaxWidth: 1920, StepWidth: 16, MinHeight: 32, MaxHeight: 1080, StepHeight: 8}}
	tests := []struct {
		name         string
		sizes        []webcam.FrameSize
		w, h         int
		wantW, wantH int
	}{
		{"exact discrete", disc, 640, 480, 640, 480},
		{"nearest discrete", disc, 600, 450, 640, 480},
		{"small request", disc, 100, 100, 160, 120},
		{"large request", disc, 4000, 3000, 1280, 720},
		{"between, tie → smaller", []webcam.FrameSize{discrete(300, 200), discrete(340, 200)}, 320, 200, 300, 200},
		{"stepwise on grid", step, 640, 480, 640, 480},
		{"stepwise rounds", step, 645, 483, 640, 480},
		{"stepwise rounds up", step, 655, 485, 656, 488},
		{"stepwise clamps", step, 4000, 10, 1920, 32},
		{"stepwise max off grid", []webcam.FrameSize{{MinWidth: 0, MaxWidth: 10, StepWidth: 4, MinHeight: 0, MaxHeight: 10, StepHeight: 4}}, 10, 10, 8, 8},
		{"continuous (zeros) ignored", []webcam.FrameSize{{}}, 333, 222, 333, 222},
		{"none listed", nil, 333, 222, 333, 222},
		{"mixed picks discrete exact", append([]webcam.FrameSize{{}}, disc...), 320, 240, 320, 240},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, h := chooseSize(tt.sizes, tt.w, tt.h)
			if w != tt.wantW || h != tt.wantH {
				t.Fatalf("chooseSize(%d×%d) = %d×%d, want %d×%d", tt.w, tt.h, w, h, tt.wantW, tt.wantH)
			}
		})
	}
}

func yuyvDev() *fakeDev {
	return &fakeDev{
		formats: map[webcam.PixelFormat]string{pixYUYV: "YUYV 4:2:2", pixMJPG: "Motion-JPEG"},
		sizes: map[webcam.PixelFormat][]webcam.FrameSize{
			pixYUYV: {discrete(640, 480), discrete(320, 240), discrete(4, 2)},
			pixMJPG: {discrete(1280, 720), discrete(640, 480)},
		},
	}
}

func TestStartConfiguresDevice(t *testing.T) {
	dev := yuyvDev()
	c := newCam(t, dev, Options{})
	f, err := c.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if f != (hal.Format{Width: 640, Height: 480, FPS: 10}) {
		t.Errorf("Format = %+v, want 640x480 at 10 fps", f)
	}
	if dev.setFmt != [3]uint32{uint32(pixYUYV), 640, 480} {
		t.Errorf("SetImageFormat(%s, %d, %d), want YUYV 640x480", fourcc(webcam.PixelFormat(dev.setFmt[0])), dev.setFmt[1], dev.setFmt[2])
	}
	if dev.bufCount != 4 {
		t.Errorf("buffer count %d, want 4", dev.bufCount)
	}
	if !dev.streaming {
		t.Error("not streaming after Start")
	}
	// Format and buffer count must be set before the buffers are allocated by StartStreaming.
	iFmt, iBuf, iStart := slices.Index(dev.calls, "setfmt YUYV 640x480"), slices.Index(dev.calls, "bufcount 4"), slices.Index(dev.calls, "start")
	if iFmt < 0 || iBuf < 0 || iStart < 0 || iFmt > iStart || iBuf > iStart {
		t.Errorf("call order %v: want setfmt and bufcount before start", dev.calls)
	}
	if _, err := c.Start(context.Background()); err == nil {
		t.Error("second Start while streaming succeeded")
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
}

func TestStartOptions(t *testing.T) {
	dev := yuyvDev()
	c := newCam(t, dev, Options{Width: 300, Height: 250, FPS: 5, Buffers: 3})
	f, err := c.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if f != (hal.Format{Width: 320, Height: 240, FPS: 5}) {
		t.Errorf("Format = %+v, want 320x240 at 5 fps", f)
	}
	if dev.bufCount != 3 || dev.fps != 5 {
		t.Errorf("buffers %d fps %g, want 3 and 5", dev.bufCount, dev.fps)
	}
}

func TestStartFramerateUnsupported(t *testing.T) {
	dev := yuyvDev()
	dev.framerateErr = unix.ENOTTY
	c := newCam(t, dev, Options{})
	f, err := c.Start(context.Background())
	if err != nil {
		t.Fatalf("Start failed on a device without frame-rate control: %v", err)
	}
	if f.FPS != 0 {
		t.Errorf("FPS = %g, want 0 (unknown)", f.FPS)
	}
}

func TestStartDriverPicksOtherFormat(t *testing.T) {
	const rgb3 = webcam.PixelFormat('R' | 'G'<<8 | 'B'<<16 | '3'<<24)
	dev := yuyvDev()
	dev.chooseFmt = rgb3
	c := newCam(t, dev, Options{})
	if _, err := c.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "RGB3") {
		t.Fatalf("Start = %v, want an error naming RGB3", err)
	}
	if !dev.closed {
		t.Error("device not closed after failed Start")
	}

	dev = yuyvDev()
	dev.chooseFmt = pixMJPG
	c = newCam(t, dev, Options{})
	if _, err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c.pf != pixMJPG {
		t.Errorf("streaming %s, want the driver's MJPG", fourcc(c.pf))
	}
}

func TestStartFailuresCloseDevice(t *testing.T) {
	tests := []struct {
		name    string
		mod     func(*fakeDev)
		wantErr string
	}{
		{"metadata node", func(d *fakeDev) { d.formats = nil }, "no capture formats"},
		{"set format", func(d *fakeDev) { d.setFmtErr = unix.EBUSY }, "device or resource busy"},
		{"start streaming", func(d *fakeDev) { d.startErr = errors.New("Failed to map request buffers: nope") }, "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dev := yuyvDev()
			tt.mod(dev)
			c := newCam(t, dev, Options{})
			_, err := c.Start(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "v4l2: /dev/video9") {
				t.Fatalf("Start = %v, want v4l2: /dev/video9 … %q", err, tt.wantErr)
			}
			if !dev.closed {
				t.Error("device not closed after failed Start")
			}
			if err := c.Stop(); err != nil {
				t.Errorf("Stop after failed Start = %v", err)
			}
		})
	}
}

func TestStartOpenErrors(t *testing.T) {
	// The real webcam.Open on a path that does not exist.
	c := Open(filepath.Join(t.TempDir(), "video0"), Options{})
	_, err := c.Start(context.Background())
	if !errors.Is(err, os.ErrNotExist) || !errors.Is(err, hal.ErrGone) {
		t.Fatalf("Start on a missing node = %v, want os.ErrNotExist and hal.ErrGone", err)
	}
	c = Open("/dev/video9", Options{})
	c.open = func(string) (device, error) { return nil, unix.EACCES }
	_, err = c.Start(context.Background())
	if !errors.Is(err, unix.EACCES) || errors.Is(err, hal.ErrGone) {
		t.Fatalf("Start on a forbidden node = %v, want EACCES and not ErrGone", err)
	}
}

// Probe opens, checks and closes without streaming, and its errors name the node and say what to do.
func TestProbe(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "video99")
	_, err := Probe(missing) // the real webcam.Open
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "plugged in") {
		t.Errorf("Probe(missing) = %v; want ErrNotExist naming the node and saying to plug the camera in", err)
	}
	noFind := func() (string, error) { t.Fatal("Probe searched for a node it was given"); return "", nil }
	deny := func(string) (device, error) { return nil, unix.EACCES }
	if _, err := probe(deny, noFind, "/dev/video0"); !errors.Is(err, unix.EACCES) || !strings.Contains(err.Error(), "group video") {
		t.Errorf("Probe(forbidden) = %v; want EACCES and the advice to join group video", err)
	}
	busy := func(string) (device, error) { return nil, unix.EBUSY }
	if _, err := probe(busy, noFind, "/dev/video0"); !errors.Is(err, unix.EBUSY) || !strings.Contains(err.Error(), "another program") {
		t.Errorf("Probe(busy) = %v", err)
	}
	dev := yuyvDev()
	got, err := probe(func(string) (device, error) { return dev, nil }, noFind, "/dev/video0")
	if err != nil || got != "/dev/video0" {
		t.Fatalf("Probe(camera) = %q, %v", got, err)
	}
	if dev.streaming || !dev.closed || slices.Contains(dev.calls, "start") {
		t.Errorf("Probe left the device streaming=%v closed=%v (calls %v)", dev.streaming, dev.closed, dev.calls)
	}
	meta := &fakeDev{}
	if _, err := probe(func(string) (device, error) { return meta, nil }, noFind, "/dev/video1"); err == nil || !strings.Contains(err.Error(), "no capture formats") {
		t.Errorf("Probe(metadata node) = %v", err)
	}
	found, err := probe(deny, func() (string, error) { return "/dev/video4", nil }, Auto)
	if err != nil || found != "/dev/video4" {
		t.Errorf("Probe(auto) = %q, %v", found, err)
	}
}

func TestStartCancelled(t *testing.T) {
	dev := yuyvDev()
	c := newCam(t, dev, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Start(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Start = %v, want context.Canceled", err)
	}
	if len(dev.calls) != 0 {
		t.Errorf("device touched: %v", dev.calls)
	}
}

func TestOpenIsLazy(t *testing.T) {
	opened := false
	c := Open("/dev/video9", Options{})
	c.open = func(string) (device, error) { opened = true; return yuyvDev(), nil }
	if opened {
		t.Fatal("Open touched the device")
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("Stop before Start = %v", err)
	}
	if opened {
		t.Fatal("Stop before Start touched the device")
	}
	if err := c.ReadFrame(context.Background(), &hal.Frame{Pix: make([]byte, 640*480)}); err == nil {
		t.Fatal("ReadFrame before Start succeeded")
	}
}

func TestAutoPath(t *testing.T) {
	dev := yuyvDev()
	c := Open(Auto, Options{})
	var opened string
	c.find = func() (string, error) { return "/dev/v4l/by-id/usb-cam-video-index0", nil }
	c.open = func(p string) (device, error) { opened = p; return dev, nil }
	if _, err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if opened != "/dev/v4l/by-id/usb-cam-video-index0" {
		t.Errorf("opened %q", opened)
	}

	c = Open("", Options{})
	c.find = func() (string, error) { return "", errors.New("v4l2: no usable capture node") }
	if _, err := c.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "no usable") {
		t.Errorf("Start with nothing found = %v", err)
	}
}

// startSmall starts a camera streaming pf at 4×2 on a fake device.
func startSmall(t *testing.T, pf webcam.PixelFormat, dev *fakeDev, clk *stepClock) *Camera {
	t.Helper()
	dev.formats = map[webcam.PixelFormat]string{pf: "x"}
	dev.sizes = map[webcam.PixelFormat][]webcam.FrameSize{pf: {discrete(4, 2), discrete(8, 4)}}
	opts := Options{Width: 4, Height: 2}
	if clk != nil {
		opts.Clock = clk.Now
	}
	c := newCam(t, dev, opts)
	f, err := c.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if f.Width != 4 || f.Height != 2 {
		t.Fatalf("Format %+v, want 4x2", f)
	}
	return c
}

func TestReadFrameYUYV(t *testing.T) {
	dev := &fakeDev{tail: 16}
	clk := &stepClock{t: time.Unix(1000, 0), step: time.Millisecond}
	c := startSmall(t, pixYUYV, dev, clk)
	// Y0 U Y1 V for 4×2 pixels: luma 10..17, chroma 200+.
	frame := []byte{10, 200, 11, 201, 12, 202, 13, 203, 14, 204, 15, 205, 16, 206, 17, 207}
	dev.gets = []fakeFrame{{data: frame}}
	f := hal.Frame{Seq: 42, Pix: make([]byte, 8)}
	if err := c.ReadFrame(context.Background(), &f); err != nil {
		t.Fatal(err)
	}
	if want := []byte{10, 11, 12, 13, 14, 15, 16, 17}; !slices.Equal(f.Pix, want) {
		t.Errorf("Pix = %v, want %v", f.Pix, want)
	}
	if f.Width != 4 || f.Height != 2 || f.Stride != 4 || f.Seq != 42 {
		t.Errorf("frame %dx%d stride %d seq %d", f.Width, f.Height, f.Stride, f.Seq)
	}
	// Clock readings: one at the start of ReadFrame, one at dequeue.
	if want := time.Unix(1000, 0).Add(2 * time.Millisecond); !f.Time.Equal(want) {
		t.Errorf("Time = %v, want %v (the clock at dequeue)", f.Time, want)
	}
	checkReleasedZero(t, dev, 1, len(frame)+16)
}

func TestReadFrameGREY(t *testing.T) {
	dev := &fakeDev{tail: 8}
	c := startSmall(t, pixGREY, dev, nil)
	frame := []byte{0, 1, 2, 250, 251, 252, 253, 255}
	dev.gets = []fakeFrame{{data: frame}}
	f := hal.Frame{Pix: make([]byte, 12)} // larger than needed: the tail stays untouched
	for i := range f.Pix {
		f.Pix[i] = 99
	}
	if err := c.ReadFrame(context.Background(), &f); err != nil {
		t.Fatal(err)
	}
	if want := []byte{0, 1, 2, 250, 251, 252, 253, 255, 99, 99, 99, 99}; !slices.Equal(f.Pix, want) {
		t.Errorf("Pix = %v, want %v", f.Pix, want)
	}
	if f.Time.IsZero() {
		t.Error("Time not set")
	}
	checkReleasedZero(t, dev, 1, len(frame)+8)
}

// checkReleasedZero asserts that n buffers were released and each was all zero, over size bytes (its
// whole capacity; -1 skips the length check), at the moment it went back to the driver.
func checkReleasedZero(t *testing.T, dev *fakeDev, n, size int) {
	t.Helper()
	if len(dev.released) != n {
		t.Fatalf("%d buffers released, want %d", len(dev.released), n)
	}
	for i, b := range dev.released {
		if size >= 0 && len(b) != size {
			t.Errorf("released buffer %d has %d bytes, want %d", i, len(b), size)
		}
		if !allZero(b) {
			t.Errorf("released buffer %d not zeroed: %v", i, b)
		}
	}
	if len(dev.held) != 0 {
		t.Errorf("%d buffers still dequeued", len(dev.held))
	}
}

func TestReadFramePixTooSmall(t *testing.T) {
	dev := &fakeDev{}
	c := startSmall(t, pixGREY, dev, nil)
	dev.gets = []fakeFrame{{data: make([]byte, 8)}}
	if err := c.ReadFrame(context.Background(), &hal.Frame{Pix: make([]byte, 7)}); err == nil {
		t.Fatal("ReadFrame into a 7-byte Pix succeeded")
	}
	if dev.getCalls != 0 {
		t.Error("a frame was dequeued although it could not be stored")
	}
}

func TestSizeMismatch(t *testing.T) {
	// The driver silently delivers 8×4 although 4×2 was requested.
	dev := &fakeDev{}
	c := startSmall(t, pixYUYV, dev, nil)
	dev.gets = []fakeFrame{{data: make([]byte, 8*4*2)}}
	f := hal.Frame{Pix: make([]byte, 8)}
	err := c.ReadFrame(context.Background(), &f)
	if err == nil {
		t.Fatal("ReadFrame accepted a frame of the wrong size")
	}
	for _, s := range []string{"v4l2: /dev/video9", "4x2", "64 bytes, want 16", "8x4"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
	if errors.Is(err, hal.ErrStalled) || errors.Is(err, hal.ErrGone) {
		t.Errorf("size mismatch reported as stall/gone: %v", err)
	}
	checkReleasedZero(t, dev, 1, 64)
}

func TestLaterBadFramesDropped(t *testing.T) {
	dev := &fakeDev{}
	c := startSmall(t, pixGREY, dev, nil)
	good1 := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	good2 := []byte{8, 7, 6, 5, 4, 3, 2, 1}
	dev.gets = []fakeFrame{{data: good1}, {data: []byte{9, 9, 9}}, {data: good2}}
	f := hal.Frame{Pix: make([]byte, 8)}
	if err := c.ReadFrame(context.Background(), &f); err != nil || !slices.Equal(f.Pix, good1) {
		t.Fatalf("first ReadFrame = %v, %v", err, f.Pix)
	}
	if err := c.ReadFrame(context.Background(), &f); err != nil || !slices.Equal(f.Pix, good2) {
		t.Fatalf("second ReadFrame = %v, %v; want the short frame skipped", err, f.Pix)
	}
	if c.Dropped() != 1 {
		t.Errorf("Dropped = %d, want 1", c.Dropped())
	}
	checkReleasedZero(t, dev, 3, -1)
}

func TestErrorMapping(t *testing.T) {
	tests := []struct {
		name   string
		waits  []error
		gets   []fakeFrame
		gone   bool
		errno  error
		stall  bool
		nWaits int // expected WaitForFrame calls, 0 = do not check
	}{
		{name: "dequeue ENODEV", gets: []fakeFrame{{err: unix.ENODEV}}, gone: true, errno: unix.ENODEV},
		{name: "dequeue EIO", gets: []fakeFrame{{err: unix.EIO}}, gone: true, errno: unix.EIO},
		{name: "wait ENXIO", waits: []error{unix.ENXIO}, gone: true, errno: unix.ENXIO},
		{name: "dequeue EINVAL", gets: []fakeFrame{{err: unix.EINVAL}}, errno: unix.EINVAL},
		{name: "timeouts", waits: []error{&webcam.Timeout{}, &webcam.Timeout{}, &webcam.Timeout{}, &webcam.Timeout{}, &webcam.Timeout{}}, stall: true, nWaits: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dev := &fakeDev{}
			clk := &stepClock{t: time.Unix(0, 0), step: time.Second}
			c := startSmall(t, pixGREY, dev, clk)
			dev.waits, dev.gets = tt.waits, tt.gets
			err := c.ReadFrame(context.Background(), &hal.Frame{Pix: make([]byte, 8)})
			if err == nil {
				t.Fatal("ReadFrame succeeded")
			}
			if got := errors.Is(err, hal.ErrGone); got != tt.gone {
				t.Errorf("errors.Is(%v, ErrGone) = %v, want %v", err, got, tt.gone)
			}
			if got := errors.Is(err, hal.ErrStalled); got != tt.stall {
				t.Errorf("errors.Is(%v, ErrStalled) = %v, want %v", err, got, tt.stall)
			}
			if tt.errno != nil && !errors.Is(err, tt.errno) {
				t.Errorf("error %v does not wrap %v", err, tt.errno)
			}
			if !strings.HasPrefix(err.Error(), "v4l2: ") {
				t.Errorf("error %q lacks the v4l2: prefix", err)
			}
			if tt.nWaits != 0 && dev.waitCalls != tt.nWaits {
				t.Errorf("%d WaitForFrame calls, want %d", dev.waitCalls, tt.nWaits)
			}
		})
	}
}

func TestStallTimeoutOption(t *testing.T) {
	dev := &fakeDev{}
	clk := &stepClock{t: time.Unix(0, 0), step: time.Second}
	dev.formats = map[webcam.PixelFormat]string{pixGREY: "x"}
	c := newCam(t, dev, Options{Width: 4, Height: 2, StallTimeout: 10 * time.Second, Clock: clk.Now})
	if _, err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		dev.waits = append(dev.waits, &webcam.Timeout{})
	}
	err := c.ReadFrame(context.Background(), &hal.Frame{Pix: make([]byte, 8)})
	if !errors.Is(err, hal.ErrStalled) || dev.waitCalls != 10 {
		t.Fatalf("ReadFrame = %v after %d waits, want ErrStalled after 10", err, dev.waitCalls)
	}
}

func TestEAGAINRetried(t *testing.T) {
	dev := &fakeDev{}
	c := startSmall(t, pixGREY, dev, nil)
	frame := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	dev.gets = []fakeFrame{{err: unix.EAGAIN}, {err: unix.EAGAIN}, {data: frame}}
	dev.waits = []error{nil, &webcam.Timeout{}, nil, nil}
	f := hal.Frame{Pix: make([]byte, 8)}
	if err := c.ReadFrame(context.Background(), &f); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.Pix, frame) || dev.getCalls != 3 || dev.waitCalls != 4 {
		t.Errorf("Pix %v after %d gets, %d waits; want the frame after 3 gets and 4 waits", f.Pix, dev.getCalls, dev.waitCalls)
	}
}

func TestStallWhileEAGAIN(t *testing.T) {
	// poll says ready but DQBUF never yields: still a stall, not a spin.
	dev := &fakeDev{}
	clk := &stepClock{t: time.Unix(0, 0), step: time.Second}
	c := startSmall(t, pixGREY, dev, clk)
	err := c.ReadFrame(context.Background(), &hal.Frame{Pix: make([]byte, 8)})
	if !errors.Is(err, hal.ErrStalled) {
		t.Fatalf("ReadFrame = %v, want ErrStalled", err)
	}
}

func TestReadFrameCancelled(t *testing.T) {
	dev := &fakeDev{}
	c := startSmall(t, pixGREY, dev, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dev.gets = []fakeFrame{{data: make([]byte, 8)}}
	if err := c.ReadFrame(ctx, &hal.Frame{Pix: make([]byte, 8)}); !errors.Is(err, context.Canceled) {
		t.Fatalf("ReadFrame = %v, want context.Canceled", err)
	}
	if dev.getCalls != 0 {
		t.Error("dequeued a frame after ctx was done")
	}

	// Cancelled while waiting: noticed at the next 1 s wait.
	ctx, cancel = context.WithCancel(context.Background())
	dev.waits = []error{&webcam.Timeout{}}
	n := 0
	c.opts.Clock = func() time.Time {
		n++
		if n == 2 {
			cancel()
		}
		return time.Unix(0, 0)
	}
	if err := c.ReadFrame(ctx, &hal.Frame{Pix: make([]byte, 8)}); !errors.Is(err, context.Canceled) {
		t.Fatalf("ReadFrame = %v, want context.Canceled", err)
	}
}

func TestReleaseError(t *testing.T) {
	dev := &fakeDev{releaseErr: unix.ENODEV}
	c := startSmall(t, pixGREY, dev, nil)
	dev.gets = []fakeFrame{{data: []byte{1, 2, 3, 4, 5, 6, 7, 8}}}
	f := hal.Frame{Pix: make([]byte, 8)}
	err := c.ReadFrame(context.Background(), &f)
	if !errors.Is(err, hal.ErrGone) {
		t.Fatalf("ReadFrame = %v, want ErrGone", err)
	}
	if !allZero(f.Pix) {
		t.Errorf("Pix %v left filled although ReadFrame failed", f.Pix)
	}
	checkReleasedZero(t, dev, 1, 8)
}

func TestStop(t *testing.T) {
	dev := &fakeDev{tail: 4}
	c := startSmall(t, pixGREY, dev, nil)
	// Two completed frames the caller never read.
	dev.gets = []fakeFrame{{data: []byte{1, 1, 1, 1, 1, 1, 1, 1}}, {data: []byte{2, 2, 2, 2, 2, 2, 2, 2}}}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if dev.streaming || !dev.closed {
		t.Errorf("streaming %v closed %v after Stop", dev.streaming, dev.closed)
	}
	if len(dev.gets) != 0 || len(dev.held) != 2 {
		t.Errorf("Stop drained %d of 2 frames", 2-len(dev.gets))
	}
	if dev.dirtyAtStop {
		t.Error("drained buffers not zeroed before StopStreaming")
	}
	if len(dev.released) != 0 {
		t.Error("Stop requeued drained buffers")
	}
	calls := len(dev.calls)
	if err := c.Stop(); err != nil {
		t.Fatalf("second Stop = %v", err)
	}
	if len(dev.calls) != calls {
		t.Errorf("second Stop touched the device: %v", dev.calls[calls:])
	}
	if err := c.ReadFrame(context.Background(), &hal.Frame{Pix: make([]byte, 8)}); err == nil {
		t.Error("ReadFrame after Stop succeeded")
	}
}

func TestRestartAfterStop(t *testing.T) {
	dev := &fakeDev{}
	c := startSmall(t, pixGREY, dev, nil)
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	dev.closed = false
	if _, err := c.Start(context.Background()); err != nil {
		t.Fatalf("Start after Stop = %v", err)
	}
	dev.gets = []fakeFrame{{data: []byte{1, 2, 3, 4, 5, 6, 7, 8}}}
	if err := c.ReadFrame(context.Background(), &hal.Frame{Pix: make([]byte, 8)}); err != nil {
		t.Fatal(err)
	}
}

func TestFindCaptureNode(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"video0", "video1", "video2", "video3"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	byID := filepath.Join(dir, "by-id")
	if err := os.Mkdir(byID, 0o700); err != nil {
		t.Fatal(err)
	}
	// A by-id link to the metadata node: probed once, through the link.
	if err := os.Symlink(filepath.Join(dir, "video1"), filepath.Join(byID, "usb-cam-video-index1")); err != nil {
		t.Fatal(err)
	}
	const rggb = webcam.PixelFormat('R' | 'G'<<8 | 'G'<<16 | 'B'<<24)
	var probed []string
	open := func(p string) (device, error) {
		probed = append(probed, filepath.Base(p))
		switch filepath.Base(p) {
		case "video0":
			return nil, unix.EACCES
		case "video1", "usb-cam-video-index1":
			return &fakeDev{}, nil // metadata node: no formats
		case "video2":
			return &fakeDev{formats: map[webcam.PixelFormat]string{rggb: "bayer"}}, nil
		default:
			return yuyvDev(), nil
		}
	}
	got, err := findCaptureNode(open, []string{filepath.Join(byID, "*"), filepath.Join(dir, "video*")})
	if err != nil {
		t.Fatal(err)
	}
	if got != filepath.Join(dir, "video3") {
		t.Errorf("found %q, want video3", got)
	}
	if want := []string{"usb-cam-video-index1", "video0", "video2", "video3"}; !slices.Equal(probed, want) {
		t.Errorf("probed %v, want %v", probed, want)
	}

	probed = nil
	_, err = findCaptureNode(open, []string{filepath.Join(dir, "video[012]")})
	if err == nil {
		t.Fatal("found a node among unusable ones")
	}
	for _, s := range []string{"permission denied", "no capture formats", "RGGB"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
	if _, err := findCaptureNode(open, []string{filepath.Join(dir, "nothing*")}); err == nil || !strings.Contains(err.Error(), "no video device") {
		t.Errorf("no match: %v", err)
	}
}

func TestFormats(t *testing.T) {
	dev := yuyvDev()
	dev.formats[pixGREY] = "Greyscale"
	dev.sizes[pixGREY] = []webcam.FrameSize{{MinWidth: 160, MaxWidth: 1280, StepWidth: 16, MinHeight: 120, MaxHeight: 720, StepHeight: 8}}
	const h264 = webcam.PixelFormat('H' | '2'<<8 | '6'<<16 | '4'<<24)
	dev.formats[h264] = "H.264"
	got, err := formats(func(string) (device, error) { return dev, nil }, "/dev/video0")
	if err != nil {
		t.Fatal(err)
	}
	var summary []string
	for _, fi := range got {
		var sizes []string
		for _, s := range fi.Sizes {
			sizes = append(sizes, s.String())
		}
		summary = append(summary, fi.FourCC+" "+fi.Description+" "+strings.Join(sizes, ",")+" "+map[bool]string{true: "usable", false: "unusable"}[fi.Usable])
	}
	want := []string{
		"GREY Greyscale [160-1280;16]x[120-720;8] usable",
		"YUYV YUYV 4:2:2 640x480,320x240,4x2 usable",
		"MJPG Motion-JPEG 1280x720,640x480 usable",
		"H264 H.264  unusable",
	}
	if !slices.Equal(summary, want) {
		t.Errorf("Formats =\n%s\nwant\n%s", strings.Join(summary, "\n"), strings.Join(want, "\n"))
	}
	if !dev.closed {
		t.Error("Formats left the device open")
	}
	if _, err := formats(func(string) (device, error) { return &fakeDev{}, nil }, "/dev/video1"); err == nil || !strings.Contains(err.Error(), "no capture formats") {
		t.Errorf("Formats on a metadata node = %v", err)
	}
}
