package y4m

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"testing"
	"time"
)

// gate is a reader with read deadlines, like a pipe, that the test feeds. Read returns what has been fed,
// blocks when nothing is left, returns io.EOF once the gate is closed and drained, and fails with
// os.ErrDeadlineExceeded while a deadline in the past is set.
type gate struct {
	mu      sync.Mutex
	data    []byte
	eof     bool
	expired bool
	wake    chan struct{} // poked by feed, close and SetReadDeadline
	idle    chan struct{} // a Read found nothing to return
}

func newGate() *gate {
	return &gate{wake: make(chan struct{}, 1), idle: make(chan struct{}, 1)}
}

func (g *gate) Read(p []byte) (int, error) {
	for {
		g.mu.Lock()
		switch {
		case g.expired:
			g.mu.Unlock()
			return 0, os.ErrDeadlineExceeded
		case len(g.data) > 0:
			n := copy(p, g.data)
			g.data = g.data[n:]
			g.mu.Unlock()
			return n, nil
		case g.eof:
			g.mu.Unlock()
			return 0, io.EOF
		}
		g.mu.Unlock()
		select {
		case g.idle <- struct{}{}:
		default:
		}
		<-g.wake
	}
}

func (g *gate) SetReadDeadline(t time.Time) error {
	g.mu.Lock()
	g.expired = !t.IsZero() && !t.After(time.Now())
	g.mu.Unlock()
	g.poke()
	return nil
}

func (g *gate) poke() {
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

func (g *gate) feed(b []byte) {
	g.mu.Lock()
	g.data = append(g.data, b...)
	g.mu.Unlock()
	g.poke()
}

func (g *gate) close() {
	g.mu.Lock()
	g.eof = true
	g.mu.Unlock()
	g.poke()
}

// drainedOr waits until the reader has taken everything fed so far and asked for more, or until done
// delivers (then it returns true and that error).
func (g *gate) drainedOr(done <-chan error) (finished bool, err error) {
	for {
		select {
		case err := <-done:
			return true, err
		case <-g.idle:
		}
		g.mu.Lock()
		empty := len(g.data) == 0
		g.mu.Unlock()
		if empty {
			return false, nil
		}
	}
}

// drained waits until the reader has taken everything fed so far and asked for more.
func (g *gate) drained(t *testing.T) {
	t.Helper()
	for {
		select {
		case <-g.idle:
		case <-time.After(10 * time.Second):
			t.Fatal("the camera never read everything it was fed")
		}
		g.mu.Lock()
		empty := len(g.data) == 0
		g.mu.Unlock()
		if empty {
			return
		}
	}
}

// A pause (ctx cancelled, Stop, Start) that interrupts a blocked read anywhere in a frame must not end
// the stream: the camera finishes the interrupted frame, drops it, and delivers the next ones with their
// own numbers and times. A pause between frames drops nothing.
func TestPauseInterruptsAnywhereAndResumes(t *testing.T) {
	const w, h, extra = 4, 2, 4 // C420jpeg: 2×1 chroma samples, twice
	hdr := "YUV4MPEG2 W4 H2 F10:1 C420jpeg\n"
	frame := func(k int, line string) []byte {
		return append(append([]byte(line), lumaOf(k, w, h)...), bytes.Repeat([]byte{0xAA}, extra)...)
	}
	f1 := frame(1, "FRAME Ip XA=1\n")
	cases := []struct {
		name string
		cut  int  // bytes of frame 1 fed before the pause
		lost bool // frame 1 is dropped
	}{
		{"between frames", 0, false},
		{"in the tag", 3, true},
		{"after the tag", 5, true},
		{"in the parameters", 9, true},
		{"in the luma", len("FRAME Ip XA=1\n") + 3, true},
		{"in the chroma", len(f1) - 2, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := newGate()
			c := New(g, Options{Pace: PaceASAP, Epoch: epoch})
			g.feed([]byte(hdr))
			g.feed(frame(0, "FRAME\n"))
			if _, err := c.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			f := newFrame(w * h)
			if err := c.ReadFrame(context.Background(), f); err != nil || !bytes.Equal(f.Pix, lumaOf(0, w, h)) {
				t.Fatalf("frame 0: %v", err)
			}
			g.feed(f1[:tc.cut])
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- c.ReadFrame(ctx, f) }()
			g.drained(t)
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted ReadFrame = %v; want context.Canceled", err)
			}
			if err := c.Stop(); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Start(context.Background()); err != nil {
				t.Fatalf("Start after the pause: %v", err)
			}
			g.feed(f1[tc.cut:])
			g.feed(frame(2, "FRAME\n"))
			g.close()
			first := 2
			if !tc.lost {
				first = 1
			}
			for k := first; k <= 2; k++ {
				if err := c.ReadFrame(context.Background(), f); err != nil {
					t.Fatalf("frame %d after the pause: %v", k, err)
				}
				if !bytes.Equal(f.Pix, lumaOf(k, w, h)) {
					t.Fatalf("frame %d after the pause has the pixels of another frame", k)
				}
				if want := epoch.Add(time.Duration(k) * 100 * time.Millisecond); !f.Time.Equal(want) {
					t.Fatalf("frame %d after the pause: time %v, want %v", k, f.Time, want)
				}
			}
			if err := c.ReadFrame(context.Background(), f); err != io.EOF {
				t.Fatalf("after the last frame: %v, want io.EOF", err)
			}
			if !bytes.Equal(c.scratch, make([]byte, len(c.scratch))) {
				t.Fatal("scratch holds samples after ReadFrame returned")
			}
		})
	}
}

