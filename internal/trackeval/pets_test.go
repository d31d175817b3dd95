package trackeval

import (
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/tracker"
	"github.com/ashiato/ashiato/hal"
	"github.com/ashiato/ashiato/tools/footage"
	"github.com/ashiato/ashiato/tools/moteval/mot"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/*.tracks from this run (after a deliberate change of the output)")

// petsClip opens the repository's PETS09-S2L1 dev clip (frames 1–400, checksums verified).
func petsClip(t testing.TB) *footage.Clip {
	t.Helper()
	dir, err := footage.Find("pets09-s2l1-dev")
	if err != nil {
		t.Fatal(err)
	}
	c, err := footage.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// runClip tracks every frame of c as if captured at fps (a whole number; frame i at i/fps s, rounded down
// to the nanosecond as the y4m source does) and returns the tracks in the order the tracker
// gave them, and the time spent in Step. after, if not nil, is called after every Step.
func runClip(t testing.TB, cfg tracker.Config, c *footage.Clip, fps int, after func(*tracker.Tracker)) ([]tracker.Track, time.Duration) {
	t.Helper()
	tr := tracker.New(cfg)
	var out []tracker.Track
	var busy time.Duration
	t0 := time.Unix(1_700_000_000, 0)
	err := c.Frames(0, func(i int, pix []byte) error {
		f := hal.Frame{Seq: uint64(i), Time: t0.Add(time.Duration(i) * time.Second / time.Duration(fps)),
			Width: c.Info.Width, Height: c.Info.Height, Stride: c.Info.Width, Pix: pix}
		start := time.Now()
		out = append(out, tr.Step(&f)...)
		busy += time.Since(start)
		if after != nil {
			after(tr)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return append(out, tr.Flush()...), busy
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

// formatTracks writes tracks one point a line, "id frame x y", x and y to a thousandth of a pixel.
func formatTracks(ts []tracker.Track) []byte {
	var b bytes.Buffer
	for _, k := range ts {
		for _, p := range k.Points {
			fmt.Fprintf(&b, "%d %d %.3f %.3f\n", k.ID, p.Frame, p.X, p.Y)
		}
	}
	return b.Bytes()
}

// TestPETSDevGolden tracks the PETS09-S2L1 dev clip at its real 7 fps and as if it came at 10 fps, and
// checks that every point of every track is what testdata/pets-dev-*.tracks holds, and that the cleaned
// foreground mask of every frame is the same as when the file was made (its first line is the SHA-256 of
// all the masks, one bit per pixel). The files were made by this code; the test guards changes meant to
// leave the output alone (a faster pass over the pixels must be bit-identical). After a deliberate change
// of the output, rerun with -update-golden and score the new output (README, "Tracking accuracy").
func TestPETSDevGolden(t *testing.T) {
	skipShort(t)
	c := petsClip(t)
	for _, fps := range []int{7, 10} {
		masks := sha256.New()
		var mask []byte
		ts, busy := runClip(t, tracker.Config{}, c, fps, func(tr *tracker.Tracker) {
			mask = tr.AppendMask(mask[:0])
			masks.Write(mask)
		})
		got := append([]byte(fmt.Sprintf("masks %x\n", masks.Sum(nil))), formatTracks(ts)...)
		path := filepath.Join("testdata", fmt.Sprintf("pets-dev-%dfps.tracks", fps))
		t.Logf("%d fps: %d tracks, %d points; %.2f ms/frame (wall, incl. contention)", fps, len(ts),
			bytes.Count(got, []byte("\n")), float64(busy.Microseconds())/1000/float64(c.Len()))
		if *updateGolden {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
			for i := range min(len(gl), len(wl)) {
				if gl[i] != wl[i] {
					t.Fatalf("%d fps: line %d of %s: got %q, want %q (%d and %d lines)", fps, i+1, path, gl[i], wl[i], len(gl), len(wl))
				}
			}
			t.Fatalf("%d fps: %d lines, %s has %d", fps, len(gl), path, len(wl))
		}
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
