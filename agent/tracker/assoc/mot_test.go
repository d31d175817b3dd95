package assoc

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/ashiato/ashiato/tools/moteval/mot"
)

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

type motSeq struct {
	dir   string
	fps   float64
	width int
}

var motSeqs = []motSeq{{"pets09-s2l1-dev", 7, 768}, {"tud-campus", 25, 640}, {"tud-stadtmitte", 25, 640}}

// readMOTFile reads every row of a MOT box file (detections keep their confidence, even 0).
func readMOTFile(path string) ([]mot.Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return mot.ReadMOT(f)
}

// motSummary formats the scores the test logs.
func motSummary(r mot.Result) string {
	return fmt.Sprintf("MOTA %.1f IDF1 %.1f IDsw %d FP %d FN %d (GT %d, hyp %d, MOTP %.2f px)",
		100*r.MOTA, 100*r.IDF1, r.Switches, r.FP, r.FN, r.NumObjects, r.NumPredictions, r.MOTP)
}

// trackDets runs the association on MOT detections and returns the tracks' points as point rows
// (1-based frames), in the order they were emitted.
func trackDets(cfg Config, dets []mot.Row, frames int, fps float64) []mot.Row {
	byFrame := make([][]Detection, frames+1)
	for _, b := range dets {
		if b.Frame < 1 || b.Frame > frames {
			continue
		}
		byFrame[b.Frame] = append(byFrame[b.Frame], Detection{X: b.Left + b.Width/2, Y: b.Top + b.Height, W: b.Width, H: b.Height, Score: b.Conf})
	}
	var hyp []mot.Row
	add := func(ts []Track) {
		for _, k := range ts {
			for _, p := range k.Points {
				hyp = append(hyp, mot.Row{Frame: int(p.Frame), ID: strconv.FormatUint(k.ID, 10), X: p.X, Y: p.Y, Conf: 1, IsPoint: true})
			}
		}
	}
	tr := New(cfg)
	for f := 1; f <= frames; f++ {
		add(tr.Update(uint64(f), int64(float64(f-1)*1000/fps), byFrame[f]))
	}
	add(tr.Flush())
	return hyp
}

// TestBeatsSORTOnFRCNN feeds the public Faster R-CNN detections to the association stage and compares the
// result with the reference SORT tracker on the same detections (foot-point matching, W/20).
func TestBeatsSORTOnFRCNN(t *testing.T) {
	data := sharedData(t)
	for _, sq := range motSeqs {
		t.Run(sq.dir, func(t *testing.T) {
			dir := filepath.Join(data, sq.dir)
			gt, err := mot.ReadGTFile(filepath.Join(dir, "gt.txt"))
			if err != nil {
				t.Skipf("no ground truth: %v", err)
			}
			dets, err := readMOTFile(filepath.Join(dir, "det-frcnn.txt"))
			if err != nil {
				t.Skipf("no detections: %v", err)
			}
			raw, err := os.ReadFile(filepath.Join(dir, "sort-frcnn-metrics.json"))
			if err != nil {
				t.Skipf("no reference metrics: %v", err)
			}
			var ref []struct {
				NumFrames int     `json:"num_frames"`
				Mode      string  `json:"mode"`
				MOTA      float64 `json:"mota"`
				IDF1      float64 `json:"idf1"`
				Switches  int     `json:"num_switches"`
			}
			if err := json.Unmarshal(raw, &ref); err != nil {
				t.Fatal(err)
			}
			for _, m := range ref {
				if m.Mode != "foot" {
					continue
				}
				hyp := trackDets(DetectorConfig(), dets, m.NumFrames, sq.fps)
				r, err := mot.Evaluate(gt, hyp, mot.Config{Mode: mot.Foot, Frames: m.NumFrames, Width: sq.width})
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%s: assoc %s; SORT MOTA %.1f IDF1 %.1f IDsw %d", sq.dir, motSummary(r), 100*m.MOTA, 100*m.IDF1, m.Switches)
				if r.MOTA <= m.MOTA || r.IDF1 <= m.IDF1 {
					t.Errorf("MOTA %.1f IDF1 %.1f, not ahead of SORT's %.1f / %.1f", 100*r.MOTA, 100*r.IDF1, 100*m.MOTA, 100*m.IDF1)
				}
			}
		})
	}
}
