package synth

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ashiato/ashiato/hal"
)

// read renders frames [0, n) of opts (paced ASAP) and returns copies of them.
func read(t *testing.T, opts Options, n int) (*Camera, [][]byte) {
	t.Helper()
	opts.Pace = PaceASAP
	c := New(opts)
	format, err := c.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	frames := make([][]byte, n)
	for k := range n {
		f := hal.Frame{Pix: make([]byte, format.Size())}
		if err := c.ReadFrame(context.Background(), &f); err != nil {
			t.Fatalf("frame %d: %v", k, err)
		}
		frames[k] = f.Pix
	}
	return c, frames
}

func TestDeterministic(t *testing.T) {
	a, fa := read(t, Options{Seed: 3}, 30)
	b, fb := read(t, Options{Seed: 3}, 30)
	c, fc := read(t, Options{Seed: 4}, 30)
	for k := range fa {
		if !bytes.Equal(fa[k], fb[k]) {
			t.Fatalf("frame %d differs between two cameras with the same options", k)
		}
		if bytes.Equal(fa[k], fc[k]) {
			t.Fatalf("frame %d is the same for seeds 3 and 4", k)
		}
	}
	sameTruth, diffTruth := true, false
	for k := 0; k < 1200; k += 3 {
		ta, tb, tc := a.Truth(k), b.Truth(k), c.Truth(k)
		if !equalBoxes(ta, tb) {
			sameTruth = false
		}
		if !equalBoxes(ta, tc) {
			diffTruth = true
		}
	}
	if !sameTruth {
		t.Error("truth differs between two cameras with the same options")
	}
	if !diffTruth {
		t.Error("truth is the same for seeds 3 and 4")
	}
	// Truth is random access: a fresh camera, asked out of order, agrees.
	d := New(Options{Seed: 3})
	for _, k := range []int{900, 5, 20000, 29, 0} {
		if !equalBoxes(d.Truth(k), a.Truth(k)) {
			t.Errorf("Truth(%d) depends on call order", k)
		}
	}
}

func equalBoxes(a, b []Box) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// reference returns the empty floor of frame k as the camera lights it, without noise.
func reference(c *Camera, k int) []byte {
	g := c.sc.gain(c.frameSec(k))
	ref := make([]byte, len(c.floor))
	for i, v := range c.floor {
		ref[i] = uint8(max(0, min(255, math.Round(float64(v)*g))))
	}
	return ref
}

