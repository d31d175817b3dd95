package hwcheck

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ashiato/ashiato/board"
	"github.com/ashiato/ashiato/internal/roiview"
)

// ConfigLoader maps the agent's configuration file to what the self-test needs of it, so that `-config`
// gives the self-test the same board, pins and camera as the agent, and `-roi` the same area of interest.
// "" means the defaults. Flags given explicitly override the board options it returns.
type ConfigLoader func(path string) (Setup, error)

// Setup is what the self-test takes from the agent's configuration.
type Setup struct {
	Board board.Options
	// View is what -roi draws over the frame: tracker.roi, tracker.privacy_zones and the tracker's edge
	// bands.
	View roiview.Layers
}

// boardFlags are the board overrides shared by the subcommands.
type boardFlags struct {
	config                                  string
	board, camera, panel, ledPin, buttonPin string
	ledClass                                string
	activeLow                               bool
	width, height                           int
	fps                                     float64
}

func (b *boardFlags) register(fs *flag.FlagSet, load ConfigLoader, camera bool) {
	if load != nil {
		fs.StringVar(&b.config, "config", "", "agent configuration file (TOML) to take the board settings from")
	}
	fs.StringVar(&b.board, "board", "", "board profile (rpizero2w, rpi3b, rpi4b, rpi5, generic) or auto")
	fs.StringVar(&b.ledPin, "led-pin", "", "GPIO of the capture LED: GPIOn on a Pi or gpiochipN/OFFSET (default: the profile's, GPIO26 on a Pi)")
	fs.StringVar(&b.ledClass, "led-class", "", "capture LED as a Linux LED-class device: a name in /sys/class/leds, or its directory")
	fs.BoolVar(&b.activeLow, "active-low-led", false, "the LED lights when its pin is driven low")
	if !camera {
		return
	}
	fs.StringVar(&b.camera, "camera", "", "V4L2 device path or auto (default: the profile's, auto)")
	fs.StringVar(&b.panel, "panel", "", "panel model (waveshare213v4, inky-ssd1608, inky-ssd1608-red) or none")
	fs.StringVar(&b.buttonPin, "button-pin", "", "GPIO of the pause button, or none (default: the profile's, GPIO16)")
	fs.IntVar(&b.width, "width", 0, "requested frame width (default 640)")
	fs.IntVar(&b.height, "height", 0, "requested frame height (default 480)")
	fs.Float64Var(&b.fps, "fps", 0, "requested frame rate (default 10)")
}

// options starts from the config file (if any; with view also from the defaults when there is none) and
// applies the flags that were set.
func (b *boardFlags) options(fs *flag.FlagSet, load ConfigLoader, view bool) (Setup, error) {
	var s Setup
	if b.config != "" || (view && load != nil) {
		var err error
		if s, err = load(b.config); err != nil {
			return s, err
		}
		if b.config == "" {
			s.Board = board.Options{} // only the view was asked for: the board keeps its own defaults
		}
	}
	o := &s.Board
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "board":
			o.Board = b.board
		case "camera":
			o.Camera = b.camera
		case "panel":
			o.Panel = b.panel
		case "led-pin":
			o.LEDPin = b.ledPin
		case "led-class":
			o.LEDClass = b.ledClass
		case "button-pin":
			o.ButtonPin = b.buttonPin
		case "active-low-led":
			o.ActiveLowLED = b.activeLow
		case "width":
			o.CameraOptions.Width = b.width
		case "height":
			o.CameraOptions.Height = b.height
		case "fps":
			o.CameraOptions.FPS = b.fps
		}
	})
	return s, nil
}

// parse parses args with fs, on which register was called, refuses extra arguments and calls ready (if
// not nil), which may refuse the flags' combination with a message. It then returns the setup (see
// options; view(), if not nil, says whether the view is needed). Errors go to stderr, prefixed with
// fs.Name(). When ok is false the caller returns code: 0 after -help, 2 for bad flags, an extra argument, a
// refused combination or a bad configuration.
func (b *boardFlags) parse(fs *flag.FlagSet, args []string, load ConfigLoader, stderr io.Writer, ready func() error, view func() bool) (s Setup, code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return s, 0, false
		}
		return s, 2, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return s, 2, false
	}
	if ready != nil {
		if err := ready(); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
			return s, 2, false
		}
	}
	s, err := b.options(fs, load, view != nil && view())
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		return s, 2, false
	}
	return s, 0, true
}

