// Command ashiato is the Ashiato people-flow sensor agent: it turns a camera's frames into anonymous
// movement paths and publishes them over MQTT, while an LED and a notice panel tell shoppers what happens.
//
// Usage:
//
//	ashiato [-config FILE] [-source SPEC] [-broker URL|embedded|stdout] [flags]
//	ashiato -check-config FILE
//
// This package is the composition root: it alone turns flags and the config file into devices (board,
// replay and synthetic drivers) and hands them to agent.Run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // the schedule's time zone must resolve on a device without /usr/share/zoneinfo

	"github.com/ashiato/ashiato/agent"
	"github.com/ashiato/ashiato/agent/broker"
	"github.com/ashiato/ashiato/agent/config"
	"github.com/ashiato/ashiato/agent/display"
	"github.com/ashiato/ashiato/agent/harden"
	"github.com/ashiato/ashiato/board"
	"github.com/ashiato/ashiato/board/hwcheck"
	"github.com/ashiato/ashiato/drivers/synth"
	"github.com/ashiato/ashiato/drivers/v4l2"
	"github.com/ashiato/ashiato/drivers/y4m"
	"github.com/ashiato/ashiato/hal"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// flags are the command-line overrides of the config file.
type flags struct {
	config, checkConfig                       string
	source, pace, broker, sink, listen, store string
	sensor, panelPNG, logLevel                string
	summary, showVersion                      bool
	statsInterval                             time.Duration
}

