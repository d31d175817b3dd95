// Package y4m implements hal.Camera over a YUV4MPEG2 stream, so recorded footage replays through the live pipeline.
//
// A typical source is ffmpeg writing to a pipe:
//
//	ffmpeg -i clip.avi -f yuv4mpegpipe -pix_fmt gray - | ashiato -source y4m:-
//
// Only the luma (Y) plane is delivered; chroma and alpha planes are read and thrown away, 4 KiB at a
// time, so "-pix_fmt gray" (colour space mono) is the cheapest input. Accepted colour spaces (the C
// header tag) are mono, 420jpeg (the default when C is absent), 420paldv, 420mpeg2, 420, 411, 422, 444
// and 444alpha; streams with more than 8 bits per sample (C420p10, Cmono16, ...) are rejected. The
// stream is read with exactly-sized reads straight into the caller's frame, with no read-ahead buffer,
// so no frame bytes stay behind in this package (see Camera.ReadFrame).
//
// Format reference: https://wiki.multimedia.cx/index.php/YUV4MPEG2
package y4m

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ashiato/ashiato/hal"
)

// Limits on what a stream may declare, so that bad input cannot make anyone allocate huge buffers.
const (
	// MaxDim is the largest accepted width or height, in pixels.
	MaxDim = 8192
	// MaxPixels is the largest accepted Width*Height (32 MiB of luma; 8K UHD, 7680x4320, fits).
	MaxPixels = 32 << 20
	// DefaultFPS is the frame rate assumed when the header has no F tag, or F0:0 ("unknown").
	DefaultFPS = 25

	maxHeaderLen = 4096 // bytes in the stream header line, including "YUV4MPEG2" and '\n'
	maxFrameLine = 4096 // bytes in a FRAME line, including "FRAME" and '\n'
	scratchSize  = 4096 // chroma skip buffer
)

const (
	magic    = "YUV4MPEG2"
	frameTag = "FRAME"
)

// Pace says how fast ReadFrame delivers frames.
type Pace int

const (
	// PaceRealtime, the default, delivers frame k no earlier than start+k/fps, where start is the time of
	// the first Start; after a Stop/Start pause the schedule resumes from the next frame at the new Start.
	PaceRealtime Pace = iota
	// PaceASAP delivers frames as fast as the stream can be read (for tests and batch evaluation).
	PaceASAP
)

// Options configures a Camera. The zero value means real-time pacing with timestamps starting at the
// first Start.
type Options struct {
	// Pace is the delivery speed; zero means PaceRealtime.
	Pace Pace
	// Epoch is the timestamp of frame 0; zero means time.Now() at the first Start. Frame k gets
	// Epoch + k/fps whatever the pacing and however often the camera is paused, where fps comes from the
	// header's F tag (DefaultFPS, 25, if the tag is absent or F0:0).
	Epoch time.Time
}

// FormatError reports malformed or unsupported input.
type FormatError struct {
	// Offset is the byte offset in the stream at which the problem was found (for a truncated read,
	// where the data ended).
	Offset int64
	// Msg describes the problem. It never quotes frame data.
	Msg string
	// Err is the underlying cause, such as io.ErrUnexpectedEOF; it may be nil.
	Err error
}

// Error returns "y4m: byte <Offset>: <Msg>", followed by ": <Err>" when Err is set.
func (e *FormatError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("y4m: byte %d: %s: %v", e.Offset, e.Msg, e.Err)
	}
	return fmt.Sprintf("y4m: byte %d: %s", e.Offset, e.Msg)
}

// Unwrap returns Err.
func (e *FormatError) Unwrap() error { return e.Err }

