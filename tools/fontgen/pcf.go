package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// PCF table types, from the X11 PCF format (libXfont src/bitmap/pcfread.c and pcf.h).
const (
	pcfAccelerators    = 1 << 1
	pcfMetrics         = 1 << 2
	pcfBitmaps         = 1 << 3
	pcfBDFEncodings    = 1 << 5
	pcfBDFAccelerators = 1 << 8

	pcfCompressedMetrics = 0x100
	pcfFormatMask        = 0xffffff00
)

type pcfTable struct{ typ, format, size, offset uint32 }

// pcfReader reads the integers of one table in that table's byte order.
type pcfReader struct {
	b   []byte
	p   int
	big bool
	err error
}

func (r *pcfReader) need(n int) bool {
	if r.err == nil && (r.p < 0 || r.p+n > len(r.b)) {
		r.err = errors.New("fontgen: pcf: table truncated")
	}
	return r.err == nil
}

func (r *pcfReader) u8() uint8 {
	if !r.need(1) {
		return 0
	}
	r.p++
	return r.b[r.p-1]
}

func (r *pcfReader) i16() int {
	if !r.need(2) {
		return 0
	}
	r.p += 2
	if r.big {
		return int(int16(binary.BigEndian.Uint16(r.b[r.p-2:])))
	}
	return int(int16(binary.LittleEndian.Uint16(r.b[r.p-2:])))
}

func (r *pcfReader) i32() int {
	if !r.need(4) {
		return 0
	}
	r.p += 4
	if r.big {
		return int(int32(binary.BigEndian.Uint32(r.b[r.p-4:])))
	}
	return int(int32(binary.LittleEndian.Uint32(r.b[r.p-4:])))
}

// table positions a reader at the start of the table's body and returns the table's format word, which is
// always little-endian.
func pcfOpen(b []byte, t pcfTable) (*pcfReader, uint32, error) {
	// Some writers declare a last table longer than the file (efont's BDF accelerators); readers such as
	// libXfont only read what they need, so the body is cut at the end of the file.
	if uint64(t.offset)+4 > uint64(len(b)) {
		return nil, 0, fmt.Errorf("fontgen: pcf: table %#x out of range", t.typ)
	}
	end := min(uint64(t.offset)+uint64(t.size), uint64(len(b)))
	body := b[t.offset:end]
	format := binary.LittleEndian.Uint32(body)
	return &pcfReader{b: body, p: 4, big: format&(1<<2) != 0}, format, nil
}

type pcfMetric struct{ lsb, rsb, width, ascent, descent int }

