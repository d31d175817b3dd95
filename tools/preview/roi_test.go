package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ashiato/ashiato/internal/roiview"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "a.toml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// halvesY4M is a 64×48 YUV4MPEG2 frame, half black (left) and half white (right).
func halvesY4M() *bytes.Buffer {
	const w, h = 64, 48
	var in bytes.Buffer
	in.WriteString("YUV4MPEG2 W64 H48 F10:1 Cmono\nFRAME\n")
	for range h {
		in.Write(bytes.Repeat([]byte{0}, w/2))
		in.Write(bytes.Repeat([]byte{255}, w/2))
	}
	return &in
}

// TestROIRefusesWhatIsNotATerminal: with standard output redirected to a file or a buffer, -roi draws
// nothing, so a frame cannot be saved through it.
func TestROIRefusesWhatIsNotATerminal(t *testing.T) {
	cfg := writeConfig(t, "[tracker]\nroi = [[0.5, 0.0], [1.0, 0.0], [1.0, 1.0], [0.5, 1.0]]\n")
	var out bytes.Buffer
	if err := runROI(&out, halvesY4M(), cfg, "-", 0, 32); !errors.Is(err, roiview.ErrNotTerminal) || out.Len() > 0 {
		t.Errorf("-roi into a buffer: %v, %d bytes", err, out.Len())
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "frame.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := runROI(f, halvesY4M(), cfg, "-", 0, 32); !errors.Is(err, roiview.ErrNotTerminal) {
		t.Errorf("-roi into a file: %v", err)
	}
	if st, _ := f.Stat(); st.Size() > 0 {
		t.Error("-roi wrote into a file")
	}
	if err := runROI(&out, halvesY4M(), "", "-", 0, 32); err == nil || !strings.Contains(err.Error(), "-config") {
		t.Errorf("-roi without -config: %v", err)
	}
}
