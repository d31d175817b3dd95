package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"image"
	"image/color"
	"math/bits"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ashiato/ashiato/agent/font"
)

// A tiny 8-px font: 'A' is a 3×3 block at (1,-1) from the origin; 'あ' is a full-width 8×8 L shape whose
// last column sticks out of its 7 px advance (so one column is clipped).
const testBDF = `STARTFONT 2.1
FONT test
SIZE 8 75 75
FONTBOUNDINGBOX 8 8 0 -2
STARTPROPERTIES 2
FONT_ASCENT 6
FONT_DESCENT 2
ENDPROPERTIES
CHARS 3
STARTCHAR A
ENCODING 65
SWIDTH 500 0
DWIDTH 4 0
BBX 3 3 1 -1
BITMAP
E0
A0
E0
ENDCHAR
STARTCHAR a
ENCODING 12354
SWIDTH 1000 0
DWIDTH 7 0
BBX 8 8 0 -2
BITMAP
80
80
80
80
80
80
80
FF
ENDCHAR
STARTCHAR unencoded
ENCODING -1
DWIDTH 4 0
BBX 1 1 0 0
BITMAP
80
ENDCHAR
ENDFONT
`

// wantA is the cell of 'A' (4 wide, 8 high, ascent 6): the glyph's bottom row sits at baseline-1 → cell
// row 6, so its rows are 4..6, columns 1..3, with a hole in the middle.
func wantA(x, y int) bool {
	return x >= 1 && x <= 3 && y >= 4 && y <= 6 && !(x == 2 && y == 5)
}

// wantHira is the cell of 'あ' (7 wide): a left bar and a bottom bar, the bottom bar's 8th pixel clipped.
func wantHira(x, y int) bool { return x == 0 || y == 7 }

func checkCells(t *testing.T, blob []byte) {
	t.Helper()
	f, err := font.Parse(blob)
	if err != nil {
		t.Fatalf("font.Parse: %v", err)
	}
	if f.Height() != 8 || f.Ascent() != 6 || f.Len() != 2 {
		t.Fatalf("height %d ascent %d len %d, want 8 6 2", f.Height(), f.Ascent(), f.Len())
	}
	for _, tc := range []struct {
		r    rune
		w    int
		want func(x, y int) bool
	}{{'A', 4, wantA}, {'あ', 7, wantHira}} {
		if f.Advance(tc.r) != tc.w {
			t.Errorf("advance %q = %d, want %d", tc.r, f.Advance(tc.r), tc.w)
		}
		img := image.NewPaletted(image.Rect(0, 0, 8, 8), color.Palette{color.White, color.Black})
		f.Draw(img, 0, 0, string(tc.r), color.Black)
		for y := 0; y < 8; y++ {
			for x := 0; x < 8; x++ {
				want := x < tc.w && tc.want(x, y)
				if got := img.ColorIndexAt(x, y) == 1; got != want {
					t.Errorf("%q pixel (%d,%d) = %v, want %v", tc.r, x, y, got, want)
				}
			}
		}
	}
}

func TestBDFToBlob(t *testing.T) {
	src, err := parseBDF(strings.NewReader(testBDF))
	if err != nil {
		t.Fatal(err)
	}
	if len(src.glyphs) != 2 {
		t.Fatalf("parsed %d glyphs, want 2 (the unencoded one skipped)", len(src.glyphs))
	}
	blob, st, err := build(src, map[rune]bool{'A': true, 'あ': true, 'B': true})
	if err != nil {
		t.Fatal(err)
	}
	if st.glyphs != 2 || st.missing != 1 || st.clipped != 1 {
		t.Errorf("stats %+v, want 2 glyphs, 1 missing, 1 clipped", st)
	}
	checkCells(t, blob)
}

func TestBDFErrors(t *testing.T) {
	for name, s := range map[string]string{
		"rows":  strings.Replace(testBDF, "E0\nA0\nE0\n", "E0\nA0\n", 1),
		"hex":   strings.Replace(testBDF, "A0\n", "ZZ\n", 1),
		"open":  strings.TrimSuffix(testBDF, "ENDCHAR\nENDFONT\n"),
		"empty": "",
	} {
		if _, err := parseBDF(strings.NewReader(s)); err == nil {
			t.Errorf("%s: parseBDF succeeded on a broken font", name)
		}
	}
}