func TestTruthMatchesRendering(t *testing.T) {
	const w, h = 640, 480
	const strong = 28 // clothing differs from the floor by more; shadow and noise by less
	c := New(Options{Seed: 1, Pace: PaceASAP})
	if _, err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	f := hal.Frame{Pix: make([]byte, w*h)}
	checked := 0
	for k := range 600 {
		if err := c.ReadFrame(context.Background(), &f); err != nil {
			t.Fatal(err)
		}
		if k%8 != 0 {
			continue
		}
		ref := reference(c, k)
		figs := c.sc.figures(c.frameSec(k), nil)
		truth := c.Truth(k)
		if len(figs) != len(truth) {
			t.Fatalf("frame %d: %d figures, %d truth boxes", k, len(figs), len(truth))
		}
		// Pixels away from every person are the floor within noise. Near means within 0.35 of their height
		// of the foot point across and from the head to just below the feet, which covers the shadow; the
		// foot point may lie outside the image.
		near := make([]bool, w*h)
		for _, fg := range figs {
			for y := max(0, int(fg.fy-1.05*fg.h)); y < min(h, int(fg.fy+0.1*fg.h)+1); y++ {
				for x := max(0, int(fg.fx-0.35*fg.h)); x < min(w, int(fg.fx+0.35*fg.h)+1); x++ {
					near[y*w+x] = true
				}
			}
		}
		var sum, sum2, n float64
		for i := range f.Pix[:w*h] {
			if near[i] {
				continue
			}
			d := float64(f.Pix[i]) - float64(ref[i])
			if math.Abs(d) > 7 {
				t.Fatalf("frame %d: pixel (%d,%d) far from all boxes is %d, floor %d", k, i%w, i/w, f.Pix[i], ref[i])
			}
			sum, sum2, n = sum+d, sum2+d*d, n+1
		}
		if sd := math.Sqrt(sum2/n - (sum/n)*(sum/n)); sd < 1.5 || sd > 2.5 {
			t.Errorf("frame %d: noise deviation %.2f, want about %v", k, sd, noiseSigma)
		}
		// Inside an isolated truth box, the silhouette covers much of the box and reaches all its edges.
		for i, b := range truth {
			if b.Width*b.Height < 150 || overlapsOther(truth, i, 0.35*figs[i].h) {
				continue
			}
			x0, y0 := int(math.Floor(b.Left)), int(math.Floor(b.Top))
			x1, y1 := int(math.Ceil(b.Left+b.Width)), int(math.Ceil(b.Top+b.Height))
			// Strongly differing pixels within the box grown by 4 px.
			inside, total := 0, 0
			minX, minY, maxX, maxY := w, h, -1, -1
			for y := max(0, y0-4); y < min(h, y1+4); y++ {
				for x := max(0, x0-4); x < min(w, x1+4); x++ {
					in := x >= x0 && x < x1 && y >= y0 && y < y1
					if in {
						total++
					}
					if math.Abs(float64(f.Pix[y*w+x])-float64(ref[y*w+x])) <= strong {
						continue
					}
					if in {
						inside++
					}
					minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x), max(maxY, y)
				}
			}
			if frac := float64(inside) / float64(total); frac < 0.25 {
				t.Errorf("frame %d id %d: only %.0f%% of box %+v differs from the floor", k, b.ID, 100*frac, b)
			}
			const tol = 1
			if math.Abs(float64(minX)-b.Left) > tol || math.Abs(float64(maxX+1)-(b.Left+b.Width)) > tol ||
				math.Abs(float64(minY)-b.Top) > tol || math.Abs(float64(maxY+1)-(b.Top+b.Height)) > tol {
				t.Errorf("frame %d id %d: silhouette spans x %d–%d y %d–%d, truth box %+v", k, b.ID, minX, maxX+1,
					minY, maxY+1, b)
			}
			checked++
		}
	}
	if checked < 50 {
		t.Errorf("only %d isolated boxes checked", checked)
	}
}

// overlapsOther reports whether box i, grown by m, overlaps any other box.
func overlapsOther(boxes []Box, i int, m float64) bool {
	a := boxes[i]
	for j, b := range boxes {
		if j != i && a.Left-m < b.Left+b.Width && b.Left < a.Left+a.Width+m && a.Top-m < b.Top+b.Height &&
			b.Top < a.Top+a.Height+m {
			return true
		}
	}
	return false
}

// track is one person's foot points over the frames in which their box lies wholly inside the image.
type track struct {
	frames []int
	x, y   []float64
	height []float64
}

func tracks(c *Camera, frames int) map[int]*track {
	tr := map[int]*track{}
	W, H := float64(c.opts.Width), float64(c.opts.Height)
	for k := range frames {
		for _, b := range c.Truth(k) {
			if b.Left < 0.5 || b.Top < 0.5 || b.Left+b.Width > W-0.5 || b.Top+b.Height > H-0.5 {
				continue
			}
			p := tr[b.ID]
			if p == nil {
				p = &track{}
				tr[b.ID] = p
			}
			p.frames = append(p.frames, k)
			p.x = append(p.x, b.Left+b.Width/2)
			p.y = append(p.y, b.Top+b.Height)
			p.height = append(p.height, b.Height)
		}
	}
	return tr
}

