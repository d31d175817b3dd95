package main

import (
	"strings"
	"testing"

	"github.com/ashiato/ashiato/agent/config"
	"github.com/ashiato/ashiato/internal/ptytest"
	"github.com/ashiato/ashiato/internal/roiview"
	"github.com/ashiato/ashiato/tools/footage"
)

// TestROIDrawsAreaAndZones draws a Y4M frame, half black (left) and half white (right), on a terminal
// with an area of interest over the right half and a privacy zone in the top-left corner: the terminal
// receives exactly roiview's drawing of the frame with the configuration's layers, edge bands included.
func TestROIDrawsAreaAndZones(t *testing.T) {
	cfg := writeConfig(t, "[tracker]\nroi = [[0.5, 0.0], [1.0, 0.0], [1.0, 1.0], [0.5, 1.0]]\n"+
		"privacy_zones = [[[0.0, 0.0], [0.25, 0.0], [0.25, 0.25], [0.0, 0.25]]]\n")
	p := ptytest.Open(t)
	in := halvesY4M()
	frame := append([]byte(nil), in.Bytes()[len("YUV4MPEG2 W64 H48 F10:1 Cmono\nFRAME\n"):]...)
	c, err := config.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := roiview.Render(nil, roiview.Frame{Pix: frame, Width: 64, Height: 48, Stride: 64}, 32, c.Tracker.View())
	if err := runROI(p.Term, in, cfg, "-", 0, 32); err != nil {
		t.Fatal(err)
	}
	s := p.Output()
	for _, want := range []string{"\x1b[38;2;255;255;255m", "\x1b[38;2;255;40;40m", ";120m", "outline of tracker.roi", "privacy_zones", "edge bands", "50% of their width"} {
		if !strings.Contains(s, want) {
			t.Errorf("drawing lacks %q", want)
		}
	}
	if s != string(want) {
		t.Error("the terminal did not receive roiview's drawing of the frame with the configuration's layers")
	}
}

func TestROIFromClipAndErrors(t *testing.T) {
	clip, err := footage.Find("pets09-s2l1-dev")
	if err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, "[tracker]\n")
	p := ptytest.Open(t)
	if err := runROI(p.Term, nil, cfg, clip, 3, 40); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cfg, src string
		index    int
		cols     int
		stdin    string
	}{
		{cfg, "-", 0, 4, ""},
		{cfg, "-", 0, 40, "not a stream\n"},
		{cfg, "-", 0, 40, "YUV4MPEG2 W64 H48\nFRAME\nshort"},
		{cfg, clip, 400, 40, ""},
		{writeConfig(t, "[tracker]\nbogus = 1\n"), "-", 0, 40, ""},
	} {
		if err := runROI(p.Term, strings.NewReader(c.stdin), c.cfg, c.src, c.index, c.cols); err == nil {
			t.Errorf("runROI(%q, %q, %d, %d) succeeded", c.cfg, c.src, c.index, c.cols)
		}
	}
	out := p.Output()
	if !strings.Contains(out, "tracker.roi is not set") || strings.Count(out, "▀") != 40*15+1 {
		t.Errorf("clip frame drawing: %d cells, legend %q", strings.Count(out, "▀"), out[max(len(out)-300, 0):])
	}
}