// Camera is a hal.Camera that replays a YUV4MPEG2 stream. Like every hal.Camera it is used from one
// goroutine.
//
// A Start or ReadFrame blocked on a pipe or FIFO (os.Stdin for "-", or a FIFO given to Open) returns when
// its ctx is done. Such an interruption is not a failure of the stream: the camera remembers how far it
// had read, and after the next Start it finishes the interrupted header or frame, drops that frame (its
// number and time slot are used up) and carries on with the next one. So a pause (Stop, then Start) never
// ends a replay that can continue. If the stream ends while the camera finishes a dropped frame, that is
// a clean end of stream (io.EOF), since nothing is lost that would have been delivered.
//
// Reads from other readers (regular files, terminals, readers given to New without SetReadDeadline)
// cannot be interrupted: they return only when the writer sends more data or closes its end. ctx is
// honoured between frames and while waiting for a frame's real-time slot.
type Camera struct {
	r      io.Reader
	closer io.Closer // the file Open opened; nil for New or "-"
	opts   Options

	started   bool // header parsed
	streaming bool // between Start and Stop
	closed    bool
	err       error    // sticky: io.EOF, a *FormatError or a read error; the stream position is lost
	hdr       header   // progress through the stream header, until started
	cur       progress // progress through the current frame; zero between frames

	off   int64 // bytes consumed from r
	next  uint64
	w, h  int
	fpsN  uint64 // frame rate numerator, > 0
	fpsD  uint64 // frame rate denominator, > 0
	extra int64  // chroma and alpha bytes after the luma of each frame
	base  time.Time
	epoch time.Time

	// tag and one hold only "FRAME" lines and header bytes, and are cleared after use. scratch receives
	// chroma samples (and the luma of a dropped frame) and is zeroed before ReadFrame returns.
	tag     [len(frameTag)]byte
	one     [1]byte
	scratch []byte
}

// New returns a Camera reading from r. The Camera reads r with exact-size reads and does not buffer it,
// and never closes it. Nothing is read until the first Start.
func New(r io.Reader, opts Options) *Camera {
	return &Camera{r: r, opts: opts}
}

// Open returns a Camera reading the file at path, opened read-only now; "-" means os.Stdin, which Close
// leaves open. The header is parsed at the first Start.
func Open(path string, opts Options) (*Camera, error) {
	if path == "-" {
		return New(stdin(), opts), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("y4m: %w", err)
	}
	c := New(f, opts)
	c.closer = f
	return c, nil
}

// Start begins streaming. The first Start reads and checks the stream header, which blocks until the
// header has arrived (if ctx interrupts it, Start returns ctx's error and the next Start goes on reading
// the header); later Starts (after Stop) resume with the next unread frame, and with real-time pacing the
// next frame is due at once. Start while streaming just returns the format. Once the stream has failed,
// Start returns that error; after a clean end of stream it succeeds and ReadFrame returns io.EOF.
func (c *Camera) Start(ctx context.Context) (hal.Format, error) {
	if c.closed {
		return hal.Format{}, errors.New("y4m: camera closed")
	}
	if err := ctx.Err(); err != nil {
		return hal.Format{}, err
	}
	if c.err != nil && c.err != io.EOF {
		return hal.Format{}, c.err
	}
	if !c.started {
		stop := c.interruptOn(ctx)
		err := c.readHeader()
		if stop() && errors.Is(err, os.ErrDeadlineExceeded) {
			return hal.Format{}, ctx.Err() // not sticky: c.hdr says how far the header got
		}
		if err != nil {
			c.err = err
			return hal.Format{}, err
		}
		c.started = true
		now := time.Now()
		c.base = now
		c.epoch = c.opts.Epoch
		if c.epoch.IsZero() {
			c.epoch = now
		}
		c.scratch = make([]byte, scratchSize)
	} else if !c.streaming {
		// Resume: the next frame is due now, and the rest follow at the stream's rate.
		c.base = time.Now().Add(-c.offset(c.next))
	}
	c.streaming = true
	return c.format(), nil
}

func (c *Camera) format() hal.Format {
	return hal.Format{Width: c.w, Height: c.h, FPS: float64(c.fpsN) / float64(c.fpsD)}
}

