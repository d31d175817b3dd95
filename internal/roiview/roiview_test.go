package roiview

import (
	"bytes"
	"errors"
	"image"
	"os"
	"strings"
	"testing"
)

// halves is a w×h frame, black on the left half and white on the right.
func halves(w, h int) Frame {
	pix := make([]byte, w*h)
	for y := range h {
		for x := w / 2; x < w; x++ {
			pix[y*w+x] = 255
		}
	}
	return Frame{Pix: pix, Width: w, Height: h, Stride: w}
}

// cells splits a rendering into its picture lines' cells: for each, the foreground (upper pixel) escape.
func cells(t *testing.T, s string) [][]string {
	t.Helper()
	var out [][]string
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasSuffix(line, "\x1b[0m") || !strings.Contains(line, "▀\x1b[0m") {
			continue
		}
		var row []string
		for _, c := range strings.Split(strings.TrimSuffix(line, "\x1b[0m"), "▀") {
			if c == "" {
				continue
			}
			fg, _, ok := strings.Cut(strings.TrimPrefix(c, "\x1b["), "m")
			if !ok {
				t.Fatalf("cell %q has no colour", c)
			}
			row = append(row, fg)
		}
		out = append(out, row)
	}
	return out
}

// TestRenderLayers draws a frame, black left and white right, with an area of interest over the right
// half, a privacy zone in the top-left corner and the edge bands: each layer is where it was asked for.
func TestRenderLayers(t *testing.T) {
	const w, h, cols = 64, 48, 32
	l := Layers{
		ROI:          [][2]float64{{0.5, 0}, {1, 0}, {1, 1}, {0.5, 1}},
		PrivacyZones: [][][2]float64{{{0, 0}, {0.25, 0}, {0.25, 0.25}, {0, 0.25}}},
		Inner:        func(w, h int) image.Rectangle { return image.Rect(4, 0, w-4, h-2) },
		EdgeInView:   0.5,
	}
	s := string(Render(nil, halves(w, h), cols, l))
	g := cells(t, s)
	if len(g) != Rows(w, h, cols)/2 || len(g) != 12 {
		t.Fatalf("%d picture lines, want 12", len(g))
	}
	for _, row := range g {
		if len(row) != cols {
			t.Fatalf("a line of %d cells, want %d", len(row), cols)
		}
	}
	const red, yellow, white = "38;2;255;40;40", "38;2;230;200;0", "38;2;255;255;255"
	for _, c := range []struct {
		line, col int
		want      string
		what      string
	}{
		{0, 1, "38;2;0;0;120", "the privacy zone (blue over black)"},
		{5, 15, red, "the area's left outline"},
		{5, 24, white, "inside the area, the white half as it is"},
		{5, 8, "38;2;0;0;0", "outside the area, black (dimmed)"},
		{5, 0, yellow, "the left edge band"},
		{5, 31, yellow, "the right edge band"},
		{11, 24, white, "the bottom line's upper pixels, above the band"},
	} {
		if got := g[c.line][c.col]; got != c.want {
			t.Errorf("line %d column %d (%s): %q, want %q", c.line, c.col, c.what, got, c.want)
		}
	}
	if !strings.Contains(s, "\x1b[48;2;230;200;0m▀\x1b[0m\n") {
		t.Error("the bottom band is not drawn in the last line's lower pixels")
	}
	for _, want := range []string{"outline of tracker.roi", "tracker.privacy_zones", "edge bands", "until 50% of their width"} {
		if !strings.Contains(s, want) {
			t.Errorf("the legend lacks %q", want)
		}
	}
	if len(s) > Size(w, h, cols) {
		t.Errorf("rendered %d bytes, Size promised at most %d", len(s), Size(w, h, cols))
	}
	buf := make([]byte, 0, Size(w, h, cols))
	if a := testing.AllocsPerRun(5, func() { buf = Render(buf[:0], halves(w, h), cols, l) }); a > 1 {
		t.Errorf("Render allocates %.0f times into a buffer of Size (the frame itself is 1)", a)
	}
}

func TestRenderBare(t *testing.T) {
	s := string(Render(nil, halves(64, 48), 16, Layers{}))
	if !strings.Contains(s, "tracker.roi is not set") || strings.Contains(s, "edge bands") || strings.Contains(s, "privacy_zones") {
		t.Errorf("legend of the bare picture: %q", s[strings.LastIndex(s, "\x1b[0m\n"):])
	}
	if strings.Contains(s, "255;40;40") || strings.Contains(s, "230;200;0") {
		t.Error("layers drawn that were not asked for")
	}
	for _, bad := range []struct {
		f    Frame
		cols int
	}{
		{halves(64, 48), MinCols - 1},
		{halves(64, 48), MaxCols + 1},
		{Frame{Pix: make([]byte, 10), Width: 64, Height: 48, Stride: 64}, 32},
		{Frame{Pix: make([]byte, 64*48), Width: 64, Height: 48, Stride: 32}, 32},
	} {
		if out := Render(nil, bad.f, bad.cols, Layers{}); len(out) != 0 {
			t.Errorf("Render drew a bad frame or width (%dx%d stride %d, %d cols)", bad.f.Width, bad.f.Height, bad.f.Stride, bad.cols)
		}
	}
}

// TestShowRefusesWhatIsNotATerminal: a buffer, a pipe and a file get nothing, so the picture cannot be
// redirected anywhere.
func TestShowRefusesWhatIsNotATerminal(t *testing.T) {
	f := halves(64, 48)
	var b bytes.Buffer
	if err := Show(&b, f, 32, Layers{}); !errors.Is(err, ErrNotTerminal) || b.Len() > 0 {
		t.Errorf("Show into a buffer: %v, %d bytes", err, b.Len())
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := Show(w, f, 32, Layers{}); !errors.Is(err, ErrNotTerminal) {
		t.Errorf("Show into a pipe: %v", err)
	}
	w.Close()
	if n, _ := r.Read(make([]byte, 1)); n > 0 {
		t.Error("Show wrote into a pipe")
	}
	file, err := os.Create(t.TempDir() + "/frame.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if err := Show(file, f, 32, Layers{}); !errors.Is(err, ErrNotTerminal) {
		t.Errorf("Show into a file: %v", err)
	}
	if st, _ := file.Stat(); st.Size() > 0 {
		t.Error("Show wrote into a file")
	}
}
