//go:build linux

package v4l2

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"strings"
	"testing"

	"github.com/blackjack/webcam"

	"github.com/ashiato/ashiato/hal"
)

// testLuma is a smooth w×h luma ramp that JPEG keeps nearly exact.
func testLuma(w, h int) []byte {
	p := make([]byte, w*h)
	for y := range h {
		for x := range w {
			p[y*w+x] = byte(40 + 2*x + y)
		}
	}
	return p
}

// encodeGray encodes luma as a one-component JPEG; with rgb it is encoded as a three-component
// (YCbCr 4:2:0) JPEG of the same grey levels instead.
func encodeGray(t testing.TB, luma []byte, w, h int, rgb bool) []byte {
	t.Helper()
	var img image.Image = &image.Gray{Pix: luma, Stride: w, Rect: image.Rect(0, 0, w, h)}
	if rgb {
		m := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				v := luma[y*w+x]
				m.Set(x, y, color.RGBA{v, v, v, 255})
			}
		}
		img = m
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// segments splits a JPEG's header into marker segments up to (not including) SOS, and returns them with
// the rest of the file from SOS on. It is written independently of scanHeaders on purpose.
func segments(t testing.TB, b []byte) (segs [][]byte, rest []byte) {
	t.Helper()
	if b[0] != 0xff || b[1] != 0xd8 {
		t.Fatal("no SOI")
	}
	i := 2
	for b[i+1] != 0xda {
		if b[i] != 0xff {
			t.Fatalf("no marker at %d", i)
		}
		l := int(b[i+2])<<8 | int(b[i+3])
		segs = append(segs, b[i:i+2+l])
		i += 2 + l
	}
	return segs, b[i:]
}

// stripDHT removes every DHT segment, as UVC cameras do.
func stripDHT(t testing.TB, b []byte) []byte {
	t.Helper()
	segs, rest := segments(t, b)
	out := []byte{0xff, 0xd8}
	n := 0
	for _, s := range segs {
		if s[1] == 0xc4 {
			n++
			continue
		}
		out = append(out, s...)
	}
	if n == 0 {
		t.Fatal("encoder output had no DHT to strip")
	}
	return append(out, rest...)
}

// parseDHT parses the tables of one DHT segment (starting at its FF C4 marker).
func parseDHT(t *testing.T, seg []byte) map[[2]byte]huffTable {
	t.Helper()
	out := map[[2]byte]huffTable{}
	p := seg[4:]
	if int(seg[2])<<8|int(seg[3]) != len(seg)-2 {
		t.Fatalf("DHT length field %d, segment has %d bytes after the marker", int(seg[2])<<8|int(seg[3]), len(seg)-2)
	}
	for len(p) > 0 {
		var ht huffTable
		ht.class, ht.id = p[0]>>4, p[0]&15
		copy(ht.counts[:], p[1:17])
		n := 0
		for _, c := range ht.counts {
			n += int(c)
		}
		ht.symbols = p[17 : 17+n]
		out[[2]byte{ht.class, ht.id}] = ht
		p = p[17+n:]
	}
	return out
}

func TestAnnexKMatchesEncoder(t *testing.T) {
	// Go's encoder writes the Annex K tables; our DHT segment must carry exactly the same four.
	enc := encodeGray(t, testLuma(16, 16), 16, 16, true)
	segs, _ := segments(t, enc)
	fromEnc := map[[2]byte]huffTable{}
	for _, s := range segs {
		if s[1] == 0xc4 {
			for k, v := range parseDHT(t, s) {
				fromEnc[k] = v
			}
		}
	}
	ours := parseDHT(t, annexKDHT)
	if len(fromEnc) != 4 || len(ours) != 4 {
		t.Fatalf("tables: encoder %d, ours %d; want 4 each", len(fromEnc), len(ours))
	}
	for k, want := range fromEnc {
		got, ok := ours[k]
		if !ok {
			t.Errorf("table class %d id %d missing", k[0], k[1])
			continue
		}
		if got.counts != want.counts || !bytes.Equal(got.symbols, want.symbols) {
			t.Errorf("table class %d id %d differs:\n got %v %x\nwant %v %x", k[0], k[1], got.counts, got.symbols, want.counts, want.symbols)
		}
	}
}