// pcfFromBDF writes src as a PCF with the given bitmap format bits, so the reader's byte- and bit-order
// handling is exercised. It mirrors the layout libXfont reads: table of contents, then tables.
func pcfFromBDF(t *testing.T, src *source, format uint32) []byte {
	t.Helper()
	var order binary.ByteOrder = binary.LittleEndian
	if format&(1<<2) != 0 {
		order = binary.BigEndian
	}
	runes := []rune{'A', 'あ'}
	pad := 1 << (format & 3)
	unit := 1 << ((format >> 4) & 3)

	table := func(body func(w *bytes.Buffer)) []byte {
		var w bytes.Buffer
		binary.Write(&w, binary.LittleEndian, format)
		body(&w)
		return w.Bytes()
	}
	acc := table(func(w *bytes.Buffer) {
		w.Write(make([]byte, 8))
		binary.Write(w, order, int32(src.ascent))
		binary.Write(w, order, int32(src.descent))
	})
	met := table(func(w *bytes.Buffer) {
		binary.Write(w, order, int32(len(runes)))
		for _, r := range runes {
			g := src.glyphs[r]
			for _, v := range []int{g.xoff, g.xoff + g.w, g.adv, g.h + g.yoff, -g.yoff, 0} {
				binary.Write(w, order, int16(v))
			}
		}
	})
	var data []byte
	var offs []int32
	for _, r := range runes {
		g := src.glyphs[r]
		offs = append(offs, int32(len(data)))
		stride := ((g.w+7)/8 + pad - 1) / pad * pad
		for _, row := range g.rows {
			line := make([]byte, stride)
			copy(line, row)
			data = append(data, line...)
		}
	}
	// Encode from canonical (MSByte, MSBit) into the requested order: the inverse of normalisePCFBits.
	if format&(1<<3) == 0 {
		for i, v := range data {
			data[i] = bits.Reverse8(v)
		}
	}
	if unit > 1 && (format&(1<<2) != 0) != (format&(1<<3) != 0) {
		for i := 0; i+unit <= len(data); i += unit {
			for a, z := i, i+unit-1; a < z; a, z = a+1, z-1 {
				data[a], data[z] = data[z], data[a]
			}
		}
	}
	bm := table(func(w *bytes.Buffer) {
		binary.Write(w, order, int32(len(runes)))
		for _, o := range offs {
			binary.Write(w, order, o)
		}
		for i := 0; i < 4; i++ {
			binary.Write(w, order, int32(len(data)))
		}
		w.Write(data)
	})
	enc := table(func(w *bytes.Buffer) {
		// byte2 0x41..0x42, byte1 0x00..0x30; only 0x0041 ('A', glyph 0) and 0x3042 ('あ', glyph 1) exist.
		for _, v := range []int16{0x41, 0x42, 0x00, 0x30, 0} {
			binary.Write(w, order, v)
		}
		for b1 := 0x00; b1 <= 0x30; b1++ {
			for b2 := 0x41; b2 <= 0x42; b2++ {
				idx := int16(-1)
				switch b1<<8 | b2 {
				case 'A':
					idx = 0
				case 'あ':
					idx = 1
				}
				binary.Write(w, order, idx)
			}
		}
	})
	tables := []struct {
		typ  uint32
		body []byte
	}{{pcfBDFAccelerators, acc}, {pcfMetrics, met}, {pcfBitmaps, bm}, {pcfBDFEncodings, enc}}
	var out bytes.Buffer
	out.WriteString("\x01fcp")
	binary.Write(&out, binary.LittleEndian, uint32(len(tables)))
	off := 8 + 16*len(tables)
	for _, tb := range tables {
		for _, v := range []uint32{tb.typ, format, uint32(len(tb.body)), uint32(off)} {
			binary.Write(&out, binary.LittleEndian, v)
		}
		off += len(tb.body)
	}
	for _, tb := range tables {
		out.Write(tb.body)
	}
	return out.Bytes()
}

func TestPCFToBlob(t *testing.T) {
	src, err := parseBDF(strings.NewReader(testBDF))
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := build(src, map[rune]bool{'A': true, 'あ': true})
	if err != nil {
		t.Fatal(err)
	}
	// 0x0e is what efont's PCF files use: pad 4, MSByte, MSBit, unit 1. The others flip bit order and use
	// 2- and 4-byte scan units.
	for _, format := range []uint32{0x0e, 0x00, 0x01 | 1<<2 | 1<<4, 0x02 | 1<<3 | 2<<4} {
		pcf := pcfFromBDF(t, src, format)
		dir := t.TempDir()
		path := filepath.Join(dir, "t.pcf.gz")
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(pcf)
		zw.Close()
		if err := os.WriteFile(path, gz.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := load(path)
		if err != nil {
			t.Fatalf("format %#x: %v", format, err)
		}
		blob, _, err := build(got, map[rune]bool{'A': true, 'あ': true})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(blob, want) {
			t.Errorf("format %#x: PCF blob differs from the BDF blob", format)
			checkCells(t, blob)
		}
		if _, err := parsePCF(pcf[:len(pcf)/2]); err == nil {
			t.Errorf("format %#x: a truncated PCF parsed", format)
		}
	}
}

func TestCharmap(t *testing.T) {
	cm := `<code_set_name> EUC-JP
CHARMAP
<U0041>     /x41         LATIN CAPITAL LETTER A
<U3042>     /xa4/xa2     HIRAGANA LETTER A
<U4E9C>     /xb0/xa1     <CJK>
<UFF71>     /x8e/xb1     HALFWIDTH KATAKANA LETTER A
<U4E02>     /x8f/xb0/xa2 <CJK>
END CHARMAP
`
	path := filepath.Join(t.TempDir(), "cm")
	if err := os.WriteFile(path, []byte(cm), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := loadCharmap(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "あ亜" {
		t.Errorf("charmap runes %q, want only the two-byte JIS X 0208 codes %q", string(got), "あ亜")
	}
}

// TestEmbeddedIsReproducible regenerates the committed 12 px blob when the Debian font and charmap are
// installed, so a stale or hand-edited blob is caught.
func TestEmbeddedIsReproducible(t *testing.T) {
	const pcf, cm = "/usr/share/fonts/X11/misc/b12.pcf.gz", "/usr/share/i18n/charmaps/EUC-JP.gz"
	for _, p := range []string{pcf, cm} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s absent (apt-get install xfonts-efont-unicode locales): %v", p, err)
		}
	}
	committed, err := os.ReadFile("../../agent/font/efont12.bin")
	if err != nil {
		t.Fatal(err)
	}
	src, err := load(pcf)
	if err != nil {
		t.Fatal(err)
	}
	want := baseSet(defaultExtra)
	runes, err := loadCharmap(cm)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runes {
		want[r] = true
	}
	blob, _, err := build(src, want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(blob, committed) {
		t.Error("agent/font/efont12.bin differs from a fresh fontgen run; run go generate ./agent/font")
	}
}
