package poster

import (
	"image"
	"image/color"
	"image/draw"
	"math"

	xfont "golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"

	"github.com/ashiato/ashiato/agent/notice"
)

// RenderPNG rasterises the same layout as WritePDF at dpi dots per inch, for previews. The result is
// owned by the caller.
func RenderPNG(n notice.Notice, paper Paper, dpi float64) (*image.RGBA, error) {
	p, err := Layout(n, paper)
	if err != nil {
		return nil, err
	}
	px := dpi / 25.4
	// Whole pixels covering the sheet, rounded up as poppler does.
	img := image.NewRGBA(image.Rect(0, 0, int(math.Ceil(paper.W*px)), int(math.Ceil(paper.H*px))))
	draw.Draw(img, img.Bounds(), image.NewUniform(White), image.Point{}, draw.Src)
	fill := func(poly []Pt, c color.Color) {
		// A rasterizer the size of the shape's bounding box, not of the sheet.
		x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, q := range poly {
			x0, y0 = math.Min(x0, q.X*px), math.Min(y0, q.Y*px)
			x1, y1 = math.Max(x1, q.X*px), math.Max(y1, q.Y*px)
		}
		bb := image.Rect(int(math.Floor(x0)), int(math.Floor(y0)), int(math.Ceil(x1)), int(math.Ceil(y1))).Intersect(img.Rect)
		if bb.Empty() {
			return
		}
		r := vector.NewRasterizer(bb.Dx(), bb.Dy())
		r.DrawOp = draw.Over
		r.MoveTo(float32(poly[0].X*px-float64(bb.Min.X)), float32(poly[0].Y*px-float64(bb.Min.Y)))
		for _, q := range poly[1:] {
			r.LineTo(float32(q.X*px-float64(bb.Min.X)), float32(q.Y*px-float64(bb.Min.Y)))
		}
		r.ClosePath()
		r.Draw(img, bb, image.NewUniform(c), bb.Min)
	}
	for _, s := range p.Shapes {
		fill(s.Poly, s.Fill)
	}
	if c := p.Code; c != nil {
		m := p.QR.W / float64(c.Size+2*QuietZone)
		fill(rectPoly(p.QR), White)
		for y := 0; y < c.Size; y++ {
			for x := 0; x < c.Size; x++ {
				if c.Black(x, y) {
					fill(rectPoly(Rect{p.QR.X + float64(x+QuietZone)*m, p.QR.Y + float64(y+QuietZone)*m, m, m}), color.Black)
				}
			}
		}
	}
	f, err := sfntFont()
	if err != nil {
		return nil, err
	}
	faces := map[float64]xfont.Face{}
	for _, t := range p.Texts {
		face := faces[t.Size]
		if face == nil {
			if face, err = opentype.NewFace(f, &opentype.FaceOptions{Size: t.Size, DPI: dpi, Hinting: xfont.HintingNone}); err != nil {
				return nil, err
			}
			faces[t.Size] = face
		}
		d := xfont.Drawer{Dst: img, Src: image.NewUniform(t.Color), Face: face}
		x := t.X
		for _, r := range t.S {
			d.Dot = fixed.Point26_6{X: fixed.Int26_6(x * px * 64), Y: fixed.Int26_6(t.Y * px * 64)}
			d.DrawString(string(r))
			x += advance(r) * t.Size * mmPerPt
		}
	}
	return img, nil
}

func rectPoly(r Rect) []Pt {
	return []Pt{{r.X, r.Y}, {r.X + r.W, r.Y}, {r.X + r.W, r.Y + r.H}, {r.X, r.Y + r.H}}
}