func TestSizesAndSpeeds(t *testing.T) {
	for _, size := range [][2]int{{640, 480}, {320, 240}} {
		o := Options{Width: size[0], Height: size[1]}
		c := New(o)
		scale := float64(size[1]) / 480
		tr := tracks(c, 1800)
		speeds := 0
		for id, p := range tr {
			for i := range p.frames {
				// A 1.7 m person is 60 px tall with feet on the top row and 110 px on the bottom row (for
				// 480 rows); people are 1.55–1.90 m tall.
				nominal := (60 + 50*p.y[i]/float64(size[1])) * scale
				if r := p.height[i] / nominal; r < 1.55/1.7-0.02 || r > 1.90/1.7+0.02 {
					t.Fatalf("%v id %d frame %d: height %.1f px with feet on row %.0f, nominal %.1f", size, id,
						p.frames[i], p.height[i], p.y[i], nominal)
				}
			}
			// Ground speed over 1 s windows, from foot points mapped back to the floor.
			var v []float64
			for i := range p.frames {
				for j := i + 1; j < len(p.frames) && p.frames[j]-p.frames[i] <= 10; j++ {
					if p.frames[j]-p.frames[i] != 10 {
						continue
					}
					a, b := c.sc.g.ground(p.x[i], p.y[i]), c.sc.g.ground(p.x[j], p.y[j])
					if s := a.dist(b); s > 0.3 { // not pausing
						v = append(v, s)
					}
				}
			}
			if len(v) < 5 {
				continue
			}
			speeds++
			med := median(v)
			if med < 0.95 || med > 1.65 {
				t.Errorf("%v id %d: median walking speed %.2f m/s", size, id, med)
			}
			for _, s := range v {
				if s > 1.65 {
					t.Errorf("%v id %d: walked %.2f m in 1 s", size, id, s)
					break
				}
			}
		}
		if speeds < 15 {
			t.Errorf("%v: only %d walkers with a measurable speed in 3 minutes", size, speeds)
		}
	}
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s[len(s)/2]
}

// segmentsCross reports whether segments ab and cd properly intersect.
func segmentsCross(ax, ay, bx, by, cx, cy, dx, dy float64) bool {
	orient := func(px, py, qx, qy, rx, ry float64) float64 { return (qx-px)*(ry-py) - (qy-py)*(rx-px) }
	d1, d2 := orient(cx, cy, dx, dy, ax, ay), orient(cx, cy, dx, dy, bx, by)
	d3, d4 := orient(ax, ay, bx, by, cx, cy), orient(ax, ay, bx, by, dx, dy)
	return d1*d2 < 0 && d3*d4 < 0
}

func TestPairsCrossingsAndStops(t *testing.T) {
	for seed := range uint64(4) {
		c := New(Options{Seed: seed})
		tr := tracks(c, 600)
		ids := make([]int, 0, len(tr))
		for id := range tr {
			ids = append(ids, id)
		}
		pairs, crossings := 0, 0
		for i, a := range ids {
			for _, b := range ids[i+1:] {
				pa, pb := tr[a], tr[b]
				// A pair: at least 2 s side by side, feet closer than 0.6 of the taller one's height.
				together := 0
				at := map[int]int{}
				for j, k := range pb.frames {
					at[k] = j
				}
				for j, k := range pa.frames {
					if m, ok := at[k]; ok && math.Hypot(pa.x[j]-pb.x[m], pa.y[j]-pb.y[m]) <
						0.6*math.Max(pa.height[j], pb.height[m]) {
						together++
					}
				}
				if together >= 20 {
					pairs++
				}
				// A crossing: the foot paths intersect, each reaching the crossing within 2 s of the other.
			cross:
				for j := 0; j+1 < len(pa.frames); j++ {
					if pa.frames[j+1] != pa.frames[j]+1 {
						continue
					}
					for m := 0; m+1 < len(pb.frames); m++ {
						if pb.frames[m+1] != pb.frames[m]+1 || abs(pb.frames[m]-pa.frames[j]) > 20 {
							continue
						}
						if segmentsCross(pa.x[j], pa.y[j], pa.x[j+1], pa.y[j+1], pb.x[m], pb.y[m], pb.x[m+1], pb.y[m+1]) {
							crossings++
							break cross
						}
					}
				}
			}
		}
		if pairs == 0 || crossings == 0 {
			t.Errorf("seed %d: %d pairs and %d crossings in the first minute; want some of each", seed, pairs, crossings)
		}
		people, first := PeopleIn(Options{Seed: seed}, 600), len(c.Truth(0))
		if first >= people || people < 8 || people > 20 {
			t.Errorf("seed %d: %d people in view at frame 0 of %d in the first minute", seed, first, people)
		}
		t.Logf("seed %d: %d people (%d at frame 0), %d pairs, %d crossings", seed, people, first, pairs, crossings)
	}
	// Bootstrapping: some scenes start with people in view.
	busy := 0
	for seed := range uint64(10) {
		if len(New(Options{Seed: seed}).Truth(0)) > 0 {
			busy++
		}
	}
	if busy == 0 {
		t.Error("no scene starts with anyone in view")
	}
	// A few people pause for a few seconds; nobody stands still for long.
	c := New(Options{})
	tr := tracks(c, 3000)
	pauses := 0
	for id, p := range tr {
		still := 0
		for j := 1; j < len(p.frames); j++ {
			if p.frames[j] == p.frames[j-1]+1 && math.Hypot(p.x[j]-p.x[j-1], p.y[j]-p.y[j-1]) < 0.5 {
				still++
			} else {
				if still >= 15 {
					pauses++
				}
				if still > 60 {
					t.Errorf("id %d stood still for %d frames", id, still)
				}
				still = 0
			}
		}
		if still >= 15 {
			pauses++
		}
	}
	t.Logf("%d of %d people paused in 5 minutes", pauses, len(tr))
	if pauses == 0 || pauses > len(tr)/4 {
		t.Errorf("%d of %d people paused in 5 minutes; want a few", pauses, len(tr))
	}
}

