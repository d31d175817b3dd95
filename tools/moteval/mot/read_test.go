package mot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadMOT(t *testing.T) {
	in := "# comment\n1,3,10.5,20,30,40,1,-1,-1,-1\n\n2 4.0 1 2 3 4 0\n"
	rows, err := ReadMOT(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{
		{Frame: 1, ID: "3", Left: 10.5, Top: 20, Width: 30, Height: 40, Conf: 1},
		{Frame: 2, ID: "4", Left: 1, Top: 2, Width: 3, Height: 4, Conf: 0},
	}
	if len(rows) != len(want) || rows[0] != want[0] || rows[1] != want[1] {
		t.Fatalf("ReadMOT = %+v, want %+v", rows, want)
	}
	if x, y := rows[0].Foot(); x != 25.5 || y != 60 {
		t.Errorf("Foot = %v,%v, want 25.5,60", x, y)
	}
	if x, y := rows[0].Centre(); x != 25.5 || y != 40 {
		t.Errorf("Centre = %v,%v, want 25.5,40", x, y)
	}
	if got := DropIgnored(rows); len(got) != 1 || got[0].ID != "3" {
		t.Errorf("DropIgnored = %+v", got)
	}
	for _, bad := range []string{"1,2,3\n", "1.5,1,1,1,1,1,1\n", "1,1,x,1,1,1,1\n"} {
		if _, err := ReadMOT(strings.NewReader(bad)); err == nil || !strings.HasPrefix(err.Error(), "mot: ") {
			t.Errorf("ReadMOT(%q) error = %v, want a mot: error", bad, err)
		}
	}
}

func TestReadPoints(t *testing.T) {
	rows, err := ReadPoints(strings.NewReader("frame,id,x,y\n3,7,686.50,101.00\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0] != (Row{Frame: 3, ID: "7", X: 686.5, Y: 101, Conf: 1, IsPoint: true}) {
		t.Fatalf("ReadPoints = %+v", rows)
	}
	if x, y := rows[0].Foot(); x != 686.5 || y != 101 {
		t.Errorf("Foot of a point = %v,%v", x, y)
	}
}

const agentLines = `{"topic":"ashiato/v1/shop/cam1/status","payload":{"v":1,"state":"online"},"qos":1,"retain":true}
{"topic":"ashiato/v1/shop/cam1/tracks","payload":{"v":1,"sensor":"cam1","track":"t1","space":"image","w":640,"h":480,"points":[[0,1000,0.5,0.25],[1,1100,0.5,0.5]],"seg":0,"final":false},"qos":1,"retain":false}
{"topic":"ashiato/v1/shop/cam1/tracks","payload":{"v":1,"sensor":"cam1","track":"t1","space":"image","w":640,"h":480,"points":[[1,1100,0.9,0.9],[2,1200,0.25,1]],"seg":1,"final":true},"qos":1,"retain":false}
{"topic":"ashiato/v1/shop/cam1/stats","payload":{"v":1,"fps":7},"qos":0,"retain":false}
`

func TestReadAgent(t *testing.T) {
	rows, err := ReadAgent(strings.NewReader(agentLines))
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{
		{Frame: 1, ID: "t1", X: 320, Y: 120, Conf: 1, IsPoint: true},
		{Frame: 2, ID: "t1", X: 320, Y: 240, Conf: 1, IsPoint: true}, // the repeat of frame 1 in seg 1 is dropped
		{Frame: 3, ID: "t1", X: 160, Y: 480, Conf: 1, IsPoint: true},
	}
	if len(rows) != len(want) {
		t.Fatalf("ReadAgent = %+v, want %+v", rows, want)
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, rows[i], want[i])
		}
	}
	floor := strings.Replace(agentLines, `"space":"image"`, `"space":"floor"`, 1)
	if _, err := ReadAgent(strings.NewReader(floor)); err == nil {
		t.Error("ReadAgent accepted a floor-space track")
	}
}

func TestReadTracksDetectsFormat(t *testing.T) {
	for _, c := range []struct {
		name, in string
		point    bool
		n        int
	}{
		{"agent", agentLines, true, 3},
		{"points", "1,3,686.50,101.00\n2,3,1,1\n", true, 2},
		{"boxes", "1,3,499.30,156.21,33.34,76.36,1,-1,-1,-1\n", false, 1},
		{"empty", "\n", false, 0},
	} {
		rows, err := ReadTracks(strings.NewReader(c.in))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(rows) != c.n || (c.n > 0 && rows[0].IsPoint != c.point) {
			t.Errorf("%s: ReadTracks = %+v, want %d rows, IsPoint %v", c.name, rows, c.n, c.point)
		}
	}
}

func TestReadSeqInfo(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "seqinfo.ini")
	if err := os.WriteFile(p, []byte("[Sequence]\nname=X\nframeRate=7\nseqLength=400\nimWidth=768\nimHeight=576\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := ReadSeqInfo(p)
	if err != nil {
		t.Fatal(err)
	}
	if s != (SeqInfo{Name: "X", FrameRate: 7, Length: 400, Width: 768, Height: 576}) {
		t.Errorf("ReadSeqInfo = %+v", s)
	}
	if err := os.WriteFile(p, []byte("[Sequence]\nseqLength=400\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSeqInfo(p); err == nil {
		t.Error("ReadSeqInfo accepted a file without imWidth")
	}
}

// Frame numbers that would not fit an int, or would wrap round to a small or negative frame when made
// 1-based, are refused by every reader with an error saying so.
func TestFrameOverflowRefused(t *testing.T) {
	track := func(f string) string {
		return `{"topic":"ashiato/v1/s/c/tracks","payload":{"track":"t","space":"image","w":10,"h":10,"points":[[` + f + `,0,0.5,0.5]]}}`
	}
	if rows, err := ReadAgent(strings.NewReader(track("2147483646"))); err != nil || len(rows) != 1 || rows[0].Frame != MaxFrame {
		t.Errorf("the largest frame: %+v, %v", rows, err)
	}
	for _, c := range []struct {
		name string
		read func(string) ([]Row, error)
		in   string
	}{
		{"agent 2^31-1", func(s string) ([]Row, error) { return ReadAgent(strings.NewReader(s)) }, track("2147483647")},
		{"agent 2^63", func(s string) ([]Row, error) { return ReadAgent(strings.NewReader(s)) }, track("9223372036854775808")},
		{"agent 2^64-1", func(s string) ([]Row, error) { return ReadAgent(strings.NewReader(s)) }, track("18446744073709551615")},
		{"MOT 1e300", func(s string) ([]Row, error) { return ReadMOT(strings.NewReader(s)) }, "1e300,1,1,1,1,1\n"},
		{"MOT 2^31", func(s string) ([]Row, error) { return ReadMOT(strings.NewReader(s)) }, "2147483648,1,1,1,1,1\n"},
		{"MOT -2^31", func(s string) ([]Row, error) { return ReadMOT(strings.NewReader(s)) }, "-2147483648,1,1,1,1,1\n"},
		{"points 2^40", func(s string) ([]Row, error) { return ReadPoints(strings.NewReader(s)) }, "1099511627776,1,1,1\n"},
	} {
		rows, err := c.read(c.in)
		if err == nil || !strings.Contains(err.Error(), "frame") {
			t.Errorf("%s: %+v, %v; want an error about the frame", c.name, rows, err)
		}
	}
}