func TestStrippedFrameNeedsTables(t *testing.T) {
	// Guards the test inputs: without DHT, plain image/jpeg refuses the frame.
	b := stripDHT(t, encodeGray(t, testLuma(16, 8), 16, 8, false))
	if _, err := jpeg.Decode(bytes.NewReader(b)); err == nil || !strings.Contains(err.Error(), "Huffman") {
		t.Fatalf("image/jpeg on a DHT-less frame: %v, want a Huffman table error", err)
	}
}

func TestDecodeLuma(t *testing.T) {
	const w, h = 48, 24
	want := testLuma(w, h)
	tests := []struct {
		name        string
		rgb, strip  bool
		wantScratch bool
	}{
		{"gray with DHT", false, false, false},
		{"gray without DHT", false, true, true},
		{"ycbcr with DHT", true, false, false},
		{"ycbcr without DHT", true, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := encodeGray(t, want, w, h, tt.rgb)
			if tt.strip {
				src = stripDHT(t, src)
			}
			orig := bytes.Clone(src)
			dst := make([]byte, w*h)
			var scratch []byte
			gw, gh, err := decodeLuma(src, dst, w, h, &scratch)
			if err != nil || gw != w || gh != h {
				t.Fatalf("decodeLuma = %d×%d, %v", gw, gh, err)
			}
			if d := maxDiff(dst, want); d > 3 {
				t.Errorf("decoded luma differs by up to %d from the original", d)
			}
			if !bytes.Equal(src, orig) {
				t.Error("decodeLuma modified its input")
			}
			if got := cap(scratch) > 0; got != tt.wantScratch {
				t.Errorf("scratch used = %v, want %v", got, tt.wantScratch)
			}
			if !allZero(scratch[:cap(scratch)]) {
				t.Error("scratch not zeroed after decoding")
			}
		})
	}
}

func TestDecodeLumaErrors(t *testing.T) {
	good := encodeGray(t, testLuma(16, 8), 16, 8, false)
	stripped := stripDHT(t, good)
	var scratch []byte
	dst := make([]byte, 32*8)
	w, h, err := decodeLuma(good, dst, 32, 8, &scratch)
	if err == nil || w != 16 || h != 8 {
		t.Errorf("size mismatch: %d×%d, %v; want 16×8 and an error", w, h, err)
	}
	if !allZero(dst) {
		t.Error("dst written on a size mismatch")
	}
	for name, b := range map[string][]byte{
		"empty":       nil,
		"not jpeg":    []byte("GIF89a and some more"),
		"no sos":      good[:20],
		"eoi":         {0xff, 0xd8, 0xff, 0xd9},
		"bad length":  {0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01, 0, 0},
		"truncated":   stripped[:len(stripped)-10],
		"no scan":     stripped[:len(stripped)*3/4],
		"not segment": {0xff, 0xd8, 0x12, 0x34, 0x56},
	} {
		if _, _, err := decodeLuma(b, make([]byte, 16*8), 16, 8, &scratch); err == nil {
			t.Errorf("%s: decodeLuma succeeded", name)
		}
		if !allZero(scratch[:cap(scratch)]) {
			t.Errorf("%s: scratch not zeroed", name)
		}
	}
}

func TestScanHeadersSkipsFillAndStandalone(t *testing.T) {
	// SOI, fill byte, TEM (no length), APP0 with 2 payload bytes, DHT (empty), SOS.
	b := []byte{0xff, 0xd8, 0xff, 0xff, 0x01, 0xff, 0xe0, 0x00, 0x04, 0xaa, 0xbb, 0xff, 0xc4, 0x00, 0x02, 0xff, 0xda, 0x00}
	sos, hasDHT, err := scanHeaders(b)
	if err != nil || sos != 15 || !hasDHT {
		t.Fatalf("scanHeaders = %d, %v, %v; want 15, true, nil", sos, hasDHT, err)
	}
}

func TestWipeImage(t *testing.T) {
	m := image.NewYCbCr(image.Rect(0, 0, 8, 8), image.YCbCrSubsampleRatio422)
	for _, p := range [][]byte{m.Y, m.Cb, m.Cr} {
		for i := range p {
			p[i] = 7
		}
	}
	wipeImage(m)
	if !allZero(m.Y) || !allZero(m.Cb) || !allZero(m.Cr) {
		t.Error("YCbCr planes not zeroed")
	}
	g := image.NewGray(image.Rect(0, 0, 4, 4))
	g.Pix[3] = 1
	wipeImage(g)
	if !allZero(g.Pix) {
		t.Error("Gray not zeroed")
	}
	wipeImage(nil) // must not panic
}

