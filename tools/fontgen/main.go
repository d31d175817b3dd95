// Command fontgen converts a BDF or PCF bitmap font into the compact blob that agent/font embeds.
//
// Usage (the efont files come from the Debian package xfonts-efont-unicode, the charmap from locales):
//
//	go run ./tools/fontgen -in /usr/share/fonts/X11/misc/b12.pcf.gz \
//	    -charmap /usr/share/i18n/charmaps/EUC-JP.gz -o agent/font/efont12.bin
//
// It keeps ASCII, Latin-1, CJK punctuation, kana, half- and full-width forms, the runes of -extra, and every
// rune that the glibc charmap maps to a two-byte EUC-JP code (that is, JIS X 0208, including its kanji).
// The blob format is documented in agent/font.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// glyph is one source glyph in BDF terms: a w×h bitmap whose bottom-left corner is at (xoff, yoff) from the
// origin on the baseline, rows most-significant-bit first.
type glyph struct {
	adv, w, h, xoff, yoff int
	rows                  [][]byte
}

func (g glyph) on(x, y int) bool { return g.rows[y][x>>3]&(0x80>>(x&7)) != 0 }

// source is a parsed font.
type source struct {
	ascent, descent int
	glyphs          map[rune]glyph
}

// defaultExtra are symbols kept besides the ranges; most are in JIS X 0208 too.
const defaultExtra = "●○■□◆◇▲△▼▽★☆※→←↑↓・"

func main() {
	in := flag.String("in", "", "input font: .bdf, .pcf or .pcf.gz")
	charmap := flag.String("charmap", "", "glibc charmap (e.g. /usr/share/i18n/charmaps/EUC-JP.gz); its two-byte codes are kept")
	extra := flag.String("extra", defaultExtra, "extra runes to keep")
	out := flag.String("o", "", "output blob")
	flag.Parse()
	if *in == "" || *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	src, err := load(*in)
	if err != nil {
		log.Fatal(err)
	}
	want := baseSet(*extra)
	if *charmap != "" {
		cm, err := loadCharmap(*charmap)
		if err != nil {
			log.Fatal(err)
		}
		for _, r := range cm {
			want[r] = true
		}
	}
	blob, st, err := build(src, want)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, blob, 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("fontgen: %s: %d glyphs, %d wanted runes absent, %d pixels clipped, %d bytes",
		*out, st.glyphs, st.missing, st.clipped, len(blob))
}

// load reads a BDF, PCF or gzip-compressed PCF/BDF file, chosen by content.
func load(path string) (*source, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("fontgen: %w", err)
	}
	if len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("fontgen: %s: %w", path, err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			return nil, fmt.Errorf("fontgen: %s: %w", path, err)
		}
	}
	if bytes.HasPrefix(b, []byte("\x01fcp")) {
		return parsePCF(b)
	}
	return parseBDF(bytes.NewReader(b))
}

// baseSet is the set of runes kept regardless of the charmap.
func baseSet(extra string) map[rune]bool {
	want := map[rune]bool{}
	add := func(lo, hi rune) {
		for r := lo; r <= hi; r++ {
			want[r] = true
		}
	}
	add(0x20, 0x7e)     // ASCII
	add(0xa0, 0xff)     // Latin-1
	add(0x2010, 0x2027) // dashes, quotes, bullet, ellipsis
	add(0x3000, 0x303f) // CJK symbols and punctuation
	add(0x3040, 0x30ff) // hiragana, katakana
	add(0xff01, 0xff9f) // full-width ASCII, half-width kana
	for _, r := range extra {
		want[r] = true
	}
	return want
}

var charmapLine = regexp.MustCompile(`^<U([0-9A-Fa-f]{4,6})>\s+/x([0-9a-fA-F]{2})/x([0-9a-fA-F]{2})\s`)

// loadCharmap returns the runes that a glibc charmap maps to two-byte codes whose first byte is 0xA1–0xFE
// (for EUC-JP: JIS X 0208).
func loadCharmap(path string) ([]rune, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("fontgen: %w", err)
	}
	defer f.Close()
	var rd io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("fontgen: %s: %w", path, err)
		}
		rd = zr
	}
	var out []rune
	sc := bufio.NewScanner(rd)
	for sc.Scan() {
		m := charmapLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		b1, _ := strconv.ParseUint(m[2], 16, 8)
		if b1 < 0xa1 || b1 > 0xfe {
			continue
		}
		u, _ := strconv.ParseUint(m[1], 16, 32)
		out = append(out, rune(u))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("fontgen: %s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("fontgen: %s: no two-byte codes found", path)
	}
	return out, nil
}

type stats struct{ glyphs, missing, clipped int }

// build writes the blob for the wanted runes that src has, each drawn into an adv×height cell.
func build(src *source, want map[rune]bool) ([]byte, stats, error) {
	var st stats
	height := src.ascent + src.descent
	if src.ascent <= 0 || src.descent < 0 || height > 255 {
		return nil, st, fmt.Errorf("fontgen: bad font ascent %d / descent %d", src.ascent, src.descent)
	}
	var runes []rune
	for r := range want {
		if r > 0xffff {
			continue
		}
		g, ok := src.glyphs[r]
		if !ok {
			st.missing++
			continue
		}
		if g.adv <= 0 || g.adv > 32 {
			continue // zero-width (combining) or oversized glyphs are not supported
		}
		runes = append(runes, r)
	}
	if len(runes) == 0 {
		return nil, st, errors.New("fontgen: no glyphs selected")
	}
	slices.Sort(runes)
	st.glyphs = len(runes)

	var hdr, table, adv, bm bytes.Buffer
	hdr.WriteString("ASHF")
	hdr.Write([]byte{1, byte(height), byte(src.ascent), 0})
	binary.Write(&hdr, binary.LittleEndian, uint32(len(runes)))
	for _, r := range runes {
		g := src.glyphs[r]
		binary.Write(&table, binary.LittleEndian, uint16(r))
		adv.WriteByte(byte(g.adv))
		cell := make([]byte, (g.adv*height+7)/8)
		top := src.ascent - (g.yoff + g.h) // cell row of the glyph's first bitmap row
		for y := 0; y < g.h; y++ {
			for x := 0; x < g.w; x++ {
				if !g.on(x, y) {
					continue
				}
				cx, cy := g.xoff+x, top+y
				if cx < 0 || cx >= g.adv || cy < 0 || cy >= height {
					st.clipped++
					continue
				}
				bit := cy*g.adv + cx
				cell[bit>>3] |= 0x80 >> (bit & 7)
			}
		}
		bm.Write(cell)
	}
	return slices.Concat(hdr.Bytes(), table.Bytes(), adv.Bytes(), bm.Bytes()), st, nil
}
