// Package roiview draws one camera frame in a terminal with what the tracker's configuration lays over it:
// the floor area of interest (tracker.roi), the privacy zones and the edge bands, so an installer can check
// them against the picture. It is shared by `ashiato hwcheck -roi` (a live frame) and `tools/preview -roi`
// (a replayed one).
//
// The frame is drawn with Unicode upper-half blocks in 24-bit colour, two picture rows per text line. Show
// writes only to a terminal, so the picture is rendered, never saved: it refuses a file or a pipe. The text
// it renders encodes the picture, so it is built in memory outside the Go heap (out of core dumps, and
// locked against swapping where RLIMIT_MEMLOCK allows, as the agent's frame ring) and wiped after it has
// been written.
package roiview

import (
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"strconv"

	"github.com/ashiato/ashiato/internal/framemem"
	"golang.org/x/term"
)

// Layers is what is drawn over the frame. The zero value draws the bare picture.
type Layers struct {
	// ROI is the floor area of interest, a polygon in fractions of the picture (0..1, y down); empty means
	// everywhere. Outside it the picture is dimmed; its outline is red.
	ROI [][2]float64
	// PrivacyZones are polygons like ROI whose pixels are blanked before anything reads the frame; drawn
	// blue.
	PrivacyZones [][][2]float64
	// Inner returns, for a w×h frame, the rectangle (in frame pixels) inside the left, right and bottom edge
	// bands, where a person is in view (tracker.EdgeBand); the bands are drawn yellow, at least one text
	// cell wide. nil draws no band.
	Inner func(w, h int) image.Rectangle
	// EdgeInView is the share of a person's width that must be in view at the left or right edge before
	// their track gets foot points (tracker.edge_in_view), for the legend.
	EdgeInView float64
}

// Frame is a luma picture: the sample at (x, y) is Pix[y*Stride+x].
type Frame struct {
	Pix                   []byte
	Width, Height, Stride int
}

// Colours of the layers, as 24-bit RGB.
var (
	ROIColour  = [3]uint8{255, 40, 40}
	ZoneColour = [3]uint8{40, 40, 200}
	EdgeColour = [3]uint8{230, 200, 0}
)

// Limits of the drawing's width in text columns.
const (
	MinCols = 16
	MaxCols = 1000
)

// ErrNotTerminal is returned by Show when its output is not a terminal.
var ErrNotTerminal = errors.New("the picture is drawn only on a terminal, never into a file or a pipe: run it in a terminal without redirecting standard output")

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Show draws f with l's layers, cols text columns wide, on out, which must be a terminal (ErrNotTerminal
// otherwise). The rendered text lives in a buffer outside the Go heap where the system has one (locked
// when allowed) and is wiped before Show returns.
func Show(out io.Writer, f Frame, cols int, l Layers) error {
	if !IsTerminal(out) {
		return ErrNotTerminal
	}
	if err := check(f, cols); err != nil {
		return err
	}
	n := Size(f.Width, f.Height, cols)
	buf, err := framemem.Map(n)
	if err == nil {
		locked := framemem.Lock(buf) == nil
		defer func() {
			clear(buf)
			if locked {
				_ = framemem.Unlock(buf)
			}
			_ = framemem.Unmap(buf)
		}()
	} else {
		buf = make([]byte, n) // no anonymous mappings on this system: the heap, wiped all the same
		defer clear(buf)
	}
	text := Render(buf[:0], f, cols, l)
	_, err = out.Write(text)
	return err
}

func check(f Frame, cols int) error {
	if cols < MinCols || cols > MaxCols {
		return fmt.Errorf("roiview: %d columns is outside %d..%d", cols, MinCols, MaxCols)
	}
	if f.Width < 2 || f.Height < 2 || f.Stride < f.Width || len(f.Pix) < (f.Height-1)*f.Stride+f.Width {
		return fmt.Errorf("roiview: frame %dx%d, stride %d, holds %d bytes: inconsistent", f.Width, f.Height, f.Stride, len(f.Pix))
	}
	return nil
}

// Rows is the number of picture rows (two per text line) of a w×h frame drawn cols columns wide.
func Rows(w, h, cols int) int { return (h*cols/w + 1) / 2 * 2 }

// cellBytes is the longest text of one cell: two 24-bit colour escapes and the half block.
const cellBytes = len("\x1b[38;2;255;255;255m\x1b[48;2;255;255;255m▀")

// legendBytes bounds the legend's length.
const legendBytes = 1024

// Size bounds the length of Render's text for a w×h frame drawn cols columns wide.
func Size(w, h, cols int) int {
	return Rows(w, h, cols)/2*(cols*cellBytes+len("\x1b[0m\n")) + legendBytes
}