func abs(v int) int { return max(v, -v) }

func TestFramesEOF(t *testing.T) {
	c := New(Options{Frames: 3, Pace: PaceASAP, Width: 64, Height: 48})
	ctx := context.Background()
	if _, err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	f := hal.Frame{Pix: make([]byte, 64*48)}
	for k := range 3 {
		if err := c.ReadFrame(ctx, &f); err != nil {
			t.Fatalf("frame %d: %v", k, err)
		}
	}
	for range 2 {
		if err := c.ReadFrame(ctx, &f); err != io.EOF {
			t.Fatalf("after the last frame: %v, want io.EOF", err)
		}
	}
}

func TestReadFrameErrors(t *testing.T) {
	ctx := context.Background()
	c := New(Options{Pace: PaceASAP})
	f := hal.Frame{Pix: make([]byte, 640*480)}
	if err := c.ReadFrame(ctx, &f); err == nil {
		t.Error("ReadFrame before Start succeeded")
	}
	if _, err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.ReadFrame(ctx, &hal.Frame{Pix: make([]byte, 100)}); err == nil {
		t.Error("ReadFrame into a short buffer succeeded")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := c.ReadFrame(cctx, &f); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadFrame with a cancelled context: %v", err)
	}
	bad := New(Options{Width: -5})
	if _, err := bad.Start(ctx); err == nil || !strings.HasPrefix(err.Error(), "synth: ") {
		t.Errorf("Start with a negative width: %v", err)
	}
	if bad.Truth(0) != nil || PeopleIn(Options{FPS: -1}, 10) != 0 {
		t.Error("bad options give truth")
	}
}