// Main runs `ashiato hwcheck [flags]`: it opens the board, runs every check, prints the report (a table, or
// JSON with -json) on stdout and what to watch for on stderr, and returns the exit code: 0 when no check
// failed, 1 when one did, 2 for bad flags. With -roi it runs no check and draws a live frame with the
// configuration's area of interest on stdout instead (ShowROI): 0 when drawn, 1 when it could not be, 2
// when stdout is not a terminal or -json is given, before any device is opened. load may be nil, in which
// case there is no -config flag. SIGINT and SIGTERM end the running check cleanly (camera stopped, LED
// off).
func Main(args []string, stdout, stderr io.Writer, load ConfigLoader) int {
	fs := flag.NewFlagSet("ashiato hwcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: ashiato hwcheck [flags]\n\n"+
			"Installer's self-test: boot config, LED (blinks), panel (test card), camera (formats, then a few\n"+
			"frames with the LED on; only frame rate and brightness are reported), and optionally the button.\n"+
			"Stop the agent first (sudo systemctl stop ashiato): it holds the same devices.\n\n"+
			"examples:\n"+
			"  ashiato hwcheck -config /etc/ashiato/ashiato.toml -ask -button 10s   a Raspberry Pi, as configured\n"+
			"  ashiato hwcheck -board generic -led-class input3::capslock           any Linux machine (ls /sys/class/leds)\n"+
			"  ashiato hwcheck -json                                                 for scripts\n"+
			"  ashiato hwcheck -config /etc/ashiato/ashiato.toml -roi               draw a live frame with tracker.roi\n\n"+
			"-roi runs no check: it grabs -frames frames with the LED on and draws the last in this terminal (24-bit\n"+
			"colour) with the floor area of interest, the privacy zones and the edge bands; never into a file or pipe.\n\nflags:\n")
		fs.PrintDefaults()
	}
	var bf boardFlags
	bf.register(fs, load, true)
	var o Options
	jsonOut := fs.Bool("json", false, "print the report as JSON")
	ask := fs.Bool("ask", false, "ask on stdin whether the LED blinked and the panel shows the card")
	fs.IntVar(&o.Blinks, "blinks", 3, "how many times the LED flashes")
	fs.IntVar(&o.Frames, "frames", 20, "how many frames to grab")
	fs.DurationVar(&o.FrameTimeout, "frame-timeout", 5*time.Second, "longest wait for one frame")
	fs.DurationVar(&o.Button, "button", 0, "wait this long for a button press, e.g. 10s (0 skips the button)")
	fs.StringVar(&o.BootConfig, "boot-config", "", `config.txt to check ("" finds it, none skips)`)
	roi := fs.Bool("roi", false, "draw one live frame in this terminal with tracker.roi, privacy_zones and the edge bands instead of the checks")
	cols := fs.Int("cols", DefaultROICols, "with -roi, the width of the drawing in terminal columns")
	ready := func() error {
		switch {
		case !*roi:
			return nil
		case *jsonOut:
			return errors.New("-roi draws a picture on the terminal; it has no JSON form")
		case !roiview.IsTerminal(stdout):
			return fmt.Errorf("-roi: %w", roiview.ErrNotTerminal)
		}
		return nil
	}
	setup, code, ok := bf.parse(fs, args, load, stderr, ready, func() bool { return *roi })
	if !ok {
		return code
	}
	o.Progress = stderr
	if *ask {
		o.Confirm = askOn(os.Stdin, stderr)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	d := OpenBoard(setup.Board)
	if *roi {
		err := ShowROI(ctx, d, o, stdout, *cols, setup.View)
		if cerr := d.Close(); cerr != nil {
			fmt.Fprintf(stderr, "ashiato hwcheck: closing devices: %v\n", cerr)
		}
		if err != nil {
			fmt.Fprintf(stderr, "ashiato %v\n", err)
			return 1
		}
		return 0
	}
	rep := Run(ctx, d, o)
	if err := d.Close(); err != nil {
		fmt.Fprintf(stderr, "ashiato hwcheck: closing devices: %v\n", err)
	}
	var err error
	if *jsonOut {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "ashiato hwcheck: %v\n", err)
		return 1
	}
	if !rep.OK {
		return 1
	}
	return 0
}

// LEDOffMain runs `ashiato led-off [flags]` for the systemd unit's ExecStopPost=: it switches the capture
// LED off (LEDOff) and returns 0, or prints the error and returns 1 (2 for bad flags). load may be nil.
func LEDOffMain(args []string, stderr io.Writer, load ConfigLoader) int {
	fs := flag.NewFlagSet("ashiato led-off", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var bf boardFlags
	bf.register(fs, load, false)
	setup, code, ok := bf.parse(fs, args, load, stderr, nil, nil)
	if !ok {
		return code
	}
	if err := LEDOff(setup.Board); err != nil {
		fmt.Fprintf(stderr, "ashiato led-off: %v\n", err)
		return 1
	}
	return 0
}

// askOn returns a Confirm that prints the question to out and reads y/yes or n/no from in; anything else
// or end of input is an error (the check then just shows its hint).
func askOn(in io.Reader, out io.Writer) func(string) (bool, error) {
	sc := bufio.NewScanner(in)
	return func(q string) (bool, error) {
		for range 3 {
			fmt.Fprintf(out, "%s [y/n] ", q)
			if !sc.Scan() {
				fmt.Fprintln(out)
				return false, errors.New("hwcheck: no answer")
			}
			switch strings.ToLower(strings.TrimSpace(sc.Text())) {
			case "y", "yes":
				return true, nil
			case "n", "no":
				return false, nil
			}
		}
		return false, errors.New("hwcheck: no answer")
	}
}