func TestReadFrameMJPEG(t *testing.T) {
	const w, h = 32, 16
	luma := testLuma(w, h)
	dev := &fakeDev{
		tail:    100,
		formats: map[webcam.PixelFormat]string{pixMJPG: "Motion-JPEG"},
		sizes:   map[webcam.PixelFormat][]webcam.FrameSize{pixMJPG: {discrete(w, h)}},
	}
	c := newCam(t, dev, Options{Width: w, Height: h})
	if _, err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	stripped := stripDHT(t, encodeGray(t, luma, w, h, true))
	dev.gets = []fakeFrame{
		{data: stripped},
		{data: []byte{0xff, 0xd8, 0xff, 0xd9}}, // undecodable: dropped
		{data: encodeGray(t, luma, w, h, false)},
	}
	for i := range 2 {
		f := hal.Frame{Pix: make([]byte, w*h)}
		if err := c.ReadFrame(context.Background(), &f); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if d := maxDiff(f.Pix, luma); d > 3 {
			t.Errorf("frame %d: luma differs by up to %d", i, d)
		}
	}
	if c.Dropped() != 1 {
		t.Errorf("Dropped = %d, want 1", c.Dropped())
	}
	checkReleasedZero(t, dev, 3, -1)
	if cap(c.scratch) == 0 || !allZero(c.scratch[:cap(c.scratch)]) {
		t.Errorf("scratch (cap %d) unused or not zeroed", cap(c.scratch))
	}
}

func TestReadFrameMJPEGSizeMismatch(t *testing.T) {
	dev := &fakeDev{
		formats: map[webcam.PixelFormat]string{pixMJPG: "Motion-JPEG"},
		sizes:   map[webcam.PixelFormat][]webcam.FrameSize{pixMJPG: {discrete(32, 16)}},
	}
	c := newCam(t, dev, Options{Width: 32, Height: 16})
	if _, err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	dev.gets = []fakeFrame{{data: encodeGray(t, testLuma(16, 16), 16, 16, false)}}
	err := c.ReadFrame(context.Background(), &hal.Frame{Pix: make([]byte, 32*16)})
	if err == nil || !strings.Contains(err.Error(), "16x16") || !strings.Contains(err.Error(), "32x16") {
		t.Fatalf("ReadFrame = %v, want a size error naming 16x16 and 32x16", err)
	}
	if errors.Is(err, hal.ErrStalled) {
		t.Error("size mismatch reported as a stall")
	}
	checkReleasedZero(t, dev, 1, -1)
}

func maxDiff(a, b []byte) int {
	d := 0
	for i := range a {
		d = max(d, abs(int(a[i])-int(b[i])))
	}
	return d
}

// A frame that is not baseline JPEG, or that declares another size, is refused before anything is decoded.
func TestNonBaselineAndWrongSizeRefusedBeforeDecoding(t *testing.T) {
	const w, h = 32, 16
	luma := make([]byte, w*h)
	for i := range luma {
		luma[i] = byte(i)
	}
	frame := encodeGray(t, luma, w, h, false)
	i := bytes.Index(frame, []byte{0xff, 0xc0})
	if i < 0 {
		t.Fatal("encoder wrote no SOF0")
	}
	prog := bytes.Clone(frame)
	prog[i+1] = 0xc2 // SOF2: progressive
	var scratch []byte
	dst := make([]byte, w*h)
	if _, _, err := decodeLuma(prog, dst, w, h, &scratch); err == nil || !strings.Contains(err.Error(), "not baseline") {
		t.Fatalf("progressive frame: err = %v", err)
	}
	gw, gh, err := decodeLuma(frame, make([]byte, 64*64), 64, 64, &scratch)
	if err == nil || gw != w || gh != h || !strings.Contains(err.Error(), "declares") {
		t.Fatalf("wrong-size frame: %dx%d, %v; want the declared size and an error", gw, gh, err)
	}
}
