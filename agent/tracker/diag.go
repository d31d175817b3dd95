package tracker

import (
	"fmt"
	"strings"
)

// AppendMask appends the cleaned foreground mask of the last frame to dst and returns the result: 8
// pixels a byte in raster order over the detector's grid (bit k of byte j is pixel 8j+k), then one byte
// with the pixels left over, padded with zeros (a zero byte when none are left; the only byte before the
// first frame). It is a diagnostic: it lets a test check that a change meant to leave the output alone (a
// faster pass over the pixels) gives the same mask bit for bit.
func (t *Tracker) AppendMask(dst []byte) []byte {
	d := &t.det
	var b byte
	n := 0
	for y := range d.h {
		for x := range d.w {
			if d.maskAt(x, y) {
				b |= 1 << (n & 7)
			}
			if n++; n&7 == 0 {
				dst = append(dst, b)
				b = 0
			}
		}
	}
	return append(dst, b)
}

// DebugState describes what the tracker saw in the last frame, for a person reading a diagnostic log:
// the detections, the predicted boxes, the blobs and the size model. Its format may change at any time.
func (t *Tracker) DebugState() string {
	var s strings.Builder
	s.WriteString("dets:")
	for _, d := range t.dets {
		fmt.Fprintf(&s, " [%.0f,%.0f %.0fx%.0f ns%v]", d.X, d.Y, d.W, d.H, d.NoStart)
	}
	s.WriteString("\n  boxes:")
	for _, bx := range t.boxes {
		fmt.Fprintf(&s, " [%.0f,%.0f %.0fx%.0f c%v m%v miss%d]", bx.X, bx.Y, bx.W, bx.H, bx.Confirmed, bx.Moved, bx.MissMS)
	}
	s.WriteString("\n  cands:")
	for _, c := range t.cands {
		fmt.Fprintf(&s, " [x%d-%d y%d-%d a%d]", c.x0, c.x1, c.y0, c.y1, c.area)
	}
	fmt.Fprintf(&s, "\n  size a=%.1f b=%.3f med=%.0f n=%v", t.size.a, t.size.b, t.size.med, t.size.n)
	return s.String()
}