func run(args []string, stdout, stderr io.Writer) int {
	// Before anything else, subcommands included (hwcheck grabs real frames): no core dumps, no same-uid
	// ptrace of a process that will hold frames.
	hard, herr := harden.Apply()
	if len(args) > 0 {
		switch args[0] {
		case "hwcheck": // the installer's self-test on the Pi
			return hwcheck.Main(args[1:], stdout, stderr, loadBoard)
		case "led-off": // systemd's ExecStopPost: the LED must not stay lit after a crash
			return hwcheck.LEDOffMain(args[1:], stderr, loadBoard)
		}
	}

	fs := flag.NewFlagSet("ashiato", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f flags
	fs.StringVar(&f.config, "config", "", "configuration file (TOML); without it every option has its default")
	fs.StringVar(&f.checkConfig, "check-config", "", "validate this configuration file and exit")
	fs.StringVar(&f.source, "source", "", "frame source: synth[:k=v,…], y4m:PATH, y4m:- (stdin), v4l2:/dev/videoN, v4l2:auto")
	fs.StringVar(&f.pace, "pace", "", "replay pacing for synth and y4m: realtime (default) or asap")
	fs.StringVar(&f.broker, "broker", "", "MQTT broker: tcp://HOST:PORT, tls://HOST:PORT, or embedded (default)")
	fs.StringVar(&f.sink, "sink", "", "stdout: write every message as a JSON line instead of publishing")
	fs.StringVar(&f.listen, "listen", "", "address of the embedded broker (default 127.0.0.1:1883)")
	fs.StringVar(&f.store, "store", "", "store name in topics")
	fs.StringVar(&f.sensor, "sensor", "", "sensor name in topics")
	fs.StringVar(&f.panelPNG, "panel-png", "", "also write the notice panel image to this PNG file")
	fs.DurationVar(&f.statsInterval, "stats-interval", 0, "how often stats are published, e.g. 1s (default: the status interval, 10s)")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.BoolVar(&f.summary, "summary", false, "subscribe to this sensor's topics and show a live one-line summary on stderr")
	fs.BoolVar(&f.showVersion, "version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if f.showVersion {
		fmt.Fprintln(stdout, "ashiato", version)
		return 0
	}
	if f.checkConfig != "" {
		if _, err := config.Load(f.checkConfig); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		fmt.Fprintf(stdout, "%s: ok\n", f.checkConfig)
		return 0
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(f.logLevel)); err != nil {
		fmt.Fprintf(stderr, "ashiato: -log-level: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	if herr != nil {
		log.Warn("process hardening incomplete", "err", herr)
	}

	cfg, err := loadConfig(f)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	d := cfg.WithDefaults()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	devs, closeDevs, err := openDevices(cfg, f, log)
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	defer closeDevs()

	brokerURL := ""
	if d.MQTT.Broker == "embedded" {
		b, err := broker.Start(d.MQTT.EmbeddedListen, log.With("component", "broker"))
		if err != nil {
			log.Error("cannot start the embedded MQTT broker", "err", err)
			return 1
		}
		defer b.Close()
		brokerURL = b.URL()
		log.Info("embedded MQTT broker listening", "url", brokerURL)
	}
	if f.summary {
		url := brokerURL
		if url == "" {
			url = d.MQTT.Broker
		}
		if d.Panel.PNG != "" {
			abs, _ := filepath.Abs(d.Panel.PNG)
			fmt.Fprintf(stderr, "notice panel image (what the e-ink panel shows): %s\n", abs)
		}
		go showSummary(ctx, url, d, stderr, log)
	}

	err = agent.Run(ctx, devs, agent.Options{
		Config: cfg, Broker: brokerURL, Stdout: stdout, Logger: log, Version: version, Hardening: hard,
	})
	if err != nil {
		log.Error("agent stopped", "err", err)
		return 1
	}
	return 0
}

// loadConfig reads the config file, if any, and applies the flags over it.
func loadConfig(f flags) (*config.Config, error) {
	cfg := &config.Config{}
	if f.config != "" {
		c, err := config.Load(f.config)
		if err != nil {
			return nil, err
		}
		cfg = c
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&cfg.Capture.Source, f.source)
	set(&cfg.Capture.Pace, f.pace)
	set(&cfg.MQTT.Broker, f.broker)
	if f.sink != "" {
		if f.sink != "stdout" {
			return nil, fmt.Errorf("ashiato: -sink %q: only stdout is supported", f.sink)
		}
		cfg.MQTT.Broker = "stdout"
	}
	set(&cfg.MQTT.EmbeddedListen, f.listen)
	set(&cfg.Sensor.Store, f.store)
	set(&cfg.Sensor.ID, f.sensor)
	set(&cfg.Panel.PNG, f.panelPNG)
	if f.statsInterval != 0 {
		cfg.MQTT.StatsInterval = config.Duration(f.statsInterval)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("ashiato: flags: %w", err)
	}
	return cfg, nil
}

// openDevices builds the camera and indicator for the configured source. Live cameras come from the board
// profile and must have a working LED; replayed and synthetic sources get a virtual indicator that logs.
func openDevices(cfg *config.Config, f flags, log *slog.Logger) (agent.Devices, func(), error) {
	d := cfg.WithDefaults()
	kind, arg, _ := strings.Cut(d.Capture.Source, ":")
	pace := d.Capture.Pace
	vled := &agent.VirtualLED{Log: log}
	nop := func() {}
	switch kind {
	case "synth":
		opts, err := synth.ParseSpec(d.Capture.Source)
		if err != nil {
			return agent.Devices{}, nop, err
		}
		if pace == "asap" && !strings.Contains(d.Capture.Source, "pace=") {
			opts.Pace = synth.PaceASAP
		}
		return agent.Devices{Camera: synth.New(opts), LED: vled, Indicator: "virtual", Panel: pngPanel(d, log),
			Backpressure: opts.Pace == synth.PaceASAP, Finite: true}, nop, nil
	case "y4m":
		opts := y4m.Options{Pace: y4m.PaceRealtime}
		if pace == "asap" {
			opts.Pace = y4m.PaceASAP
		}
		cam, err := y4m.Open(arg, opts)
		if err != nil {
			return agent.Devices{}, nop, err
		}
		return agent.Devices{Camera: cam, LED: vled, Indicator: "virtual", Panel: pngPanel(d, log),
				Backpressure: opts.Pace == y4m.PaceASAP, Finite: true},
			func() { cam.Close() }, nil
	case "v4l2":
		bo := boardOptions(d, arg)
		bo.Logger = log.With("component", "board")
		devs, err := board.Open(bo)
		if err != nil {
			return agent.Devices{}, nop, err
		}
		var button hal.Button
		if devs.ButtonOK {
			button = devs.Button
		}
		var panel hal.Panel
		if devs.PanelOK {
			panel = devs.Panel
		}
		if p := pngPanel(d, log); p != nil {
			if panel == nil {
				panel = p
			} else {
				panel = teePanel{panel, p}
			}
		}
		return agent.Devices{Camera: devs.Camera, LED: devs.LED, Indicator: devs.Indicator, Panel: panel, Button: button},
			func() {
				if err := devs.Close(); err != nil {
					log.Error("closing devices", "err", err)
				}
			}, nil
	}
	return agent.Devices{}, nop, errors.New("ashiato: unknown source " + d.Capture.Source)
}

// pngPanel returns the panel that writes the notice image to cfg.Panel.PNG, or nil if none is asked for.
// Replayed and synthetic sources have no real panel; this is how their notice can be seen.
func pngPanel(cfg config.Config, log *slog.Logger) hal.Panel {
	if cfg.Panel.PNG == "" {
		return nil
	}
	log.Info("panel image: " + cfg.Panel.PNG)
	return &display.PNGPanel{Path: cfg.Panel.PNG}
}

// teePanel draws on a real panel and also writes the image to a PNG. The real panel's error wins.
type teePanel struct {
	real hal.Panel
	png  hal.Panel
}

func (t teePanel) Bounds() image.Rectangle { return t.real.Bounds() }

func (t teePanel) Draw(img image.Image, full bool) error {
	err := t.real.Draw(img, full)
	t.png.Draw(img, full)
	return err
}

func (t teePanel) Halt() error { return t.real.Halt() }

// boardOptions maps the configuration onto board.Options for a V4L2 camera at path ("" means the
// profile's default).
func boardOptions(d config.Config, path string) board.Options {
	return board.Options{
		Board: d.Board.Name, Camera: path, Panel: d.Board.Panel, LEDPin: d.Board.LEDPin,
		ButtonPin: d.Board.ButtonPin, Indicator: d.Privacy.Indicator, ActiveLowLED: d.Board.ActiveLow,
		CameraOptions: v4l2.Options{Width: d.Capture.Width, Height: d.Capture.Height, FPS: d.Capture.FPS,
			StallTimeout: d.Capture.StallTimeout.D()},
	}
}

// loadBoard reads the board part of a configuration file for hwcheck and led-off; "" means defaults.
func loadBoard(path string) (board.Options, error) {
	cfg := &config.Config{}
	if path != "" {
		c, err := config.Load(path)
		if err != nil {
			return board.Options{}, err
		}
		cfg = c
	}
	d := cfg.WithDefaults()
	arg := ""
	if kind, a, _ := strings.Cut(d.Capture.Source, ":"); kind == "v4l2" {
		arg = a
	}
	return boardOptions(d, arg), nil
}
