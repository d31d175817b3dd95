package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/agent/tracker"
	"github.com/ashiato/ashiato/drivers/synth"
	"github.com/ashiato/ashiato/hal"
	"github.com/ashiato/ashiato/tools/footage"
	"github.com/ashiato/ashiato/tools/moteval/mot"
)

// synthMOTAFloor is what the synthetic scene must score: the target is 90, measured 92.3 and 90.8 on
// seeds 1 and 7 with people whose feet are out of view scored as ignored.
const synthMOTAFloor = 0.895

// TestSynthSceneAccuracy runs the whole agent on the synthetic scene and scores its published tracks
// against the scene's own ground truth with the project's evaluator (foot points within W/20).
func TestSynthSceneAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	bin := agentBinary(t)
	const frames = 1200
	for _, seed := range []int{1, 7} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			spec := fmt.Sprintf("synth:frames=%d,seed=%d,pace=asap", frames, seed)
			opts, err := synth.ParseSpec(spec)
			if err != nil {
				t.Fatal(err)
			}
			var gtBuf bytes.Buffer
			if err := synth.WriteGroundTruth(&gtBuf, opts, frames); err != nil {
				t.Fatal(err)
			}
			rows, err := mot.ReadMOT(&gtBuf)
			if err != nil {
				t.Fatal(err)
			}
			// People whose feet are out of view have no foot point to find: scored as ignored.
			var gt []mot.Row
			for _, r := range rows {
				if synth.FeetInView(synth.Box{Left: r.Left, Top: r.Top, Width: r.Width, Height: r.Height}, 640, 480) {
					gt = append(gt, r)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			var out, stderr bytes.Buffer
			cmd := exec.CommandContext(ctx, bin, "-source", spec, "-sink", "stdout")
			cmd.Stdout, cmd.Stderr = &out, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("agent: %v\n%s", err, stderr.String())
			}
			hyp, err := mot.ReadAgent(&out)
			if err != nil {
				t.Fatal(err)
			}
			res, err := mot.Evaluate(gt, hyp, mot.Config{Mode: mot.Foot, Frames: frames, Width: 640})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("synthetic scene seed %d: MOTA %.1f IDF1 %.1f FP %d FN %d IDsw %d (%d GT objects)",
				seed, 100*res.MOTA, 100*res.IDF1, res.FP, res.FN, res.Switches, res.NumObjects)
			if res.MOTA < synthMOTAFloor {
				t.Errorf("MOTA %.1f on the synthetic scene; it must not fall below %.0f (the target is 90)",
					100*res.MOTA, 100*synthMOTAFloor)
			}
		})
	}
}

// petsBars are the scores the whole agent must reach on the PETS dev clip against its ground truth, per
// frame rate the agent is told: measured (README, "Tracking accuracy") minus a small margin, so that a
// change that costs accuracy fails here rather than unnoticed. Measured: 7 fps MOTA 80.6, IDF1 77.8;
// 10 fps MOTA 79.6, IDF1 61.1 (margins 1.1–1.8 points: IDF1 moves by several points with one crossing).
var petsBars = []struct {
	fps        int
	mota, idf1 float64
}{
	{7, 0.795, 0.76},
	{10, 0.785, 0.595},
}

// replayPETS replays the repository's PETS09-S2L1 dev clip (400 frames, 768×576) through the whole agent
// as a YUV4MPEG2 stream on its stdin announcing fps, with -pace asap: y4m source, locked ring, tracker,
// stdout sink. It returns the agent's stdout and the opened clip.
func replayPETS(t *testing.T, fps int) ([]byte, *footage.Clip) {
	t.Helper()
	dir, err := footage.Find("pets09-s2l1-dev")
	if err != nil {
		t.Fatal(err)
	}
	clip, err := footage.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ag := exec.CommandContext(ctx, agentBinary(t), "-source", "y4m:-", "-sink", "stdout", "-pace", "asap", "-sensor", "pets")
	in, err := ag.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out, stderr bytes.Buffer
	ag.Stdout, ag.Stderr = &out, &stderr
	if err := ag.Start(); err != nil {
		t.Fatal(err)
	}
	werr := clip.WriteY4M(in, float64(fps), 0)
	in.Close()
	if err := ag.Wait(); err != nil || werr != nil {
		t.Fatalf("agent: %v (writing its input: %v)\n%s", err, werr, stderr.String())
	}
	return out.Bytes(), clip
}

