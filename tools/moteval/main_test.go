package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ashiato/ashiato/tools/moteval/mot"
)

// sharedData returns <module root>/../shared/data, or skips the test when it is absent.
func sharedData(t *testing.T) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Skip(err)
	}
	data := filepath.Join(root, "..", "shared", "data")
	if _, err := os.Stat(data); err != nil {
		t.Skipf("reference data %s is absent (%v); skipping", data, err)
	}
	return data
}

type reference struct {
	Mode  string  `json:"mode"`
	MOTA  float64 `json:"mota"`
	IDF1  float64 `json:"idf1"`
	FP    int     `json:"num_false_positives"`
	FN    int     `json:"num_misses"`
	IDsw  int     `json:"num_switches"`
	Count int     `json:"num_objects"`
}

func readRefs(t *testing.T, path string) map[string]reference {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var refs []reference
	if err := json.Unmarshal(b, &refs); err != nil {
		t.Fatal(err)
	}
	m := map[string]reference{}
	for _, r := range refs {
		m[r.Mode] = r
	}
	return m
}

// runJSON runs the command with args plus -json and returns the table and the decoded JSON.
func runJSON(t *testing.T, args ...string) (string, map[string]any) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "scores.json")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), append(args, "-json", out), &stdout, &stderr); err != nil {
		t.Fatalf("run %q: %v\nstderr: %s", args, err, stderr.String())
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

func checkAgainst(t *testing.T, got map[string]any, want reference) {
	t.Helper()
	if got["num_false_positives"] != float64(want.FP) || got["num_misses"] != float64(want.FN) {
		t.Errorf("FP/FN = %v/%v, want %d/%d", got["num_false_positives"], got["num_misses"], want.FP, want.FN)
	}
	if d := math.Abs(got["idf1"].(float64) - want.IDF1); d > 1e-9 {
		t.Errorf("idf1 = %v, want %v", got["idf1"], want.IDF1)
	}
	if d := math.Abs(got["num_switches"].(float64) - float64(want.IDsw)); d > 2 {
		t.Errorf("num_switches = %v, want %d ± 2", got["num_switches"], want.IDsw)
	}
	if d := math.Abs(got["mota"].(float64) - want.MOTA); d > 2.5/float64(want.Count) {
		t.Errorf("mota = %v, want %v", got["mota"], want.MOTA)
	}
}

func TestScoreBoxFile(t *testing.T) {
	dir := filepath.Join(sharedData(t), "tud-campus")
	refs := readRefs(t, filepath.Join(dir, "sort-frcnn-metrics.json"))
	table, got := runJSON(t, "-seq", dir, "-tracks", filepath.Join(dir, "sort-frcnn-boxes.txt"), "-match", "iou")
	checkAgainst(t, got, refs["iou"])
	if got["mode"] != "iou" || got["num_frames"] != 71.0 {
		t.Errorf("mode/frames = %v/%v, want iou/71", got["mode"], got["num_frames"])
	}
	for _, want := range []string{"MOTA", "IDF1", "ID switches", "fragmentations", "mostly lost", "62.7%"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
}

// TestScoreAgentLines converts the PETS baseline point CSV into the agent's JSON-lines format (0-based
// frames, coordinates normalised to the image) and checks the scores are those of the CSV.
func TestScoreAgentLines(t *testing.T) {
	dir := filepath.Join(sharedData(t), "pets09-s2l1-dev")
	refs := readRefs(t, filepath.Join(dir, "baseline-mog2-sort-metrics.json"))
	f, err := os.Open(filepath.Join(dir, "baseline-mog2-sort-points.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := mot.ReadPoints(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	const w, h = 768, 576
	byID := map[string][]string{}
	var order []string
	for _, r := range rows {
		if _, ok := byID[r.ID]; !ok {
			order = append(order, r.ID)
		}
		byID[r.ID] = append(byID[r.ID], fmt.Sprintf("[%d,0,%s,%s]", r.Frame-1,
			strconv.FormatFloat(r.X/w, 'g', -1, 64), strconv.FormatFloat(r.Y/h, 'g', -1, 64)))
	}
	var b strings.Builder
	b.WriteString(`{"topic":"ashiato/v1/s/c/status","payload":{"v":1,"state":"online"},"qos":1,"retain":true}` + "\n")
	for _, id := range order {
		pts := byID[id]
		// Send each track in two segments, as the agent does with long tracks.
		half := (len(pts) + 1) / 2
		for seg, part := range [][]string{pts[:half], pts[half:]} {
			if len(part) == 0 {
				continue
			}
			fmt.Fprintf(&b, `{"topic":"ashiato/v1/s/c/tracks","payload":{"v":1,"sensor":"c","track":"k%s","space":"image","w":%d,"h":%d,"points":[%s],"seg":%d,"final":%v},"qos":1,"retain":false}`+"\n",
				id, w, h, strings.Join(part, ","), seg, seg == 1)
		}
	}
	lines := filepath.Join(t.TempDir(), "agent.jsonl")
	if err := os.WriteFile(lines, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	_, got := runJSON(t, "-seq", dir, "-tracks", lines)
	checkAgainst(t, got, refs["foot"])
	if got["num_predictions"] != float64(len(rows)) {
		t.Errorf("num_predictions = %v, want %d", got["num_predictions"], len(rows))
	}
}

func TestBadArgs(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-seq", "x"},
		{"-seq", "x", "-tracks", "y", "-run"},
		{"-seq", t.TempDir(), "-tracks", "y"}, // no seqinfo.ini
		{"-seq", "x", "-tracks", "y", "-match", "bogus"},
	} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), args, &stdout, &stderr); err == nil {
			t.Errorf("run %q succeeded", args)
		}
	}
}

// TestRunAgent runs the whole pipeline on TUD-Campus when the agent builds and ffmpeg is installed.
func TestRunAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the agent")
	}
	dir := filepath.Join(sharedData(t), "tud-campus")
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	root, err := moduleRoot()
	if err != nil {
		t.Skip(err)
	}
	if m, _ := filepath.Glob(filepath.Join(root, "agent", "cmd", "ashiato", "*.go")); len(m) == 0 {
		t.Skip("./agent/cmd/ashiato has no Go files yet")
	}
	bin := filepath.Join(t.TempDir(), "ashiato")
	build := exec.Command("go", "build", "-o", bin, "./agent/cmd/ashiato")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Skipf("the agent does not build yet: %v\n%s", err, out)
	}
	saved := filepath.Join(t.TempDir(), "agent.jsonl")
	table, got := runJSON(t, "-seq", dir, "-run", "-agent", bin, "-save", saved)
	t.Logf("agent on TUD-Campus:\n%s", table)
	if got["num_frames"] != 71.0 || got["num_objects"] != 359.0 {
		t.Errorf("frames/objects = %v/%v, want 71/359", got["num_frames"], got["num_objects"])
	}
	// The saved output scores the same as the run.
	_, again := runJSON(t, "-seq", dir, "-tracks", saved)
	if again["mota"] != got["mota"] || again["idf1"] != got["idf1"] {
		t.Errorf("saved output scores mota/idf1 %v/%v, run scored %v/%v", again["mota"], again["idf1"], got["mota"], got["idf1"])
	}
}