// ReadFrame reads the next frame's luma into f.Pix[:Width*Height] and sets f.Time (Epoch + k/fps for the
// k-th frame of the stream), f.Width, f.Height and f.Stride (= Width). It leaves f.Seq alone and keeps no
// reference to f.Pix; chroma passes through a small internal buffer that is zeroed before ReadFrame
// returns.
//
// With PaceRealtime it first waits, on a timer that honours ctx, until the frame is due. It returns
// ctx.Err() if ctx is done before the frame is read; the frame is then not consumed. If ctx interrupts a
// blocked read (see Camera), it returns an error wrapping ctx.Err(); that frame is dropped when reading
// goes on, after the next Start. It returns io.EOF
// when the stream ends cleanly at a frame boundary, a *FormatError for malformed or truncated input
// (wrapping io.ErrUnexpectedEOF for truncation), any other error from the reader wrapped with the byte
// offset, and an error wrapping io.ErrShortBuffer, without consuming the frame, if f.Pix is too small.
// After an EOF, FormatError or read error the stream is unusable and every later call returns the same
// error. If a frame fails part-way, f.Pix may hold part of it. ReadFrame fails unless the camera is
// streaming (between Start and Stop).
func (c *Camera) ReadFrame(ctx context.Context, f *hal.Frame) error {
	if c.closed {
		return errors.New("y4m: camera closed")
	}
	if !c.streaming {
		return errors.New("y4m: ReadFrame called while not streaming")
	}
	if c.err != nil {
		return c.err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	n := c.w * c.h
	if len(f.Pix) < n {
		return fmt.Errorf("y4m: frame buffer has %d bytes, need %d: %w", len(f.Pix), n, io.ErrShortBuffer)
	}
	if c.cur.dropped {
		// The rest of a frame an interruption cut short: read and dropped. If the stream ends inside it,
		// the stream has ended: nothing that would have been delivered is missing.
		if err := c.readInterruptibly(ctx, nil); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				c.err = io.EOF
				return io.EOF
			}
			return err
		}
		c.next++
	}
	d := c.offset(c.next)
	if c.opts.Pace == PaceRealtime {
		if err := sleepUntil(ctx, c.base.Add(d)); err != nil {
			return err
		}
	}
	if err := c.readInterruptibly(ctx, f.Pix[:n]); err != nil {
		return err
	}
	f.Time = c.epoch.Add(d)
	f.Width, f.Height, f.Stride = c.w, c.h, c.w
	c.next++
	return nil
}

// Stop ends streaming; the position in the stream, even inside a frame, is kept for the next Start. The
// chroma buffer is already zero between calls, so there is nothing to wipe. Stop is safe to call when not
// streaming.
func (c *Camera) Stop() error {
	c.streaming = false
	clear(c.scratch)
	return nil
}

// Close stops the camera and closes the file if Open opened it. Later calls to Start and ReadFrame fail.
func (c *Camera) Close() error {
	c.Stop()
	if c.closed {
		return nil
	}
	c.closed = true
	c.scratch = nil
	if c.closer != nil {
		if err := c.closer.Close(); err != nil {
			return fmt.Errorf("y4m: %w", err)
		}
	}
	return nil
}

// stdin returns standard input as a file whose reads can be interrupted: a pipe or FIFO is switched to
// non-blocking mode so that Go's poller serves it and read deadlines work. Anything else (a terminal, a
// regular file) is returned as os.Stdin.
func stdin() io.Reader {
	fi, err := os.Stdin.Stat()
	if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		return os.Stdin
	}
	if err := syscall.SetNonblock(0, true); err != nil {
		return os.Stdin
	}
	return os.NewFile(0, "/dev/stdin") // non-blocking fd: NewFile registers it with the poller
}

// interruptOn arranges for a blocked read of c.r to return when ctx is done, if c.r supports read
// deadlines (pipes and FIFOs opened by Open do). The returned stop reports whether ctx fired; if it did,
// stop has cleared the deadline again, so the reader can be read on later.
func (c *Camera) interruptOn(ctx context.Context) (stop func() bool) {
	d, ok := c.r.(interface{ SetReadDeadline(time.Time) error })
	if !ok || ctx.Done() == nil {
		return func() bool { return false }
	}
	fired := make(chan struct{})
	cancel := context.AfterFunc(ctx, func() {
		d.SetReadDeadline(time.Unix(1, 0))
		close(fired)
	})
	return func() bool {
		if cancel() {
			return false // ctx never fired
		}
		<-fired
		d.SetReadDeadline(time.Time{})
		return true
	}
}

