package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ashiato/ashiato/drivers/synth"
	"github.com/ashiato/ashiato/hal"
	"github.com/ashiato/ashiato/tools/footage"
	"github.com/ashiato/ashiato/tools/moteval/mot"
)

// synthSeq writes a sequence directory for frames of the synthetic scene with the given seed: seqinfo.ini
// and gt.txt from the scene's own truth (people whose feet are out of view to be ignored) and, with clip set, the frames as a lossless compact clip.
func synthSeq(t *testing.T, frames int, seed uint64, clip bool) (string, []mot.Row) {
	t.Helper()
	dir := t.TempDir()
	opts := synth.Options{Frames: frames, Seed: seed, Pace: synth.PaceASAP, Epoch: time.Unix(1_700_000_000, 0)}
	var gt bytes.Buffer
	if err := synth.WriteGroundTruth(&gt, opts, frames); err != nil {
		t.Fatal(err)
	}
	rows, err := mot.ReadMOT(bytes.NewReader(gt.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	// People whose feet are out of view have no foot point to find: marked to be ignored (conf 0).
	var txt strings.Builder
	for i, r := range rows {
		if !synth.FeetInView(synth.Box{Left: r.Left, Top: r.Top, Width: r.Width, Height: r.Height}, 640, 480) {
			rows[i].Conf = 0
		}
		fmt.Fprintf(&txt, "%d,%s,%g,%g,%g,%g,%g,-1,-1,-1\n", r.Frame, r.ID, r.Left, r.Top, r.Width, r.Height, rows[i].Conf)
	}
	if err := os.WriteFile(filepath.Join(dir, "gt.txt"), []byte(txt.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if !clip {
		ini := fmt.Sprintf("[Sequence]\nname=synth\nframeRate=10\nseqLength=%d\nimWidth=640\nimHeight=480\n", frames)
		if err := os.WriteFile(filepath.Join(dir, "seqinfo.ini"), []byte(ini), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir, rows
	}
	cam := synth.New(opts)
	format, err := cam.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer cam.Stop()
	wr, err := footage.Create(dir, "synth", 10, format.Width, format.Height, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := hal.Frame{Pix: make([]byte, format.Size())}
	for range frames {
		if err := cam.ReadFrame(context.Background(), &f); err != nil {
			t.Fatal(err)
		}
		if err := wr.Add(f.Pix); err != nil {
			t.Fatal(err)
		}
	}
	if err := wr.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, rows
}

// runJSON runs the command with args plus -json and returns the table and the decoded JSON.
func runJSON(t *testing.T, args ...string) (string, map[string]any) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "scores.json")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), append(args, "-json", out), &stdout, &stderr); err != nil {
		t.Fatalf("run %q: %v\nstdout: %s\nstderr: %s", args, err, stdout.String(), stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return stdout.String(), m
}

// damaged returns the ground truth as a tracker's output with errors: the first person left out in every
// fifth frame, the second given a new id halfway through its frames, and every box moved 3 px right.
func damaged(gt []mot.Row) []mot.Row {
	frames := map[string][]int{}
	var ids []string
	for _, r := range gt {
		if r.Conf == 0 {
			continue
		}
		if _, ok := frames[r.ID]; !ok {
			ids = append(ids, r.ID)
		}
		frames[r.ID] = append(frames[r.ID], r.Frame)
	}
	var hyp []mot.Row
	for _, r := range gt {
		if r.Conf == 0 || (r.ID == ids[0] && r.Frame%5 == 0) {
			continue
		}
		if f := frames[r.ID]; len(ids) > 1 && r.ID == ids[1] && r.Frame > f[len(f)/2] {
			r.ID = "9999"
		}
		r.Left += 3
		hyp = append(hyp, r)
	}
	return hyp
}

// TestFormatsScoreAlike writes one hypothesis set as MOT boxes, as a frame,id,x,y point CSV and as the
// agent's JSON lines (each track in two segments, coordinates normalised), and checks that the three
// score the same in foot mode, with the errors put in showing.
func TestFormatsScoreAlike(t *testing.T) {
	const frames, w, h = 400, 640, 480
	dir, gt := synthSeq(t, frames, 7, false)
	hyp := damaged(gt)
	var boxes, points strings.Builder
	byID := map[string][]string{}
	var order []string
	for _, r := range hyp {
		x, y := r.Foot()
		fmt.Fprintf(&boxes, "%d,%s,%g,%g,%g,%g,1,-1,-1,-1\n", r.Frame, r.ID, r.Left, r.Top, r.Width, r.Height)
		fmt.Fprintf(&points, "%d,%s,%g,%g\n", r.Frame, r.ID, x, y)
		if _, ok := byID[r.ID]; !ok {
			order = append(order, r.ID)
		}
		byID[r.ID] = append(byID[r.ID], fmt.Sprintf("[%d,0,%s,%s]", r.Frame-1,
			strconv.FormatFloat(x/w, 'g', -1, 64), strconv.FormatFloat(y/h, 'g', -1, 64)))
	}
	var lines strings.Builder
	lines.WriteString(`{"topic":"ashiato/v1/s/c/status","payload":{"v":1,"state":"online"},"qos":1,"retain":true}` + "\n")
	for _, id := range order {
		pts := byID[id]
		half := (len(pts) + 1) / 2
		for seg, part := range [][]string{pts[:half], pts[half:]} {
			if len(part) == 0 {
				continue
			}
			fmt.Fprintf(&lines, `{"topic":"ashiato/v1/s/c/tracks","payload":{"v":1,"sensor":"c","track":"k%s","space":"image","w":%d,"h":%d,"points":[%s],"seg":%d,"final":%v},"qos":1,"retain":false}`+"\n",
				id, w, h, strings.Join(part, ","), seg, seg == 1)
		}
	}
	tmp := t.TempDir()
	var got []map[string]any
	for name, body := range map[string]string{"boxes.txt": boxes.String(), "points.csv": points.String(), "agent.jsonl": lines.String()} {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		table, m := runJSON(t, "-seq", dir, "-tracks", p)
		if !strings.Contains(table, "IDF1") || !strings.Contains(table, "ID switches") {
			t.Errorf("%s: table lacks its rows:\n%s", name, table)
		}
		got = append(got, m)
	}
	for _, key := range []string{"mota", "idf1", "num_false_positives", "num_misses", "num_switches", "num_predictions"} {
		if got[0][key] != got[1][key] || got[0][key] != got[2][key] {
			t.Errorf("%s differs between formats: %v %v %v", key, got[0][key], got[1][key], got[2][key])
		}
	}
	if m := got[0]; m["num_misses"].(float64) == 0 || m["num_switches"].(float64) == 0 || m["idf1"].(float64) >= 1 {
		t.Errorf("the errors put in do not show: %v", m)
	}
}

// TestReferenceCheck: -ref passes on a result file that agrees and fails, naming the figure, on one
// that does not.
func TestReferenceCheck(t *testing.T) {
	dir, gt := synthSeq(t, 150, 3, false)
	var boxes strings.Builder
	for _, r := range damaged(gt) {
		fmt.Fprintf(&boxes, "%d,%s,%g,%g,%g,%g,1\n", r.Frame, r.ID, r.Left, r.Top, r.Width, r.Height)
	}
	tracks := filepath.Join(t.TempDir(), "t.txt")
	os.WriteFile(tracks, []byte(boxes.String()), 0o644)
	_, m := runJSON(t, "-seq", dir, "-tracks", tracks, "-match", "iou")
	entry := map[string]any{"mode": "iou"}
	for _, k := range []string{"match_threshold", "num_frames", "num_objects", "num_predictions", "num_unique_objects",
		"mota", "motp", "idf1", "idp", "idr", "num_false_positives", "num_misses", "num_switches",
		"num_fragmentations", "mostly_tracked", "partially_tracked", "mostly_lost"} {
		entry[k] = m[k]
	}
	write := func(e map[string]any) string {
		b, err := json.Marshal([]any{map[string]any{"mode": "foot"}, e})
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "ref.json")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"-seq", dir, "-tracks", tracks, "-match", "iou", "-ref", write(entry)}, &out, &errb); err != nil {
		t.Fatalf("agreeing reference: %v\n%s", err, out.String())
	}
	entry["num_false_positives"] = m["num_false_positives"].(float64) + 1
	entry["idf1"] = m["idf1"].(float64) + 0.001
	out.Reset()
	err := run(context.Background(), []string{"-seq", dir, "-tracks", tracks, "-match", "iou", "-ref", write(entry)}, &out, &errb)
	if err == nil || !strings.Contains(out.String(), "FP/FN") || !strings.Contains(out.String(), "IDF1") {
		t.Fatalf("disagreeing reference: err %v, output:\n%s", err, out.String())
	}
}

// TestDetections: the association stage on the truth's own boxes, as detections, follows everyone.
func TestDetections(t *testing.T) {
	dir, gt := synthSeq(t, 300, 5, false)
	var boxes strings.Builder
	for _, r := range gt {
		if r.Conf != 0 {
			fmt.Fprintf(&boxes, "%d,-1,%g,%g,%g,%g,0.9\n", r.Frame, r.Left, r.Top, r.Width, r.Height)
		}
	}
	dets := filepath.Join(t.TempDir(), "det.txt")
	os.WriteFile(dets, []byte(boxes.String()), 0o644)
	table, m := runJSON(t, "-seq", dir, "-dets", dets)
	t.Logf("association on the truth's boxes:\n%s", table)
	if m["mota"].(float64) < 0.9 || m["num_switches"].(float64) > 3 {
		t.Errorf("MOTA %v, ID switches %v on perfect detections", m["mota"], m["num_switches"])
	}
}

func TestBadArgs(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-seq", "x"},
		{"-seq", "x", "-tracks", "y", "-run"},
		{"-seq", "x", "-dets", "y", "-run"},
		{"-seq", t.TempDir(), "-tracks", "y"}, // no seqinfo.ini
		{"-seq", "x", "-tracks", "y", "-match", "bogus"},
	} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), args, &stdout, &stderr); err == nil {
			t.Errorf("run %q succeeded", args)
		}
	}
}