// parsePCF decodes an uncompressed PCF font into glyphs keyed by encoding, plus the font's ascent and
// descent.
func parsePCF(b []byte) (*source, error) {
	if len(b) < 8 || string(b[:4]) != "\x01fcp" {
		return nil, errors.New("fontgen: pcf: bad magic")
	}
	n := int(binary.LittleEndian.Uint32(b[4:]))
	if n <= 0 || n > 64 || len(b) < 8+16*n {
		return nil, errors.New("fontgen: pcf: bad table count")
	}
	tables := map[uint32]pcfTable{}
	for i := 0; i < n; i++ {
		q := b[8+16*i:]
		t := pcfTable{
			typ:    binary.LittleEndian.Uint32(q),
			format: binary.LittleEndian.Uint32(q[4:]),
			size:   binary.LittleEndian.Uint32(q[8:]),
			offset: binary.LittleEndian.Uint32(q[12:]),
		}
		tables[t.typ] = t
	}
	src := &source{glyphs: map[rune]glyph{}}

	// Font ascent and descent, from the BDF accelerators if present.
	acc, ok := tables[pcfBDFAccelerators]
	if !ok {
		acc, ok = tables[pcfAccelerators]
	}
	if !ok {
		return nil, errors.New("fontgen: pcf: no accelerators table")
	}
	r, _, err := pcfOpen(b, acc)
	if err != nil {
		return nil, err
	}
	r.p += 8 // noOverlap … padding: 8 bytes
	src.ascent = r.i32()
	src.descent = r.i32()
	if r.err != nil {
		return nil, r.err
	}

	// Metrics.
	mt, ok := tables[pcfMetrics]
	if !ok {
		return nil, errors.New("fontgen: pcf: no metrics table")
	}
	r, format, err := pcfOpen(b, mt)
	if err != nil {
		return nil, err
	}
	var metrics []pcfMetric
	if format&pcfFormatMask == pcfCompressedMetrics {
		cnt := r.i16()
		for i := 0; i < cnt && r.err == nil; i++ {
			m := pcfMetric{int(r.u8()) - 0x80, int(r.u8()) - 0x80, int(r.u8()) - 0x80, int(r.u8()) - 0x80, int(r.u8()) - 0x80}
			metrics = append(metrics, m)
		}
	} else {
		cnt := r.i32()
		for i := 0; i < cnt && r.err == nil; i++ {
			m := pcfMetric{r.i16(), r.i16(), r.i16(), r.i16(), r.i16()}
			r.i16() // attributes
			metrics = append(metrics, m)
		}
	}
	if r.err != nil {
		return nil, r.err
	}

	// Bitmaps.
	bt, ok := tables[pcfBitmaps]
	if !ok {
		return nil, errors.New("fontgen: pcf: no bitmaps table")
	}
	r, format, err = pcfOpen(b, bt)
	if err != nil {
		return nil, err
	}
	cnt := r.i32()
	if cnt != len(metrics) {
		return nil, fmt.Errorf("fontgen: pcf: %d bitmaps but %d metrics", cnt, len(metrics))
	}
	offsets := make([]int, cnt)
	for i := range offsets {
		offsets[i] = r.i32()
	}
	var sizes [4]int
	for i := range sizes {
		sizes[i] = r.i32()
	}
	pad := 1 << (format & 3)
	dataLen := sizes[format&3]
	if r.err != nil || !r.need(dataLen) {
		return nil, errors.New("fontgen: pcf: bitmaps truncated")
	}
	data := append([]byte(nil), r.b[r.p:r.p+dataLen]...)
	normalisePCFBits(data, format)

	// Encodings.
	et, ok := tables[pcfBDFEncodings]
	if !ok {
		return nil, errors.New("fontgen: pcf: no encodings table")
	}
	r, _, err = pcfOpen(b, et)
	if err != nil {
		return nil, err
	}
	min2, max2, min1, max1 := r.i16(), r.i16(), r.i16(), r.i16()
	r.i16() // default char
	if r.err != nil || max2 < min2 || max1 < min1 {
		return nil, errors.New("fontgen: pcf: bad encodings header")
	}
	for b1 := min1; b1 <= max1; b1++ {
		for b2 := min2; b2 <= max2; b2++ {
			idx := r.i16() & 0xffff
			if r.err != nil {
				return nil, r.err
			}
			if idx == 0xffff {
				continue
			}
			if idx >= cnt {
				return nil, fmt.Errorf("fontgen: pcf: glyph index %d out of range", idx)
			}
			m := metrics[idx]
			g := glyph{adv: m.width, w: m.rsb - m.lsb, h: m.ascent + m.descent, xoff: m.lsb, yoff: -m.descent}
			stride := ((g.w+7)/8 + pad - 1) / pad * pad
			start := offsets[idx]
			if g.w < 0 || g.h < 0 || start < 0 || start+stride*g.h > len(data) {
				return nil, fmt.Errorf("fontgen: pcf: glyph %d out of range", idx)
			}
			g.rows = make([][]byte, g.h)
			for y := range g.rows {
				g.rows[y] = data[start+y*stride : start+y*stride+(g.w+7)/8]
			}
			src.glyphs[rune(b1<<8|b2)] = g
		}
	}
	return src, nil
}

// normalisePCFBits rewrites bitmap data in place to most-significant-byte and most-significant-bit first,
// as libXfont does with its bit-order and byte-swap helpers.
func normalisePCFBits(data []byte, format uint32) {
	msbByte := format&(1<<2) != 0
	msbBit := format&(1<<3) != 0
	unit := 1 << ((format >> 4) & 3)
	if unit > 1 && msbByte != msbBit {
		for i := 0; i+unit <= len(data); i += unit {
			for a, z := i, i+unit-1; a < z; a, z = a+1, z-1 {
				data[a], data[z] = data[z], data[a]
			}
		}
	}
	if !msbBit {
		for i, v := range data {
			data[i] = bits.Reverse8(v)
		}
	}
}
