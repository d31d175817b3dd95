package y4m

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"testing/synctest"
	"time"

	"github.com/ashiato/ashiato/hal"
)

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// lumaOf is the content of frame k in generated streams: distinct per pixel and per frame.
func lumaOf(k, w, h int) []byte {
	p := make([]byte, w*h)
	for i := range p {
		p[i] = byte(i*7 + k*31 + 1)
	}
	return p
}

// build returns a stream with header hdr and n frames of w×h luma followed by extra chroma bytes of
// 0xAA each. frameLine is the line written before each frame, e.g. "FRAME\n".
func build(hdr string, w, h, extra, n int, frameLine string) []byte {
	var b bytes.Buffer
	b.WriteString(hdr)
	for k := range n {
		b.WriteString(frameLine)
		b.Write(lumaOf(k, w, h))
		b.Write(bytes.Repeat([]byte{0xAA}, extra))
	}
	return b.Bytes()
}

func newFrame(n int) *hal.Frame { return &hal.Frame{Pix: make([]byte, n)} }

func TestHeaderVariants(t *testing.T) {
	tests := []struct {
		name      string
		hdr       string
		w, h      int
		extra     int // hand-computed chroma bytes per frame
		fps       float64
		num, den  int64 // frame k is at k*den/num seconds
		frameLine string
	}{
		{"mono", "YUV4MPEG2 W4 H3 F30:1 Ip A1:1 Cmono\n", 4, 3, 0, 30, 30, 1, "FRAME\n"},
		{"ffmpeg gray", "YUV4MPEG2 W64 H48 F5:1 Ip A1:1 Cmono XCOLORRANGE=FULL\n", 64, 48, 0, 5, 5, 1, "FRAME\n"},
		{"no C is 420jpeg, odd", "YUV4MPEG2 W5 H3 F25:1\n", 5, 3, 2 * 3 * 2, 25, 25, 1, "FRAME\n"},
		{"420jpeg with X", "YUV4MPEG2 W5 H3 F25:1 Ip A1:1 C420jpeg XYSCSS=420JPEG XCOLORRANGE=LIMITED\n", 5, 3, 12, 25, 25, 1, "FRAME\n"},
		{"420paldv", "YUV4MPEG2 W7 H5 F25:1 C420paldv\n", 7, 5, 2 * 4 * 3, 25, 25, 1, "FRAME\n"},
		{"420mpeg2", "YUV4MPEG2 W6 H4 F25:1 C420mpeg2\n", 6, 4, 2 * 3 * 2, 25, 25, 1, "FRAME\n"},
		{"420", "YUV4MPEG2 W1 H1 F25:1 C420\n", 1, 1, 2, 25, 25, 1, "FRAME\n"},
		{"411", "YUV4MPEG2 W5 H2 F25:1 C411\n", 5, 2, 2 * 2 * 2, 25, 25, 1, "FRAME\n"},
		{"422 odd", "YUV4MPEG2 W5 H3 F25:1 C422\n", 5, 3, 2 * 3 * 3, 25, 25, 1, "FRAME\n"},
		{"444", "YUV4MPEG2 W5 H3 F25:1 C444\n", 5, 3, 30, 25, 25, 1, "FRAME\n"},
		{"444alpha", "YUV4MPEG2 W5 H3 F25:1 C444alpha\n", 5, 3, 45, 25, 25, 1, "FRAME\n"},
		{"no F is 25", "YUV4MPEG2 W4 H2 Cmono\n", 4, 2, 0, 25, 25, 1, "FRAME\n"},
		{"F0:0 is 25", "YUV4MPEG2 W4 H2 F0:0 Cmono\n", 4, 2, 0, 25, 25, 1, "FRAME\n"},
		{"NTSC rate", "YUV4MPEG2 W4 H2 F30000:1001 Cmono\n", 4, 2, 0, 30000.0 / 1001, 30000, 1001, "FRAME\n"},
		{"tags in any order", "YUV4MPEG2 C422 F10:1 H2 W3\n", 3, 2, 2 * 2 * 2, 10, 10, 1, "FRAME\n"},
		{"frame params", "YUV4MPEG2 W4 H3 F1:1 C420\n", 4, 3, 2 * 2 * 2, 1, 1, 1, "FRAME Ip A1:1 XFOO=bar\n"},
		{"frame space only", "YUV4MPEG2 W4 H3 F2:1 Cmono\n", 4, 3, 0, 2, 2, 1, "FRAME \n"},
		{"large chroma", "YUV4MPEG2 W100 H90 F25:1 C444\n", 100, 90, 18000, 25, 25, 1, "FRAME\n"},
	}
	readers := map[string]func(io.Reader) io.Reader{
		"plain":   func(r io.Reader) io.Reader { return r },
		"onebyte": iotest.OneByteReader,
		"half":    iotest.HalfReader,
	}
	const n = 3
	for _, tc := range tests {
		for rname, wrap := range readers {
			t.Run(tc.name+"/"+rname, func(t *testing.T) {
				data := build(tc.hdr, tc.w, tc.h, tc.extra, n, tc.frameLine)
				c := New(wrap(bytes.NewReader(data)), Options{Pace: PaceASAP, Epoch: epoch})
				format, err := c.Start(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if format.Width != tc.w || format.Height != tc.h || format.FPS != tc.fps {
					t.Fatalf("format = %+v, want %dx%d at %v fps", format, tc.w, tc.h, tc.fps)
				}
				if c.extra != int64(tc.extra) {
					t.Errorf("chroma bytes per frame = %d, want %d", c.extra, tc.extra)
				}
				f := newFrame(format.Size())
				for k := range n {
					f.Seq = 99
					if err := c.ReadFrame(t.Context(), f); err != nil {
						t.Fatalf("frame %d: %v", k, err)
					}
					if !bytes.Equal(f.Pix, lumaOf(k, tc.w, tc.h)) {
						t.Errorf("frame %d: luma differs", k)
					}
					if f.Width != tc.w || f.Height != tc.h || f.Stride != tc.w || f.Seq != 99 {
						t.Errorf("frame %d: got %dx%d stride %d seq %d", k, f.Width, f.Height, f.Stride, f.Seq)
					}
					if want := epoch.Add(time.Duration(int64(k) * tc.den * 1e9 / tc.num)); !f.Time.Equal(want) {
						t.Errorf("frame %d: time %v, want %v", k, f.Time, want)
					}
				}
				for range 2 {
					if err := c.ReadFrame(t.Context(), f); err != io.EOF {
						t.Fatalf("after last frame: err = %v, want io.EOF", err)
					}
				}
				if c.off != int64(len(data)) {
					t.Errorf("consumed %d bytes, stream has %d", c.off, len(data))
				}
			})
		}
	}
}

func TestNoFrames(t *testing.T) {
	c := New(strings.NewReader("YUV4MPEG2 W4 H3\n"), Options{Pace: PaceASAP})
	if _, err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := c.ReadFrame(t.Context(), newFrame(12)); err != io.EOF {
		t.Fatalf("err = %v, want io.EOF", err)
	}
}

func TestFormatErrors(t *testing.T) {
	const hdr = "YUV4MPEG2 W4 H3 F25:1 C420\n" // 27 bytes; frames are 6+12+2*2*2 = 26 bytes with "FRAME\n"
	good := string(build(hdr, 4, 3, 8, 1, "FRAME\n"))
	tests := []struct {
		name    string
		in      string
		frames  int   // good frames before the error
		off     int64 // want FormatError.Offset
		msg     string
		trunc   bool // want errors.Is(err, io.ErrUnexpectedEOF)
		inStart bool // the error comes from Start
	}{
		{"empty", "", 0, 0, "empty stream", true, true},
		{"short magic", "YUV4MP", 0, 6, "header truncated", true, true},
		{"bad magic", "RIFF\x00\x01\x02\x03\x04\x05", 0, 0, "bad magic", false, true},
		{"bad magic short", "RI", 0, 0, "bad magic", false, true},
		{"magic only", "YUV4MPEG2", 0, 9, "stream header truncated after 0 of 1", true, true},
		{"magic then newline", "YUV4MPEG2\n", 0, 9, "not followed by a space", false, true},
		{"header without newline", "YUV4MPEG2 W4 H3", 0, 15, "stream header truncated after 0 of 1", true, true},
		{"endless header", "YUV4MPEG2 W4 H3 X" + strings.Repeat("a", 5000), 0, 4096, "no newline within 4096", false, true},
		{"W0", "YUV4MPEG2 W0 H3\n", 0, 10, `"W0": want a positive integer`, false, true},
		{"W negative", "YUV4MPEG2 H3 W-4\n", 0, 13, `"W-4": want a positive integer`, false, true},
		{"W junk", "YUV4MPEG2 Wabc H3\n", 0, 10, "want a positive integer", false, true},
		{"H huge number", "YUV4MPEG2 W4 H99999999999999999999999\n", 0, 13, "want a positive integer", false, true},
		{"W over limit", "YUV4MPEG2 W8193 H3\n", 0, 10, "8193 exceeds the limit of 8192", false, true},
		{"H over limit", "YUV4MPEG2 W4  H9000\n", 0, 14, "9000 exceeds", false, true},
		{"too many pixels", "YUV4MPEG2 W8192 H8192\n", 0, 10, "8192x8192 exceeds the limit of 33554432 pixels", false, true},
		{"no W", "YUV4MPEG2 H3 F25:1\n", 0, 10, "lacks the W (width) or H", false, true},
		{"no H", "YUV4MPEG2 W3\n", 0, 10, "lacks the W (width) or H", false, true},
		{"10-bit", "YUV4MPEG2 W4 H3 C420p10 XYSCSS=420P10\n", 0, 10, "C420p10 has 10-bit samples", false, true},
		{"mono16", "YUV4MPEG2 W4 H3 Cmono16\n", 0, 10, "Cmono16 has 16-bit samples", false, true},
		{"422p12", "YUV4MPEG2 W4 H3 C422p12\n", 0, 10, "12-bit", false, true},
		{"unknown C", "YUV4MPEG2 W4 H3 Cfoo\n", 0, 10, `unsupported colour space C"foo"`, false, true},
		{"F no colon", "YUV4MPEG2 W4 H3 F25\n", 0, 16, "num:den", false, true},
		{"F zero num", "YUV4MPEG2 W4 H3 F0:1\n", 0, 16, "must be positive", false, true},
		{"F negative", "YUV4MPEG2 W4 H3 F-1:1\n", 0, 16, "num:den", false, true},
		{"F too big", "YUV4MPEG2 W4 H3 F4294967296:1\n", 0, 16, "num:den", false, true},

		{"tag truncated", hdr + "FRAM", 0, 31, "frame 0 tag truncated after 4 of 5", true, false},
		{"bad tag", hdr + "FRAMX\n", 0, 27, `frame 0: missing "FRAME" tag`, false, false},
		{"tag junk", hdr + "FRAMEX\n", 0, 32, "not followed by space or newline", false, false},
		{"no frame newline", hdr + "FRAME", 0, 32, "frame 0 header truncated after 0 of 1", true, false},
		{"params no newline", hdr + "FRAME Ip", 0, 35, "frame 0 header truncated", true, false},
		{"endless params", hdr + "FRAME " + strings.Repeat("x", 5000), 0, 27 + 4096, "frame 0 header has no newline within 4096", false, false},
		{"luma truncated", hdr + "FRAME\n12345", 0, 38, "frame 0 luma truncated after 5 of 12", true, false},
		{"chroma truncated", hdr + "FRAME\n123456789012abc", 0, 48, "frame 0 chroma truncated after 3 of 8", true, false},
		{"second frame truncated", good + "FRAME\n1", 1, 27 + 26 + 7, "frame 1 luma truncated after 1 of 12", true, false},
		{"second frame bad tag", good + "FRAMX\n", 1, 27 + 26, `frame 1: missing "FRAME" tag`, false, false},
		{"frame size mismatch", good[:len(good)-1] + good[len(hdr):], 1, 27 + 26, `frame 1: missing "FRAME" tag`, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := New(strings.NewReader(tc.in), Options{Pace: PaceASAP})
			_, err := c.Start(t.Context())
			if !tc.inStart {
				if err != nil {
					t.Fatalf("Start: %v", err)
				}
				f := newFrame(12)
				for k := range tc.frames {
					if err := c.ReadFrame(t.Context(), f); err != nil {
						t.Fatalf("frame %d: %v", k, err)
					}
				}
				err = c.ReadFrame(t.Context(), f)
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v (%T), want *FormatError", err, err)
			}
			if fe.Offset != tc.off {
				t.Errorf("offset = %d, want %d (%v)", fe.Offset, tc.off, err)
			}
			if !strings.Contains(err.Error(), tc.msg) || !strings.HasPrefix(err.Error(), "y4m: byte ") {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
			if got := errors.Is(err, io.ErrUnexpectedEOF); got != tc.trunc {
				t.Errorf("errors.Is(err, io.ErrUnexpectedEOF) = %v, want %v", got, tc.trunc)
			}
			// The error is sticky.
			if !tc.inStart {
				if err2 := c.ReadFrame(t.Context(), newFrame(12)); err2 != err {
					t.Errorf("ReadFrame after error = %v, want %v", err2, err)
				}
			}
			c.Stop()
			if _, err2 := c.Start(t.Context()); err2 != err {
				t.Errorf("Start after error = %v, want %v", err2, err)
			}
		})
	}
}

func TestFormatErrorDoesNotQuotePixels(t *testing.T) {
	// A stream whose frames are one byte longer than the header says: the second "tag" is pixel data.
	in := "YUV4MPEG2 W4 H1 Cmono\nFRAME\nPIXELFRAME\nSECRET"
	c := New(strings.NewReader(in), Options{Pace: PaceASAP})
	if _, err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	f := newFrame(4)
	if err := c.ReadFrame(t.Context(), f); err != nil {
		t.Fatal(err)
	}
	err := c.ReadFrame(t.Context(), f)
	if err == nil || strings.Contains(err.Error(), "LFRAM") || strings.Contains(err.Error(), "L") {
		t.Fatalf("err = %v; want an error that does not quote the stream bytes", err)
	}
	if c.tag != [5]byte{} {
		t.Errorf("tag buffer not wiped: %q", c.tag)
	}
}

func TestShortBuffer(t *testing.T) {
	data := build("YUV4MPEG2 W4 H3 C420\n", 4, 3, 8, 1, "FRAME\n")
	c := New(bytes.NewReader(data), Options{Pace: PaceASAP})
	if _, err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	err := c.ReadFrame(t.Context(), newFrame(11))
	if !errors.Is(err, io.ErrShortBuffer) {
		t.Fatalf("err = %v, want io.ErrShortBuffer", err)
	}
	// Nothing was consumed: a big enough buffer gets frame 0.
	f := newFrame(20)
	if err := c.ReadFrame(t.Context(), f); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.Pix[:12], lumaOf(0, 4, 3)) || !f.Time.Equal(c.epoch) {
		t.Errorf("frame 0 not delivered after short-buffer error")
	}
	if !bytes.Equal(f.Pix[12:], make([]byte, 8)) {
		t.Errorf("bytes beyond Width*Height were written")
	}
}