// A writer that goes away during the pause ends the stream cleanly, even when the camera was in the
// middle of a frame it would have dropped.
func TestWriterGoneDuringPauseIsEndOfStream(t *testing.T) {
	for _, cut := range []int{0, 7} {
		g := newGate()
		c := New(g, Options{Pace: PaceASAP})
		g.feed([]byte("YUV4MPEG2 W4 H2 F10:1 Cmono\n"))
		if _, err := c.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		g.feed([]byte("FRAME\n12345678")[:cut])
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- c.ReadFrame(ctx, newFrame(8)) }()
		g.drained(t)
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("cut %d: interrupted ReadFrame = %v", cut, err)
		}
		c.Stop()
		g.close()
		if _, err := c.Start(context.Background()); err != nil {
			t.Fatalf("cut %d: Start after the pause: %v", cut, err)
		}
		if err := c.ReadFrame(context.Background(), newFrame(8)); err != io.EOF {
			t.Fatalf("cut %d: ReadFrame after the writer left = %v; want io.EOF", cut, err)
		}
	}
}

// A pause while the first Start still waits for the header: the next Start goes on with it.
func TestPauseDuringHeaderResumes(t *testing.T) {
	for _, cut := range []int{0, 4, 9, 10, 17} {
		hdr := []byte("YUV4MPEG2 W4 H2 F10:1 Cmono\n")
		g := newGate()
		c := New(g, Options{Pace: PaceASAP})
		g.feed(hdr[:cut])
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { _, err := c.Start(ctx); done <- err }()
		g.drained(t)
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("cut %d: interrupted Start = %v", cut, err)
		}
		g.feed(hdr[cut:])
		g.feed(append([]byte("FRAME\n"), lumaOf(0, 4, 2)...))
		g.close()
		format, err := c.Start(context.Background())
		if err != nil || format.Width != 4 || format.Height != 2 || format.FPS != 10 {
			t.Fatalf("cut %d: Start after the pause = %+v, %v", cut, format, err)
		}
		f := newFrame(8)
		if err := c.ReadFrame(context.Background(), f); err != nil || !bytes.Equal(f.Pix, lumaOf(0, 4, 2)) {
			t.Fatalf("cut %d: first frame after the pause: %v", cut, err)
		}
	}
}

// Bytes that break the stream are still refused when they arrive across a pause.
func TestBadBytesAcrossPauseStillRefused(t *testing.T) {
	g := newGate()
	c := New(g, Options{Pace: PaceASAP})
	g.feed([]byte("YUV4MPEG2 W4 H2 F10:1 Cmono\nFRA"))
	if _, err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.ReadFrame(ctx, newFrame(8)) }()
	g.drained(t)
	cancel()
	<-done
	c.Stop()
	g.feed([]byte("XY\n12345678"))
	g.close()
	if _, err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	var fe *FormatError
	if err := c.ReadFrame(context.Background(), newFrame(8)); !errors.As(err, &fe) {
		t.Fatalf("a broken tag across the pause: %v; want a FormatError", err)
	}
}