// readInterruptibly reads the current frame with readFrame (pix nil: a dropped frame) so that ctx can
// interrupt a blocked read. An interrupted read is not an error of the stream: it returns an error
// wrapping ctx.Err() without making it sticky, and if any byte of the frame was read, the frame is marked
// dropped so that the next ReadFrame finishes it. Any other error is sticky.
func (c *Camera) readInterruptibly(ctx context.Context, pix []byte) error {
	stop := c.interruptOn(ctx)
	err := c.readFrame(pix)
	if stop() && errors.Is(err, os.ErrDeadlineExceeded) {
		if c.cur.begun() {
			c.cur.dropped = true
		}
		return fmt.Errorf("y4m: read interrupted at byte %d: %w", c.off, ctx.Err())
	}
	if err != nil {
		c.err = err
	}
	return err
}

// sleepUntil waits until t or until ctx is done.
func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

// offset is the time of frame k after frame 0: k*fpsD/fpsN seconds, saturating at the largest Duration.
func (c *Camera) offset(k uint64) time.Duration {
	// fpsD*1e9 fits in 64 bits because fpsD < 2^32; the 128-bit product cannot overflow.
	hi, lo := bits.Mul64(k, c.fpsD*uint64(time.Second))
	if hi >= c.fpsN {
		return math.MaxInt64
	}
	q, _ := bits.Div64(hi, lo, c.fpsN)
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(q)
}

// read reads exactly len(p) bytes, counting them in c.off. A short read becomes a *FormatError wrapping
// io.ErrUnexpectedEOF that says what was being read (part what of frame k, or of the stream header if
// k < 0); if nothing at all could be read and eofOK is set, it returns io.EOF. Other read errors are
// wrapped with the offset.
func (c *Camera) read(p []byte, k int64, what string, eofOK bool) error {
	n, err := io.ReadFull(c.r, p)
	c.off += int64(n)
	switch {
	case err == nil:
		return nil
	case err == io.EOF && eofOK:
		return io.EOF
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return &FormatError{Offset: c.off, Msg: fmt.Sprintf("%s truncated after %d of %d bytes", where(k, what), n, len(p)),
			Err: io.ErrUnexpectedEOF}
	default:
		return fmt.Errorf("y4m: byte %d: reading %s: %w", c.off, where(k, what), err)
	}
}

func where(k int64, what string) string {
	if k < 0 {
		return "stream " + what
	}
	return fmt.Sprintf("frame %d %s", k, what)
}

// readLine reads single bytes up to and including '\n', handing each other byte to keep (if not nil).
// *done counts the bytes of this line read so far, including those read by an earlier, interrupted call;
// the whole line may not exceed max bytes.
func (c *Camera) readLine(k int64, done *int, max int, keep func(byte)) error {
	for ; ; *done++ {
		if *done >= max {
			return &FormatError{Offset: c.off, Msg: fmt.Sprintf("%s has no newline within %d bytes", where(k, "header"), max)}
		}
		if err := c.read(c.one[:], k, "header", false); err != nil {
			return err
		}
		if c.one[0] == '\n' {
			*done++
			return nil
		}
		if keep != nil {
			keep(c.one[0])
		}
	}
}

// Where reading stands inside the current frame.
type step int

const (
	inTag    step = iota // "FRAME"
	inSep                // the byte after it: '\n', or ' ' before parameters
	inParams             // frame parameters, up to '\n'
	inPlanes             // luma, then chroma and alpha
)

// progress is how far the reader is into the current frame, so that a read interrupted part-way can be
// continued (see readInterruptibly). It is zero between frames.
type progress struct {
	step    step
	n       int   // bytes of the "FRAME" line read so far (inTag, inSep, inParams)
	planes  int64 // bytes of the planes read so far (inPlanes)
	start   int64 // stream offset of the frame's first byte
	dropped bool  // the frame was interrupted: the rest of it is read into scratch, and not delivered
}

// begun reports whether any byte of the current frame has been read.
func (p *progress) begun() bool { return p.step != inTag || p.n > 0 }

