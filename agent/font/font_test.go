package font

import (
	"encoding/binary"
	"image"
	"image/color"
	"strings"
	"testing"
)

var bw = color.Palette{color.White, color.Black}

func canvas(w, h int) *image.Paletted { return image.NewPaletted(image.Rect(0, 0, w, h), bw) }

func black(img *image.Paletted) int {
	n := 0
	for _, p := range img.Pix {
		if p == 1 {
			n++
		}
	}
	return n
}

func TestEmbeddedFaces(t *testing.T) {
	for _, tc := range []struct {
		name           string
		f              *Face
		height, ascent int
	}{{"12", Face12(), 12, 10}, {"16", Face16(), 16, 14}} {
		if tc.f.Height() != tc.height || tc.f.Ascent() != tc.ascent {
			t.Errorf("face %s: height %d ascent %d, want %d %d", tc.name, tc.f.Height(), tc.f.Ascent(), tc.height, tc.ascent)
		}
		// JIS X 0208 has 6879 characters; with ASCII and Latin-1 there must be more than 7000 glyphs.
		if tc.f.Len() < 7000 {
			t.Errorf("face %s has %d glyphs, want ≥ 7000", tc.name, tc.f.Len())
		}
		text := "撮影中です。映像は保存・送信しません。保存期間：９０日　お問い合わせ：店舗スタッフ Recording 0-9 QR é ｱ 鴎 熙 凜"
		for _, r := range text {
			if !tc.f.Has(r) {
				t.Errorf("face %s lacks %q (U+%04X)", tc.name, r, r)
			}
		}
		if got := tc.f.Advance('A'); got != tc.height/2 {
			t.Errorf("face %s: advance of A = %d, want half width %d", tc.name, got, tc.height/2)
		}
		if got := tc.f.Advance('撮'); got != tc.height {
			t.Errorf("face %s: advance of 撮 = %d, want full width %d", tc.name, got, tc.height)
		}
		if got, want := tc.f.Measure("A撮"), tc.height/2+tc.height; got != want {
			t.Errorf("face %s: Measure = %d, want %d", tc.name, got, want)
		}
	}
}

// TestGlyphFromSource checks the bitmap mapping against the efont b12 source: glyph "A" is BBX 6 12 0 -2
// and its fourth row is 0x38, three pixels at x = 2..4.
func TestGlyphFromSource(t *testing.T) {
	img := canvas(6, 12)
	Face12().Draw(img, 0, 0, "A", color.Black)
	for x := 0; x < 6; x++ {
		want := x >= 2 && x <= 4
		if got := img.ColorIndexAt(x, 3) == 1; got != want {
			t.Errorf("pixel (%d,3) black = %v, want %v", x, got, want)
		}
	}
	for x := 0; x < 6; x++ {
		if img.ColorIndexAt(x, 0) != 0 {
			t.Errorf("pixel (%d,0) is black; the top rows of A are empty", x)
		}
	}
}

func TestDrawDistinctAndScaled(t *testing.T) {
	f := Face16()
	a, b := canvas(16, 16), canvas(16, 16)
	f.Draw(a, 0, 0, "撮", color.Black)
	f.Draw(b, 0, 0, "影", color.Black)
	if black(a) == 0 || string(a.Pix) == string(b.Pix) {
		t.Fatalf("撮 and 影 draw the same or nothing (%d black pixels)", black(a))
	}
	s := canvas(32, 32)
	end := f.DrawScaled(s, 0, 0, 2, "撮", color.Black)
	if end != 32 {
		t.Errorf("DrawScaled returned x=%d, want 32", end)
	}
	if black(s) != 4*black(a) {
		t.Errorf("scale 2 drew %d pixels, want 4×%d", black(s), black(a))
	}
	for y := 0; y < 16; y++ {
		for x := 0; x < 16; x++ {
			if s.ColorIndexAt(2*x+1, 2*y+1) != a.ColorIndexAt(x, y) {
				t.Fatalf("scaled pixel (%d,%d) differs from the unscaled glyph", x, y)
			}
		}
	}
}

func TestDrawLeavesBackgroundAndClips(t *testing.T) {
	img := canvas(20, 12)
	for i := range img.Pix {
		img.Pix[i] = 1
	}
	Face12().Draw(img, 0, 0, "A", color.White)
	if black(img) == 20*12 {
		t.Fatal("drawing in white changed nothing")
	}
	if img.ColorIndexAt(0, 0) != 1 {
		t.Error("background pixel (0,0) was overwritten")
	}
	// Drawing partly or wholly outside the image must not panic.
	Face12().Draw(canvas(5, 5), -7, -3, "撮影AB", color.Black)
	Face12().DrawScaled(canvas(5, 5), 100, 100, 3, "撮", color.Black)
	// A generic draw.Image takes the slow path and gives the same pixels.
	p, g := canvas(12, 12), image.NewGray(image.Rect(0, 0, 12, 12))
	Face12().Draw(p, 0, 0, "影", color.Black)
	Face12().Draw(g, 0, 0, "影", color.White)
	for i := range p.Pix {
		if (p.Pix[i] == 1) != (g.Pix[i] == 0xff) {
			t.Fatalf("paletted and gray renderings differ at %d", i)
		}
	}
}

func TestMissingGlyphBox(t *testing.T) {
	f := Face12()
	for _, tc := range []struct {
		r rune
		w int
	}{{'\U0001F600', 12}, {'\u0378', 6}} {
		if f.Has(tc.r) {
			t.Fatalf("face unexpectedly has U+%04X", tc.r)
		}
		if got := f.Advance(tc.r); got != tc.w {
			t.Errorf("Advance(U+%04X) = %d, want %d", tc.r, got, tc.w)
		}
		img := canvas(tc.w, 12)
		f.Draw(img, 0, 0, string(tc.r), color.Black)
		// A hollow rectangle inset 1 px: columns 1..w-2, rows 1..10.
		bw, bh := tc.w-2, 10
		if got, want := black(img), 2*bw+2*bh-4; got != want {
			t.Errorf("box for U+%04X has %d pixels, want %d", tc.r, got, want)
		}
		if img.ColorIndexAt(1, 1) != 1 || img.ColorIndexAt(tc.w-2, 10) != 1 || img.ColorIndexAt(tc.w/2, 5) != 0 {
			t.Errorf("box for U+%04X is not a hollow rectangle", tc.r)
		}
	}
}

func TestParseRejects(t *testing.T) {
	good := blob12
	cases := map[string][]byte{
		"empty":     nil,
		"magic":     append([]byte("XXXX"), good[4:]...),
		"version":   append(append([]byte{}, good[:4]...), append([]byte{2}, good[5:]...)...),
		"truncated": good[:len(good)-1],
		"long":      append(append([]byte{}, good...), 0),
	}
	unsorted := append([]byte{}, good...)
	binary.LittleEndian.PutUint16(unsorted[headerLen+2:], 0) // second rune ≤ first
	cases["unsorted"] = unsorted
	for name, b := range cases {
		if _, err := Parse(b); err == nil || !strings.HasPrefix(err.Error(), "font: ") {
			t.Errorf("%s: Parse error = %v, want a font: error", name, err)
		}
	}
	if _, err := Parse(good); err != nil {
		t.Fatalf("Parse(embedded) = %v", err)
	}
}
