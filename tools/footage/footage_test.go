package footage

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeClip writes frames (capture size w×h) as a clip with the given near and returns its directory.
func writeClip(t *testing.T, frames [][]byte, w, h, near int) string {
	t.Helper()
	dir := t.TempDir()
	wr, err := Create(dir, "test", 10, w, h, near)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		if err := wr.Add(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := wr.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func randomFrames(n, w, h int) [][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	frames := make([][]byte, n)
	for i := range frames {
		frames[i] = make([]byte, w*h)
		for k := range frames[i] {
			frames[i][k] = uint8(r.IntN(256))
		}
	}
	return frames
}

// TestRoundTrip: frames come back at the capture size as the 2×2 averages repeated over 2×2 blocks,
// exactly with near 0 and within near grey levels otherwise.
func TestRoundTrip(t *testing.T) {
	const w, h = 16, 10
	frames := randomFrames(5, w, h)
	for _, near := range []int{0, 2} {
		c, err := Open(writeClip(t, frames, w, h, near))
		if err != nil {
			t.Fatal(err)
		}
		if c.Len() != 5 || c.Info.Width != w || c.Info.Height != h || c.Info.FrameRate != 10 {
			t.Fatalf("info %+v", c.Info)
		}
		half := make([]byte, w*h/4)
		seen := 0
		err = c.Frames(0, func(i int, pix []byte) error {
			seen++
			Halve(half, frames[i], w, h)
			for y := range h {
				for x := range w {
					want, got := int(half[(y/2)*(w/2)+x/2]), int(pix[y*w+x])
					if got-want > near || want-got > near {
						t.Fatalf("near %d frame %d (%d,%d): %d, want %d", near, i, x, y, got, want)
					}
				}
			}
			return nil
		})
		if err != nil || seen != 5 {
			t.Fatalf("near %d: %d frames, %v", near, seen, err)
		}
	}
}

// TestDamagedClipRefused: a changed byte in any listed file, or a list that omits the frames, is refused.
func TestDamagedClipRefused(t *testing.T) {
	dir := writeClip(t, randomFrames(2, 8, 8), 8, 8, 0)
	for _, name := range []string{FramesFile, SeqInfoFile} {
		p := filepath.Join(dir, name)
		b, _ := os.ReadFile(p)
		b[len(b)/2] ^= 1
		os.WriteFile(p, b, 0o644)
		if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "damaged") {
			t.Errorf("%s changed: Open = %v, want a checksum error", name, err)
		}
		b[len(b)/2] ^= 1
		os.WriteFile(p, b, 0o644)
	}
	if _, err := Open(dir); err != nil {
		t.Fatalf("restored clip: %v", err)
	}
	sums, _ := os.ReadFile(filepath.Join(dir, SumsFile))
	var kept []string
	for _, l := range strings.Split(string(sums), "\n") {
		if !strings.HasSuffix(l, FramesFile) {
			kept = append(kept, l)
		}
	}
	os.WriteFile(filepath.Join(dir, SumsFile), []byte(strings.Join(kept, "\n")), 0o644)
	if _, err := Open(dir); err == nil {
		t.Error("a SHA256SUMS without frames.z was accepted")
	}
}

// TestPETSDevClip opens the repository's clip, checks its checksums and that the README's table lists the
// same ones, reads its ground truth (frames 1–400 only: the held-out frames must not be there) and decodes
// every frame.
func TestPETSDevClip(t *testing.T) {
	dir, err := Find("pets09-s2l1-dev")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() != 400 || c.Info.Width != 768 || c.Info.Height != 576 || c.Info.FrameRate != 7 {
		t.Fatalf("info %+v, want 400 frames of 768x576 at 7 fps", c.Info)
	}
	readme, err := os.ReadFile(filepath.Join(dir, "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	sums, _ := os.ReadFile(filepath.Join(dir, SumsFile))
	for _, l := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
		sum, name, _ := strings.Cut(l, "  ")
		if !bytes.Contains(readme, []byte("`"+name+"`")) || !bytes.Contains(readme, []byte("`"+sum+"`")) {
			t.Errorf("testdata/README.md does not list %s with %s", name, sum)
		}
	}
	gt, err := c.GroundTruth()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, r := range gt {
		if r.Frame < 1 || r.Frame > 400 || r.Width <= 0 || r.Height <= 0 {
			t.Fatalf("ground truth row %+v: want frames 1–400 and a box", r)
		}
		ids[r.ID] = true
	}
	if len(gt) != 2222 || len(ids) != 10 {
		t.Errorf("ground truth: %d rows of %d people, want 2222 rows (174 more marked to ignore) of 10", len(gt), len(ids))
	}
	if testing.Short() {
		return
	}
	n := 0
	var mean float64
	if err := c.Frames(0, func(i int, pix []byte) error {
		n++
		var s int
		for _, v := range pix {
			s += int(v)
		}
		mean += float64(s) / float64(len(pix))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if mean /= float64(n); n != 400 || mean < 60 || mean > 200 {
		t.Fatalf("%d frames, mean grey %.1f", n, mean)
	}
}

// TestGroundTruthOnlyWhenListed: a clip's gt.txt is read only when SHA256SUMS lists it (and so Open
// verified it); ignored rows are dropped; a changed byte in it makes Open refuse the clip.
func TestGroundTruthOnlyWhenListed(t *testing.T) {
	dir := writeClip(t, randomFrames(2, 8, 8), 8, 8, 0)
	gt := "1,1,1,1,2,4,1\n2,1,1,1,2,4,1\n2,2,4,1,2,4,0\n"
	if err := os.WriteFile(filepath.Join(dir, GTFile), []byte(gt), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GroundTruth(); err == nil || !strings.Contains(err.Error(), "no gt.txt listed") {
		t.Fatalf("unlisted gt.txt: GroundTruth = %v, want a refusal", err)
	}
	sum, err := FileSHA256(filepath.Join(dir, GTFile))
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(filepath.Join(dir, SumsFile), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(sum + "  " + GTFile + "\n")
	f.Close()
	if c, err = Open(dir); err != nil {
		t.Fatal(err)
	}
	rows, err := c.GroundTruth()
	if err != nil || len(rows) != 2 || rows[1].Frame != 2 || rows[1].ID != "1" {
		t.Fatalf("GroundTruth = %+v, %v; want the two rows not marked to ignore", rows, err)
	}
	os.WriteFile(filepath.Join(dir, GTFile), []byte(strings.Replace(gt, "4,1\n", "5,1\n", 1)), 0o644)
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("changed gt.txt: Open = %v, want a checksum error", err)
	}
}
