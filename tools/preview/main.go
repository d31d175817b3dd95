// Command preview writes the exact image the e-ink panel would show to a PNG file.
//
//	go run ./tools/preview -config ashiato.toml -state capturing -reason "" -o panel.png
//
// The configuration is read by the agent's own parser (package config), which refuses unknown keys and
// values of the wrong type; problems with the values are printed as warnings, so a draft can be previewed.
// Without -config, or without a [notice] table, the demo notice (notice.Default) is used.
//
// With -roi it instead draws one camera frame in the terminal with the configuration's floor area of
// interest (tracker.roi), privacy zones and the tracker's edge bands over it, for installation (package
// internal/roiview, shared with `ashiato hwcheck -roi`). The frame comes from a YUV4MPEG2 file or standard
// input, or a clip directory (-index picks the frame); it is only drawn, never saved: -roi refuses when
// standard output is not a terminal.
//
//	ffmpeg -v error -f v4l2 -i /dev/video0 -frames:v 1 -f yuv4mpegpipe -pix_fmt gray - | go run ./tools/preview -config ashiato.toml -roi -
//	go run ./tools/preview -config ashiato.toml -roi testdata/pets09-s2l1-dev -index 100
package main

import (
	"flag"
	"fmt"
	"image"
	"log"
	"os"
	"time"

	"github.com/ashiato/ashiato/agent/config"
	"github.com/ashiato/ashiato/agent/panel"
)

func main() {
	log.SetFlags(0)
	cfg := flag.String("config", "", "TOML configuration file with a [notice] table; empty uses the demo notice")
	state := flag.String("state", panel.ModeCapturing, "capturing, paused, stopped or fault")
	reason := flag.String("reason", "", "reason shown under the state bar, e.g. 営業時間外")
	since := flag.Duration("since", 27*time.Minute, "how long the state has lasted")
	at := flag.String("now", "", "time of the update as 15:04 (today) or RFC 3339; empty means now")
	width := flag.Int("width", panel.Size.X, "panel width in pixels")
	height := flag.Int("height", panel.Size.Y, "panel height in pixels")
	out := flag.String("o", "panel.png", "output PNG")
	roi := flag.String("roi", "", "draw this frame (YUV4MPEG2 `file`, - for stdin, or a clip directory) with tracker.roi, privacy_zones and the edge bands in the terminal instead")
	index := flag.Int("index", 0, "with -roi and a clip directory, the frame to draw (0-based)")
	cols := flag.Int("cols", 100, "with -roi, the width of the drawing in terminal columns")
	flag.Parse()
	if *roi != "" {
		if err := runROI(os.Stdout, os.Stdin, *cfg, *roi, *index, *cols); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := run(*cfg, *state, *reason, *since, *at, image.Pt(*width, *height), *out); err != nil {
		log.Fatal(err)
	}
}

func run(cfg, state, reason string, since time.Duration, at string, size image.Point, out string) error {
	switch state {
	case panel.ModeCapturing, panel.ModePaused, panel.ModeStopped, panel.ModeFault:
	default:
		return fmt.Errorf("preview: unknown -state %q", state)
	}
	c := &config.Config{}
	if cfg != "" {
		b, err := os.ReadFile(cfg)
		if err != nil {
			return fmt.Errorf("preview: %w", err)
		}
		if c, err = config.Decode(cfg, b); err != nil {
			return fmt.Errorf("preview: %w", err)
		}
	}
	if err := c.Validate(); err != nil {
		log.Printf("preview: warning: %v", err)
	}
	n := c.EffectiveNotice()
	now, err := parseNow(at, time.Now())
	if err != nil {
		return err
	}
	img := panel.Render(n, panel.State{Mode: state, Reason: reason, Since: now.Add(-since), Now: now}, size)
	return panel.WritePNG(out, img)
}

func parseNow(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return now, nil
	}
	if t, err := time.ParseInLocation("15:04", s, now.Location()); err == nil {
		y, m, d := now.Date()
		return time.Date(y, m, d, t.Hour(), t.Minute(), 0, 0, now.Location()), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("preview: -now %q: want 15:04 or RFC 3339", s)
	}
	return t, nil
}