// TestRunPipelineWithFakeAgent checks the -run plumbing (ffmpeg → agent stdin, the agent's flags, its
// stdout scored and saved) with a shell script standing in for the agent.
func TestRunPipelineWithFakeAgent(t *testing.T) {
	dir := filepath.Join(sharedData(t), "tud-campus")
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	tmp := t.TempDir()
	// The fake agent checks its arguments and that stdin is a Y4M stream of the whole clip (71 gray
	// 640×480 frames), then publishes one track on GT person 1's foot point in frame 1
	// (gt: 1,1,399,182,121,229 → 459.5, 411).
	script := `#!/bin/sh
[ "$*" = "-source y4m:- -sink stdout -pace asap -x 1" ] || { echo "bad args: $*" >&2; exit 3; }
n=$(wc -c)
[ "$n" -gt $((71 * 640 * 480)) ] || { echo "short input: $n bytes" >&2; exit 4; }
echo '{"topic":"ashiato/v1/s/c/tracks","payload":{"v":1,"sensor":"c","track":"a","space":"image","w":640,"h":480,"points":[[0,0,0.71796875,0.85625]],"seg":0,"final":true},"qos":1,"retain":false}'
`
	agent := filepath.Join(tmp, "fake-agent")
	if err := os.WriteFile(agent, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	saved := filepath.Join(tmp, "out.jsonl")
	_, got := runJSON(t, "-seq", dir, "-run", "-agent", agent, "-agent-args", "-x 1", "-save", saved)
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
