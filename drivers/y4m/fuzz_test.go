package y4m

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func FuzzReader(f *testing.F) {
	for _, s := range [][]byte{
		build("YUV4MPEG2 W4 H3 F25:1 Ip A1:1 Cmono\n", 4, 3, 0, 2, "FRAME\n"),
		build("YUV4MPEG2 W5 H3 F30000:1001\n", 5, 3, 12, 2, "FRAME Ip\n"),
		build("YUV4MPEG2 W5 H3 C422 XYSCSS=422\n", 5, 3, 18, 1, "FRAME\n"),
		build("YUV4MPEG2 W3 H2 C444alpha\n", 3, 2, 18, 2, "FRAME XFOO=1\n"),
		build("YUV4MPEG2 W5 H2 C411\n", 5, 2, 8, 1, "FRAME\n"),
		build("YUV4MPEG2 W70 H70 C444\n", 70, 70, 9800, 1, "FRAME\n"),
		[]byte("YUV4MPEG2 W4 H3 C420p10\n"),
		[]byte("YUV4MPEG2 W8192 H4096 Cmono\nFRAME\n"),
		[]byte("YUV4MPEG2 W4 H3 F0:0\nFRAMEFRAME\n"),
		[]byte(""),
	} {
		f.Add(s)
	}
	const maxBuf = 1 << 20
	f.Fuzz(func(t *testing.T, data []byte) {
		c := New(bytes.NewReader(data), Options{Pace: PaceASAP, Epoch: epoch})
		format, err := c.Start(t.Context())
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("Start: %v (%T), want *FormatError", err, err)
			}
			return
		}
		if format.Width <= 0 || format.Height <= 0 || format.Width > MaxDim || format.Height > MaxDim ||
			format.Size() > MaxPixels || !(format.FPS > 0) {
			t.Fatalf("Start accepted %+v", format)
		}
		frame := newFrame(min(format.Size(), maxBuf))
		for k := 0; ; k++ {
			err := c.ReadFrame(t.Context(), frame)
			if !bytes.Equal(c.scratch, make([]byte, scratchSize)) || c.tag != [5]byte{} {
				t.Fatalf("frame %d: scratch not wiped", k)
			}
			if err == io.EOF {
				break
			}
			if format.Size() > maxBuf {
				if !errors.Is(err, io.ErrShortBuffer) {
					t.Fatalf("frame %d into a short buffer: %v", k, err)
				}
				break
			}
			if err != nil {
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Fatalf("frame %d: %v (%T), want *FormatError", k, err, err)
				}
				if fe.Offset < 0 || fe.Offset > int64(len(data)) {
					t.Fatalf("frame %d: offset %d outside the %d-byte input", k, fe.Offset, len(data))
				}
				break
			}
			if frame.Width != format.Width || frame.Height != format.Height || frame.Stride != format.Width {
				t.Fatalf("frame %d: %dx%d stride %d, format %+v", k, frame.Width, frame.Height, frame.Stride, format)
			}
			if c.off > int64(len(data)) || int64(k+1)*int64(6+format.Size()) > c.off {
				t.Fatalf("frame %d: consumed %d of %d bytes", k, c.off, len(data))
			}
		}
	})
}
