package motscore

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestScoreHandMade(t *testing.T) {
	gt := Seq{nil,
		{{1, 0, 0}, {2, 100, 0}},
		{{1, 1, 0}, {2, 101, 0}},
		{{1, 2, 0}, {2, 102, 0}},
	}
	hyp := Seq{nil,
		{{7, 0, 1}, {8, 100, 1}},
		{{8, 1, 1}, {9, 300, 0}}, // switch for gt 1, gt 2 missed, one FP
		{{8, 2, 1}, {9, 102, 1}},
	}
	r := Score(gt, hyp, 3, 10)
	if r.Switches != 2 || r.FP != 1 || r.FN != 1 || r.Matches != 5 {
		t.Fatalf("got %+v", r)
	}
	if want := 1 - 4.0/6; math.Abs(r.MOTA-want) > 1e-9 {
		t.Fatalf("MOTA %v, want %v", r.MOTA, want)
	}
	// IDF1: gt1↔8 (2 frames), gt2↔9 (1 frame) or gt2↔8... best is 1↔8 (2) + 2↔9 (1) = 3, or 1↔7 (1) + 2↔8 (1) = 2.
	if r.IDTP != 3 {
		t.Fatalf("IDTP %d, want 3", r.IDTP)
	}
}

func sharedData(t *testing.T) string {
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

// TestReproducesReferenceScores checks the scorer against py-motmetrics' foot-mode scores of the
// reference SORT output.
func TestReproducesReferenceScores(t *testing.T) {
	data := sharedData(t)
	for _, seq := range []struct {
		dir string
		thr float64
	}{{"pets09-s2l1-dev", 38.4}, {"tud-campus", 32}, {"tud-stadtmitte", 32}} {
		t.Run(seq.dir, func(t *testing.T) {
			dir := filepath.Join(data, seq.dir)
			gtb, err := ReadMOT(filepath.Join(dir, "gt.txt"))
			if err != nil {
				t.Skip(err)
			}
			hb, err := ReadMOT(filepath.Join(dir, "sort-frcnn-boxes.txt"))
			if err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile(filepath.Join(dir, "sort-frcnn-metrics.json"))
			if err != nil {
				t.Fatal(err)
			}
			var ref []struct {
				NumFrames int     `json:"num_frames"`
				Mode      string  `json:"mode"`
				MOTA      float64 `json:"mota"`
				IDF1      float64 `json:"idf1"`
				FP        int     `json:"num_false_positives"`
				FN        int     `json:"num_misses"`
				Switches  int     `json:"num_switches"`
			}
			if err := json.Unmarshal(raw, &ref); err != nil {
				t.Fatal(err)
			}
			gt, _ := FootSeq(gtb, true)
			hyp, _ := FootSeq(hb, false)
			for _, m := range ref {
				if m.Mode != "foot" {
					continue
				}
				r := Score(gt, hyp, m.NumFrames, seq.thr)
				t.Logf("%s: %v; reference MOTA %.1f IDF1 %.1f IDsw %d FP %d FN %d", seq.dir, r, 100*m.MOTA, 100*m.IDF1, m.Switches, m.FP, m.FN)
				if r.FP != m.FP || r.FN != m.FN {
					t.Errorf("FP/FN %d/%d, reference %d/%d", r.FP, r.FN, m.FP, m.FN)
				}
				if math.Abs(r.IDF1-m.IDF1) > 1e-6 {
					t.Errorf("IDF1 %.4f, reference %.4f", r.IDF1, m.IDF1)
				}
				if d := r.Switches - m.Switches; d < -2 || d > 2 {
					t.Errorf("switches %d, reference %d", r.Switches, m.Switches)
				}
			}
		})
	}
}
