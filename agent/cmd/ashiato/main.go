// Command ashiato is the Ashiato people-flow sensor agent: it turns a camera's frames into anonymous
// movement paths and publishes them over MQTT, while an LED and a notice panel tell shoppers what happens.
//
// Usage:
//
//	ashiato [-config FILE] [-source SPEC] [-broker URL|embedded|stdout] [flags]
//	ashiato -check-config FILE
//	ashiato hwcheck [flags]     the installer's self-test of LED, panel, camera and button
//	ashiato hwcheck -roi        draw a live frame with the floor area of interest (in a terminal)
//	ashiato led-off [flags]     switch the capture LED off (the systemd unit's ExecStopPost=)
//	ashiato help
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
	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/agent/harden"
	"github.com/ashiato/ashiato/agent/sdnotify"
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
	sensor, panelPNG, logLevel, logFormat     string
	summary, showVersion                      bool
	statsInterval                             time.Duration
}

func (f *flags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.config, "config", "", "configuration file (TOML); without it every option has its default")
	fs.StringVar(&f.checkConfig, "check-config", "", "validate this configuration file and exit")
	fs.StringVar(&f.source, "source", "", "frame source: synth[:k=v,…], y4m:PATH, y4m:- (stdin), v4l2:/dev/videoN, v4l2:auto")
	fs.StringVar(&f.pace, "pace", "", "replay pacing for synth and y4m: realtime (default) or asap")
	fs.StringVar(&f.broker, "broker", "", "MQTT broker: tcp://HOST:PORT, tls://HOST:PORT, or embedded (default); replaces mqtt.broker and mqtt.brokers")
	fs.StringVar(&f.sink, "sink", "", "stdout: write every message as a JSON line instead of publishing")
	fs.StringVar(&f.listen, "listen", "", "address of the embedded broker (default 127.0.0.1:1883)")
	fs.StringVar(&f.store, "store", "", "store name in topics")
	fs.StringVar(&f.sensor, "sensor", "", "sensor name in topics")
	fs.StringVar(&f.panelPNG, "panel-png", "", "also write the notice panel image to this PNG file")
	fs.DurationVar(&f.statsInterval, "stats-interval", 0, "how often stats are published, e.g. 1s (default: the status interval, 10s)")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&f.logFormat, "log-format", "text", "text (logfmt) or json (one object per line)")
	fs.BoolVar(&f.summary, "summary", false, "subscribe to this sensor's topics and show a live one-line summary on stderr")
	fs.BoolVar(&f.showVersion, "version", false, "print the version and exit")
}

// usage prints what ashiato does, its subcommands, examples and the flags.
func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, `ashiato: a people-flow sensor that publishes anonymous movement paths over MQTT and shows
shoppers, with an LED and a notice panel, when it captures.

usage:
  ashiato [flags]                run the sensor (without a config: the synthetic demo)
  ashiato -check-config FILE     validate a configuration file
  ashiato hwcheck [flags]        installer's self-test: LED, panel, camera, button (ashiato hwcheck -h)
  ashiato led-off [flags]        switch the capture LED off (the systemd unit's ExecStopPost=)
  ashiato help                   this text

examples:
  ashiato -source synth -summary                         synthetic shop floor, embedded broker, live summary
  ashiato -source y4m:clip.y4m -pace asap -sink stdout   replay a video, print every message as JSON
  ffmpeg -i clip.mp4 -f yuv4mpegpipe -pix_fmt gray - | ashiato -source y4m:- -sink stdout
  ashiato -config /etc/ashiato/ashiato.toml              a live camera, as the systemd unit runs it
  ashiato hwcheck -board generic -led-class input3::capslock -camera /dev/video0
  ashiato hwcheck -config /etc/ashiato/ashiato.toml -roi     a live frame with tracker.roi drawn over it

flags:
`)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// subcommands are the words that may come first; anything else there is a stray argument.
const subcommands = "hwcheck, led-off and help"

