package zones

import (
	"testing"

	"github.com/ashiato/ashiato/hal"
)

func frame(w, h int, v byte) *hal.Frame {
	f := &hal.Frame{Width: w, Height: h, Stride: w, Pix: make([]byte, w*h)}
	for i := range f.Pix {
		f.Pix[i] = v
	}
	return f
}

func TestRectangleZoneZeroesExactlyItsPixels(t *testing.T) {
	// Left half, top quarter of a 100×40 frame.
	m := New([]Polygon{{{0, 0}, {0.5, 0}, {0.5, 0.25}, {0, 0.25}}}, 100, 40)
	f := frame(100, 40, 200)
	m.Apply(f)
	for y := 0; y < 40; y++ {
		for x := 0; x < 100; x++ {
			in := x < 50 && y < 10
			got := f.Pix[y*100+x]
			if in && got != 0 || !in && got != 200 {
				t.Fatalf("pixel (%d,%d) = %d; in zone = %v", x, y, got, in)
			}
		}
	}
	if m.Pixels() != 500 {
		t.Fatalf("Pixels = %d, want 500", m.Pixels())
	}
}

func TestTriangleAndStride(t *testing.T) {
	m := New([]Polygon{{{0, 0}, {0.97, 0}, {0, 0.97}}}, 10, 10)
	f := &hal.Frame{Width: 10, Height: 10, Stride: 12, Pix: make([]byte, 120)}
	for i := range f.Pix {
		f.Pix[i] = 1
	}
	m.Apply(f)
	// A pixel is covered when its centre is inside the triangle: cx + cy < 0.97.
	for y := 0; y < 10; y++ {
		for x := 0; x < 12; x++ {
			want := byte(1)
			cx, cy := (float64(x)+0.5)/10, (float64(y)+0.5)/10
			if x < 10 && cx+cy < 0.97 {
				want = 0
			}
			if got := f.Pix[y*12+x]; got != want {
				t.Fatalf("pixel (%d,%d) = %d, want %d", x, y, got, want)
			}
		}
	}
}

func TestEmptyMaskDoesNothing(t *testing.T) {
	m := New(nil, 10, 10)
	f := frame(10, 10, 7)
	m.Apply(f)
	if !m.Empty() || f.Pix[55] != 7 {
		t.Fatal("empty mask changed the frame")
	}
	if !New([]Polygon{{{0, 0}, {1, 1}}}, 10, 10).Empty() {
		t.Fatal("degenerate polygon produced spans")
	}
}

func TestWrongSizePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	New([]Polygon{{{0, 0}, {1, 0}, {1, 1}}}, 10, 10).Apply(frame(20, 10, 1))
}
