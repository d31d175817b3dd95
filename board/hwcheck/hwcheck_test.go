package hwcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ashiato/ashiato/board"
	"github.com/ashiato/ashiato/drivers/ledclass/ledclasstest"
	"github.com/ashiato/ashiato/drivers/ssd16xx"
	"github.com/ashiato/ashiato/drivers/v4l2"
	"github.com/ashiato/ashiato/hal"
	"github.com/ashiato/ashiato/hal/haltest"
)

// ledAlwaysOn fails t unless the camera was started and stopped with the LED lit at every one of its calls.
func ledAlwaysOn(t *testing.T, c *haltest.WatchedCamera) {
	t.Helper()
	if err := c.Watched().Dark(true, true); err != nil {
		t.Error(err)
	}
}

const fw, fh = 8, 4 // fake frame size

// rig is a full set of passing fakes.
type rig struct {
	d      *Devices
	o      Options
	led    *haltest.LED
	panel  *haltest.Panel
	button *haltest.Button
	cam    *haltest.WatchedCamera
	bufs   [][]byte // every buffer Run allocated
}

func newRig(t *testing.T, frames int) *rig {
	t.Helper()
	r := &rig{led: &haltest.LED{}, panel: &haltest.Panel{}, button: haltest.NewButton()}
	var tick int
	var tickMu sync.Mutex
	base := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	hc := &haltest.Camera{
		Format: hal.Format{Width: fw, Height: fh, FPS: 10},
		Frames: make(chan []byte, frames),
		Clock: func() time.Time { // 10 frames per second
			tickMu.Lock()
			defer tickMu.Unlock()
			tick++
			return base.Add(time.Duration(tick) * 100 * time.Millisecond)
		},
	}
	for range frames {
		f := make([]byte, fw*fh) // top half black, bottom half white
		for i := fw * fh / 2; i < fw*fh; i++ {
			f[i] = 255
		}
		hc.Frames <- f
	}
	r.cam = &haltest.WatchedCamera{Camera: hc, Lit: r.led.IsOn}
	cfg := filepath.Join(t.TempDir(), "config.txt")
	if err := os.WriteFile(cfg, []byte("[all]\ndtparam=i2c_arm=on,spi=on\ndtparam=strict_gpiod\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.d = &Devices{
		Wiring: Wiring{Board: "rpi4b", Model: "Raspberry Pi 4 Model B", LEDPin: "GPIO26", ButtonPin: "GPIO16",
			Panel: "waveshare213v4", SPIPort: "SPI0.0", Camera: "/dev/v4l/by-id/usb-Fake_Cam-video-index0"},
		LED: r.led, Panel: r.panel, Button: r.button, Camera: r.cam,
		Formats: func(path string) ([]v4l2.FormatInfo, error) {
			return []v4l2.FormatInfo{
				{FourCC: "YUYV", Description: "YUYV 4:2:2", Usable: true,
					Sizes: []v4l2.FrameSize{{MinWidth: 640, MaxWidth: 640, MinHeight: 480, MaxHeight: 480}}},
				{FourCC: "H264", Description: "H.264", Usable: false},
			}, nil
		},
	}
	r.o = Options{
		Blinks: 2, BlinkPeriod: 2 * time.Millisecond, Frames: frames, FrameTimeout: time.Second,
		BootConfig: cfg,
		Buffer: func(n int) []byte {
			b := make([]byte, n)
			r.bufs = append(r.bufs, b)
			return b
		},
	}
	return r
}

// checkWiped fails if any buffer Run allocated still holds a non-zero byte.
func (r *rig) checkWiped(t *testing.T) {
	t.Helper()
	for i, b := range r.bufs {
		for j, v := range b {
			if v != 0 {
				t.Fatalf("frame buffer %d byte %d is %d after Run; want every byte zero", i, j, v)
			}
		}
	}
}

func want(t *testing.T, rep Report, name string, st Status, substr ...string) Result {
	t.Helper()
	res, ok := rep.Result(name)
	if !ok {
		t.Fatalf("no %s check in report", name)
	}
	if res.Status != st {
		t.Errorf("%s: %s (%s; hint %q), want %s", name, res.Status, res.Detail, res.Hint, st)
	}
	for _, s := range substr {
		if !strings.Contains(res.Detail+" | "+res.Hint, s) {
			t.Errorf("%s: detail %q / hint %q lacks %q", name, res.Detail, res.Hint, s)
		}
	}
	return res
}

func TestAllPass(t *testing.T) {
	r := newRig(t, 5)
	r.button.Press(time.Now())
	r.o.Button = time.Second
	rep := Run(context.Background(), r.d, r.o)

	for _, n := range []string{CheckBootConfig, CheckBoard, CheckLED, CheckPanel, CheckCamera, CheckCapture, CheckButton} {
		want(t, rep, n, Pass)
	}
	if !rep.OK || rep.Board != "rpi4b" {
		t.Errorf("report OK=%v board=%q", rep.OK, rep.Board)
	}
	want(t, rep, CheckBoard, Pass, "GPIO26 (pin 37)", "GPIO16 (pin 36)", "waveshare213v4 on SPI0.0")

	// Capture: statistics of 5 frames, half 0 and half 255, 100 ms apart.
	c := want(t, rep, CheckCapture, Pass, "5 frames 8x4", "10.0 fps").Capture
	if c == nil {
		t.Fatal("no capture stats")
	}
	if c.Frames != 5 || c.Width != fw || c.Height != fh || c.Min != 0 || c.Max != 255 || c.Mean != 127.5 ||
		c.NearBlack != 0.5 || c.NearWhite != 0.5 || c.NominalFPS != 10 || c.MeasuredFPS < 9.99 || c.MeasuredFPS > 10.01 {
		t.Errorf("stats %+v", *c)
	}
	if len(r.bufs) != 1 || len(r.bufs[0]) != fw*fh {
		t.Errorf("allocated %d buffers; want one of %d bytes", len(r.bufs), fw*fh)
	}
	r.checkWiped(t)
	if d := r.cam.Watched().Dirty; d != 0 {
		t.Errorf("%d frames found the buffer still holding the previous frame; it must be wiped right after its statistics", d)
	}

	// The invariant: LED on at Start, every read and Stop; off afterwards; the blinks came first.
	ledAlwaysOn(t, r.cam)
	r.led.Mu.Lock()
	hist := fmt.Sprint(r.led.History)
	r.led.Mu.Unlock()
	if w := fmt.Sprint([]bool{true, false, true, false, false, true, false}); hist != w {
		t.Errorf("LED history %s, want %s (2 blinks, off, then on for capture only)", hist, w)
	}
	if r.led.IsOn() || r.cam.IsStreaming() {
		t.Errorf("after Run: LED on=%v, camera streaming=%v", r.led.IsOn(), r.cam.IsStreaming())
	}

	// Panel: one full refresh of the test card, then deep sleep.
	r.panel.Mu.Lock()
	img, fulls, halted := r.panel.Image, r.panel.Fulls, r.panel.Halted
	r.panel.Mu.Unlock()
	if fulls != 1 || !halted || img == nil {
		t.Fatalf("panel: %d full draws, halted %v", fulls, halted)
	}
	b := img.Bounds()
	for _, p := range [][2]int{{0, 0}, {b.Dx() - 1, 0}, {0, b.Dy() - 1}, {b.Dx() - 1, b.Dy() - 1}, {3, 3}} {
		if img.GrayAt(p[0], p[1]).Y != 0 {
			t.Errorf("panel pixel %v is white; the card's frame and corner mark are black", p)
		}
	}

	cam := want(t, rep, CheckCamera, Pass, "usable YUYV")
	if len(cam.Formats) != 2 || cam.Formats[0].Sizes[0] != "640x480" || cam.Formats[1].Usable {
		t.Errorf("formats %+v", cam.Formats)
	}
}

// The generic board: any Linux machine, its capture LED an LED-class device (here a fake sysfs tree), no
// panel, no button and no config.txt. Every check passes or is skipped, and the LED, as its brightness
// file shows it, is lit at every camera call and dark afterwards.
func TestGenericBoardLEDClass(t *testing.T) {
	led := ledclasstest.New(t, "input3::capslock", 1)
	devs, err := board.OpenEach(board.Options{Board: "generic", LEDClass: led.Dir, Camera: "/dev/v4l/by-id/usb-Fake_Cam-video-index0"})
	if err != nil {
		t.Fatal(err)
	}
	d := FromBoard(devs)
	r := newRig(t, 5)
	r.cam.Lit = led.On
	d.Camera, d.Formats = r.cam, r.d.Formats
	o := r.o
	o.BootConfig = "" // search the usual places: the generic board has no config.txt to check
	rep := Run(context.Background(), d, o)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	want(t, rep, CheckBootConfig, Skip, "no Raspberry Pi header")
	want(t, rep, CheckBoard, Pass, "generic", "capture LED LED-class device "+led.Dir, "no notice panel")
	want(t, rep, CheckLED, Pass, "driven on and off 2 times")
	want(t, rep, CheckPanel, Skip)
	want(t, rep, CheckCamera, Pass)
	want(t, rep, CheckCapture, Pass, "5 frames")
	want(t, rep, CheckButton, Skip)
	if !rep.OK {
		t.Errorf("report not OK on a working generic board: %+v", rep)
	}
	ledAlwaysOn(t, r.cam)
	if led.On() || led.Trigger() != "none" {
		t.Errorf("after hwcheck: brightness %d, trigger %q; want off and no kernel trigger", led.Brightness(), led.Trigger())
	}
}

// OpenBoard reports a board without a capture LED as a failed LED check with what to configure, not
// as an unusable board: the camera is still checked.
func TestOpenBoardGenericWithoutLED(t *testing.T) {
	d := OpenBoard(board.Options{Board: "generic", Camera: filepath.Join(t.TempDir(), "video99")})
	defer d.Close()
	r := newRig(t, 1)
	d.Formats = r.d.Formats
	rep := Run(context.Background(), d, Options{BootConfig: "none"})
	want(t, rep, CheckBoard, Pass, "generic")
	want(t, rep, CheckLED, Fail, "no capture LED configured", "-led-class")
	want(t, rep, CheckCamera, Pass)
	want(t, rep, CheckCapture, Skip, "no working LED")
}

func TestLEDFailing(t *testing.T) {
	t.Run("set fails", func(t *testing.T) {
		r := newRig(t, 3)
		r.led.SetErr(errors.New("gpioled: switch GPIO26 on (drive High): device or resource busy"))
		rep := Run(context.Background(), r.d, r.o)
		want(t, rep, CheckLED, Fail, "busy", "systemctl stop ashiato")
		want(t, rep, CheckCapture, Skip, "LED")
		want(t, rep, CheckCamera, Pass) // listing formats captures nothing
		want(t, rep, CheckPanel, Pass)
		if rep.OK {
			t.Error("report OK with a failed LED")
		}
		if r.cam.Starts != 0 {
			t.Errorf("camera started %d times without a working LED", r.cam.Starts)
		}
	})
	t.Run("open fails", func(t *testing.T) {
		r := newRig(t, 3)
		r.d.LED, r.d.LEDErr = nil, &board.PinError{Role: "LED", Pin: "GPIO26", Chips: 1, Access: fs.ErrPermission}
		rep := Run(context.Background(), r.d, r.o)
		want(t, rep, CheckLED, Fail, "GPIO26", "group gpio")
		want(t, rep, CheckCapture, Skip)
		if r.cam.Starts != 0 {
			t.Errorf("camera started %d times without an LED", r.cam.Starts)
		}
	})
	t.Run("installer did not see it", func(t *testing.T) {
		r := newRig(t, 3)
		var asked []string
		r.o.Confirm = func(q string) (bool, error) {
			asked = append(asked, q)
			return !strings.Contains(q, "LED"), nil
		}
		rep := Run(context.Background(), r.d, r.o)
		want(t, rep, CheckLED, Fail, "did not see", "resistor")
		want(t, rep, CheckPanel, Pass, "seen by the installer")
		want(t, rep, CheckCapture, Skip)
		if len(asked) != 2 {
			t.Errorf("asked %q; want the LED and the panel question", asked)
		}
	})
}

func TestCameraAbsent(t *testing.T) {
	t.Run("no node", func(t *testing.T) {
		r := newRig(t, 3)
		r.d.Wiring.Camera = "auto"
		r.d.FindCamera = func() (string, error) {
			return "", errors.New("v4l2: no video device matches /dev/v4l/by-id/* or /dev/video*")
		}
		r.cam.StartErr = fmt.Errorf("v4l2: open: %w", hal.ErrGone)
		rep := Run(context.Background(), r.d, r.o)
		want(t, rep, CheckCamera, Fail, "no video device", "USB UVC webcam", "libcamera")
		want(t, rep, CheckCapture, Skip, "camera check failed")
		if r.cam.Starts != 0 || r.led.IsOn() {
			t.Errorf("camera started %d times; LED on %v", r.cam.Starts, r.led.IsOn())
		}
	})
	t.Run("Pi camera module", func(t *testing.T) {
		r := newRig(t, 3)
		r.d.Formats = func(string) ([]v4l2.FormatInfo, error) {
			return []v4l2.FormatInfo{{FourCC: "pRAA", Description: "10-bit Bayer RGRG/GBGB Packed"}}, nil
		}
		rep := Run(context.Background(), r.d, r.o)
		want(t, rep, CheckCamera, Fail, "lists only pRAA", "libcamera", "USB UVC webcam")
		want(t, rep, CheckCapture, Skip)
	})
	t.Run("start fails", func(t *testing.T) {
		r := newRig(t, 3)
		r.d.Formats = nil // listing unavailable: capture still runs
		r.cam.StartErr = fmt.Errorf("v4l2: open /dev/video0: permission denied")
		rep := Run(context.Background(), r.d, r.o)
		want(t, rep, CheckCamera, Skip)
		want(t, rep, CheckCapture, Fail, "permission denied", "group video")
		if r.led.IsOn() || r.cam.IsStreaming() {
			t.Error("LED left on or camera left streaming after a failed Start")
		}
		if r.cam.Stops == 0 {
			t.Error("Stop not called after a failed Start")
		}
	})
}

func TestCameraStalling(t *testing.T) {
	t.Run("no frames at all", func(t *testing.T) {
		r := newRig(t, 0)
		r.cam.Frames = nil // blocks until the per-frame timeout
		r.o.FrameTimeout = 30 * time.Millisecond
		rep := Run(context.Background(), r.d, r.o)
		res := want(t, rep, CheckCapture, Fail, "no frame within 30ms", "sent no frames")
		if res.Capture != nil {
			t.Errorf("stats %+v for zero frames", *res.Capture)
		}
		ledAlwaysOn(t, r.cam)
		if r.led.IsOn() || r.cam.IsStreaming() {
			t.Error("LED left on or camera left streaming after a stall")
		}
		r.checkWiped(t)
	})
	t.Run("stalls after two frames", func(t *testing.T) {
		r := newRig(t, 5)
		r.cam.FailAfter, r.cam.FailErr = 2, fmt.Errorf("v4l2: /dev/video0: no usable frame for 3s: %w", hal.ErrStalled)
		rep := Run(context.Background(), r.d, r.o)
		res := want(t, rep, CheckCapture, Fail, "after 2 frames", "sent no frames")
		if res.Capture == nil || res.Capture.Frames != 2 {
			t.Errorf("capture stats %+v; want 2 frames", res.Capture)
		}
		ledAlwaysOn(t, r.cam)
		r.checkWiped(t)
		if r.led.IsOn() {
			t.Error("LED left on")
		}
	})
	t.Run("interrupted", func(t *testing.T) {
		r := newRig(t, 0)
		r.cam.Frames = nil
		r.o.Button = time.Second
		ctx, cancel := context.WithCancel(context.Background())
		r.led.Changed = make(chan bool, 16)
		go func() {
			// Cancel once the camera streams, after the LED went on for capture (the blinks before it:
			// on, off, on, off, off, on).
			ons := 0
			for on := range r.led.Changed {
				if on {
					if ons++; ons == 3 {
						for deadline := time.Now().Add(30 * time.Second); !r.cam.IsStreaming(); time.Sleep(time.Millisecond) {
							if time.Now().After(deadline) {
								t.Error("the camera did not start within 30 s of the LED going on")
								break
							}
						}
						cancel()
						return
					}
				}
			}
		}()
		rep := Run(ctx, r.d, r.o)
		want(t, rep, CheckCapture, Fail, "canceled", "LED switched off")
		want(t, rep, CheckButton, Skip, "interrupted")
		if r.led.IsOn() || r.cam.IsStreaming() {
			t.Error("LED left on or camera left streaming after interruption")
		}
	})
}

func TestPanelFailing(t *testing.T) {
	t.Run("busy timeout", func(t *testing.T) {
		r := newRig(t, 3)
		r.panel.Err = fmt.Errorf("ssd16xx: after 0x20: %w", ssd16xx.ErrBusyTimeout)
		rep := Run(context.Background(), r.d, r.o)
		want(t, rep, CheckPanel, Fail, "BUSY", "-panel model", "GPIO18 (pin 12)")
		want(t, rep, CheckCapture, Pass) // the rest still runs
		if rep.OK {
			t.Error("report OK with a failed panel")
		}
	})
	t.Run("SPI off", func(t *testing.T) {
		r := newRig(t, 3)
		r.d.Panel = nil
		r.d.PanelErr = errors.New("panel disabled: SPI port SPI0.0: spireg: no port found; did you forget to call Init()? (is SPI enabled, dtparam=spi=on?)")
		rep := Run(context.Background(), r.d, r.o)
		want(t, rep, CheckPanel, Fail, "dtparam=spi=on", "group spi")
	})
	t.Run("none configured", func(t *testing.T) {
		r := newRig(t, 3)
		r.d.Panel, r.d.Wiring.Panel = nil, ""
		rep := Run(context.Background(), r.d, r.o)
		want(t, rep, CheckPanel, Skip)
	})
}

func TestButton(t *testing.T) {
	t.Run("timeout", func(t *testing.T) {
		r := newRig(t, 3)
		r.o.Button = 20 * time.Millisecond
		rep := Run(context.Background(), r.d, r.o)
		want(t, rep, CheckButton, Fail, "no press on GPIO16 (pin 36) within 20ms", "GND")
	})
	t.Run("not asked", func(t *testing.T) {
		r := newRig(t, 3)
		rep := Run(context.Background(), r.d, r.o)
		want(t, rep, CheckButton, Skip, "-button")
		if !rep.OK {
			t.Error("a skipped button fails the report")
		}
	})
	t.Run("open fails", func(t *testing.T) {
		r := newRig(t, 3)
		r.d.Button, r.d.ButtonErr = nil, &board.PinError{Role: "button", Pin: "GPIO16", Chips: 2, Access: fs.ErrPermission}
		rep := Run(context.Background(), r.d, r.o)
		want(t, rep, CheckButton, Fail, "GPIO16", "group gpio")
	})
}

func TestBoardErrSkipsEverything(t *testing.T) {
	r := newRig(t, 3)
	r.d.BoardErr = errors.New(`board: unknown board "rpi1"; want auto, generic or one of: rpizero2w, rpi3b, rpi4b, rpi5`)
	rep := Run(context.Background(), r.d, r.o)
	want(t, rep, CheckBoard, Fail, "-board")
	for _, n := range []string{CheckLED, CheckPanel, CheckCamera, CheckCapture, CheckButton} {
		want(t, rep, n, Skip)
	}
	if len(r.led.History) != 0 || r.cam.Starts != 0 {
		t.Error("devices used although the board was not opened")
	}
}

func TestCaptureHints(t *testing.T) {
	for _, tc := range []struct {
		name string
		fill byte
		hint string
	}{
		{"dark", 3, "almost all black"},
		{"bright", 250, "almost all white"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, 0)
			r.cam.Frames = make(chan []byte, 3)
			for i := range 3 {
				f := bytes.Repeat([]byte{tc.fill}, fw*fh)
				f[0] = tc.fill + byte(i) // not constant, so the "same value" hint does not apply
				if tc.fill > 128 {
					f[0] = tc.fill - byte(i)
				}
				r.cam.Frames <- f
			}
			r.o.Frames = 3
			rep := Run(context.Background(), r.d, r.o)
			want(t, rep, CheckCapture, Pass, tc.hint)
			r.checkWiped(t)
		})
	}
}