func run(args []string, stdout, stderr io.Writer) int {
	// Before anything else, subcommands included (hwcheck grabs real frames): no core dumps, no same-uid
	// ptrace of a process that will hold frames.
	hard, herr := harden.Apply()
	fs := flag.NewFlagSet("ashiato", flag.ContinueOnError)
	var f flags
	f.register(fs)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {} // errors get one line below; -h gets the whole usage
	if code, done := subcommand(args, fs, stdout, stderr); done {
		return code
	}
	if code, done := parseArgs(fs, args, stdout, stderr); done {
		return code
	}
	if code, done := f.oneShot(stdout, stderr); done {
		return code
	}
	log, err := newLogger(stderr, f.logLevel, f.logFormat)
	if err != nil {
		fmt.Fprintf(stderr, "ashiato: %v\n", err)
		return 2
	}
	if herr != nil {
		log.Warn("process hardening incomplete", "err", herr)
	}
	cfg, code := startConfig(f, stderr)
	if code != 0 {
		return code
	}
	return serve(f, cfg, hard, log, stdout, stderr)
}

// subcommand runs the subcommand args names, if it names one, and returns its exit code and true.
func subcommand(args []string, fs *flag.FlagSet, stdout, stderr io.Writer) (int, bool) {
	if len(args) == 0 {
		return 0, false
	}
	switch args[0] {
	case "hwcheck": // the installer's self-test
		return hwcheck.Main(args[1:], stdout, stderr, loadBoard), true
	case "led-off": // systemd's ExecStopPost: the LED must not stay lit after a crash
		return hwcheck.LEDOffMain(args[1:], stderr, loadBoard), true
	case "help":
		if len(args) > 1 && args[1] == "hwcheck" {
			return hwcheck.Main([]string{"-h"}, stdout, stdout, loadBoard), true
		}
		usage(stdout, fs)
		return 0, true
	}
	return 0, false
}

// parseArgs parses the flags in args into fs. It returns true, with the exit code, when the program is to
// exit now: -h (the usage on stdout), a bad flag or a stray argument (one line on stderr).
func parseArgs(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout, fs)
			return 0, true
		}
		fmt.Fprintf(stderr, "ashiato: %v (ashiato -h lists the flags)\n", err)
		return 2, true
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ashiato: unexpected argument %q: subcommands are %s, and come first "+
			"(ashiato -h shows the usage)\n", fs.Arg(0), subcommands)
		return 2, true
	}
	return 0, false
}

// oneShot does what -version and -check-config ask, if either is set, and returns its exit code and true.
func (f *flags) oneShot(stdout, stderr io.Writer) (int, bool) {
	if f.showVersion {
		fmt.Fprintln(stdout, "ashiato", version)
		return 0, true
	}
	if f.checkConfig == "" {
		return 0, false
	}
	c, err := config.Load(f.checkConfig)
	if err == nil {
		err = checkEmbedded(c)
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1, true
	}
	fmt.Fprintf(stdout, "%s: ok\n", f.checkConfig)
	return 0, true
}

// startConfig loads and checks the configuration the flags name, and probes a live camera. A live camera
// is checked before anything else can fail, so that a missing camera is named whatever else is wrong too
// (a missing notice, a board without an LED, the embedded broker). On failure it says why on stderr and
// returns the exit code: 1 for the camera, 2 for the configuration.
func startConfig(f flags, stderr io.Writer) (*config.Config, int) {
	cfg, cfgErr := loadConfig(f)
	if cfgErr == nil {
		cfgErr = checkEmbedded(cfg)
	}
	camErr := probeLiveCamera(f, cfg)
	if camErr != nil {
		fmt.Fprintf(stderr, "ashiato: camera: %v\n", camErr)
	}
	if cfgErr != nil {
		fmt.Fprintln(stderr, cfgErr)
	}
	switch {
	case camErr != nil:
		return cfg, 1
	case cfgErr != nil:
		return cfg, 2
	}
	return cfg, 0
}

