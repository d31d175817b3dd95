package tracker

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ashiato/ashiato/hal"
	"github.com/ashiato/ashiato/tools/moteval/mot"
)

// sharedData returns <repo root>/../shared/data, or skips the test.
func sharedData(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Skip("no go.mod above the package")
		}
		dir = up
	}
	d := filepath.Join(dir, "..", "shared", "data")
	if _, err := os.Stat(d); err != nil {
		t.Skipf("shared data not found at %s: %v", d, err)
	}
	return d
}

// decode runs ffmpeg on video and calls fn for each luma frame (1-based index), reusing one buffer.
func decode(t testing.TB, video string, w, h, maxFrames int, fn func(i int, pix []byte)) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not found")
	}
	cmd := exec.Command("ffmpeg", "-v", "error", "-i", video, "-frames:v", itoa(maxFrames), "-f", "rawvideo", "-pix_fmt", "gray", "-")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, w*h)
	for i := 1; i <= maxFrames; i++ {
		if _, err := io.ReadFull(out, buf); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				break
			}
			t.Fatal(err)
		}
		fn(i, buf)
	}
	clear(buf)
	_ = out.Close()
	_ = cmd.Wait()
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// hypRow is the point row for the foot point of track id in 1-based frame f, as mot scores it.
func hypRow(id uint64, f int, x, y float64) mot.Row {
	return mot.Row{Frame: f, ID: strconv.FormatUint(id, 10), X: x, Y: y, Conf: 1, IsPoint: true}
}

// motSummary formats the scores the tracker's tests log.
func motSummary(r mot.Result) string {
	return fmt.Sprintf("MOTA %.1f IDF1 %.1f IDsw %d FP %d FN %d (GT %d, hyp %d, MOTP %.2f px)",
		100*r.MOTA, 100*r.IDF1, r.Switches, r.FP, r.FN, r.NumObjects, r.NumPredictions, r.MOTP)
}

// runVideo tracks a video and returns the hypotheses as point rows (1-based frames), in the order the
// tracker emitted them, and the number of frames.
func runVideo(t testing.TB, cfg Config, video string, w, h int, fps float64, maxFrames int) ([]mot.Row, int, time.Duration) {
	tr := New(cfg)
	var hyp []mot.Row
	add := func(ts []Track) {
		for _, k := range ts {
			for _, p := range k.Points {
				hyp = append(hyp, hypRow(k.ID, int(p.Frame)+1, p.X, p.Y))
			}
		}
	}
	n := 0
	var busy time.Duration
	t0 := time.Unix(1_700_000_000, 0)
	decode(t, video, w, h, maxFrames, func(i int, pix []byte) {
		f := hal.Frame{Seq: uint64(i - 1), Time: t0.Add(time.Duration(float64(i-1) / fps * float64(time.Second))),
			Width: w, Height: h, Stride: w, Pix: pix}
		start := time.Now()
		add(tr.Step(&f))
		busy += time.Since(start)
		n = i
	})
	add(tr.Flush())
	return hyp, n, busy
}

// TestPETS09Dev scores the tracker on PETS09-S2L1 frames 1–400 with foot-point matching (W/20).
func TestPETS09Dev(t *testing.T) {
	skipShort(t)
	dir := filepath.Join(sharedData(t), "pets09-s2l1-dev")
	gt, err := mot.ReadGTFile(filepath.Join(dir, "gt.txt"))
	if err != nil {
		t.Skipf("no ground truth: %v", err)
	}
	hyp, n, busy := runVideo(t, Config{}, filepath.Join(dir, "vtest-dev.avi"), 768, 576, 7, 400)
	if n != 400 {
		t.Fatalf("decoded %d frames, want 400", n)
	}
	r, err := mot.Evaluate(gt, hyp, mot.Config{Mode: mot.Foot, Frames: n, Width: 768})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("PETS09-S2L1 dev: %s; %.2f ms/frame (wall, incl. contention)", motSummary(r), float64(busy.Microseconds())/1000/float64(n))
	// Targets of issue 3 (the DIY MOG2+SORT baseline scores MOTA 56.2, IDF1 43.5).
	if r.MOTA < 0.75 || r.IDF1 < 0.60 {
		t.Errorf("MOTA %.1f / IDF1 %.1f, want at least 75 / 60", 100*r.MOTA, 100*r.IDF1)
	}
}

// skipShort leaves the long scene runs to the full test run: under -short (the race detector, which
// slows this single-goroutine code tenfold, and qemu) they would take minutes.
func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("long scene run: runs without -short")
	}
}
