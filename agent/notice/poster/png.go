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
	for _, s := range p.Shapes {
		fillPoly(img, s.Poly, s.Fill, px)
	}
	if c := p.Code; c != nil {
		m := p.QR.W / float64(c.Size+2*QuietZone)
		fillPoly(img, rectPoly(p.QR), White, px)
		for y := 0; y < c.Size; y++ {
			for x := 0; x < c.Size; x++ {
				if c.Black(x, y) {
					fillPoly(img, rectPoly(Rect{p.QR.X + float64(x+QuietZone)*m, p.QR.Y + float64(y+QuietZone)*m, m, m}), color.Black, px)
				}
			}
		}
	}
	if err := drawTexts(img, p.Texts, dpi); err != nil {
		return nil, err
	}
	return img, nil
}

// fillPoly fills the polygon poly (in mm, px pixels a mm) on img with c.
func fillPoly(img *image.RGBA, poly []Pt, c color.Color, px float64) {
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

// drawTexts draws the texts on img at dpi, one glyph at a time at the advances the layout measured.
func drawTexts(img *image.RGBA, texts []Text, dpi float64) error {
	f, err := sfntFont()
	if err != nil {
		return err
	}
	px := dpi / 25.4
	faces := map[float64]xfont.Face{}
	for _, t := range texts {
		face := faces[t.Size]
		if face == nil {
			if face, err = opentype.NewFace(f, &opentype.FaceOptions{Size: t.Size, DPI: dpi, Hinting: xfont.HintingNone}); err != nil {
				return err
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
	return nil
}

func rectPoly(r Rect) []Pt {
	return []Pt{{r.X, r.Y}, {r.X + r.W, r.Y}, {r.X + r.W, r.Y + r.H}, {r.X, r.Y + r.H}}
}
