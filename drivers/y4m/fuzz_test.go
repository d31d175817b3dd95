package y4m

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"
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

// FuzzPauseResume replays a stream twice: straight through, and with a pause (ctx cancelled, Stop,
// Start) while the reader waits at byte cut of a pipe-like reader. The paused replay delivers the same
// frames with the same times, except the one frame the pause cut into, if any, and ends the same way (an
// error at the same frame, or the end of the stream).
func FuzzPauseResume(f *testing.F) {
	for _, s := range [][]byte{
		build("YUV4MPEG2 W4 H3 F25:1 Ip A1:1 Cmono\n", 4, 3, 0, 3, "FRAME\n"),
		build("YUV4MPEG2 W5 H3 F30000:1001\n", 5, 3, 12, 3, "FRAME Ip\n"),
		build("YUV4MPEG2 W3 H2 C444alpha\n", 3, 2, 18, 2, "FRAME XFOO=1\n"),
		append(build("YUV4MPEG2 W4 H2 Cmono\n", 4, 2, 0, 2, "FRAME\n"), "FRAMX\n12345678"...),
	} {
		for _, cut := range []uint16{0, 5, 30, 40, 60} {
			f.Add(s, cut)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, cut16 uint16) {
		type got struct {
			times []time.Time
			pix   [][]byte
			err   error
		}
		read := func(c *Camera, ctx context.Context, g *got, buf int) error {
			for {
				fr := newFrame(buf)
				err := c.ReadFrame(ctx, fr)
				if err != nil {
					return err
				}
				g.times, g.pix = append(g.times, fr.Time), append(g.pix, fr.Pix[:fr.Width*fr.Height])
			}
		}
		// Straight through, noting where each frame ends.
		ref := New(bytes.NewReader(data), Options{Pace: PaceASAP, Epoch: epoch})
		format, err := ref.Start(context.Background())
		if err != nil || format.Size() > 1<<16 {
			return
		}
		var want got
		var ends []int64
		hdrEnd := ref.off
		for {
			fr := newFrame(format.Size())
			if want.err = ref.ReadFrame(context.Background(), fr); want.err != nil {
				break
			}
			want.times, want.pix = append(want.times, fr.Time), append(want.pix, fr.Pix)
			ends = append(ends, ref.off)
		}
		cut := int64(cut16) % int64(len(data)+1)
		if cut < hdrEnd {
			cut = hdrEnd // the header is covered by TestPauseDuringHeaderResumes
		}
		// The frame the pause cuts into, if any: bytes of it read, not all. After the last good frame
		// comes the end of the stream or the frame that fails.
		dropped := -1
		for k, start := range append([]int64{hdrEnd}, ends...) {
			if cut > start && (k == len(ends) || cut < ends[k]) {
				dropped = k
			}
		}

		g := newGate()
		c := New(g, Options{Pace: PaceASAP, Epoch: epoch})
		g.feed(data[:cut])
		if _, err := c.Start(context.Background()); err != nil {
			t.Fatalf("Start: %v", err)
		}
		var have got
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- read(c, ctx, &have, format.Size()) }()
		finished, first := g.drainedOr(done) // the stream may fail before the cut
		if !finished {
			cancel()
			first = <-done
		}
		cancel()
		g.feed(data[cut:])
		g.close()
		if errors.Is(first, context.Canceled) {
			c.Stop()
			if _, err := c.Start(context.Background()); err != nil {
				t.Fatalf("Start after the pause: %v", err)
			}
			have.err = read(c, context.Background(), &have, format.Size())
		} else {
			have.err = first
		}
		if !bytes.Equal(c.scratch, make([]byte, len(c.scratch))) {
			t.Fatal("scratch not wiped")
		}
		// Compare, allowing the dropped frame to be missing.
		j := 0
		for k := range want.times {
			if k == dropped && (j >= len(have.times) || !have.times[j].Equal(want.times[k])) {
				continue
			}
			if j >= len(have.times) {
				t.Fatalf("cut %d: frame %d (of %d) missing after the pause; ended with %v", cut, k, len(want.times), have.err)
			}
			if !have.times[j].Equal(want.times[k]) || !bytes.Equal(have.pix[j], want.pix[k]) {
				t.Fatalf("cut %d: delivered frame %d is not frame %d of the stream", cut, j, k)
			}
			j++
		}
		if j != len(have.times) {
			t.Fatalf("cut %d: %d frames delivered, the stream has %d", cut, len(have.times), len(want.times))
		}
		var wfe, hfe *FormatError
		switch {
		case want.err == io.EOF:
			if have.err != io.EOF {
				t.Fatalf("cut %d: the stream ends cleanly, the paused replay with %v", cut, have.err)
			}
		case errors.As(want.err, &wfe):
			// A truncation inside the dropped frame is a clean end; any other error is the same error.
			cleanEnd := have.err == io.EOF && errors.Is(want.err, io.ErrUnexpectedEOF) && dropped == len(want.times)
			if !errors.As(have.err, &hfe) && !cleanEnd {
				t.Fatalf("cut %d: the stream fails with %v, the paused replay with %v", cut, want.err, have.err)
			}
		}
	})
}