// readFrame reads one "FRAME[ params]\n", the luma into pix, and skips the remaining planes, continuing
// from c.cur. For a dropped frame (pix nil) the luma goes through scratch too. On success c.cur is zero
// again.
func (c *Camera) readFrame(pix []byte) error {
	k := int64(c.next)
	p := &c.cur
	if !p.begun() {
		p.start = c.off
	}
	for {
		switch p.step {
		case inTag:
			before := c.off
			err := c.read(c.tag[p.n:], k, "tag", p.n == 0)
			got := int(c.off - before)
			ok := string(c.tag[p.n:p.n+got]) == frameTag[p.n:p.n+got]
			clear(c.tag[:]) // it may hold pixels if the stream is out of sync
			p.n += got
			if !ok {
				// Do not quote the bytes: in a stream that is out of sync they are pixels.
				return &FormatError{Offset: p.start, Msg: fmt.Sprintf("frame %d: missing %q tag (wrong frame size or not a frame?)", k, frameTag)}
			}
			if err != nil {
				return err
			}
			p.step = inSep
		case inSep:
			if err := c.read(c.one[:], k, "header", false); err != nil {
				return err
			}
			p.n++
			switch c.one[0] {
			case '\n':
				p.step = inPlanes
			case ' ':
				p.step = inParams // frame parameters (I, A, X tags) are not used
			default:
				c.one[0] = 0
				return &FormatError{Offset: c.off - 1, Msg: fmt.Sprintf("frame %d: %q tag not followed by space or newline", k, frameTag)}
			}
		case inParams:
			if err := c.readLine(k, &p.n, maxFrameLine, nil); err != nil {
				return err
			}
			p.step = inPlanes
		case inPlanes:
			err := c.readPlanes(k, pix)
			clear(c.scratch)
			if err != nil {
				return err
			}
			*p = progress{}
			return nil
		}
	}
}

// readPlanes reads the rest of the current frame's planes: the luma into pix (or, for a dropped frame,
// into scratch), then chroma and alpha into scratch. The caller clears scratch.
func (c *Camera) readPlanes(k int64, pix []byte) error {
	p := &c.cur
	luma := int64(c.w * c.h)
	for total := luma + c.extra; p.planes < total; {
		var buf []byte
		what := "luma"
		switch {
		case p.planes < luma && !p.dropped:
			buf = pix[p.planes:luma]
		case p.planes < luma:
			buf = c.scratch[:min(luma-p.planes, int64(len(c.scratch)))]
		default:
			what = "chroma"
			buf = c.scratch[:min(total-p.planes, int64(len(c.scratch)))]
		}
		before := c.off
		err := c.read(buf, k, what, false)
		p.planes += c.off - before
		if err != nil {
			return err
		}
	}
	return nil
}

// header is how far the stream header has been read, so that a read interrupted part-way can be
// continued. It holds no frame data: the parameters are kept only after the magic has matched.
type header struct {
	magic     int  // bytes of the magic matched so far
	space     bool // the space after the magic has been read
	lineStart int64
	n         int    // bytes of the header line read so far, magic and space included
	params    []byte // the parameters read so far
}

// readHeader reads and checks "YUV4MPEG2 W.. H.. ...\n" and sets the frame geometry and rate,
// continuing from c.hdr.
func (c *Camera) readHeader() error {
	h := &c.hdr
	if h.magic < len(magic) {
		var m [len(magic)]byte
		n, err := io.ReadFull(c.r, m[h.magic:])
		c.off += int64(n)
		ok := string(m[h.magic:h.magic+n]) == magic[h.magic:h.magic+n]
		clear(m[:]) // if this is not a Y4M stream, it may be raw pixels
		h.magic += n
		if !ok {
			return &FormatError{Offset: 0, Msg: "not a YUV4MPEG2 stream (bad magic)"}
		}
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			return fmt.Errorf("y4m: byte %d: reading header: %w", c.off, err)
		}
		if err != nil {
			msg := "stream header truncated"
			if h.magic == 0 {
				msg = "empty stream, no YUV4MPEG2 header"
			}
			return &FormatError{Offset: c.off, Msg: msg, Err: io.ErrUnexpectedEOF}
		}
		h.n = len(magic)
	}
	if !h.space {
		if err := c.read(c.one[:], -1, "header", false); err != nil {
			return err
		}
		if c.one[0] != ' ' {
			return &FormatError{Offset: c.off - 1, Msg: "magic not followed by a space"}
		}
		h.space, h.n, h.lineStart = true, h.n+1, c.off // lineStart: offset of the first parameter
	}
	if err := c.readLine(-1, &h.n, maxHeaderLen, func(ch byte) { h.params = append(h.params, ch) }); err != nil {
		return err
	}
	params := string(h.params)
	h.params = nil
	return c.parseParams(params, h.lineStart)
}

