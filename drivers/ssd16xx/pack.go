package ssd16xx

import (
	"image"
	"image/color"
)

// stride is the number of bytes in one RAM row.
func (o *Opts) stride() int { return (o.RAMColumns + 7) / 8 }

// planeSize is the number of bytes in one RAM plane.
func (o *Opts) planeSize() int { return o.stride() * o.RAMRows }

// ramPos maps drawing (x, y), 0 ≤ x < Width, 0 ≤ y < Height, to a RAM column and row.
func (o *Opts) ramPos(x, y int) (col, row int) {
	switch o.Rotation {
	case Rotate90:
		return y + o.ColumnOffset, o.Width - 1 - x
	case Rotate180:
		return o.Width - 1 - x + o.ColumnOffset, o.Height - 1 - y
	case Rotate270:
		return o.Height - 1 - y + o.ColumnOffset, x
	default:
		return x + o.ColumnOffset, y
	}
}

// pack converts img to the panel's native planes. In the black/white plane a 1 bit is white and a 0 bit
// black; in the colour plane a 1 bit is coloured. Bits are MSB first: RAM (col, row) is byte
// row*stride + col/8, bit 0x80>>(col%8). Unused RAM (padding, offset columns, pixels outside img) is white
// and uncoloured. colour is all zero unless o.Colour.
func (o *Opts) pack(img image.Image) (bw, colour []byte) {
	n := o.planeSize()
	bw = make([]byte, n)
	colour = make([]byte, n)
	for i := range bw {
		bw[i] = 0xFF
	}
	stride := o.stride()
	b := img.Bounds()
	thr := uint32(o.Threshold) * 0x101
	for y := 0; y < o.Height; y++ {
		py := b.Min.Y + y
		if py >= b.Max.Y {
			break
		}
		for x := 0; x < o.Width; x++ {
			px := b.Min.X + x
			if px >= b.Max.X {
				break
			}
			black, red := o.classify(img.At(px, py), thr)
			if !black && !red {
				continue
			}
			col, row := o.ramPos(x, y)
			i, bit := row*stride+col/8, byte(0x80)>>(col%8)
			if red {
				colour[i] |= bit
			} else {
				bw[i] &^= bit
			}
		}
	}
	return bw, colour
}

// classify reports whether c is drawn black, or coloured (only with o.Colour). thr is the 16-bit luma
// threshold.
func (o *Opts) classify(c color.Color, thr uint32) (black, red bool) {
	r, g, b, a := c.RGBA()
	if a < 0x8000 {
		return false, false // mostly transparent: paper
	}
	if o.Colour && r >= 0x8000 && g < 0x8000 && b < 0x8000 {
		return false, true
	}
	// Un-premultiply so that a half-transparent white is not taken for grey.
	if a != 0xFFFF {
		r, g, b = r*0xFFFF/a, g*0xFFFF/a, b*0xFFFF/a
	}
	// Rec. 601 luma, the weights of color.GrayModel.
	y := (19595*r + 38470*g + 7471*b + 1<<15) >> 16
	return y < thr, false
}
