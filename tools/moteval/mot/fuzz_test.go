package mot

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
)

// FuzzReadTracks feeds arbitrary tracker output to ReadTracks, which picks the agent's JSON lines, a point
// CSV or MOT boxes by content. Whatever it returns has finite coordinates and is all boxes or all points;
// box and point rows survive being written out in their own format and read back; and Evaluate scores
// them against themselves without error and with scores no better than perfect. (Rows outside frames
// 1..Frames, such as a frame 0 in MOT text, are Evaluate's to ignore, as it documents.)
// testdata/fuzz/FuzzReadTracks holds real output of the agent's stdout sink.
func FuzzReadTracks(f *testing.F) {
	for _, s := range []string{
		"# comment\n1,3,10.5,20,30,40,1,-1,-1,-1\n\n2 4.0 1 2 3 4 0\n",
		"frame,id,x,y\n3,7,686.50,101.00\n4,7,690,102\n",
		"1,1,1,1,1,1\n1,2,0x1p-2,1,1,1,1\n",
		`{"topic":"ashiato/v1/s/c/tracks","payload":{"v":1,"sensor":"c","track":"t1","space":"image","w":10,"h":10,"points":[[0,1,0.5,0.5],[1,2,0.5,0.6]],"seg":0,"final":true}}`,
		`{"topic":"ashiato/v1/s/c/tracks","payload":{"track":"t","space":"image","w":1,"h":1,"points":[[18446744073709551615,0,0,0]]}}`,
		`{"topic":"ashiato/v1/s/c/tracks","payload":{"track":"t","space":"floor","w":1,"h":1,"points":[]}}`,
		"1e308,1,1,1,1,1\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := ReadTracks(bytes.NewReader(data))
		if err != nil {
			return
		}
		var boxes, points []Row
		for _, r := range rows {
			for _, v := range []float64{r.Left, r.Top, r.Width, r.Height, r.Conf, r.X, r.Y} {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("row %+v has a non-finite field", r)
				}
			}
			if r.IsPoint {
				points = append(points, r)
			} else {
				boxes = append(boxes, r)
			}
		}
		if len(boxes) > 0 && len(points) > 0 {
			t.Fatalf("one input read as both boxes and points: %d and %d rows", len(boxes), len(points))
		}
		var out bytes.Buffer
		for _, r := range boxes {
			fmt.Fprintf(&out, "%d,%s,%s,%s,%s,%s,%s\n", r.Frame, r.ID, g(r.Left), g(r.Top), g(r.Width), g(r.Height), g(r.Conf))
		}
		if len(boxes) > 0 {
			back, err := ReadMOT(&out)
			if err != nil || !reflect.DeepEqual(back, boxes) {
				t.Fatalf("boxes written out and read back: %v\n%+v\nwant\n%+v", err, back, boxes)
			}
		}
		var csv bytes.Buffer
		for _, r := range points {
			if _, err := strconv.ParseFloat(r.ID, 64); err != nil {
				continue // an agent track id is not a MOT id; only CSV points go back to CSV
			}
			fmt.Fprintf(&csv, "%d,%s,%s,%s\n", r.Frame, r.ID, g(r.X), g(r.Y))
		}
		if csv.Len() > 0 && !bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
			back, err := ReadPoints(&csv)
			if err != nil || !reflect.DeepEqual(back, points) {
				t.Fatalf("points written out and read back: %v\n%+v\nwant\n%+v", err, back, points)
			}
		}
		if len(rows) == 0 {
			return
		}
		type key struct {
			frame int
			id    string
		}
		seen := map[key]bool{}
		repeated := false
		for _, r := range rows {
			if r.Frame >= 1 && r.Frame <= 50 { // the frames Evaluate scores below
				repeated = repeated || seen[key{r.Frame, r.ID}]
				seen[key{r.Frame, r.ID}] = true
			}
		}
		for _, r := range rows {
			if r.Frame < -MaxFrame || r.Frame > MaxFrame {
				t.Fatalf("row %+v: frame out of ±MaxFrame accepted", r)
			}
		}
		res, err := Evaluate(rows, rows, Config{Frames: 50, Width: 640})
		// An id repeated within a scored frame (as in det.txt, where every id is -1) is refused: an id
		// is one person in one place. Everything else scores, and no better than perfect.
		if repeated {
			if err == nil {
				t.Fatalf("Evaluate accepted an id repeated within a frame: %+v", res)
			}
			return
		}
		if err != nil {
			t.Fatalf("Evaluate(rows, rows): %v", err)
		}
		if res.MOTA > 1 || res.IDF1 > 1 || res.IDFP < 0 || res.IDFN < 0 || res.IDTP > res.NumObjects {
			t.Fatalf("scores better than perfect: %+v", res)
		}
	})
}

func g(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// FuzzReadSeqInfo feeds arbitrary seqinfo.ini text to ReadSeqInfo: an accepted file has a positive length
// and image size, and every error names the file.
func FuzzReadSeqInfo(f *testing.F) {
	f.Add([]byte("[Sequence]\nname=PETS09-S2L1\nimDir=img1\nframeRate=7\nseqLength=795\nimWidth=768\nimHeight=576\nimExt=.jpg\n"))
	f.Add([]byte("seqLength=1\nimWidth=1\nimHeight=1\r\n"))
	f.Add([]byte("seqLength=0\nimWidth=1\nimHeight=1\n"))
	f.Add([]byte("seqLength = 10\nimWidth=x\n"))
	path := filepath.Join(f.TempDir(), "seqinfo.ini")
	f.Fuzz(func(t *testing.T, text []byte) {
		if err := os.WriteFile(path, text, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := ReadSeqInfo(path)
		if err != nil {
			if !bytes.Contains([]byte(err.Error()), []byte(path)) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if s.Length <= 0 || s.Width <= 0 || s.Height <= 0 {
			t.Fatalf("accepted %+v", s)
		}
	})
}
