package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/ashiato/ashiato/agent/tracker/assoc"
	"github.com/ashiato/ashiato/tools/moteval/mot"
)

// trackDetections runs the association stage alone (assoc.DetectorConfig) over the detector boxes in
// path, frames 1..info.Length at info.FrameRate, and returns the tracks' foot points as point rows. Each
// box gives a foot point (bottom-centre) and a size; its confidence is the detection's score.
func trackDetections(path string, info mot.SeqInfo) ([]mot.Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	dets, err := mot.ReadMOT(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	if info.FrameRate <= 0 {
		return nil, fmt.Errorf("seqinfo.ini gives no frameRate, which the association needs")
	}
	byFrame := make([][]assoc.Detection, info.Length+1)
	for _, b := range dets {
		if b.Frame < 1 || b.Frame > info.Length || b.IsPoint {
			continue
		}
		byFrame[b.Frame] = append(byFrame[b.Frame], assoc.Detection{X: b.Left + b.Width/2, Y: b.Top + b.Height,
			W: b.Width, H: b.Height, Score: b.Conf})
	}
	var hyp []mot.Row
	add := func(ts []assoc.Track) {
		for _, k := range ts {
			for _, p := range k.Points {
				hyp = append(hyp, mot.Row{Frame: int(p.Frame), ID: strconv.FormatUint(k.ID, 10), X: p.X, Y: p.Y, Conf: 1, IsPoint: true})
			}
		}
	}
	tr := assoc.New(assoc.DetectorConfig())
	for fr := 1; fr <= info.Length; fr++ {
		add(tr.Update(uint64(fr), int64(float64(fr-1)*1000/info.FrameRate), byFrame[fr]))
	}
	add(tr.Flush())
	return hyp, nil
}
