package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// parseBDF decodes a BDF 2.1 font. Glyphs with ENCODING -1 are skipped.
func parseBDF(rd io.Reader) (*source, error) {
	src := &source{glyphs: map[rune]glyph{}}
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	line := 0
	var (
		g       glyph
		enc     int
		inChar  bool
		inBits  bool
		gotFont bool
	)
	bad := func(format string, a ...any) error {
		return fmt.Errorf("fontgen: bdf line %d: %s", line, fmt.Sprintf(format, a...))
	}
	ints := func(f []string, n int) ([]int, error) {
		if len(f) < n+1 {
			return nil, bad("%s needs %d numbers", f[0], n)
		}
		out := make([]int, n)
		for i := range out {
			v, err := strconv.Atoi(f[i+1])
			if err != nil {
				return nil, bad("%s: %v", f[0], err)
			}
			out[i] = v
		}
		return out, nil
	}
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if inBits {
			if f[0] == "ENDCHAR" {
				inBits, inChar = false, false
				if len(g.rows) != g.h {
					return nil, bad("glyph has %d rows, BBX says %d", len(g.rows), g.h)
				}
				if enc >= 0 {
					src.glyphs[rune(enc)] = g
				}
				continue
			}
			row, err := hex.DecodeString(f[0])
			if err != nil || len(row) < (g.w+7)/8 {
				return nil, bad("bad bitmap row %q", f[0])
			}
			g.rows = append(g.rows, row[:(g.w+7)/8])
			continue
		}
		switch f[0] {
		case "STARTFONT":
			gotFont = true
		case "FONT_ASCENT":
			v, err := ints(f, 1)
			if err != nil {
				return nil, err
			}
			src.ascent = v[0]
		case "FONT_DESCENT":
			v, err := ints(f, 1)
			if err != nil {
				return nil, err
			}
			src.descent = v[0]
		case "STARTCHAR":
			inChar, g, enc = true, glyph{}, -1
		case "ENCODING":
			v, err := ints(f, 1)
			if err != nil {
				return nil, err
			}
			enc = v[0]
		case "DWIDTH":
			v, err := ints(f, 2)
			if err != nil {
				return nil, err
			}
			g.adv = v[0]
		case "BBX":
			v, err := ints(f, 4)
			if err != nil {
				return nil, err
			}
			g.w, g.h, g.xoff, g.yoff = v[0], v[1], v[2], v[3]
		case "BITMAP":
			if !inChar {
				return nil, bad("BITMAP outside a glyph")
			}
			inBits = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("fontgen: bdf: %w", err)
	}
	if !gotFont || inChar {
		return nil, fmt.Errorf("fontgen: bdf: not a complete BDF font")
	}
	return src, nil
}