// Render appends the drawing of f with l's layers, cols text columns wide, and a legend to dst and returns
// it; with dst of capacity Size it does not allocate. It writes nothing anywhere: Show is the way to
// display it. A frame or width that check would refuse renders nothing.
func Render(dst []byte, f Frame, cols int, l Layers) []byte {
	if check(f, cols) != nil {
		return dst
	}
	w, h := f.Width, f.Height
	rows := Rows(w, h, cols)
	inner := image.Rect(0, 0, w, h)
	if l.Inner != nil {
		inner = l.Inner(w, h).Intersect(inner)
	}
	hasEdge := l.Inner != nil && inner != image.Rect(0, 0, w, h)
	px := func(cx, cy int) [3]uint8 {
		// Box average of the frame pixels under scaled pixel (cx, cy).
		x0, x1 := cx*w/cols, max((cx+1)*w/cols, cx*w/cols+1)
		y0, y1 := cy*h/rows, max((cy+1)*h/rows, cy*h/rows+1)
		s, n := 0, 0
		for y := y0; y < min(y1, h); y++ {
			for x := x0; x < min(x1, w); x++ {
				s += int(f.Pix[y*f.Stride+x])
				n++
			}
		}
		g := uint8(s / max(n, 1))
		nx, ny := (float64(cx)+0.5)/float64(cols), (float64(cy)+0.5)/float64(rows)
		ex, ey := 1/float64(cols), 1/float64(rows)
		switch {
		case inAny(l.PrivacyZones, nx, ny):
			return [3]uint8{g / 3, g / 3, 120 + g/2}
		case hasEdge && (x0 < inner.Min.X || x1 > inner.Max.X || y1 > inner.Max.Y):
			return EdgeColour // over the area's outline, which at the picture's border tells nothing
		case len(l.ROI) > 0 && nearEdge(l.ROI, nx, ny, ex, ey):
			return ROIColour
		case len(l.ROI) > 0 && !inAny([][][2]float64{l.ROI}, nx, ny):
			return [3]uint8{g * 2 / 5, g * 2 / 5, g * 2 / 5}
		}
		return [3]uint8{g, g, g}
	}
	for cy := 0; cy < rows; cy += 2 {
		for cx := range cols {
			dst = colour(dst, 38, px(cx, cy))
			dst = colour(dst, 48, px(cx, cy+1))
			dst = append(dst, "▀"...)
		}
		dst = append(dst, "\x1b[0m\n"...)
	}
	if len(l.ROI) == 0 {
		dst = append(dst, "tracker.roi is not set: tracks may start anywhere in the picture.\n"...)
	} else {
		dst = colour(dst, 38, ROIColour)
		dst = append(dst, "▀\x1b[0m outline of tracker.roi: tracks start only inside it (dimmed outside).\n"...)
	}
	if len(l.PrivacyZones) > 0 {
		dst = colour(dst, 38, ZoneColour)
		dst = append(dst, "▀\x1b[0m tracker.privacy_zones: blanked before anything reads the frame.\n"...)
	}
	if hasEdge {
		dst = colour(dst, 38, EdgeColour)
		dst = append(dst, "▀\x1b[0m edge bands: a person reaching into one is partly out of view, tracked without foot points "+
			"while touching the bottom band, and at the sides until "...)
		if l.EdgeInView > 0 {
			dst = strconv.AppendFloat(dst, 100*l.EdgeInView, 'f', -1, 64)
			dst = append(dst, '%')
		} else {
			dst = append(dst, "enough"...)
		}
		dst = append(dst, " of their width is in view (tracker.edge_in_view).\n"...)
	}
	return dst
}

// colour appends the 24-bit colour escape for the foreground (sgr 38) or background (48).
func colour(dst []byte, sgr int, c [3]uint8) []byte {
	dst = append(dst, "\x1b["...)
	dst = strconv.AppendInt(dst, int64(sgr), 10)
	dst = append(dst, ";2"...)
	for _, v := range c {
		dst = append(dst, ';')
		dst = strconv.AppendUint(dst, uint64(v), 10)
	}
	return append(dst, 'm')
}

// inAny reports whether (x, y) is inside one of the polygons (even-odd rule).
func inAny(polys [][][2]float64, x, y float64) bool {
	for _, p := range polys {
		in := false
		for i, j := 0, len(p)-1; i < len(p); j, i = i, i+1 {
			if (p[i][1] > y) != (p[j][1] > y) && x < (p[j][0]-p[i][0])*(y-p[i][1])/(p[j][1]-p[i][1])+p[i][0] {
				in = !in
			}
		}
		if in {
			return true
		}
	}
	return false
}

// nearEdge reports whether the scaled pixel of size ex×ey centred on (x, y) straddles the polygon's
// outline: some of its corners are inside and some are not.
func nearEdge(poly [][2]float64, x, y, ex, ey float64) bool {
	n := 0
	for _, c := range [4][2]float64{{-1, -1}, {1, -1}, {-1, 1}, {1, 1}} {
		if inAny([][][2]float64{poly}, x+c[0]*ex/2, y+c[1]*ey/2) {
			n++
		}
	}
	return n > 0 && n < 4
}
