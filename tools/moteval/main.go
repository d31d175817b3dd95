// Command moteval scores tracker output against MOTChallenge ground truth with CLEAR-MOT and IDF1, the way
// py-motmetrics 1.2.0 does.
//
// Score a stored track file (MOT box text, a frame,id,x,y point CSV, or the agent's JSON lines from
// -sink stdout):
//
//	moteval -seq DIR -tracks FILE [-match foot|centre|iou] [-json out.json] [-ref metrics.json] [-switches]
//
// Run the agent on the sequence's video and score what it publishes:
//
//	moteval -seq DIR -run [-gt FILE] [-fps F] [-agent PATH] [-agent-args "..."] [-save out.jsonl] [-json out.json]
//
// Run the association stage alone on detector boxes (MOT det.txt) with assoc.DetectorConfig:
//
//	moteval -seq DIR -dets DIR/det.txt
//
// DIR holds seqinfo.ini and gt.txt (or gt/gt.txt; -gt names another file) and, for -run, the video: a
// compact clip (frames.z, see tools/footage), decoded here in pure Go and piped into the agent as a
// YUV4MPEG2 stream, or one *.avi or *.mp4, which
// `ffmpeg -v error -i VIDEO -f yuv4mpegpipe -pix_fmt gray -` decodes straight into the agent's stdin. The
// agent runs as `ashiato -source y4m:- -sink stdout -pace asap`; without -agent it is first built from
// ./agent/cmd/ashiato of the module above the working directory into a temporary directory. Frames 1 to
// seqinfo.ini's seqLength are scored; ground truth of later frames is ignored. -fps overrides the frame
// rate the agent is told (seqinfo.ini's frameRate by default), to see how the tracker does at another
// camera rate on the same frames.
//
// -ref compares the scores with a py-motmetrics result file (a JSON list of entries with "mode",
// "mota", "idf1", "num_false_positives", … as the reference scripts write) and fails unless the entry
// of the same matching mode agrees: FP, FN, IDF1, IDP, IDR and the counts exactly, ID switches and
// fragmentations within 2 (ties may be broken differently), MOTA exactly when the switches agree.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/ashiato/ashiato/tools/footage"
	"github.com/ashiato/ashiato/tools/moteval/mot"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "moteval:", err)
		os.Exit(1)
	}
}

