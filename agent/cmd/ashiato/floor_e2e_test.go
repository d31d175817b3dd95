package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/config"
	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/drivers/synth"
	"github.com/ashiato/ashiato/schemas"
)

// floorConfig calibrates the synthetic 640×480 scene with six points measured on its floor to the
// centimetre: x across the view from the centre column, y away from the bottom row. The scene's lens is
// not exactly a homography, so the fit leaves about 0.18 m RMS, within the 0.25 m allowed.
const floorConfig = `
[calibration]
image = [[0.1, 0.95], [0.9, 0.95], [0.85, 0.6], [0.15, 0.6], [0.8, 0.25], [0.2, 0.25]]
floor = [[-4.05, 0.5], [4.05, 0.5], [4.23, 4.37], [-4.23, 4.37], [4.5, 9.07], [-4.5, 9.07]]
`

// TestFloorCalibratedSynth runs the agent on the synthetic scene with a floor calibration: every track
// must be in floor space, valid against the schema, and on the floor where a walker's feet really are.
func TestFloorCalibratedSynth(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	bin := agentBinary(t)
	cfgPath := filepath.Join(t.TempDir(), "floor.toml")
	if err := os.WriteFile(cfgPath, []byte(floorConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	h, ok, err := cfg.Calibration.Homography()
	if err != nil || !ok {
		t.Fatalf("calibration: %v %v", ok, err)
	}
	const frames = 400
	spec := "synth:frames=400,seed=5,pace=asap"
	opts, err := synth.ParseSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	truth := synth.New(opts)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-config", cfgPath, "-source", spec, "-sink", "stdout",
		"-store", "e2e", "-sensor", "floor1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("agent: %v\n%s", err, stderr.String())
	}

	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	top := event.Topics{Store: "e2e", Sensor: "floor1"}
	var tracks, points, near int
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l event.Line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("stdout line is not JSON: %v: %.200s", err, sc.Bytes())
		}
		if err := v.Validate(l.Topic, l.Payload); err != nil {
			t.Fatalf("%s: %v: %s", l.Topic, err, l.Payload)
		}
		if l.Topic != top.Topic(event.LeafTracks) {
			continue
		}
		tracks++
		var tr event.Track
		if err := json.Unmarshal(l.Payload, &tr); err != nil {
			t.Fatal(err)
		}
		if tr.Space != event.SpaceFloor || tr.W != 640 || tr.H != 480 || !strings.Contains(string(l.Payload), `"space":"floor"`) {
			t.Fatalf("track not in floor space: %s", l.Payload)
		}
		for _, p := range tr.Points {
			// The floor in view is about 10 m wide at the bottom, 18 m at the top, and 13 m deep.
			if p.X < -10 || p.X > 10 || p.Y < -1 || p.Y > 16 || !millimetres(p.X) || !millimetres(p.Y) {
				t.Fatalf("implausible floor point %+v", p)
			}
			points++
			// Where the calibration puts the feet of the nearest walker in that frame.
			best := math.Inf(1)
			for _, b := range truth.Truth(int(p.F)) {
				X, Y, ok := h.Apply((b.Left+b.Width/2)/640, (b.Top+b.Height)/480)
				if ok {
					best = min(best, math.Hypot(X-p.X, Y-p.Y))
				}
			}
			if best < 0.75 {
				near++
			}
		}
	}
	t.Logf("%d tracks, %d points, %d within 0.75 m of a walker's feet", tracks, points, near)
	if tracks < 3 {
		t.Fatalf("only %d tracks in %d frames:\n%s", tracks, frames, stderr.String())
	}
	if near < points*8/10 {
		t.Errorf("only %d of %d floor points are within 0.75 m of a walker's feet", near, points)
	}
}

// millimetres reports whether v is a whole number of millimetres, as JSON decodes it.
func millimetres(v float64) bool { return math.Abs(v*1000-math.Round(v*1000)) < 1e-6 }