func TestReadError(t *testing.T) {
	hdr := "YUV4MPEG2 W4 H3 Cmono\nFRAME\n12"
	boom := errors.New("boom")
	c := New(io.MultiReader(strings.NewReader(hdr), iotest.ErrReader(boom)), Options{Pace: PaceASAP})
	if _, err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	err := c.ReadFrame(t.Context(), newFrame(12))
	var fe *FormatError
	if !errors.Is(err, boom) || errors.As(err, &fe) || !strings.Contains(err.Error(), "byte 30") {
		t.Fatalf("err = %v, want a non-format error wrapping boom at byte 30", err)
	}
}

func TestHeaderReadError(t *testing.T) {
	boom := errors.New("boom")
	for _, prefix := range []string{"", "YUV4MPEG2 W4"} {
		c := New(io.MultiReader(strings.NewReader(prefix), iotest.ErrReader(boom)), Options{})
		_, err := c.Start(t.Context())
		var fe *FormatError
		if !errors.Is(err, boom) || errors.As(err, &fe) {
			t.Errorf("after %q: err = %v, want a non-format error wrapping boom", prefix, err)
		}
	}
}

func TestLifecycle(t *testing.T) {
	data := build("YUV4MPEG2 W2 H2 Cmono\n", 2, 2, 0, 3, "FRAME\n")
	c := New(bytes.NewReader(data), Options{Pace: PaceASAP})
	f := newFrame(4)
	if err := c.ReadFrame(t.Context(), f); err == nil {
		t.Fatal("ReadFrame before Start succeeded")
	}
	if err := c.Stop(); err != nil {
		t.Fatal("Stop before Start:", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.Start(ctx); err != context.Canceled {
		t.Fatalf("Start with done ctx = %v", err)
	}
	if _, err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := c.ReadFrame(t.Context(), f); err != nil || !bytes.Equal(f.Pix, lumaOf(0, 2, 2)) {
		t.Fatal("frame 0:", err)
	}
	if err := c.ReadFrame(ctx, f); err != context.Canceled {
		t.Fatalf("ReadFrame with done ctx = %v", err)
	}
	c.Stop()
	if err := c.ReadFrame(t.Context(), f); err == nil {
		t.Fatal("ReadFrame after Stop succeeded")
	}
	// Resume continues with the next frame, and its timestamp continues the timeline.
	if _, err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := c.ReadFrame(t.Context(), f); err != nil || !bytes.Equal(f.Pix, lumaOf(1, 2, 2)) {
		t.Fatal("frame 1 after resume:", err)
	}
	if want := c.epoch.Add(40 * time.Millisecond); !f.Time.Equal(want) {
		t.Errorf("frame 1 time = %v, want %v", f.Time, want)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Start(t.Context()); err == nil {
		t.Fatal("Start after Close succeeded")
	}
	if err := c.ReadFrame(t.Context(), f); err == nil {
		t.Fatal("ReadFrame after Close succeeded")
	}
	if err := c.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
}

func TestOpen(t *testing.T) {
	data := build("YUV4MPEG2 W3 H2 F10:1 C420\n", 3, 2, 4, 2, "FRAME\n")
	path := filepath.Join(t.TempDir(), "clip.y4m")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Open(path, Options{Pace: PaceASAP})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	f := newFrame(6)
	for k := range 2 {
		if err := c.ReadFrame(t.Context(), f); err != nil || !bytes.Equal(f.Pix, lumaOf(k, 3, 2)) {
			t.Fatalf("frame %d: %v", k, err)
		}
	}
	if err := c.ReadFrame(t.Context(), f); err != io.EOF {
		t.Fatalf("err = %v, want io.EOF", err)
	}
	file := c.closer.(*os.File)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := file.Read(make([]byte, 1)); !errors.Is(err, os.ErrClosed) {
		t.Errorf("file still open after Close: %v", err)
	}

	if _, err := Open(filepath.Join(t.TempDir(), "missing.y4m"), Options{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(missing) = %v, want fs.ErrNotExist", err)
	}
	c, err = Open("-", Options{})
	if err != nil || c.r != os.Stdin || c.closer != nil {
		t.Fatalf("Open(-) = %+v, %v; want os.Stdin, not to be closed", c, err)
	}
}

// spyReader records the buffers it was asked to fill.
type spyReader struct {
	r    io.Reader
	bufs [][]byte
}

func (s *spyReader) Read(p []byte) (int, error) {
	s.bufs = append(s.bufs, p)
	return s.r.Read(p)
}

func TestChromaScratchWiped(t *testing.T) {
	const w, h = 100, 90 // 18000 bytes of 4:4:4 chroma: several scratch-sized chunks
	data := build("YUV4MPEG2 W100 H90 C444\n", w, h, 2*w*h, 2, "FRAME\n")
	data = data[:len(data)-100] // frame 1 ends inside its chroma
	spy := &spyReader{r: bytes.NewReader(data)}
	c := New(spy, Options{Pace: PaceASAP})
	if _, err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	f := newFrame(w * h)
	check := func() {
		t.Helper()
		used := false
		for _, b := range spy.bufs {
			if len(b) > 0 && &b[0] == &c.scratch[0] {
				used = true
			}
		}
		if !used {
			t.Fatal("chroma was not read through the scratch buffer")
		}
		if !bytes.Equal(c.scratch, make([]byte, scratchSize)) {
			t.Error("chroma scratch holds data after ReadFrame")
		}
		spy.bufs = nil
	}
	if err := c.ReadFrame(t.Context(), f); err != nil {
		t.Fatal(err)
	}
	check()
	if err := c.ReadFrame(t.Context(), f); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want truncated chroma", err)
	}
	check()
	// The luma went straight into the caller's buffer, in one read request.
	c2 := New(&spyReader{r: bytes.NewReader(data)}, Options{Pace: PaceASAP})
	if _, err := c2.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := c2.ReadFrame(t.Context(), f); err != nil {
		t.Fatal(err)
	}
	direct := false
	for _, b := range c2.r.(*spyReader).bufs {
		if len(b) == w*h && &b[0] == &f.Pix[0] {
			direct = true
		}
	}
	if !direct {
		t.Error("luma was not read directly into f.Pix")
	}
}

func TestPaceASAP(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		data := build("YUV4MPEG2 W2 H2 F1:1 Cmono\n", 2, 2, 0, 10, "FRAME\n")
		c := New(bytes.NewReader(data), Options{Pace: PaceASAP, Epoch: epoch})
		start := time.Now()
		if _, err := c.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		f := newFrame(4)
		for k := range 10 {
			if err := c.ReadFrame(t.Context(), f); err != nil {
				t.Fatal(err)
			}
			if want := epoch.Add(time.Duration(k) * time.Second); !f.Time.Equal(want) {
				t.Errorf("frame %d: time %v, want %v", k, f.Time, want)
			}
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("PaceASAP waited %v for 10 frames at 1 fps", d)
		}
	})
}

func TestPaceRealtime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		data := build("YUV4MPEG2 W2 H2 F5:1 Cmono\n", 2, 2, 0, 6, "FRAME\n")
		c := New(bytes.NewReader(data), Options{}) // zero Epoch: time of the first Start
		t0 := time.Now()
		if _, err := c.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		f := newFrame(4)
		read := func(k int, wantElapsed, wantStamp time.Duration, since time.Time) {
			t.Helper()
			if err := c.ReadFrame(t.Context(), f); err != nil {
				t.Fatalf("frame %d: %v", k, err)
			}
			if !bytes.Equal(f.Pix, lumaOf(k, 2, 2)) {
				t.Errorf("frame %d: wrong luma", k)
			}
			if d := time.Since(since); d != wantElapsed {
				t.Errorf("frame %d delivered after %v, want %v", k, d, wantElapsed)
			}
			if want := t0.Add(wantStamp); !f.Time.Equal(want) {
				t.Errorf("frame %d: time %v, want %v", k, f.Time, want)
			}
		}
		ms := time.Millisecond
		read(0, 0, 0, t0)
		read(1, 200*ms, 200*ms, t0)
		time.Sleep(50 * ms) // a slow consumer does not shift the schedule
		read(2, 400*ms, 400*ms, t0)

		// A cancelled wait returns ctx's error and does not consume the frame.
		ctx, cancel := context.WithTimeout(t.Context(), 30*ms)
		defer cancel()
		if err := c.ReadFrame(ctx, f); err != context.DeadlineExceeded {
			t.Fatalf("ReadFrame with expiring ctx = %v", err)
		}
		if d := time.Since(t0); d != 430*ms {
			t.Errorf("cancelled ReadFrame returned at %v, want 430ms", d)
		}
		read(3, 600*ms, 600*ms, t0)

		// Pause: after Stop and a later Start the next frame is due at once, the rest at 5 fps,
		// while timestamps keep the stream's own timeline.
		c.Stop()
		time.Sleep(10 * time.Second)
		t1 := time.Now()
		if _, err := c.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		read(4, 0, 800*ms, t1)
		read(5, 200*ms, 1000*ms, t1)
		if err := c.ReadFrame(t.Context(), f); err != io.EOF {
			t.Fatalf("err = %v, want io.EOF", err)
		}
	})
}

func TestOffset(t *testing.T) {
	c := &Camera{fpsN: 30000, fpsD: 1001}
	if got, want := c.offset(3), 100100*time.Microsecond; got != want {
		t.Errorf("offset(3) at 29.97 fps = %v, want %v", got, want)
	}
	if got, want := c.offset(30000*3600), 1001*time.Hour; got != want {
		t.Errorf("offset(one hour of frames) = %v, want %v", got, want)
	}
	c = &Camera{fpsN: 1, fpsD: 1<<32 - 1}
	if got := c.offset(1 << 40); got != time.Duration(1<<63-1) {
		t.Errorf("offset saturates to %v, want max Duration", got)
	}
	c = &Camera{fpsN: 4, fpsD: 1}
	if got := c.offset(36893488148); got != time.Duration(1<<63-1) { // just over 2^63 ns
		t.Errorf("offset saturates to %v, want max Duration", got)
	}
	c = &Camera{fpsN: 1<<32 - 1, fpsD: 1}
	if got := c.offset(1<<64 - 1); got <= 0 {
		t.Errorf("offset(max) = %v, want positive", got)
	}
}
