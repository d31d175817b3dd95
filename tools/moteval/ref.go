package main

import (
	"encoding/json"

	"fmt"
	"io"
	"math"
	"os"

	"github.com/ashiato/ashiato/tools/moteval/mot"
)

// reference is one entry of a py-motmetrics result file.
type reference struct {
	Mode           string  `json:"mode"`
	MatchThreshold float64 `json:"match_threshold"`
	NumFrames      int     `json:"num_frames"`
	NumObjects     int     `json:"num_objects"`
	NumPredictions int     `json:"num_predictions"`
	NumUnique      int     `json:"num_unique_objects"`
	MOTA           float64 `json:"mota"`
	MOTP           float64 `json:"motp"`
	IDF1           float64 `json:"idf1"`
	IDP            float64 `json:"idp"`
	IDR            float64 `json:"idr"`
	FP             int     `json:"num_false_positives"`
	FN             int     `json:"num_misses"`
	Switches       int     `json:"num_switches"`
	Frags          int     `json:"num_fragmentations"`
	MT             int     `json:"mostly_tracked"`
	PT             int     `json:"partially_tracked"`
	ML             int     `json:"mostly_lost"`
}

// checkReference compares res with the entry of the same mode in the py-motmetrics result file path,
// prints each disagreement to w, and returns an error if there is any. See the package doc for the
// tolerances.
func checkReference(w io.Writer, res mot.Result, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var refs []reference
	if err := json.Unmarshal(b, &refs); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var ref *reference
	for i := range refs {
		if refs[i].Mode == string(res.Mode) {
			ref = &refs[i]
		}
	}
	if ref == nil {
		return fmt.Errorf("%s has no entry for matching mode %s", path, res.Mode)
	}
	bad := 0
	fail := func(format string, a ...any) {
		bad++
		fmt.Fprintf(w, "reference: "+format+"\n", a...)
	}
	near := func(name string, g, want float64) {
		if math.Abs(g-want) > 1e-9 {
			fail("%s = %.12g, py-motmetrics %.12g", name, g, want)
		}
	}
	near("match threshold", res.MatchThreshold, ref.MatchThreshold)
	if res.NumFrames != ref.NumFrames || res.NumObjects != ref.NumObjects || res.NumPredictions != ref.NumPredictions || res.NumUnique != ref.NumUnique {
		fail("frames/objects/predictions/unique = %d/%d/%d/%d, py-motmetrics %d/%d/%d/%d", res.NumFrames, res.NumObjects,
			res.NumPredictions, res.NumUnique, ref.NumFrames, ref.NumObjects, ref.NumPredictions, ref.NumUnique)
	}
	if res.FP != ref.FP || res.FN != ref.FN {
		fail("FP/FN = %d/%d, py-motmetrics %d/%d", res.FP, res.FN, ref.FP, ref.FN)
	}
	if d := res.Switches - ref.Switches; d < -2 || d > 2 {
		fail("ID switches = %d, py-motmetrics %d ± 2", res.Switches, ref.Switches)
	}
	if d := res.Frags - ref.Frags; d < -2 || d > 2 {
		fail("fragmentations = %d, py-motmetrics %d ± 2", res.Frags, ref.Frags)
	}
	// MOTA depends on the switches, and MOTP and MT/PT/ML on which pairs matched, so they are exact only
	// when the switches agree (ties broken as py-motmetrics breaks them).
	if res.Switches == ref.Switches {
		near("MOTA", res.MOTA, ref.MOTA)
		if math.Abs(res.MOTP-ref.MOTP) > 1e-9*math.Abs(ref.MOTP) {
			fail("MOTP = %.12g, py-motmetrics %.12g", res.MOTP, ref.MOTP)
		}
		if res.MostlyTrack != ref.MT || res.PartlyTrack != ref.PT || res.MostlyLost != ref.ML {
			fail("MT/PT/ML = %d/%d/%d, py-motmetrics %d/%d/%d", res.MostlyTrack, res.PartlyTrack, res.MostlyLost, ref.MT, ref.PT, ref.ML)
		}
	} else if math.Abs(res.MOTA-ref.MOTA) > 2.5/float64(ref.NumObjects) {
		fail("MOTA = %.6f, py-motmetrics %.6f, beyond the switch tolerance", res.MOTA, ref.MOTA)
	}
	near("IDF1", res.IDF1, ref.IDF1)
	near("IDP", res.IDP, ref.IDP)
	near("IDR", res.IDR, ref.IDR)
	if bad > 0 {
		return fmt.Errorf("%d disagreement(s) with %s", bad, path)
	}
	fmt.Fprintf(w, "reference: agrees with %s (%s matching; ID switches %d vs %d)\n", path, res.Mode, res.Switches, ref.Switches)
	return nil
}
