package tracker

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/tracker/assoc"
	"github.com/ashiato/ashiato/hal"
)

// loopScene renders n frames of a scene whose walkers move on closed (sinusoidal) paths with period n, so
// the frames can be replayed in a loop without anyone jumping.
func loopScene(w, h, people, n int, fps float64) [][]byte {
	sc := newScene(w, h, 42)
	sc.fps = fps
	r := rand.New(rand.NewPCG(3, 4))
	for k := 0; k < people; k++ {
		cx := 60 + r.Float64()*float64(w-120)
		cy := float64(h)*0.35 + r.Float64()*float64(h)*0.6
		ax, ay := 40+r.Float64()*120, r.Float64()*30
		ph := r.Float64() * 2 * math.Pi
		ph2 := r.Float64() * 2 * math.Pi
		ph3 := float64(1 + r.IntN(2))
		hh := int(0.12*float64(h) + 0.1*cy)
		wk := sc.add(hh*38/100, hh, []int{40, 70, 190, 220}[k%4])
		wk.fn = func(i int) (float64, float64) {
			a := 2 * math.Pi * float64(i) / float64(n)
			return cx + ax*math.Sin(ph3*a+ph), cy + ay*math.Sin(a+ph2)
		}
	}
	frames := make([][]byte, n)
	for i := range frames {
		frames[i] = make([]byte, w*h)
		f := hal.Frame{Pix: frames[i]}
		sc.render(i, &f)
	}
	return frames
}

func benchStep(b *testing.B, w, h, people int, fps float64) {
	const n = 120
	frames := loopScene(w, h, people, n, fps)
	tr := New(Config{})
	f := hal.Frame{Width: w, Height: h, Stride: w}
	t0 := time.Unix(1_700_000_000, 0)
	dt := time.Duration(float64(time.Second) / fps)
	i := 0
	step := func() {
		f.Seq = uint64(i)
		f.Time = t0.Add(time.Duration(i) * dt)
		f.Pix = frames[i%n]
		tr.Step(&f)
		i++
	}
	for range 2 * n { // learn the background and confirm the tracks
		step()
	}
	b.ReportAllocs()
	b.SetBytes(int64(w * h))
	b.ResetTimer()
	for range b.N {
		step()
	}
	b.StopTimer()
	b.ReportMetric(float64(tr.InView()), "inview")
}

// BenchmarkStep768x576 is the per-frame cost of the whole tracker (detection and association) at PETS
// size with 8 people.
func BenchmarkStep768x576(b *testing.B) { benchStep(b, 768, 576, 8, 7) }

// BenchmarkStep640x480 is the same at VGA size.
func BenchmarkStep640x480(b *testing.B) { benchStep(b, 640, 480, 8, 10) }

// BenchmarkCrowd40 is a synthetic crowd of 40 people at 30 fps, 768×576.
func BenchmarkCrowd40(b *testing.B) { benchStep(b, 768, 576, 40, 30) }

// BenchmarkDetect768x576 is detection alone (downscale, background, mask, labelling, blobs).
func BenchmarkDetect768x576(b *testing.B) {
	const n = 120
	frames := loopScene(768, 576, 8, n, 7)
	tr := New(Config{})
	f := hal.Frame{Width: 768, Height: 576, Stride: 768}
	for i := range 2 * n {
		f.Seq, f.Time, f.Pix = uint64(i), time.Unix(0, 0).Add(time.Duration(i)*time.Second/7), frames[i%n]
		tr.Step(&f)
	}
	d := &tr.det
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		f.Pix = frames[i%n]
		d.downscale(&f)
		d.foreground()
		d.clean(d.tune.clean)
		d.label()
		d.ghosts()
		tr.dets = tr.dets[:0]
		tr.blobsToDetections()
	}
}

// BenchmarkAssoc40 is association alone: 40 people walking, one Update per frame.
func BenchmarkAssoc40(b *testing.B) {
	as := assoc.New(assoc.Config{})
	r := rand.New(rand.NewPCG(1, 1))
	type p struct{ x, y, vx, vy float64 }
	ps := make([]p, 40)
	for i := range ps {
		ps[i] = p{r.Float64() * 700, 200 + r.Float64()*350, r.Float64()*4 - 2, r.Float64()*2 - 1}
	}
	dets := make([]assoc.Detection, len(ps))
	frame := 0
	step := func() {
		for i := range ps {
			q := &ps[i]
			q.x += q.vx
			q.y += q.vy
			if q.x < 0 || q.x > 768 {
				q.vx = -q.vx
			}
			if q.y < 200 || q.y > 570 {
				q.vy = -q.vy
			}
			dets[i] = assoc.Detection{X: q.x, Y: q.y, W: 35, H: 90, Score: 1}
		}
		as.Update(uint64(frame), int64(frame)*33, dets)
		frame++
	}
	for range 100 {
		step()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		step()
	}
}