// run is the whole command: it parses args, scores, prints the table to stdout and reports progress and
// the agent's stderr on stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("moteval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seq := fs.String("seq", "", "sequence `dir`ectory with seqinfo.ini and gt.txt (required)")
	tracks := fs.String("tracks", "", "tracker output `file` to score: MOT boxes, frame,id,x,y CSV or agent JSON lines")
	doRun := fs.Bool("run", false, "run the agent on the sequence's video and score its output")
	agent := fs.String("agent", "", "agent binary `path` for -run; empty builds ./agent/cmd/ashiato")
	agentArgs := fs.String("agent-args", "", "extra space-separated `args` for the agent in -run")
	save := fs.String("save", "", "with -run, also write the agent's stdout to this `file`")
	match := fs.String("match", "foot", "matching `mode`: foot, centre or iou")
	thr := fs.Float64("threshold", 0, "match threshold; 0 means imWidth/20 px (foot, centre) or 0.5 (iou: 1-IoU)")
	gtPath := fs.String("gt", "", "ground-truth `file`; empty means DIR/gt.txt or DIR/gt/gt.txt")
	jsonOut := fs.String("json", "", "write the scores as JSON to this `file`")
	fps := fs.Float64("fps", 0, "with -run, the frame rate the agent is told; 0 means seqinfo.ini's")
	dets := fs.String("dets", "", "detections `file` (MOT det.txt) to track with the association stage alone")
	ref := fs.String("ref", "", "py-motmetrics result `file` the scores must agree with")
	switches := fs.Bool("switches", false, "also list every identity switch: frame, person, and the two track ids")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *seq == "" {
		return errors.New("-seq is required")
	}
	if n := btoi(*tracks != "") + btoi(*doRun) + btoi(*dets != ""); n != 1 {
		return errors.New("give exactly one of -tracks FILE, -run and -dets FILE")
	}
	mode, err := mot.ParseMode(*match)
	if err != nil {
		return err
	}
	info, err := mot.ReadSeqInfo(filepath.Join(*seq, "seqinfo.ini"))
	if err != nil {
		return err
	}
	if *gtPath == "" {
		*gtPath = filepath.Join(*seq, "gt.txt")
		if _, err := os.Stat(*gtPath); err != nil {
			*gtPath = filepath.Join(*seq, "gt", "gt.txt")
		}
	}
	gt, err := mot.ReadGTFile(*gtPath)
	if err != nil {
		return err
	}

	var hyp []mot.Row
	source := *tracks
	switch {
	case *doRun:
		rate := info.FrameRate
		if *fps > 0 {
			rate = *fps
		}
		out, err := runAgent(ctx, *seq, *agent, rate, info.Length, strings.Fields(*agentArgs), stderr)
		if err != nil {
			return err
		}
		if *save != "" {
			if err := os.WriteFile(*save, out, 0o644); err != nil {
				return err
			}
		}
		if hyp, err = mot.ReadAgent(bytes.NewReader(out)); err != nil {
			return err
		}
		source = fmt.Sprintf("agent run at %g fps", rate)
	case *dets != "":
		if hyp, err = trackDetections(*dets, info); err != nil {
			return err
		}
		source = "association on " + filepath.Base(*dets)
	default:
		if hyp, err = mot.ReadTracksFile(*tracks); err != nil {
			return err
		}
	}

	ecfg := mot.Config{Mode: mode, Frames: info.Length, Width: info.Width, Threshold: *thr}
	var sw bytes.Buffer
	if *switches {
		ecfg.Switch = func(frame int, obj, from, to string) {
			fmt.Fprintf(&sw, "  switch in frame %d: person %s from track %s to track %s\n", frame, obj, from, to)
		}
	}
	res, err := mot.Evaluate(gt, hyp, ecfg)
	if err != nil {
		return err
	}
	printTable(stdout, info, source, res)
	stdout.Write(sw.Bytes())
	if *jsonOut != "" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if *ref != "" {
		return checkReference(stdout, res, *ref)
	}
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func printTable(w io.Writer, info mot.SeqInfo, source string, r mot.Result) {
	unit := "px"
	if r.Mode == mot.IoU {
		unit = "1-IoU"
	}
	fmt.Fprintf(w, "%s (%d frames, %dx%d) vs %s, %s matching, threshold %g %s\n",
		info.Name, info.Length, info.Width, info.Height, source, r.Mode, r.MatchThreshold, unit)
	pct := func(v float64) string {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return "-"
		}
		return fmt.Sprintf("%.1f%%", 100*v)
	}
	rows := []struct{ name, value string }{
		{"MOTA", pct(r.MOTA)},
		{"MOTP (" + unit + ")", fmt.Sprintf("%.3f", r.MOTP)},
		{"IDF1", pct(r.IDF1)},
		{"IDP", pct(r.IDP)},
		{"IDR", pct(r.IDR)},
		{"recall", pct(r.Recall)},
		{"precision", pct(r.Precision)},
		{"false positives", fmt.Sprint(r.FP)},
		{"misses (FN)", fmt.Sprint(r.FN)},
		{"ID switches", fmt.Sprint(r.Switches)},
		{"fragmentations", fmt.Sprint(r.Frags)},
		{"mostly tracked", fmt.Sprint(r.MostlyTrack)},
		{"partially tracked", fmt.Sprint(r.PartlyTrack)},
		{"mostly lost", fmt.Sprint(r.MostlyLost)},
		{"GT objects (rows)", fmt.Sprint(r.NumObjects)},
		{"GT ids", fmt.Sprint(r.NumUnique)},
		{"predictions (rows)", fmt.Sprint(r.NumPredictions)},
		{"frames", fmt.Sprint(r.NumFrames)},
	}
	for _, row := range rows {
		fmt.Fprintf(w, "  %-20s %10s\n", row.name, row.value)
	}
}