// serve opens the devices and, if the configuration asks for it, the embedded broker, and runs the agent
// until SIGINT or SIGTERM. It returns the exit code.
func serve(f flags, cfg *config.Config, hard harden.State, log *slog.Logger, stdout, stderr io.Writer) int {
	d := cfg.WithDefaults()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
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
			url = d.MQTT.Nodes()[0]
		}
		printHeader(stderr, url, brokerURL != "", d)
		// The summary writes to stderr until it is stopped, so it is stopped and waited for before run
		// returns (and before the embedded broker closes): nothing writes to stderr after run.
		sctx, stopSummary := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			showSummary(sctx, url, d, stderr, log)
		}()
		defer func() {
			stopSummary()
			<-done
		}()
	}

	// Under systemd (Type=notify) the agent says when it is ready and feeds the watchdog from the
	// pipeline's progress; elsewhere the notifier is a no-op.
	notifier, err := sdnotify.FromEnv()
	if err != nil {
		log.Warn("systemd watchdog disabled", "err", err)
	}
	err = agent.Run(ctx, devs, agent.Options{
		Config: cfg, Broker: brokerURL, Stdout: stdout, Logger: log, Version: version, Hardening: hard,
		Service: notifier,
	})
	if err != nil {
		log.Error("agent stopped", "err", err)
		return 1
	}
	return 0
}

// newLogger returns the agent's logger: logfmt ("text") or JSON lines, at level.
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("-log-level: %w", err)
	}
	o := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, o)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, o)), nil
	}
	return nil, fmt.Errorf("-log-format %q: want text or json", format)
}

// printHeader tells the demo's user where to look: the broker to subscribe to and the panel's image.
func printHeader(w io.Writer, url string, embedded bool, d config.Config) {
	top := event.Topics{Store: d.Sensor.Store, Sensor: d.Sensor.ID}
	kind := "MQTT broker"
	if embedded {
		kind = "embedded MQTT broker (loopback only, stops with the agent)"
	}
	fmt.Fprintf(w, "%s: %s\n", kind, url)
	fmt.Fprintf(w, "  watch it: go run ./tools/ashiato-sub -broker %s   (or: mosquitto_sub -L '%s/%s/#' -v)\n",
		url, strings.Replace(url, "tcp://", "mqtt://", 1), top.Prefix())
	if d.Panel.PNG != "" {
		abs, _ := filepath.Abs(d.Panel.PNG)
		fmt.Fprintf(w, "notice panel image (what the e-ink panel shows): %s\n", abs)
	}
}