func TestTimestampsAndRestart(t *testing.T) {
	epoch := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	opts := Options{FPS: 7, Epoch: epoch, Pace: PaceASAP, Seed: 2}
	c := New(opts)
	ctx := context.Background()
	format, err := c.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if format != (hal.Format{Width: 640, Height: 480, FPS: 7}) {
		t.Errorf("format %+v", format)
	}
	f := hal.Frame{Seq: 99, Pix: make([]byte, format.Size())}
	for k := range 10 {
		if k == 5 {
			// Stop and Start continue the scene where it was.
			if err := c.Stop(); err != nil {
				t.Fatal(err)
			}
			if err := c.ReadFrame(ctx, &f); err == nil {
				t.Fatal("ReadFrame after Stop succeeded")
			}
			if _, err := c.Start(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.ReadFrame(ctx, &f); err != nil {
			t.Fatal(err)
		}
		want := epoch.Add(time.Duration(math.Round(float64(k) * 1e9 / 7)))
		if !f.Time.Equal(want) {
			t.Errorf("frame %d at %v, want %v", k, f.Time, want)
		}
		if f.Width != 640 || f.Height != 480 || f.Stride != 640 || f.Seq != 99 {
			t.Errorf("frame %d: %d×%d stride %d seq %d", k, f.Width, f.Height, f.Stride, f.Seq)
		}
	}
	_, fresh := read(t, opts, 10)
	if !bytes.Equal(f.Pix, fresh[9]) {
		t.Error("frame 9 after Stop and Start differs from frame 9 of an uninterrupted camera")
	}
}

func TestRealtimePacing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const step = 100 * time.Millisecond
		c := New(Options{Frames: 40, Width: 64, Height: 48})
		ctx := context.Background()
		start := time.Now()
		if _, err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		f := hal.Frame{Pix: make([]byte, 64*48)}
		for k := range 3 {
			if err := c.ReadFrame(ctx, &f); err != nil {
				t.Fatal(err)
			}
			want := start.Add(time.Duration(k) * step)
			if !time.Now().Equal(want) || !f.Time.Equal(want) {
				t.Errorf("frame %d delivered at +%v stamped +%v; want +%v", k, time.Since(start), f.Time.Sub(start),
					want.Sub(start))
			}
		}
		// A wait for a frame ends when ctx does.
		tctx, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
		err := c.ReadFrame(tctx, &f)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != 230*time.Millisecond {
			t.Errorf("cancelled wait: %v after %v", err, time.Since(start))
		}
		if err := c.ReadFrame(ctx, &f); err != nil || time.Since(start) != 3*step || !f.Time.Equal(start.Add(3*step)) {
			t.Errorf("frame 3 after a cancelled wait: %v at +%v stamped +%v", err, time.Since(start), f.Time.Sub(start))
		}
		// After a pause the scene has moved on: the next frame is the one due now.
		c.Stop()
		time.Sleep(time.Second + 50*time.Millisecond)
		if _, err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if err := c.ReadFrame(ctx, &f); err != nil || !f.Time.Equal(start.Add(14*step)) || time.Since(start) != 14*step {
			t.Errorf("first frame after restart: %v at +%v stamped +%v; want +1.4s", err, time.Since(start),
				f.Time.Sub(start))
		}
	})
}

func TestLightingDrift(t *testing.T) {
	c, frames := read(t, Options{Walkers: -1, Width: 160, Height: 120, FPS: 1}, 61)
	if n := len(c.Truth(30)); n != 0 {
		t.Fatalf("empty scene has %d people", n)
	}
	var means []float64
	for _, p := range frames {
		s := 0
		for _, v := range p {
			s += int(v)
		}
		means = append(means, float64(s)/float64(len(p)))
	}
	lo, hi := means[0], means[0]
	for i, m := range means {
		lo, hi = math.Min(lo, m), math.Max(hi, m)
		if i > 0 && math.Abs(m/means[i-1]-1) > 0.01 {
			t.Errorf("brightness jumps %.1f%% in one second at %d s", 100*(m/means[i-1]-1), i)
		}
	}
	if r := hi/lo - 1; r < 0.01 || r > 0.12 {
		t.Errorf("brightness varies by %.1f%% over a minute; want a few percent", 100*r)
	}
}

