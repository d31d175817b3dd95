package v4l2

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
)

// JPEG markers used here (ITU-T T.81 Table B.1).
const (
	markerSOI  = 0xd8
	markerEOI  = 0xd9
	markerSOS  = 0xda
	markerDHT  = 0xc4
	markerTEM  = 0x01
	markerRST0 = 0xd0
	markerRST7 = 0xd7
)

// huffTable is one Huffman table specification: counts[i] codes of length i+1, then the symbols.
type huffTable struct {
	class, id byte // class 0 = DC, 1 = AC; id 0 = luminance, 1 = chrominance by convention
	counts    [16]byte
	symbols   []byte
}

// annexK are the example Huffman tables of ITU-T T.81 Annex K.3 (Tables K.3 to K.6). UVC MJPEG frames
// leave out their DHT segment and assume exactly these (the AVI1/MJPEG convention).
var annexK = []huffTable{
	{class: 0, id: 0, // K.3: luminance DC
		counts:  [16]byte{0, 1, 5, 1, 1, 1, 1, 1, 1},
		symbols: []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
	},
	{class: 1, id: 0, // K.5: luminance AC
		counts: [16]byte{0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d},
		symbols: []byte{
			0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
			0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0,
			0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
			0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
			0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
			0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
			0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
			0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5,
			0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
			0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
			0xf9, 0xfa,
		},
	},
	{class: 0, id: 1, // K.4: chrominance DC
		counts:  [16]byte{0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
		symbols: []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
	},
	{class: 1, id: 1, // K.6: chrominance AC
		counts: [16]byte{0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77},
		symbols: []byte{
			0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
			0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0,
			0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26,
			0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
			0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
			0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
			0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5,
			0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3,
			0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
			0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
			0xf9, 0xfa,
		},
	},
}

// annexKDHT is one DHT marker segment (FF C4, length, four tables) carrying annexK.
var annexKDHT = buildDHT(annexK)

func buildDHT(tables []huffTable) []byte {
	n := 2 // the length field counts itself
	for _, t := range tables {
		n += 1 + 16 + len(t.symbols)
	}
	seg := []byte{0xff, markerDHT, byte(n >> 8), byte(n)}
	for _, t := range tables {
		seg = append(seg, t.class<<4|t.id)
		seg = append(seg, t.counts[:]...)
		seg = append(seg, t.symbols...)
	}
	return seg
}

// scanHeaders walks the marker segments of a JPEG from SOI to the first SOS. It returns the offset of
// the SOS marker and whether a DHT segment came before it.
func scanHeaders(b []byte) (sos int, hasDHT bool, err error) {
	sos, hasDHT, _, _, err = scanFrame(b)
	return sos, hasDHT, err
}

// scanFrame is scanHeaders that also returns the frame size from the SOF marker (0, 0 if there is none),
// and rejects frames other than baseline or extended sequential (progressive, lossless, arithmetic): a
// progressive decoder keeps every coefficient of the image in its private state, out of our reach.
func scanFrame(b []byte) (sos int, hasDHT bool, fw, fh int, err error) {
	if len(b) < 4 || b[0] != 0xff || b[1] != markerSOI {
		return 0, false, 0, 0, errors.New("not a JPEG frame (no SOI marker)")
	}
	i := 2
	for {
		if i+1 >= len(b) {
			return 0, false, 0, 0, errors.New("JPEG frame ends before its SOS marker")
		}
		if b[i] != 0xff {
			return 0, false, 0, 0, fmt.Errorf("JPEG frame has no marker at offset %d", i)
		}
		m := b[i+1]
		switch {
		case m == 0xff: // fill byte before a marker
			i++
			continue
		case m == markerSOS:
			return i, hasDHT, fw, fh, nil
		case m == markerEOI:
			return 0, false, 0, 0, errors.New("JPEG frame ends (EOI) before its SOS marker")
		case m == markerTEM || markerRST0 <= m && m <= markerRST7: // no length field
			i += 2
			continue
		case m == markerDHT:
			hasDHT = true
		case m == 0xc0 || m == 0xc1: // SOF0/SOF1: baseline or extended sequential, Huffman
			if i+9 > len(b) {
				return 0, false, 0, 0, errors.New("JPEG frame ends inside its SOF marker")
			}
			fh, fw = int(b[i+5])<<8|int(b[i+6]), int(b[i+7])<<8|int(b[i+8])
		case m >= 0xc2 && m <= 0xcf && m != markerDHT && m != 0xc8 && m != 0xcc: // other SOFn
			return 0, false, 0, 0, fmt.Errorf("JPEG frame is not baseline (SOF marker %#02x): not supported", m)
		}
		if i+4 > len(b) {
			return 0, false, 0, 0, errors.New("JPEG frame ends inside a marker segment")
		}
		l := int(b[i+2])<<8 | int(b[i+3])
		if l < 2 {
			return 0, false, 0, 0, fmt.Errorf("JPEG marker %#02x at offset %d has bad length %d", m, i, l)
		}
		i += 2 + l
	}
}

// decodeLuma decodes the JPEG frame src and writes its w×h luma into dst (len w×h, stride w). If the
// frame has no DHT segment before SOS, as is usual for UVC MJPEG, the Annex K tables are inserted. If
// the decoded image is not w×h it writes nothing and returns the decoded size with an error; on other
// errors it returns a zero size.
//
// Privacy: this is where frame data touches the Go heap, which is the best available without writing a
// JPEG decoder.
//   - src is read through a bytes.Reader, which copies nothing.
//   - A frame without DHT is rebuilt in *scratch (reused, grown as needed); it is zeroed before return.
//   - image/jpeg decodes into a newly allocated *image.YCbCr (or *image.Gray); after Y is copied into dst,
//     its Y, Cb and Cr planes are zeroed before return.
//   - image/jpeg's decoder also keeps a 4 KiB read buffer of compressed bytes and a few blocks of
//     coefficients inside its private state, which become garbage when Decode returns and cannot be
//     zeroed from here; neither can the image of a frame that fails to decode part-way, which
//     image/jpeg drops without returning it. Prefer GREY or YUYV, which leave no such residue; Start does.
func decodeLuma(src, dst []byte, w, h int, scratch *[]byte) (int, int, error) {
	sos, hasDHT, fw, fh, err := scanFrame(src)
	if err != nil {
		return 0, 0, err
	}
	// Check the size the frame declares before decoding: a wrong-size (or absurdly large) frame is never
	// decoded onto the heap.
	if fw != w || fh != h {
		return fw, fh, fmt.Errorf("MJPEG frame declares %dx%d, want %dx%d", fw, fh, w, h)
	}
	data := src
	if !hasDHT {
		need := len(src) + len(annexKDHT)
		if cap(*scratch) < need {
			// The old scratch is all zero (it is wiped after every use), so it can simply be dropped.
			*scratch = make([]byte, 0, need)
		}
		s := append((*scratch)[:0], src[:sos]...)
		s = append(s, annexKDHT...)
		s = append(s, src[sos:]...)
		*scratch = s[:0]
		data = s
		defer clear(s)
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		wipeImage(img)
		return 0, 0, fmt.Errorf("decode MJPEG frame: %w", err)
	}
	defer wipeImage(img)
	var y []byte
	var stride int
	switch m := img.(type) {
	case *image.YCbCr:
		y, stride = m.Y, m.YStride
	case *image.Gray:
		y, stride = m.Pix, m.Stride
	default:
		return 0, 0, fmt.Errorf("decode MJPEG frame: unsupported %T", img)
	}
	b := img.Bounds()
	if b.Dx() != w || b.Dy() != h {
		return b.Dx(), b.Dy(), fmt.Errorf("decoded MJPEG frame is %dx%d, want %dx%d", b.Dx(), b.Dy(), w, h)
	}
	for row := range h {
		copy(dst[row*w:(row+1)*w], y[row*stride:])
	}
	return w, h, nil
}

// wipeImage zeroes the pixel planes of a decoded image, whatever its type.
func wipeImage(img image.Image) {
	switch m := img.(type) {
	case *image.YCbCr:
		clear(m.Y)
		clear(m.Cb)
		clear(m.Cr)
	case *image.Gray:
		clear(m.Pix)
	case *image.CMYK:
		clear(m.Pix)
	case *image.RGBA:
		clear(m.Pix)
	}
}
