// Package board turns a board profile and a few overrides into the agent's hal devices.
//
// Two kinds of board are known: the Raspberry Pi profiles (40-pin header, an LED and button on GPIO pins,
// an optional e-ink HAT) and the generic board (any Linux machine with a USB camera and no Pi header,
// whose capture LED is a Linux LED-class device or a GPIO line of any /dev/gpiochip*). It is the only
// package that knows pin numbers, SPI port names and camera paths, and the only one besides main that
// initialises periph's host drivers. Only the composition root (main) should import it.
package board

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/spi"

	"github.com/ashiato/ashiato/drivers/gpiobutton"
	"github.com/ashiato/ashiato/drivers/gpioled"
	"github.com/ashiato/ashiato/drivers/ledclass"
	"github.com/ashiato/ashiato/drivers/ssd16xx"
	"github.com/ashiato/ashiato/drivers/v4l2"
	"github.com/ashiato/ashiato/hal"
)

// Options selects a board profile and overrides parts of it. The zero value auto-detects the board and
// uses its defaults.
type Options struct {
	// Board is a profile name such as "rpi4b" or "generic" ("none" is a synonym of "generic"); "" or
	// "auto" detects a Raspberry Pi from the device tree and falls back to "generic" on anything else.
	Board string
	// Camera is a V4L2 device path; "" means the profile's default ("auto": the first capture node).
	Camera string
	// Panel is a panel model ("waveshare213v4", "inky-ssd1608", "inky-ssd1608-red") or "none"; "" means
	// the profile's default. Panels need a Raspberry Pi profile.
	Panel string
	// LEDPin and ButtonPin name GPIO lines: "GPIO26" on a Pi, a line name, or "gpiochipN/OFFSET" on any
	// board with a GPIO character device; "" means the profile's default. ButtonPin "none" disables the
	// button.
	LEDPin, ButtonPin string
	// LEDClass names a Linux LED-class device to use as the capture LED instead of a GPIO pin: a name
	// under /sys/class/leds, or its directory (anything with a slash). "" means none.
	LEDClass string
	// Indicator is "gpio" (or ""): a physical LED (GPIO pin or LED-class device) must work or Open fails.
	// "none" is for development only: no LED is driven, a logging no-op stands in, and capture runs
	// without a visible indicator.
	Indicator string
	// ActiveLowLED means the GPIO LED lights when its pin is driven low.
	ActiveLowLED bool
	// CameraOptions are passed to the V4L2 driver (size, rate, buffers, stall timeout); the zero value
	// means the driver's defaults.
	CameraOptions v4l2.Options
	// Logger receives the no-op LED's lines when Indicator is "none"; nil discards.
	Logger *slog.Logger
}

// State is what Open made of one device.
type State uint8

const (
	// Absent: none is configured (or the board has none). Not an error.
	Absent State = iota
	// Opened: the driver is ready in Dev.
	Opened
	// Failed: a device is configured but could not be opened; Err says why and what to do.
	Failed
)