func TestParseSpec(t *testing.T) {
	good := []struct {
		spec string
		want Options
	}{
		{"synth", Options{}},
		{"synth:", Options{}},
		{"synth:frames=600,seed=3,w=640,h=480,fps=10,rate=12,pace=asap",
			Options{Frames: 600, Seed: 3, Width: 640, Height: 480, FPS: 10, Walkers: 12, Pace: PaceASAP}},
		{"synth:pace=realtime,fps=7.5", Options{FPS: 7.5}},
		{"synth:rate=0", Options{Walkers: -1}},
		{"synth:seed=18446744073709551615", Options{Seed: math.MaxUint64}},
	}
	for _, g := range good {
		got, err := ParseSpec(g.spec)
		if err != nil || got != g.want {
			t.Errorf("ParseSpec(%q) = %+v, %v; want %+v", g.spec, got, err, g.want)
		}
	}
	for _, spec := range []string{"", "synthetic", "y4m:x", "synth:frames", "synth:frames=", "synth:frames=-1",
		"synth:seed=-1", "synth:w=0", "synth:h=10", "synth:w=5000", "synth:fps=0", "synth:fps=nan", "synth:rate=-3",
		"synth:rate=601", "synth:pace=slow", "synth:colour=red", "synth:seed=1,seed=2", "synth:seed=1,"} {
		if o, err := ParseSpec(spec); err == nil {
			t.Errorf("ParseSpec(%q) = %+v, want an error", spec, o)
		} else if !strings.HasPrefix(err.Error(), "synth: ") {
			t.Errorf("ParseSpec(%q): error %q lacks the package prefix", spec, err)
		}
	}
}

func TestWriteGroundTruth(t *testing.T) {
	opts := Options{Seed: 5, Frames: 300}
	var buf bytes.Buffer
	if err := WriteGroundTruth(&buf, opts, 0); err != nil {
		t.Fatal(err)
	}
	c := New(opts)
	rows := map[int][]Box{}
	ids := map[int]bool{}
	last := 0
	for i, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		f := strings.Split(line, ",")
		if len(f) != 10 || f[6] != "1" || f[7] != "-1" || f[8] != "-1" || f[9] != "-1" {
			t.Fatalf("line %d: %q", i+1, line)
		}
		var v [6]float64
		for j := range v {
			var err error
			if v[j], err = strconv.ParseFloat(f[j], 64); err != nil {
				t.Fatalf("line %d: %v", i+1, err)
			}
		}
		frame := int(v[0])
		if frame < 1 || frame > 300 || frame < last {
			t.Fatalf("line %d: frame %d out of order or range 1–300", i+1, frame)
		}
		last = frame
		ids[int(v[1])] = true
		rows[frame] = append(rows[frame], Box{int(v[1]), v[2], v[3], v[4], v[5]})
	}
	for k := range 300 {
		want := c.Truth(k)
		got := rows[k+1]
		if len(got) != len(want) {
			t.Fatalf("frame %d: %d rows, truth has %d boxes", k+1, len(got), len(want))
		}
		for i := range got {
			w := want[i]
			if got[i].ID != w.ID || math.Abs(got[i].Left-w.Left) > 0.006 || math.Abs(got[i].Top-w.Top) > 0.006 ||
				math.Abs(got[i].Width-w.Width) > 0.006 || math.Abs(got[i].Height-w.Height) > 0.006 {
				t.Fatalf("frame %d: row %+v, truth %+v", k+1, got[i], w)
			}
		}
	}
	if n := PeopleIn(opts, 0); n != len(ids) || n == 0 {
		t.Errorf("PeopleIn = %d, ground truth has %d ids", n, len(ids))
	}
	if PeopleIn(opts, 100) > PeopleIn(opts, 300) || PeopleIn(opts, 1000) != PeopleIn(opts, 300) {
		t.Error("PeopleIn does not respect the frame count and Options.Frames")
	}
	if err := WriteGroundTruth(io.Discard, Options{}, 0); err == nil {
		t.Error("ground truth of an endless scene without a frame count succeeded")
	}
	if err := WriteGroundTruth(failWriter{}, opts, 0); err == nil {
		t.Error("write error not reported")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestTruthWhileStreaming(t *testing.T) {
	c := New(Options{Width: 64, Height: 48, Pace: PaceASAP, Frames: 200})
	ctx := context.Background()
	if _, err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan []Box)
	go func() {
		var last []Box
		for k := 199; k >= 0; k-- {
			if b := c.Truth(k); b != nil {
				last = b
			}
		}
		done <- last
	}()
	f := hal.Frame{Pix: make([]byte, 64*48)}
	for c.ReadFrame(ctx, &f) == nil {
	}
	<-done
}
