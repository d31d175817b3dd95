package synth

import (
	"context"
	"testing"

	"github.com/ashiato/ashiato/hal"
)

// BenchmarkReadFrame renders the default 640×480 scene as fast as it can be read.
func BenchmarkReadFrame(b *testing.B) {
	c := New(Options{Pace: PaceASAP})
	ctx := context.Background()
	if _, err := c.Start(ctx); err != nil {
		b.Fatal(err)
	}
	f := hal.Frame{Pix: make([]byte, 640*480)}
	// Warm up past the first block so that steady state is measured.
	for range 10 {
		if err := c.ReadFrame(ctx, &f); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.SetBytes(640 * 480)
	for b.Loop() {
		if err := c.ReadFrame(ctx, &f); err != nil {
			b.Fatal(err)
		}
	}
}