// TestPETSDevAccuracy scores what the whole agent publishes on the PETS dev clip against the clip's
// ground truth (checksum-verified with the clip) with the project's evaluator: foot points within W/20,
// people marked to ignore dropped, every published point counted. It runs at the clip's real 7 fps and
// as if the same frames came at 10 fps, where the tracker sees larger steps between frames.
func TestPETSDevAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	for _, bar := range petsBars {
		t.Run(fmt.Sprint(bar.fps, "fps"), func(t *testing.T) {
			out, clip := replayPETS(t, bar.fps)
			gt, err := clip.GroundTruth()
			if err != nil {
				t.Fatal(err)
			}
			hyp, err := mot.ReadAgent(bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			res, err := mot.Evaluate(gt, hyp, mot.Config{Mode: mot.Foot, Frames: clip.Len(), Width: clip.Info.Width})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("PETS dev at %d fps: MOTA %.1f IDF1 %.1f IDsw %d FP %d FN %d (%d GT objects, %d points)",
				bar.fps, 100*res.MOTA, 100*res.IDF1, res.Switches, res.FP, res.FN, res.NumObjects, res.NumPredictions)
			if res.MOTA < bar.mota || res.IDF1 < bar.idf1 {
				t.Errorf("PETS dev at %d fps: MOTA %.1f, IDF1 %.1f; they must not fall below %.1f and %.1f",
					bar.fps, 100*res.MOTA, 100*res.IDF1, 100*bar.mota, 100*bar.idf1)
			}
		})
	}
}

// TestPETSDevReplay replays the PETS dev clip at 7 fps through the whole agent (replayPETS). Every
// published track must be valid and of the clip's size, the final status must count all 400 frames, and
// the tracks must be exactly the tracker's own on the same frames (to the 5 decimals of the wire format):
// nothing between the camera and the sink may change what the tracker sees or says.
func TestPETSDevReplay(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	stdout, clip := replayPETS(t, 7)
	out := bytes.NewBuffer(stdout)
	w, h := clip.Info.Width, clip.Info.Height
	published := map[string][]event.Point{} // by first frame and position
	var stopped bool
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var l event.Line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("stdout line is not a JSON message: %v: %.200s", err, sc.Bytes())
		}
		switch {
		case strings.HasSuffix(l.Topic, "/tracks"):
			tr := checkTrack(t, l.Payload, "pets")
			if tr.W != w || tr.H != h || !tr.Final {
				t.Fatalf("track %dx%d final %v, want %dx%d in one part", tr.W, tr.H, tr.Final, w, h)
			}
			p := tr.Points[0]
			published[fmt.Sprintf("%d %.3f %.3f", p.F, p.X*float64(w), p.Y*float64(h))] = tr.Points
		case strings.HasSuffix(l.Topic, "/status"):
			var st event.Status
			if err := json.Unmarshal(l.Payload, &st); err != nil {
				t.Fatalf("status payload %q: %v", l.Payload, err)
			}
			if st.State == event.StateStopped {
				stopped = true
				if st.Frames != 400 {
					t.Errorf("stopped status counts %d frames, want 400", st.Frames)
				}
			}
		}
	}
	if !stopped {
		t.Error("no stopped status at the end of the replay")
	}

	// The tracker alone, with the defaults the agent uses.
	tr := tracker.New(tracker.Config{})
	var want []tracker.Track
	t0 := time.Unix(1_700_000_000, 0)
	err := clip.Frames(0, func(i int, pix []byte) error {
		f := hal.Frame{Seq: uint64(i), Time: t0.Add(time.Duration(i) * time.Second / 7), Width: w, Height: h, Stride: w, Pix: pix}
		want = append(want, tr.Step(&f)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, tr.Flush()...)
	if len(published) != len(want) || len(want) < 10 {
		t.Fatalf("the agent published %d tracks, the tracker alone closed %d", len(published), len(want))
	}
	for _, k := range want {
		p0 := k.Points[0]
		got, ok := published[fmt.Sprintf("%d %.3f %.3f", p0.Frame, roundTo5(p0.X/float64(w))*float64(w), roundTo5(p0.Y/float64(h))*float64(h))]
		if !ok || len(got) != len(k.Points) {
			t.Fatalf("the tracker's track from frame %d (%d points) was not published as it is", p0.Frame, len(k.Points))
		}
		for i, p := range k.Points {
			g := got[i]
			if g.F != p.Frame || math.Abs(g.X*float64(w)-p.X) > 0.01 || math.Abs(g.Y*float64(h)-p.Y) > 0.01 {
				t.Fatalf("track from frame %d, point %d: published %+v, tracker %+v", p0.Frame, i, g, p)
			}
		}
	}
	t.Logf("PETS dev replay: %d tracks, the same as the tracker's", len(want))
}

// roundTo5 rounds to 5 decimals, as the wire format does.
func roundTo5(v float64) float64 { return math.Round(v*1e5) / 1e5 }