// TestRunAgent runs the whole pipeline (clip decoded here, YUV4MPEG2 into the real agent, its JSON lines
// scored) on 300 frames of the synthetic scene, which the tracker follows well.
func TestRunAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the agent")
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "ashiato")
	build := exec.Command("go", "build", "-o", bin, "./agent/cmd/ashiato")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the agent: %v\n%s", err, out)
	}
	dir, _ := synthSeq(t, 300, 1, true)
	saved := filepath.Join(t.TempDir(), "agent.jsonl")
	table, got := runJSON(t, "-seq", dir, "-run", "-agent", bin, "-save", saved)
	t.Logf("agent on the synthetic clip:\n%s", table)
	if got["num_frames"] != 300.0 || got["mota"].(float64) < 0.8 {
		t.Errorf("frames %v, MOTA %v; want 300 frames and MOTA ≥ 0.8", got["num_frames"], got["mota"])
	}
	// The saved output scores the same as the run.
	_, again := runJSON(t, "-seq", dir, "-tracks", saved)
	if again["mota"] != got["mota"] || again["idf1"] != got["idf1"] {
		t.Errorf("saved output scores mota/idf1 %v/%v, run scored %v/%v", again["mota"], again["idf1"], got["mota"], got["idf1"])
	}
}

// TestRunPipelineWithFakeAgent checks the -run plumbing (the clip as YUV4MPEG2 on the agent's stdin at the
// -fps rate, the agent's flags, its stdout scored and saved) with a shell script standing in for the agent.
func TestRunPipelineWithFakeAgent(t *testing.T) {
	dir, gt := synthSeq(t, 20, 1, true)
	var first mot.Row
	for _, r := range gt {
		if r.Frame == 1 && r.Conf != 0 {
			first = r
			break
		}
	}
	if first.Width == 0 {
		t.Fatal("nobody in frame 1 of the scene")
	}
	x, y := first.Foot()
	tmp := t.TempDir()
	// The fake agent checks its arguments and that stdin is the clip as a mono Y4M stream at 20 fps (20
	// frames of 640×480), then publishes one track on the first person's foot point in frame 1.
	script := fmt.Sprintf(`#!/bin/sh
[ "$*" = "-source y4m:- -sink stdout -pace asap -x 1" ] || { echo "bad args: $*" >&2; exit 3; }
head -c 40 > %[1]s/header
n=$(wc -c)
[ "$n" -ge $((20 * (640 * 480 + 6))) ] || { echo "short input: $n bytes" >&2; exit 4; }
grep -q 'YUV4MPEG2 W640 H480 F20:1' %[1]s/header || { echo "bad header" >&2; exit 5; }
echo '{"topic":"ashiato/v1/s/c/tracks","payload":{"v":1,"sensor":"c","track":"a","space":"image","w":640,"h":480,"points":[[0,0,%[2]g,%[3]g]],"seg":0,"final":true},"qos":1,"retain":false}'
`, tmp, x/640, y/480)
	agent := filepath.Join(tmp, "fake-agent")
	if err := os.WriteFile(agent, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	saved := filepath.Join(tmp, "out.jsonl")
	_, got := runJSON(t, "-seq", dir, "-run", "-fps", "20", "-agent", agent, "-agent-args", "-x 1", "-save", saved)
	if got["num_predictions"] != 1.0 || got["num_matches"] != 1.0 || got["num_false_positives"] != 0.0 {
		t.Errorf("predictions/matches/FP = %v/%v/%v, want 1/1/0", got["num_predictions"], got["num_matches"], got["num_false_positives"])
	}
	if b, err := os.ReadFile(saved); err != nil || !bytes.Contains(b, []byte(`"track":"a"`)) {
		t.Errorf("saved agent output = %q, %v", b, err)
	}
	// A failing agent fails the run.
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"-seq", dir, "-run", "-agent", agent}, &stdout, &stderr); err == nil {
		t.Error("run succeeded although the agent exited 3")
	}
}
