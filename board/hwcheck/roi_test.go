package hwcheck

import (
	"bytes"
	"context"
	"errors"
	"image"
	"os"
	"strings"
	"testing"

	"github.com/ashiato/ashiato/internal/roiview"
)

// roiView is an area of interest over the bottom half with a privacy zone at the top left and edge bands
// one pixel wide.
var roiView = roiview.Layers{
	ROI:          [][2]float64{{0, 0.5}, {1, 0.5}, {1, 1}, {0, 1}},
	PrivacyZones: [][][2]float64{{{0, 0}, {0.25, 0}, {0.25, 0.25}, {0, 0.25}}},
	Inner:        func(w, h int) image.Rectangle { return image.Rect(1, 0, w-1, h-1) },
	EdgeInView:   0.5,
}

// TestShowROIRefusesWhatIsNotATerminal: into a buffer, a pipe or a file, -roi draws nothing and touches
// no device: the LED stays off and the camera is never started.
func TestShowROIRefusesWhatIsNotATerminal(t *testing.T) {
	r := newRig(t, 3)
	var b bytes.Buffer
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	file, err := os.Create(t.TempDir() + "/frame.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	for name, out := range map[string]interface{ Write([]byte) (int, error) }{"buffer": &b, "pipe": pw, "file": file} {
		if err := ShowROI(context.Background(), r.d, r.o, out, 32, roiView); !errors.Is(err, roiview.ErrNotTerminal) {
			t.Errorf("into a %s: %v, want ErrNotTerminal", name, err)
		}
	}
	if b.Len() > 0 {
		t.Error("drawn into a buffer")
	}
	if st, _ := file.Stat(); st.Size() > 0 {
		t.Error("drawn into a file")
	}
	if r.cam.Camera.Starts != 0 || len(r.led.History) > 0 {
		t.Errorf("devices touched: %d camera starts, LED history %v", r.cam.Camera.Starts, r.led.History)
	}
}

func TestMainROIRefusals(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Main([]string{"-board", "rpi4b", "-roi", "-json"}, &out, &errOut, nil); code != 2 || !strings.Contains(errOut.String(), "no JSON form") {
		t.Errorf("-roi -json: exit %d, stderr %q; want 2 and why", code, errOut.String())
	}
	errOut.Reset()
	if code := Main([]string{"-board", "rpi4b", "-roi"}, &out, &errOut, nil); code != 2 || !strings.Contains(errOut.String(), "only on a terminal") {
		t.Errorf("-roi into a buffer: exit %d, stderr %q; want 2 and why", code, errOut.String())
	}
	if out.Len() > 0 {
		t.Errorf("stdout got %q", out.String())
	}
	errOut.Reset()
	if code := Main([]string{"-h"}, &out, &errOut, nil); code != 0 || !strings.Contains(errOut.String(), "-roi") {
		t.Errorf("-h does not tell of -roi: %q", errOut.String())
	}
}
