package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ashiato/ashiato/tools/footage"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "a.toml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestROIDrawsAreaAndZones draws a Y4M frame, half black (left) and half white (right), with an area of
// interest over the right half and a privacy zone in the top-left corner: the white half inside the area
// stays white, the outline is red and the zone is blue.
func TestROIDrawsAreaAndZones(t *testing.T) {
	cfg := writeConfig(t, "[tracker]\nroi = [[0.5, 0.0], [1.0, 0.0], [1.0, 1.0], [0.5, 1.0]]\n"+
		"privacy_zones = [[[0.0, 0.0], [0.25, 0.0], [0.25, 0.25], [0.0, 0.25]]]\n")
	const w, h = 64, 48
	var in bytes.Buffer
	in.WriteString("YUV4MPEG2 W64 H48 F10:1 Cmono\nFRAME\n")
	for range h {
		in.Write(bytes.Repeat([]byte{0}, w/2))
		in.Write(bytes.Repeat([]byte{255}, w/2))
	}
	var out bytes.Buffer
	if err := runROI(&out, &in, cfg, "-", 0, 32); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"\x1b[38;2;255;255;255m", "\x1b[38;2;255;40;40m", ";120m", "outline of tracker.roi", "privacy_zones"} {
		if !strings.Contains(s, want) {
			t.Errorf("drawing lacks %q", want)
		}
	}
	if lines := strings.Count(s, "\n"); lines != 24/2+2 {
		t.Errorf("%d lines, want %d picture lines and 2 of legend", lines, 24/2)
	}
}

func TestROIFromClipAndErrors(t *testing.T) {
	clip, err := footage.Find("pets09-s2l1-dev")
	if err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, "[tracker]\n")
	var out bytes.Buffer
	if err := runROI(&out, nil, cfg, clip, 3, 40); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "tracker.roi is not set") || strings.Count(out.String(), "▀") != 40*15 {
		t.Errorf("clip frame drawing: %d cells, legend %q", strings.Count(out.String(), "▀"), out.String()[len(out.String())-80:])
	}
	for _, c := range []struct {
		cfg, src string
		index    int
		cols     int
		stdin    string
	}{
		{"", "-", 0, 40, ""},
		{cfg, "-", 0, 4, ""},
		{cfg, "-", 0, 40, "not a stream\n"},
		{cfg, "-", 0, 40, "YUV4MPEG2 W64 H48\nFRAME\nshort"},
		{cfg, clip, 400, 40, ""},
		{writeConfig(t, "[tracker]\nbogus = 1\n"), "-", 0, 40, ""},
	} {
		if err := runROI(&out, strings.NewReader(c.stdin), c.cfg, c.src, c.index, c.cols); err == nil {
			t.Errorf("runROI(%q, %q, %d, %d) succeeded", c.cfg, c.src, c.index, c.cols)
		}
	}
}
