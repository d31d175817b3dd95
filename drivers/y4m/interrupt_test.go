package y4m

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/ashiato/ashiato/hal"
)

// A read blocked on a silent pipe must return when ctx is done, so the agent can shut down while ffmpeg
// (or a FIFO writer) stalls.
func TestBlockedPipeReadHonoursContext(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	c := New(r, Options{Pace: PaceASAP})
	if _, err := w.Write([]byte("YUV4MPEG2 W4 H2 F10:1 Cmono\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.ReadFrame(ctx, &hal.Frame{Pix: make([]byte, 8)}) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("ReadFrame = %v; want the context's error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ReadFrame stayed blocked on the pipe after ctx was done")
	}
	// Header read blocked the same way.
	r2, w2, _ := os.Pipe()
	defer r2.Close()
	defer w2.Close()
	c2 := New(r2, Options{})
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, err := c2.Start(ctx2); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Start = %v; want the context's error", err)
	}
}
