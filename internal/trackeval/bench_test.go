package trackeval

import (
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/tracker"
	"github.com/ashiato/ashiato/hal"
)

// BenchmarkPETSDev is the tracker's cost per frame on real footage: the first 120 frames of the PETS dev
// clip (768×576, 7 fps, up to 8 people), decoded beforehand and stepped through in a loop with frame
// times that keep increasing (the jump back to the first frame once per 120 frames is tracked like a
// camera cut).
func BenchmarkPETSDev(b *testing.B) {
	c := petsClip(b)
	const n = 120
	w, h := c.Info.Width, c.Info.Height
	frames := make([][]byte, 0, n)
	if err := c.Frames(n, func(_ int, pix []byte) error {
		frames = append(frames, append([]byte(nil), pix...))
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	tr := tracker.New(tracker.Config{})
	f := hal.Frame{Width: w, Height: h, Stride: w}
	t0 := time.Unix(1_700_000_000, 0)
	i := 0
	b.ReportAllocs()
	b.SetBytes(int64(w * h))
	b.ResetTimer()
	for range b.N {
		f.Seq, f.Time, f.Pix = uint64(i), t0.Add(time.Duration(i)*time.Second/7), frames[i%n]
		tr.Step(&f)
		i++
	}
}
