package hwcheck

import (
	"fmt"
	"image"
	"image/color"
	"strings"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Test card geometry, in pixels.
const (
	cardMark    = 20 // side of the top-left triangle
	cardBar     = 15 // height of the title bar
	cardLine    = 12 // text line pitch
	cardChecker = 2  // square size of the bottom checkerboard
	cardStrip   = 8  // height of the checkerboard strip
)

// TestCard draws the panel test pattern for the wiring at now into a white/black image of size r.Size()
// (index 0 white, 1 black): a 1-pixel black frame on every edge (to see that nothing is cut off), a solid
// triangle in the top-left corner (to see orientation), a black title bar, the board and pin summary, and a
// 2-pixel checkerboard strip along the bottom (to see that pixels land exactly). It is pure and ASCII-only.
func TestCard(r image.Rectangle, w Wiring, now time.Time) *image.Paletted {
	size := r.Size()
	img := image.NewPaletted(image.Rectangle{Max: size}, color.Palette{color.White, color.Black})
	W, H := size.X, size.Y
	fill := func(x0, y0, x1, y1 int) {
		for y := max(y0, 0); y < min(y1, H); y++ {
			for x := max(x0, 0); x < min(x1, W); x++ {
				img.SetColorIndex(x, y, 1)
			}
		}
	}
	// Frame.
	fill(0, 0, W, 1)
	fill(0, H-1, W, H)
	fill(0, 0, 1, H)
	fill(W-1, 0, W, H)
	// Orientation mark: a right triangle whose right angle is the top-left corner.
	for y := range cardMark {
		fill(0, y, cardMark-y, y+1)
	}
	// Title bar to the right of the mark.
	bar := image.Rect(cardMark+2, 2, W-2, 2+cardBar)
	fill(bar.Min.X, bar.Min.Y, bar.Max.X, bar.Max.Y)
	face := basicfont.Face7x13
	text := func(x, y int, s string, c color.Color) {
		if n := (W - 3 - x) / face.Advance; n <= 0 {
			return
		} else if len(s) > n {
			s = s[:n]
		}
		d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: face, Dot: fixed.P(x, y+face.Ascent)}
		d.DrawString(s)
	}
	text(bar.Min.X+3, bar.Min.Y+1, "ASHIATO SELF-TEST", color.White)

	lines := []string{
		"board  " + or(w.Board, "?") + "  " + now.Format("2006-01-02 15:04"),
		"LED    " + cardPin(w.LEDPin),
		"button " + cardPin(w.ButtonPin),
		"panel  " + or(w.Panel, "none") + " " + w.SPIPort,
		"camera " + or(w.Camera, "auto"),
	}
	y := bar.Max.Y + 4
	for _, l := range lines {
		if y+cardLine > H-cardStrip-4 {
			break
		}
		text(4, y, l, color.Black)
		y += cardLine
	}
	// Checkerboard strip along the bottom, inside the frame.
	for y := H - 3 - cardStrip; y < H-3; y++ {
		for x := 3; x < W-3; x++ {
			if (x/cardChecker+y/cardChecker)%2 == 0 {
				img.SetColorIndex(x, y, 1)
			}
		}
	}
	return img
}

// cardPin spells a pin for the test card, e.g. "GPIO26 pin 37"; "" is "none".
func cardPin(name string) string {
	if strings.TrimSpace(name) == "" {
		return "none"
	}
	if p, ok := HeaderPin(name); ok {
		return fmt.Sprintf("%s pin %d", name, p)
	}
	return name
}
