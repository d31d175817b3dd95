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
)

// ConfigLoader maps the agent's configuration file to board options, so that `-config` gives the self-test
// the same board, pins and camera as the agent. Flags given explicitly override what it returns.
type ConfigLoader func(path string) (board.Options, error)

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

// options starts from the config file (if any) and applies the flags that were set.
func (b *boardFlags) options(fs *flag.FlagSet, load ConfigLoader) (board.Options, error) {
	var o board.Options
	if b.config != "" {
		var err error
		if o, err = load(b.config); err != nil {
			return o, err
		}
	}
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
	return o, nil
}

// parse parses args with fs, on which register was called, refuses extra arguments and returns the
// options (see options). Errors go to stderr, prefixed with fs.Name(). When ok is false the caller returns
// code: 0 after -help, 2 for bad flags, an extra argument or a bad configuration.
func (b *boardFlags) parse(fs *flag.FlagSet, args []string, load ConfigLoader, stderr io.Writer) (o board.Options, code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, 0, false
		}
		return o, 2, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return o, 2, false
	}
	o, err := b.options(fs, load)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		return o, 2, false
	}
	return o, 0, true
}

// Main runs `ashiato hwcheck [flags]`: it opens the board, runs every check, prints the report (a table, or
// JSON with -json) on stdout and what to watch for on stderr, and returns the exit code: 0 when no check
// failed, 1 when one did, 2 for bad flags. load may be nil, in which case there is no -config flag. SIGINT
// and SIGTERM end the running check cleanly (camera stopped, LED off).
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
			"  ashiato hwcheck -json                                                 for scripts\n\nflags:\n")
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
	opts, code, ok := bf.parse(fs, args, load, stderr)
	if !ok {
		return code
	}
	o.Progress = stderr
	if *ask {
		o.Confirm = askOn(os.Stdin, stderr)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	d := OpenBoard(opts)
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
	opts, code, ok := bf.parse(fs, args, load, stderr)
	if !ok {
		return code
	}
	if err := LEDOff(opts); err != nil {
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
