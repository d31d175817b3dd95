package hwcheck

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ashiato/ashiato/hal"
	"github.com/ashiato/ashiato/hal/haltest"
	"github.com/ashiato/ashiato/internal/ptytest"
	"github.com/ashiato/ashiato/internal/roiview"
)

// TestShowROIDrawsTheLastFrame grabs three frames from the fake camera with the LED on, and the terminal
// receives the last one drawn with the layers; the LED was on whenever the camera streamed and the frame
// buffer is zero afterwards.
func TestShowROIDrawsTheLastFrame(t *testing.T) {
	r := newRig(t, 0)
	h := &haltest.History{}
	r.led.Log, r.cam.Camera.Log = h, h
	const w, hh = 64, 48
	r.cam.Camera.Format.Width, r.cam.Camera.Format.Height = w, hh
	r.cam.Camera.Frames = make(chan []byte, 3)
	for k := range 3 {
		r.cam.Camera.Frames <- haltest.Walker(w, hh, 10*k)
	}
	p := ptytest.Open(t)
	r.o.Frames = 3
	if err := ShowROI(context.Background(), r.d, r.o, p.Term, 32, roiView); err != nil {
		t.Fatal(err)
	}
	want := roiview.Render(nil, roiview.Frame{Pix: haltest.Walker(w, hh, 20), Width: w, Height: hh, Stride: w}, 32, roiView)
	if got := p.Output(); got != string(want) {
		t.Errorf("the terminal got %d bytes, want the last frame's drawing (%d bytes)", len(got), len(want))
	}
	if other := roiview.Render(nil, roiview.Frame{Pix: haltest.Walker(w, hh, 0), Width: w, Height: hh, Stride: w}, 32, roiView); string(other) == string(want) {
		t.Fatal("the frames are not told apart by their drawings")
	}
	ledAlwaysOn(t, r.cam)
	h.Check(t)
	r.checkWiped(t)
	if r.led.IsOn() || r.cam.IsStreaming() {
		t.Error("LED on or camera streaming afterwards")
	}
	if d := r.cam.Watched().Dirty; d != 0 {
		t.Errorf("%d frames were read into a buffer that still held the previous one", d)
	}
}

// TestShowROIMissingDevices: without a camera or a working LED nothing is captured, and the installer is
// told why.
func TestShowROIMissingDevices(t *testing.T) {
	p := ptytest.Open(t)
	r := newRig(t, 3)
	r.d.LED, r.d.LEDErr = nil, errors.New("gpio: GPIO26: permission denied")
	if err := ShowROI(context.Background(), r.d, r.o, p.Term, 32, roiView); err == nil || !strings.Contains(err.Error(), "LED") {
		t.Errorf("without an LED: %v", err)
	}
	r = newRig(t, 3)
	r.d.Camera = nil
	if err := ShowROI(context.Background(), r.d, r.o, p.Term, 32, roiView); err == nil || !strings.Contains(err.Error(), "no camera") {
		t.Errorf("without a camera: %v", err)
	}
	r = newRig(t, 3)
	r.cam.FailErr, r.cam.FailAfter = hal.ErrGone, 1
	if err := ShowROI(context.Background(), r.d, r.o, p.Term, 32, roiView); !errors.Is(err, hal.ErrGone) {
		t.Errorf("camera gone: %v", err)
	}
	r.checkWiped(t)
	if r.led.IsOn() || r.cam.IsStreaming() {
		t.Error("LED on or camera streaming after a failed capture")
	}
	if r.cam.Camera.Starts != 1 {
		t.Errorf("the camera was started %d times", r.cam.Camera.Starts)
	}
	if err := ShowROI(context.Background(), r.d, r.o, p.Term, 4, roiView); err == nil {
		t.Error("4 columns accepted")
	}
	if out := p.Output(); out != "" {
		t.Errorf("drawn although nothing was captured: %q", out)
	}
}
