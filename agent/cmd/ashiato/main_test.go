package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/agent/panel"
	"github.com/ashiato/ashiato/agent/tracker"
)

// TestPanelPNGAndStatsInterval runs the agent in-process on a short synthetic clip with -panel-png: the
// PNG is the notice panel's image, left showing "stopped", stdout stays JSON lines, and the privacy topic
// goes capturing → stopped (end of replay).
func TestPanelPNGAndStatsInterval(t *testing.T) {
	dir := t.TempDir()
	pngPath := filepath.Join(dir, "panel.png")
	var out, errb bytes.Buffer
	code := run([]string{"-source", "synth:frames=40,seed=2,pace=asap", "-sink", "stdout", "-panel-png", pngPath,
		"-stats-interval", "1s"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	if n := strings.Count(errb.String(), "panel image: "+pngPath); n != 1 {
		t.Errorf("panel image path logged %d times, want once:\n%s", n, errb.String())
	}
	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Size() != panel.Size {
		t.Fatalf("panel image is %v", img.Bounds())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files left next to the PNG: %v", entries)
	}
	var states []string
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l event.Line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("stdout line is not a JSON message: %v: %.200s", err, sc.Bytes())
		}
		if strings.HasSuffix(l.Topic, "/privacy") {
			var p event.Privacy
			if err := json.Unmarshal(l.Payload, &p); err != nil {
				t.Fatalf("privacy: %v", err)
			}
			if len(states) == 0 || states[len(states)-1] != p.State+" "+p.Reason {
				states = append(states, p.State+" "+p.Reason)
			}
		}
	}
	if got := strings.Join(states, "|"); got != "capturing |stopped 再生終了" {
		t.Errorf("privacy states %q", got)
	}
}

func TestStatsIntervalFlag(t *testing.T) {
	cfg, err := loadConfig(flags{statsInterval: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.WithDefaults().MQTT.StatsInterval.D() != 2*time.Second {
		t.Fatalf("stats interval %v", cfg.MQTT.StatsInterval.D())
	}
	if _, err := loadConfig(flags{statsInterval: time.Millisecond}); err == nil || !strings.Contains(err.Error(), "stats_interval") {
		t.Fatalf("a 1ms stats interval: %v", err)
	}
}

// The installer's subcommands are wired: on a machine that is not a Pi, hwcheck takes the generic board,
// reports its LED check failing (none is configured) and exits 1, and led-off fails with an error instead
// of pretending.
func TestSubcommands(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"hwcheck", "-json", "-boot-config", "none", "-frames", "1"}, &out, &errb); code != 1 {
		t.Fatalf("hwcheck exit %d; want 1 without a configured LED\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), `"board"`) || !strings.Contains(out.String(), `"led"`) {
		t.Fatalf("hwcheck -json output lacks the board and LED checks:\n%s", out.String())
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"led-off", "-board", "rpi4b"}, &out, &errb); code == 0 {
		t.Fatalf("led-off succeeded on a machine without GPIO:\n%s", errb.String())
	}
}

// TestBrokerFlagReplacesNodes: -broker and -sink replace the configured broker nodes instead of being
// refused next to them.
func TestBrokerFlagReplacesNodes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ha.toml")
	if err := os.WriteFile(path, []byte("[mqtt]\nbrokers = [\"tcp://a:1883\", \"tcp://b:1883\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range []flags{{config: path}, {config: path, broker: "tcp://c:1883"}, {config: path, sink: "stdout"}} {
		cfg, err := loadConfig(f)
		if err != nil {
			t.Fatalf("%+v: %v", f, err)
		}
		want := "[tcp://a:1883 tcp://b:1883]"
		switch {
		case f.broker != "":
			want = "[tcp://c:1883]"
		case f.sink != "":
			want = "[stdout]"
		}
		if got := fmt.Sprint(cfg.WithDefaults().MQTT.Nodes()); got != want {
			t.Errorf("%+v: nodes %s, want %s", f, got, want)
		}
	}
}

// TestHwcheckROITakesTheTrackerSettings: what `hwcheck -roi` draws comes from the configuration the agent
// runs with: its area of interest, privacy zones, edge_in_view and the tracker's edge bands at its
// processing width.
func TestHwcheckROITakesTheTrackerSettings(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a.toml")
	body := "[tracker]\nproc_width = 200\nedge_in_view = 0.7\nroi = [[0, 0.3], [1, 0.3], [1, 1], [0, 1]]\n" +
		"privacy_zones = [[[0, 0], [0.2, 0], [0.2, 0.2]]]\n"
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := loadBoard(p)
	if err != nil {
		t.Fatal(err)
	}
	v := s.View
	if len(v.ROI) != 4 || v.ROI[0] != [2]float64{0, 0.3} || len(v.PrivacyZones) != 1 || v.EdgeInView != 0.7 {
		t.Errorf("view %+v", v)
	}
	if got, want := v.Inner(768, 576), tracker.EdgeBand(tracker.Config{ProcWidth: 200}, 768, 576); got != want || got.Min.X != 8 {
		t.Errorf("edge bands %v, want the tracker's %v at width 200", got, want)
	}
	d, err := loadBoard("")
	if err != nil || d.View.EdgeInView != tracker.DefaultEdgeInView || d.View.Inner(640, 480) != tracker.EdgeBand(tracker.Config{}, 640, 480) {
		t.Errorf("defaults: %+v, %v", d.View, err)
	}
}