func (s State) String() string {
	switch s {
	case Absent:
		return "absent"
	case Opened:
		return "opened"
	case Failed:
		return "failed"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// Device is the outcome of opening one device: the driver (Opened), nothing (Absent), or why not (Failed).
// Dev is set only when State is Opened, Err only when it is Failed.
type Device[T any] struct {
	State State
	Dev   T
	Err   error
}

func opened[T any](dev T) Device[T]     { return Device[T]{State: Opened, Dev: dev} }
func failed[T any](err error) Device[T] { return Device[T]{State: Failed, Err: err} }
func (d Device[T]) ok() bool            { return d.State == Opened }
func (d Device[T]) String() string      { return deviceString(d.State, d.Err) }
func deviceString(s State, err error) string {
	if s == Failed {
		return "failed: " + err.Error()
	}
	return s.String()
}

// Wiring is the resolved configuration, names only: what each device is attached to.
type Wiring struct {
	Board string // profile name, e.g. "rpi4b" or "generic"
	Model string // human-readable, e.g. "Raspberry Pi 4 Model B"
	// LED is the capture LED: a GPIO name ("GPIO26", "gpiochip0/17") or, when LEDClass is true, an
	// LED-class directory. "" means none (indicator "none", or none configured).
	LED          string
	LEDClass     bool
	ActiveLowLED bool
	ButtonPin    string // "" none
	Panel        string // panel model; "" none
	SPIPort      string // "" without a panel
	Camera       string // a device path, or "auto"
	Header       bool   // the board has the Raspberry Pi 40-pin header (pin numbers mean something)
}

// Devices are the opened hal devices and what became of each. The camera is always set: it is not
// touched until its Start (see ProbeCamera to check it without streaming).
type Devices struct {
	Wiring Wiring
	Camera hal.Camera
	// LED is the capture indicator. Open guarantees it is Opened; OpenEach reports it as any device.
	// With Indicator "none" it is a logging no-op.
	LED Device[hal.LED]
	// Indicator is "gpio" or "ledclass" when LED drives a physical LED, "none" when it is a no-op.
	Indicator string
	// Panel and Button are optional: Absent, Opened or Failed. A panel that is configured but not
	// connected is only found out by its first Draw (BUSY times out).
	Panel  Device[hal.Panel]
	Button Device[hal.Button]

	port      spi.PortCloser // panel's SPI port, nil if none
	closeOnce sync.Once
	closeErr  error
}

// Open initialises the host drivers (GPIO chardev and sysfs SPI only), resolves the profile and pins,
// and builds the drivers. It fails if the board cannot be determined, a name is unknown, a pin is assigned
// twice, or, unless Indicator is "none", the capture LED cannot be driven. The panel and the button are
// optional: each is reported as Absent, Opened or Failed, never silently replaced. The caller must Close
// the Devices after the agent has stopped.
func Open(opts Options) (*Devices, error) {
	return open(opts, hostEnv())
}

// OpenEach is Open for the installer's self-test: a capture LED that cannot be opened does not fail it
// but is reported in Devices.LED, like the panel and the button. It fails only when the configuration
// cannot be resolved (unknown names, pin clashes, host drivers).
func OpenEach(opts Options) (*Devices, error) {
	return openEach(opts, hostEnv())
}

func open(opts Options, e env) (*Devices, error) { return openDevices(opts, e, true) }

func openEach(opts Options, e env) (*Devices, error) { return openDevices(opts, e, false) }

// openDevices opens the LED first: when requireLED is set and it fails, nothing else is touched.
func openDevices(opts Options, e env, requireLED bool) (*Devices, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c, err := resolve(opts, e.model)
	if err != nil {
		return nil, err
	}
	if err := e.init(); err != nil {
		return nil, fmt.Errorf("board: host init: %w", err)
	}
	d := &Devices{Wiring: c.wiring(opts), Indicator: c.indicator}
	d.LED = openLED(c, opts, e, log.With("board", c.profile.Name))
	if requireLED && !d.LED.ok() {
		return nil, d.LED.Err
	}
	d.Camera = v4l2.Open(c.camera, opts.CameraOptions)
	if c.panel != nil {
		var port spi.PortCloser
		d.Panel, port = openPanel(c.panel, c.profile.SPIPort, e)
		d.port = port
	}
	if c.button != "" {
		d.Button = openButton(c.button, e)
	}
	return d, nil
}

// openLED builds the capture indicator the configuration asks for.
func openLED(c config, opts Options, e env, log *slog.Logger) Device[hal.LED] {
	switch {
	case c.indicator == "none":
		log.Warn("indicator disabled: capture runs without a visible LED (development only)")
		return opened[hal.LED](&noopLED{log: log})
	case c.ledClass != "":
		led, err := ledclass.New(ledclass.Dir(c.ledClass))
		if err != nil {
			return failed[hal.LED](fmt.Errorf("board: capture LED: %w", err))
		}
		return opened[hal.LED](led)
	case c.led == "":
		return failed[hal.LED](noLEDError(c.profile))
	}
	p := e.pin(c.led)
	if p == nil {
		return failed[hal.LED](e.pinError("LED", c.led))
	}
	led, err := gpioled.New(p, gpioled.Options{ActiveLow: opts.ActiveLowLED})
	if err != nil {
		return failed[hal.LED](fmt.Errorf("board: LED on %s: %w", c.led, err))
	}
	return opened[hal.LED](led)
}

// ErrNoLED is returned (wrapped) when a board has no capture LED configured and no default one.
var ErrNoLED = errors.New("no capture LED configured")

// noLEDError explains how to configure a capture LED on a profile that has no default one.
func noLEDError(p Profile) error {
	return fmt.Errorf("board %s: %w: set board.led_class to an LED-class device "+
		"(ls %s; e.g. a keyboard's capslock LED or a USB status light), or board.led_pin to a GPIO line "+
		"(gpiochipN/OFFSET; gpioinfo lists them); privacy.indicator = \"none\" runs without one, for development only. "+
		"On a Raspberry Pi with the 40-pin header, set board.name (%s)", p.Name, ErrNoLED, ledclass.Root, names(profiles, func(p Profile) string { return p.Name }))
}

// config is the resolved set of names.
type config struct {
	profile   Profile
	camera    string
	led       string     // GPIO name; "" when indicator is "none" or the LED is an LED-class device
	ledClass  string     // LED-class name or directory; "" none
	indicator string     // "gpio", "ledclass" or "none"
	panel     *PanelSpec // nil: none
	button    string     // "": none
}

func (c config) wiring(opts Options) Wiring {
	w := Wiring{Board: c.profile.Name, Model: c.profile.Model, LED: c.led, ActiveLowLED: opts.ActiveLowLED,
		ButtonPin: c.button, Camera: c.camera, Header: c.profile.Header}
	if c.ledClass != "" {
		w.LED, w.LEDClass, w.ActiveLowLED = ledclass.Dir(c.ledClass), true, false
	}
	if c.panel != nil {
		w.Panel, w.SPIPort = c.panel.Name, c.profile.SPIPort
	}
	return w
}

// resolve applies opts to the profile and checks the result; it touches no hardware.
func resolve(opts Options, model func() string) (config, error) {
	var c config
	p, err := profileFor(opts.Board, model)
	if err != nil {
		return c, err
	}
	c.profile = p
	c.camera = or(opts.Camera, p.Camera)

	switch strings.ToLower(strings.TrimSpace(opts.Indicator)) {
	case "", "gpio":
		if c.ledClass = strings.TrimSpace(opts.LEDClass); c.ledClass != "" {
			c.indicator = "ledclass"
			break
		}
		c.indicator = "gpio"
		c.led = or(opts.LEDPin, p.LEDPin)
		if strings.EqualFold(c.led, "none") {
			return c, errors.New(`board: the LED is required; LED pin "none" needs indicator "none" (development only)`)
		}
	case "none":
		c.indicator = "none"
	default:
		return c, fmt.Errorf("board: unknown indicator %q; want gpio or none", opts.Indicator)
	}

	if name := or(opts.Panel, p.Panel); !strings.EqualFold(name, "none") {
		s, ok := panelByName(name)
		if !ok {
			return c, fmt.Errorf("board: unknown panel %q; want none or one of: %s", name,
				names(panels, func(s PanelSpec) string { return s.Name }))
		}
		if !p.Header {
			return c, fmt.Errorf("board %s: panel %s is a Raspberry Pi HAT: it needs a Pi profile (%s); "+
				"set board.panel = \"none\"", p.Name, s.Name, names(profiles, func(p Profile) string { return p.Name }))
		}
		c.panel = &s
	}

	if b := or(opts.ButtonPin, p.ButtonPin); b != "" && !strings.EqualFold(b, "none") {
		c.button = b
	}

	// No pin may serve two purposes.
	if c.led != "" && c.button != "" && samePin(c.led, c.button) {
		return c, fmt.Errorf("board: LED and button both on %s", c.led)
	}
	if c.panel != nil {
		for _, pp := range c.panel.Pins() {
			if c.led != "" && samePin(c.led, pp) {
				return c, fmt.Errorf("board: LED pin %s is used by panel %s", c.led, c.panel.Name)
			}
			if c.button != "" && samePin(c.button, pp) {
				return c, fmt.Errorf("board: button pin %s is used by panel %s", c.button, c.panel.Name)
			}
		}
	}
	return c, nil
}

// profileFor returns the profile called name; "" and "auto" detect a Raspberry Pi from the device-tree
// model and fall back to the generic board on any other machine.
func profileFor(name string, model func() string) (Profile, error) {
	switch b := strings.TrimSpace(name); strings.ToLower(b) {
	case "", "auto":
		m := strings.TrimRight(model(), "\x00 \n")
		if p, ok := Detect(m); ok {
			return p, nil
		}
		g := Generic()
		if m != "" && m != "<unknown>" {
			g.Model += fmt.Sprintf(`; device tree model %q is not a supported Raspberry Pi`, m)
		}
		return g, nil
	case "none":
		return Generic(), nil
	default:
		if p, ok := profileByName(b); ok {
			return p, nil
		}
		return Profile{}, fmt.Errorf("board: unknown board %q; want auto, generic or one of: %s", b,
			names(profiles, func(p Profile) string { return p.Name }))
	}
}

func or(v, def string) string {
	if v = strings.TrimSpace(v); v != "" {
		return v
	}
	return def
}

// openPanel resolves the panel's pins, opens its SPI port and builds the driver. On failure nothing stays
// open.
func openPanel(s *PanelSpec, portName string, e env) (Device[hal.Panel], spi.PortCloser) {
	pins := map[string]gpio.PinIO{}
	for _, n := range []string{s.DC, s.RST, s.Busy, s.PWR} {
		if n == "" {
			continue
		}
		p := e.pin(n)
		if p == nil {
			return failed[hal.Panel](fmt.Errorf("panel %s: %w", s.Name, e.pinError("panel", n))), nil
		}
		pins[n] = p
	}
	port, err := e.openSPI(portName)
	if err != nil {
		return failed[hal.Panel](fmt.Errorf("panel %s: SPI port %s: %w (is SPI enabled, dtparam=spi=on, and is the user in group spi?)",
			s.Name, portName, err)), nil
	}
	var pwr gpio.PinOut
	if s.PWR != "" {
		pwr = pins[s.PWR]
	}
	o := s.Opts
	dev, err := ssd16xx.New(port, pins[s.DC], pins[s.RST], pins[s.Busy], pwr, &o)
	if err != nil {
		_ = port.Close()
		return failed[hal.Panel](fmt.Errorf("panel %s: %w", s.Name, err)), nil
	}
	return opened[hal.Panel](dev), port
}

func openButton(name string, e env) Device[hal.Button] {
	p := e.pin(name)
	if p == nil {
		return failed[hal.Button](e.pinError("button", name))
	}
	b, err := gpiobutton.New(p, gpiobutton.Options{})
	if err != nil {
		return failed[hal.Button](fmt.Errorf("board: button on %s: %w", name, err))
	}
	return opened[hal.Button](b)
}

// Close stops the camera, then switches the LED off (never the other way round: the LED must not be off
// while frames flow), halts the panel (deep sleep) and closes its SPI port. It returns every error that
// occurred; calling it again returns the same result.
func (d *Devices) Close() error {
	d.closeOnce.Do(func() {
		var errs []error
		if d.Camera != nil {
			if err := d.Camera.Stop(); err != nil {
				errs = append(errs, err)
			}
		}
		if d.LED.ok() {
			if err := d.LED.Dev.Set(false); err != nil {
				errs = append(errs, err)
			}
		}
		if d.Panel.ok() {
			if err := d.Panel.Dev.Halt(); err != nil {
				errs = append(errs, err)
			}
		}
		if d.port != nil {
			if err := d.port.Close(); err != nil {
				errs = append(errs, fmt.Errorf("board: close SPI port: %w", err))
			}
		}
		d.closeErr = errors.Join(errs...)
	})
	return d.closeErr
}

// ProbeCamera checks, without streaming, that the camera opts names (or the profile's default, "auto")
// can be opened and offers a usable format, and returns its node. It needs neither the board nor the
// LED, so a missing camera is named whatever else is missing. Errors name the device and say what to do.
func ProbeCamera(opts Options) (string, error) {
	return v4l2.Probe(or(opts.Camera, defaultCamera))
}
