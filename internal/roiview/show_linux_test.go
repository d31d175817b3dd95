package roiview

import (
	"strings"
	"testing"

	"github.com/ashiato/ashiato/internal/ptytest"
)

// TestShowDrawsOnATerminal: on a real (pseudo-)terminal the picture arrives exactly as Render makes it.
func TestShowDrawsOnATerminal(t *testing.T) {
	p := ptytest.Open(t)
	f := halves(64, 48)
	l := Layers{ROI: [][2]float64{{0.5, 0}, {1, 0}, {1, 1}, {0.5, 1}}}
	if err := Show(p.Term, f, 32, l); err != nil {
		t.Fatal(err)
	}
	want := string(Render(nil, f, 32, l))
	if got := p.Output(); got != want {
		t.Errorf("the terminal received %d bytes, want Render's %d (%q…)", len(got), len(want), got[:min(len(got), 80)])
	}
	if !strings.Contains(want, "outline of tracker.roi") {
		t.Error("nothing drawn")
	}
}