// runAgent decodes the first frames frames of the sequence's video, pipes them into the agent and returns
// the agent's stdout. The agent's and ffmpeg's stderr go to stderr. A positive fps (seqinfo.ini's
// frameRate) overrides the container's rate, which is wrong for some videos (PETS09-S2L1's AVI claims 10
// fps; it is 7), so that the frame times the tracker sees are the real ones.
func runAgent(ctx context.Context, seq, agent string, fps float64, frames int, extra []string, stderr io.Writer) ([]byte, error) {
	video, clip, err := findVideo(seq)
	if err != nil {
		return nil, err
	}
	if agent == "" {
		dir, err := os.MkdirTemp("", "moteval-agent-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		if agent, err = buildAgent(ctx, dir, stderr); err != nil {
			return nil, err
		}
	}

	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	stderr = &lockedWriter{w: stderr} // ffmpeg's and the agent's stderr are copied by two goroutines
	var out bytes.Buffer
	ag := exec.CommandContext(ctx, agent, append([]string{"-source", "y4m:-", "-sink", "stdout", "-pace", "asap"}, extra...)...)
	ag.Stdin = pr
	ag.Stdout = &out
	ag.Stderr = stderr

	if err := ag.Start(); err != nil {
		pr.Close()
		pw.Close()
		return nil, fmt.Errorf("start agent: %w", err)
	}
	pr.Close() // the agent holds its own copy
	var decErr error
	if clip != nil {
		decErr = clip.WriteY4M(pw, fps, frames)
		pw.Close() // the agent sees EOF
	} else {
		ffArgs := []string{"-v", "error"}
		if fps > 0 {
			ffArgs = append(ffArgs, "-r", strconv.FormatFloat(fps, 'f', -1, 64))
		}
		ffArgs = append(ffArgs, "-i", video, "-frames:v", strconv.Itoa(frames), "-f", "yuv4mpegpipe", "-pix_fmt", "gray", "-")
		ff := exec.CommandContext(ctx, "ffmpeg", ffArgs...)
		ff.Stdout = pw
		ff.Stderr = stderr
		decErr = ff.Start()
		pw.Close() // ffmpeg holds its own copy; the agent sees EOF when ffmpeg exits
		if decErr == nil {
			decErr = ff.Wait()
		}
	}
	agErr := ag.Wait()
	switch {
	case agErr != nil:
		return nil, fmt.Errorf("agent %s: %w", agent, agErr)
	case decErr != nil:
		return nil, fmt.Errorf("decoding %s: %w", video, decErr)
	}
	return out.Bytes(), nil
}

// lockedWriter serialises writes from several goroutines to one writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// findVideo returns the compact clip in dir, or else the one *.avi or *.mp4 file in it.
func findVideo(dir string) (string, *footage.Clip, error) {
	if _, err := os.Stat(filepath.Join(dir, footage.FramesFile)); err == nil {
		c, err := footage.Open(dir)
		return filepath.Join(dir, footage.FramesFile), c, err
	}
	var found []string
	for _, pat := range []string{"*.avi", "*.mp4"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return "", nil, err
		}
		found = append(found, m...)
	}
	switch len(found) {
	case 0:
		return "", nil, fmt.Errorf("no %s, *.avi or *.mp4 in %s", footage.FramesFile, dir)
	case 1:
		return found[0], nil, nil
	}
	return "", nil, fmt.Errorf("several videos in %s: %q", dir, found)
}

// buildAgent builds ./agent/cmd/ashiato of the module above the working directory into dir and returns
// the binary's path.
func buildAgent(ctx context.Context, dir string, stderr io.Writer) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "ashiato")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./agent/cmd/ashiato")
	cmd.Dir = root
	cmd.Stdout = stderr
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build ./agent/cmd/ashiato in %s: %w", root, err)
	}
	return bin, nil
}

// moduleRoot returns the nearest directory above the working directory that holds go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory; pass -agent")
		}
		dir = parent
	}
}
