package assoc

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/ashiato/ashiato/agent/tracker/internal/motscore"
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
	width float64
}

var motSeqs = []motSeq{{"pets09-s2l1-dev", 7, 768}, {"tud-campus", 25, 640}, {"tud-stadtmitte", 25, 640}}

// trackDets runs the association on MOT detections and returns hypotheses per 1-based frame.
func trackDets(cfg Config, dets []motscore.Box, frames int, fps float64) motscore.Seq {
	byFrame := make([][]Detection, frames+1)
	for _, b := range dets {
		if b.Frame < 1 || b.Frame > frames {
			continue
		}
		byFrame[b.Frame] = append(byFrame[b.Frame], Detection{X: b.Left + b.W/2, Y: b.Top + b.H, W: b.W, H: b.H, Score: b.Conf})
	}
	hyp := make(motscore.Seq, frames+1)
	add := func(ts []Track) {
		for _, k := range ts {
			for _, p := range k.Points {
				hyp[p.Frame] = append(hyp[p.Frame], motscore.Obj{ID: int(k.ID), X: p.X, Y: p.Y})
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
			gtb, err := motscore.ReadMOT(filepath.Join(dir, "gt.txt"))
			if err != nil {
				t.Skipf("no ground truth: %v", err)
			}
			dets, err := motscore.ReadMOT(filepath.Join(dir, "det-frcnn.txt"))
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
			gt, _ := motscore.FootSeq(gtb, true)
			for _, m := range ref {
				if m.Mode != "foot" {
					continue
				}
				hyp := trackDets(DetectorConfig(), dets, m.NumFrames, sq.fps)
				r := motscore.Score(gt, hyp, m.NumFrames, sq.width/20)
				t.Logf("%s: assoc %v; SORT MOTA %.1f IDF1 %.1f IDsw %d", sq.dir, r, 100*m.MOTA, 100*m.IDF1, m.Switches)
				if r.MOTA <= m.MOTA || r.IDF1 <= m.IDF1 {
					t.Errorf("MOTA %.1f IDF1 %.1f, not ahead of SORT's %.1f / %.1f", 100*r.MOTA, 100*r.IDF1, 100*m.MOTA, 100*m.IDF1)
				}
			}
		})
	}
}
