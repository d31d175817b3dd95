//go:build linux

package v4l2

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"
)

// FuzzMJPEG feeds arbitrary frames to the MJPEG path: the header scan and the decoder with its Annex K
// table insertion. Nothing panics; a scan that succeeds points at an SOS marker; the size the scan reads
// from the frame is the size image/jpeg decodes (so a frame of the wrong size is refused before it is
// decoded onto the heap); a frame that decodes fills exactly w×h; and the scratch buffer that held the
// rebuilt frame is all zero afterwards.
func FuzzMJPEG(f *testing.F) {
	for _, sz := range [][2]int{{16, 16}, {24, 8}, {9, 7}} {
		w, h := sz[0], sz[1]
		for _, rgb := range []bool{false, true} {
			full := encodeGray(f, testLuma(w, h), w, h, rgb)
			f.Add(full, uint8(w), uint8(h))
			f.Add(stripDHT(f, full), uint8(w), uint8(h))
		}
	}
	var progressive bytes.Buffer
	jpeg.Encode(&progressive, image.NewGray(image.Rect(0, 0, 8, 8)), nil)
	p := progressive.Bytes()
	if i := bytes.Index(p, []byte{0xff, 0xc0}); i > 0 {
		p = bytes.Clone(p)
		p[i+1] = 0xc2 // claims to be progressive
		f.Add(p, uint8(8), uint8(8))
	}
	f.Add([]byte{0xff, 0xd8, 0xff, 0xff, 0xff, 0xd0, 0xff, 0xda, 0, 2}, uint8(1), uint8(1))
	f.Add([]byte{0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, 0xff, 0xff, 0xff, 0xff, 1, 1, 0x11, 0}, uint8(16), uint8(16))
	scratch := new([]byte)
	f.Fuzz(func(t *testing.T, frame []byte, w8, h8 uint8) {
		w, h := int(w8)%64+1, int(h8)%64+1
		sos, hasDHT, err := scanHeaders(frame)
		if err == nil && (sos < 2 || sos+1 >= len(frame) || frame[sos] != 0xff || frame[sos+1] != markerSOS) {
			t.Fatalf("scanHeaders = %d, %v: not an SOS marker", sos, hasDHT)
		}
		dst := bytes.Repeat([]byte{0xEE}, w*h)
		gw, gh, err := decodeLuma(frame, dst, w, h, scratch)
		if s := (*scratch)[:cap(*scratch)]; !bytes.Equal(s, make([]byte, len(s))) {
			t.Fatal("the rebuilt frame was left in the scratch buffer")
		}
		if err != nil {
			if gw != 0 || gh != 0 {
				// The only error with a size: the frame declares another size and was not decoded.
				if _, _, fw, fh, serr := scanFrame(frame); serr != nil || fw != gw || fh != gh {
					t.Fatalf("decodeLuma refused a %dx%d frame after decoding it (the scan saw %dx%d, %v): %v", gw, gh, fw, fh, serr, err)
				}
			}
			return
		}
		if gw != w || gh != h {
			t.Fatalf("decodeLuma succeeded with size %dx%d, want %dx%d", gw, gh, w, h)
		}
		if cfg, cerr := jpeg.DecodeConfig(bytes.NewReader(withTables(frame, sos, hasDHT))); cerr != nil || cfg.Width != w || cfg.Height != h {
			t.Fatalf("decoded a frame image/jpeg reads as %+v (%v), want %dx%d", cfg, cerr, w, h)
		}
	})
}

// withTables is frame with the Annex K tables inserted before its SOS marker if it has no DHT segment,
// built here independently of decodeLuma.
func withTables(frame []byte, sos int, hasDHT bool) []byte {
	if hasDHT {
		return frame
	}
	return append(append(append([]byte{}, frame[:sos]...), annexKDHT...), frame[sos:]...)
}