func TestReportOutput(t *testing.T) {
	r := newRig(t, 3)
	r.panel.Err = fmt.Errorf("x: %w", ssd16xx.ErrBusyTimeout)
	rep := Run(context.Background(), r.d, r.o)

	var txt bytes.Buffer
	if err := rep.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	out := txt.String()
	for _, s := range []string{"CHECK", "RESULT", "capture", "PASS", "panel", "FAIL", "hint: BUSY never cleared",
		"YUYV (YUYV 4:2:2, usable): 640x480", "FAILED: panel"} {
		if !strings.Contains(out, s) {
			t.Errorf("text report lacks %q:\n%s", s, out)
		}
	}

	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back struct {
		OK     bool
		Checks []struct {
			Name, Status, Hint string
			Capture            map[string]any
		}
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.OK || len(back.Checks) != len(rep.Checks) {
		t.Fatalf("JSON ok=%v, %d checks", back.OK, len(back.Checks))
	}
	for i, c := range back.Checks {
		if c.Name != rep.Checks[i].Name || c.Status != string(rep.Checks[i].Status) {
			t.Errorf("JSON check %d = %s %s", i, c.Name, c.Status)
		}
		if c.Name == CheckCapture {
			if c.Capture["measured_fps"] == nil || c.Capture["luma_mean"] != 127.5 || c.Capture["near_black"] != 0.5 {
				t.Errorf("JSON capture stats %v", c.Capture)
			}
		}
	}
}