// parseParams interprets the header parameters in line, which starts at stream offset at.
func (c *Camera) parseParams(line string, at int64) error {
	c.fpsN, c.fpsD = DefaultFPS, 1
	cs := "420jpeg"
	pos := at
	for tok := range strings.SplitSeq(line, " ") {
		tokAt := pos
		pos += int64(len(tok)) + 1
		if tok == "" {
			continue // tolerate doubled spaces
		}
		bad := func(format string, args ...any) error {
			return &FormatError{Offset: tokAt, Msg: fmt.Sprintf("header parameter %.40q: ", tok) + fmt.Sprintf(format, args...)}
		}
		val := tok[1:]
		switch tok[0] {
		case 'W', 'H':
			v, err := strconv.Atoi(val)
			if err != nil || v <= 0 {
				return bad("want a positive integer")
			}
			if v > MaxDim {
				return bad("%d exceeds the limit of %d pixels", v, MaxDim)
			}
			if tok[0] == 'W' {
				c.w = v
			} else {
				c.h = v
			}
		case 'F':
			num, den, ok := ratio(val)
			switch {
			case !ok:
				return bad("want a frame rate num:den")
			case num == 0 && den == 0:
				c.fpsN, c.fpsD = DefaultFPS, 1 // unknown
			case num == 0 || den == 0:
				return bad("frame rate must be positive")
			default:
				c.fpsN, c.fpsD = num, den
			}
		case 'C':
			cs = val
		}
		// I (interlacing), A (aspect), X (extensions) and unknown tags do not change what we deliver.
	}
	if c.w == 0 || c.h == 0 {
		return &FormatError{Offset: at, Msg: "header lacks the W (width) or H (height) parameter"}
	}
	if c.w*c.h > MaxPixels {
		return &FormatError{Offset: at, Msg: fmt.Sprintf("frame of %dx%d exceeds the limit of %d pixels", c.w, c.h, MaxPixels)}
	}
	extra, err := chromaSize(cs, c.w, c.h)
	if err != nil {
		return &FormatError{Offset: at, Msg: err.Error()}
	}
	c.extra = extra
	return nil
}

// ratio parses "num:den" with both in [0, 2^32).
func ratio(s string) (num, den uint64, ok bool) {
	a, b, found := strings.Cut(s, ":")
	if !found {
		return 0, 0, false
	}
	n, err1 := strconv.ParseUint(a, 10, 32)
	d, err2 := strconv.ParseUint(b, 10, 32)
	return n, d, err1 == nil && err2 == nil
}

// chromaSize is the number of bytes after the luma plane in one frame of colour space cs.
func chromaSize(cs string, w, h int) (int64, error) {
	half := func(v int) int64 { return int64((v + 1) / 2) }
	W, H := int64(w), int64(h)
	switch cs {
	case "mono":
		return 0, nil
	case "420jpeg", "420paldv", "420mpeg2", "420":
		return 2 * half(w) * half(h), nil
	case "411":
		return 2 * ((W + 3) / 4) * H, nil
	case "422":
		return 2 * half(w) * H, nil
	case "444":
		return 2 * W * H, nil
	case "444alpha":
		return 3 * W * H, nil
	}
	if depth := highDepth(cs); depth != "" {
		return 0, fmt.Errorf("colour space C%s has %s-bit samples; only 8-bit streams are supported (use ffmpeg -pix_fmt gray)", cs, depth)
	}
	return 0, fmt.Errorf("unsupported colour space C%.20q", cs)
}

// highDepth returns the bit depth of a high-bit-depth colour space name such as "420p10" or "mono16",
// or "" if cs is not one.
func highDepth(cs string) string {
	var d string
	if s, ok := strings.CutPrefix(cs, "mono"); ok {
		d = s
	} else if i := strings.IndexByte(cs, 'p'); i > 0 {
		switch cs[:i] {
		case "420", "422", "444":
			d = cs[i+1:]
		}
	}
	if v, err := strconv.Atoi(d); err == nil && v > 8 && v <= 16 && d[0] != '0' && d[0] != '+' {
		return d
	}
	return ""
}

var _ hal.Camera = (*Camera)(nil)
