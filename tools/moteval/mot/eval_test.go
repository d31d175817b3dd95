package mot

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
)

// pt is a point hypothesis; box is a box row (ground truth or hypothesis).
func pt(frame int, id string, x, y float64) Row {
	return Row{Frame: frame, ID: id, X: x, Y: y, Conf: 1, IsPoint: true}
}

// footBox is a 10×20 box whose bottom-centre is (x, y).
func footBox(frame int, id string, x, y float64) Row {
	return Row{Frame: frame, ID: id, Left: x - 5, Top: y - 20, Width: 10, Height: 20, Conf: 1}
}

func eval(t *testing.T, gt, hyp []Row, cfg Config) Result {
	t.Helper()
	r, err := Evaluate(gt, hyp, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func near(t *testing.T, name string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-12 {
		t.Errorf("%s = %v, want %v", name, got, want)
	}
}

// One person, tracked by hypothesis 1 in frames 1-2 and by hypothesis 2 in frames 3-4.
func TestIDSwitch(t *testing.T) {
	var gt, hyp []Row
	for f := 1; f <= 4; f++ {
		gt = append(gt, footBox(f, "A", 100, 100))
		id := "1"
		if f > 2 {
			id = "2"
		}
		hyp = append(hyp, pt(f, id, 103, 104)) // 5 px away
	}
	r := eval(t, gt, hyp, Config{Frames: 4, Width: 640})
	if r.Switches != 1 || r.FP != 0 || r.FN != 0 || r.Frags != 0 || r.Matches != 3 {
		t.Errorf("switches/FP/FN/frags/matches = %d/%d/%d/%d/%d, want 1/0/0/0/3", r.Switches, r.FP, r.FN, r.Frags, r.Matches)
	}
	near(t, "MOTA", r.MOTA, 1-1.0/4)
	near(t, "MOTP", r.MOTP, 5)
	// Best id pairing: A with either hypothesis, 2 frames of 4.
	if r.IDTP != 2 || r.IDFP != 2 || r.IDFN != 2 {
		t.Errorf("IDTP/IDFP/IDFN = %d/%d/%d, want 2/2/2", r.IDTP, r.IDFP, r.IDFN)
	}
	near(t, "IDF1", r.IDF1, 0.5)
	if r.MostlyTrack != 1 || r.NumUnique != 1 {
		t.Errorf("MT/unique = %d/%d, want 1/1", r.MostlyTrack, r.NumUnique)
	}
}

// One person over 6 frames; the hypothesis is absent in frame 3 and too far in frames 5: two
// fragmentations, and the far point is also a false positive. Frame 6 re-acquires with the same id.
func TestFragmentation(t *testing.T) {
	var gt, hyp []Row
	for f := 1; f <= 6; f++ {
		gt = append(gt, footBox(f, "A", 100, 100))
		switch f {
		case 3:
		case 5:
			hyp = append(hyp, pt(f, "1", 300, 100))
		default:
			hyp = append(hyp, pt(f, "1", 100, 100))
		}
	}
	r := eval(t, gt, hyp, Config{Frames: 6, Width: 640})
	if r.Frags != 2 || r.FN != 2 || r.FP != 1 || r.Switches != 0 {
		t.Errorf("frags/FN/FP/switches = %d/%d/%d/%d, want 2/2/1/0", r.Frags, r.FN, r.FP, r.Switches)
	}
	near(t, "MOTA", r.MOTA, 1-3.0/6)
	if r.PartlyTrack != 1 { // 4 of 6 frames
		t.Errorf("PT = %d, want 1", r.PartlyTrack)
	}
	// Misses before the first match and after the last one are not fragmentations.
	gt = append(gt, footBox(7, "A", 100, 100), footBox(8, "A", 100, 100))
	r = eval(t, gt, hyp, Config{Frames: 8, Width: 640})
	if r.Frags != 2 || r.FN != 4 {
		t.Errorf("with trailing misses: frags/FN = %d/%d, want 2/4", r.Frags, r.FN)
	}
}

// A correspondence still within the threshold is kept even when swapping would lower the total distance.
func TestPreviousCorrespondenceKept(t *testing.T) {
	gt := []Row{footBox(1, "A", 0, 100), footBox(1, "B", 20, 100), footBox(2, "A", 0, 100), footBox(2, "B", 20, 100)}
	hyp := []Row{pt(1, "1", 0, 100), pt(1, "2", 20, 100), pt(2, "1", 15, 100), pt(2, "2", 5, 100)}
	r := eval(t, gt, hyp, Config{Frames: 2, Threshold: 30})
	if r.Switches != 0 || r.Matches != 4 {
		t.Errorf("switches/matches = %d/%d, want 0/4", r.Switches, r.Matches)
	}
	near(t, "MOTP", r.MOTP, (0+0+15+15)/4.0)
	// Beyond the threshold the old pairing breaks, and the new one is a switch for both.
	r = eval(t, gt, hyp, Config{Frames: 2, Threshold: 14})
	if r.Switches != 2 {
		t.Errorf("threshold 14: switches = %d, want 2", r.Switches)
	}
}

// A hypothesis on a person marked conf=0 is a false positive, and that person is not an object.
func TestFalsePositiveOnIgnoredGT(t *testing.T) {
	gtText := "1,1,95,80,10,20,1,-1,-1,-1\n1,2,295,80,10,20,0,-1,-1,-1\n"
	gt, err := ReadMOT(strings.NewReader(gtText))
	if err != nil {
		t.Fatal(err)
	}
	gt = DropIgnored(gt)
	hyp := []Row{pt(1, "7", 100, 100), pt(1, "8", 300, 100)}
	r := eval(t, gt, hyp, Config{Frames: 1, Width: 640})
	if r.NumObjects != 1 || r.FP != 1 || r.FN != 0 || r.NumPredictions != 2 {
		t.Errorf("objects/FP/FN/predictions = %d/%d/%d/%d, want 1/1/0/2", r.NumObjects, r.FP, r.FN, r.NumPredictions)
	}
	near(t, "MOTA", r.MOTA, 0)
	near(t, "IDP", r.IDP, 0.5)
	near(t, "IDR", r.IDR, 1)
}

// Two people cross; each hypothesis follows one person for two frames and then the other.
func TestIDF1TwoIDSwap(t *testing.T) {
	var gt, hyp []Row
	for f := 1; f <= 4; f++ {
		gt = append(gt, footBox(f, "A", 100, 100), footBox(f, "B", 400, 100))
		if f <= 2 {
			hyp = append(hyp, pt(f, "1", 100, 100), pt(f, "2", 400, 100))
		} else {
			hyp = append(hyp, pt(f, "1", 400, 100), pt(f, "2", 100, 100))
		}
	}
	r := eval(t, gt, hyp, Config{Frames: 4, Width: 640})
	if r.Switches != 2 || r.FP != 0 || r.FN != 0 {
		t.Errorf("switches/FP/FN = %d/%d/%d, want 2/0/0", r.Switches, r.FP, r.FN)
	}
	near(t, "MOTA", r.MOTA, 1-2.0/8)
	if r.IDTP != 4 {
		t.Errorf("IDTP = %d, want 4", r.IDTP)
	}
	near(t, "IDF1", r.IDF1, 2*4.0/16)
	// If hypothesis 1 stays on A for three frames, IDF1 pairs A-1 and B-2 for 3 frames each.
	hyp[4], hyp[5] = pt(3, "1", 100, 100), pt(3, "2", 400, 100)
	r = eval(t, gt, hyp, Config{Frames: 4, Width: 640})
	near(t, "IDF1 after 3 frames together", r.IDF1, 2*6.0/16)
}

func TestThresholdInclusiveAndDefaults(t *testing.T) {
	gt := []Row{footBox(1, "A", 100, 100), footBox(2, "A", 100, 100)}
	hyp := []Row{pt(1, "1", 132, 100), pt(2, "1", 132.01, 100)} // W/20 = 32 px
	r := eval(t, gt, hyp, Config{Frames: 2, Width: 640})
	if r.MatchThreshold != 32 || r.Matches != 1 || r.FP != 1 || r.FN != 1 {
		t.Errorf("threshold/matches/FP/FN = %v/%d/%d/%d, want 32/1/1/1", r.MatchThreshold, r.Matches, r.FP, r.FN)
	}
	// IoU exactly 0.5 matches; a little less does not.
	a := Row{Frame: 1, ID: "A", Width: 10, Height: 10, Conf: 1}
	b := Row{Frame: 1, ID: "1", Width: 10, Height: 5, Conf: 1}
	c := Row{Frame: 1, ID: "2", Width: 10, Height: 4.9, Conf: 1}
	r = eval(t, []Row{a}, []Row{b}, Config{Mode: IoU, Frames: 1})
	if r.MatchThreshold != 0.5 || r.Matches != 1 || r.MeanIoU == nil || *r.MeanIoU != 0.5 {
		t.Errorf("IoU 0.5: threshold/matches/mean IoU = %v/%d/%v, want 0.5/1/0.5", r.MatchThreshold, r.Matches, r.MeanIoU)
	}
	r = eval(t, []Row{a}, []Row{c}, Config{Mode: IoU, Frames: 1})
	if r.Matches != 0 || r.FP != 1 {
		t.Errorf("IoU 0.49: matches/FP = %d/%d, want 0/1", r.Matches, r.FP)
	}
}

func TestCentreDiffersFromFoot(t *testing.T) {
	// Same bottom-centre, very different heights: foot matches, centre does not.
	gt := []Row{{Frame: 1, ID: "A", Left: 95, Top: 0, Width: 10, Height: 100, Conf: 1}}
	hyp := []Row{{Frame: 1, ID: "1", Left: 95, Top: 90, Width: 10, Height: 10, Conf: 1}}
	if r := eval(t, gt, hyp, Config{Mode: Foot, Frames: 1, Threshold: 20}); r.Matches != 1 {
		t.Errorf("foot: matches = %d, want 1", r.Matches)
	}
	if r := eval(t, gt, hyp, Config{Mode: Centre, Frames: 1, Threshold: 20}); r.Matches != 0 {
		t.Errorf("centre: matches = %d, want 0", r.Matches)
	}
	if _, err := Evaluate(gt, []Row{pt(1, "1", 100, 100)}, Config{Mode: Centre, Frames: 1, Threshold: 20}); err == nil {
		t.Error("centre mode accepted a point hypothesis")
	}
}

func TestEmptyFramesAndRange(t *testing.T) {
	gt := []Row{footBox(1, "A", 100, 100), footBox(12, "A", 100, 100)}
	hyp := []Row{pt(1, "1", 100, 100), pt(0, "1", 100, 100), pt(11, "1", 100, 100)}
	r := eval(t, gt, hyp, Config{Frames: 10, Width: 640})
	if r.NumFrames != 10 || r.NumObjects != 1 || r.NumPredictions != 1 || r.Matches != 1 {
		t.Errorf("frames/objects/predictions/matches = %d/%d/%d/%d, want 10/1/1/1", r.NumFrames, r.NumObjects, r.NumPredictions, r.Matches)
	}
	if _, err := Evaluate(gt, hyp, Config{Width: 640}); err == nil {
		t.Error("Evaluate accepted Frames = 0")
	}
	if _, err := Evaluate(gt, hyp, Config{Frames: 1}); err == nil {
		t.Error("foot mode accepted no Width and no Threshold")
	}
}

func TestResultJSONNonFinite(t *testing.T) {
	// Nothing matches: MOTP is NaN and must encode as null.
	r := eval(t, []Row{footBox(1, "A", 0, 0)}, nil, Config{Frames: 1, Width: 640})
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if v, ok := m["motp"]; !ok || v != nil {
		t.Errorf("motp = %v (present %v), want null", v, ok)
	}
	if m["num_misses"] != 1.0 || m["mode"] != "foot" || m["mota"] != 0.0 {
		t.Errorf("JSON = %s", b)
	}
}

// An id repeated within one frame, in the hypotheses (detections, whose ids are all -1) or in the ground
// truth, is refused with an error naming the frame and the id; the same id in different frames, in any
// order, is fine. Before, two rows of one hypothesis id on one person scored IDF1 above 1 and a negative
// IDFP.
func TestRepeatedIDInFrameRefused(t *testing.T) {
	gt := []Row{footBox(1, "A", 100, 100), footBox(2, "A", 100, 100)}
	for _, c := range []struct {
		name     string
		gt, hyp  []Row
		frame    string
		wantFail bool
	}{
		{"hypothesis", gt, []Row{pt(1, "-1", 100, 100), pt(1, "-1", 101, 100), pt(2, "-1", 100, 100)}, "frame 1", true},
		{"ground truth", append(gt, footBox(2, "A", 300, 100)), []Row{pt(1, "1", 100, 100)}, "frame 2", true},
		{"out of order", gt, []Row{pt(2, "1", 100, 100), pt(1, "1", 100, 100)}, "", false},
		{"outside the scored frames", gt, []Row{pt(1, "1", 100, 100), pt(9, "1", 1, 1), pt(9, "1", 2, 2)}, "", false},
	} {
		_, err := Evaluate(c.gt, c.hyp, Config{Frames: 2, Width: 640})
		switch {
		case c.wantFail && (err == nil || !strings.Contains(err.Error(), c.frame) || !strings.Contains(err.Error(), "more than once")):
			t.Errorf("%s: Evaluate = %v, want an error naming %s", c.name, err, c.frame)
		case !c.wantFail && err != nil:
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// Config.Switch reports each identity switch with its frame and the two hypothesis ids.
func TestSwitchCallback(t *testing.T) {
	var gt, hyp []Row
	for f := 1; f <= 4; f++ {
		gt = append(gt, footBox(f, "A", 100, 100))
		hyp = append(hyp, pt(f, map[bool]string{true: "1", false: "2"}[f <= 2], 100, 100))
	}
	var got []string
	r := eval(t, gt, hyp, Config{Frames: 4, Width: 640, Switch: func(f int, o, from, to string) {
		got = append(got, fmt.Sprintf("%d %s %s>%s", f, o, from, to))
	}})
	if r.Switches != 1 || len(got) != 1 || got[0] != "3 A 1>2" {
		t.Errorf("switches %d, callback %q; want 1, [\"3 A 1>2\"]", r.Switches, got)
	}
}