// probeLiveCamera checks the camera of a live source without streaming (see board.ProbeCamera); nil for
// other sources. It works from the flags alone when the configuration did not load.
func probeLiveCamera(f flags, cfg *config.Config) error {
	source := f.source
	bo := board.Options{}
	if cfg != nil {
		d := cfg.WithDefaults()
		source = d.Capture.Source
		_, arg, _ := strings.Cut(source, ":")
		bo = boardOptions(d, arg)
	}
	kind, arg, _ := strings.Cut(source, ":")
	if kind != "v4l2" {
		return nil
	}
	if cfg == nil {
		bo.Camera = arg
	}
	_, err := board.ProbeCamera(bo)
	return err
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
	if f.broker != "" { // one broker, in place of the configured node or nodes
		cfg.MQTT.Broker, cfg.MQTT.Brokers = f.broker, nil
	}
	if f.sink != "" {
		if f.sink != "stdout" {
			return nil, fmt.Errorf("ashiato: -sink %q: only stdout is supported", f.sink)
		}
		cfg.MQTT.Broker, cfg.MQTT.Brokers = "stdout", nil
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
	nop := func() {}
	switch kind {
	case "synth":
		devs, err := openSynth(d, log)
		return devs, nop, err
	case "y4m":
		return openY4M(d, arg, log)
	case "v4l2":
		return openBoard(d, arg, log)
	}
	return agent.Devices{}, nop, errors.New("ashiato: unknown source " + d.Capture.Source)
}

// openSynth returns the synthetic camera of d's capture source with a virtual LED.
func openSynth(d config.Config, log *slog.Logger) (agent.Devices, error) {
	opts, err := synth.ParseSpec(d.Capture.Source)
	if err != nil {
		return agent.Devices{}, err
	}
	if d.Capture.Pace == "asap" && !strings.Contains(d.Capture.Source, "pace=") {
		opts.Pace = synth.PaceASAP
	}
	return agent.Devices{Camera: synth.New(opts), LED: &agent.VirtualLED{Log: log}, Indicator: "virtual",
		Panel: pngPanel(d, log), Backpressure: opts.Pace == synth.PaceASAP, Finite: true}, nil
}

// openY4M returns the video at path (- for stdin) as a camera with a virtual LED, and what closes it.
func openY4M(d config.Config, path string, log *slog.Logger) (agent.Devices, func(), error) {
	opts := y4m.Options{Pace: y4m.PaceRealtime}
	if d.Capture.Pace == "asap" {
		opts.Pace = y4m.PaceASAP
	}
	cam, err := y4m.Open(path, opts)
	if err != nil {
		return agent.Devices{}, func() {}, err
	}
	return agent.Devices{Camera: cam, LED: &agent.VirtualLED{Log: log}, Indicator: "virtual", Panel: pngPanel(d, log),
			Backpressure: opts.Pace == y4m.PaceASAP, Finite: true},
		func() { cam.Close() }, nil
}

// openBoard opens the board's devices with the camera at path, and returns them and what closes them. A
// button or panel that fails is left out, with a warning; the LED and camera must work.
func openBoard(d config.Config, path string, log *slog.Logger) (agent.Devices, func(), error) {
	bo := boardOptions(d, path)
	bo.Logger = log.With("component", "board")
	devs, err := board.Open(bo)
	if err != nil {
		return agent.Devices{}, func() {}, err
	}
	var button hal.Button
	switch devs.Button.State {
	case board.Opened:
		button = devs.Button.Dev
	case board.Failed:
		log.Warn("pause button not working; the sensor runs without it", "err", devs.Button.Err)
	}
	var panel hal.Panel
	switch devs.Panel.State {
	case board.Opened:
		panel = devs.Panel.Dev
	case board.Failed:
		log.Warn("notice panel not working; status reports it", "err", devs.Panel.Err)
	case board.Absent:
		log.Info("no notice panel: status reports it; shoppers rely on the printed poster")
	}
	if p := pngPanel(d, log); p != nil {
		if panel == nil {
			panel = p
		} else {
			panel = teePanel{panel, p}
		}
	}
	return agent.Devices{Camera: devs.Camera, LED: devs.LED.Dev, Indicator: devs.Indicator, Panel: panel, Button: button},
		func() {
			if err := devs.Close(); err != nil {
				log.Error("closing devices", "err", err)
			}
		}, nil
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
		Board: d.Board.Name, Camera: path, Panel: d.Board.Panel, LEDPin: d.Board.LEDPin, LEDClass: d.Board.LEDClass,
		ButtonPin: d.Board.ButtonPin, Indicator: d.Privacy.Indicator, ActiveLowLED: d.Board.ActiveLow,
		CameraOptions: v4l2.Options{Width: d.Capture.Width, Height: d.Capture.Height, FPS: d.Capture.FPS,
			StallTimeout: d.Capture.StallTimeout.D()},
	}
}

// loadBoard reads what hwcheck and led-off take from a configuration file: the board part, and the
// tracker's area of interest, privacy zones and edge bands for `hwcheck -roi`; "" means defaults.
func loadBoard(path string) (hwcheck.Setup, error) {
	cfg := &config.Config{}
	if path != "" {
		c, err := config.Load(path)
		if err != nil {
			return hwcheck.Setup{}, err
		}
		cfg = c
	}
	d := cfg.WithDefaults()
	arg := ""
	if kind, a, _ := strings.Cut(d.Capture.Source, ":"); kind == "v4l2" {
		arg = a
	}
	return hwcheck.Setup{Board: boardOptions(d, arg), View: d.Tracker.View()}, nil
}
