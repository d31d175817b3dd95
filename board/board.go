// Package board turns a Raspberry Pi board profile and a few overrides into the agent's hal devices.
//
// It is the only package that knows pin numbers, SPI port names and camera paths, and the only one besides
// main that initialises periph's host drivers. Only the composition root (main) should import it.
package board

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"periph.io/x/conn/v3/driver/driverreg"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spireg"
	"periph.io/x/host/v3/distro"
	_ "periph.io/x/host/v3/gpioioctl" // GPIO lines through /dev/gpiochip* (Pi 0–5)
	_ "periph.io/x/host/v3/sysfs"     // /dev/spidev* ports

	"github.com/ashiato/ashiato/drivers/gpiobutton"
	"github.com/ashiato/ashiato/drivers/gpioled"
	"github.com/ashiato/ashiato/drivers/ssd16xx"
	"github.com/ashiato/ashiato/drivers/v4l2"
	"github.com/ashiato/ashiato/hal"
)

// Options selects a board profile and overrides parts of it. The zero value auto-detects the board and
// uses its defaults.
type Options struct {
	// Board is a profile name such as "rpi4b"; "" or "auto" detects it from the device tree.
	Board string
	// Camera is a V4L2 device path; "" means the profile's default ("auto": the first capture node).
	Camera string
	// Panel is a panel model ("waveshare213v4", "inky-ssd1608", "inky-ssd1608-red") or "none"; "" means
	// the profile's default.
	Panel string
	// LEDPin and ButtonPin are GPIO names such as "GPIO26"; "" means the profile's default. ButtonPin
	// "none" disables the button.
	LEDPin, ButtonPin string
	// Indicator is "gpio" (or ""): the LED must work or Open fails. "none" is for development only: no
	// LED is driven, a logging no-op stands in, and capture runs without a visible indicator.
	Indicator string
	// ActiveLowLED means the LED lights when its pin is driven low.
	ActiveLowLED bool
	// CameraOptions are passed to the V4L2 driver (size, rate, buffers, stall timeout); the zero value
	// means the driver's defaults.
	CameraOptions v4l2.Options
	// Logger receives one line per disabled optional device; nil discards.
	Logger *slog.Logger
}

// Devices are the opened hal devices. Camera and LED are always set; Panel and Button are no-ops when
// PanelOK or ButtonOK is false.
type Devices struct {
	// Board is the profile name in use.
	Board  string
	Camera hal.Camera
	LED    hal.LED
	Panel  hal.Panel
	Button hal.Button
	// PanelOK and ButtonOK report whether a real driver backs Panel and Button. A panel that is
	// configured but not connected is only found out by its first Draw (BUSY times out).
	PanelOK, ButtonOK bool
	// Indicator is "gpio" when LED drives a real pin, "none" when it is a no-op.
	Indicator string

	port      spi.PortCloser // panel's SPI port, nil if none
	closeOnce sync.Once
	closeErr  error
}

// env is what Open needs from the host; tests replace it.
type env struct {
	init    func() error
	model   func() string
	pin     func(name string) gpio.PinIO // nil if absent
	openSPI func(name string) (spi.PortCloser, error)
}

func hostEnv() env {
	return env{
		init: func() error {
			_, err := driverreg.Init()
			return err
		},
		model:   distro.DTModel,
		pin:     gpioreg.ByName,
		openSPI: spireg.Open,
	}
}

// Open initialises the host drivers (GPIO chardev and sysfs SPI only), resolves the profile and pins,
// and builds the drivers. It fails if the board cannot be determined, a name is unknown, a pin is assigned
// twice, or, unless Indicator is "none", the LED cannot be driven. A missing panel or button is logged
// once and replaced by a no-op. The camera is not touched until its Start. The caller must Close the
// Devices after the agent has stopped.
func Open(opts Options) (*Devices, error) {
	return open(opts, hostEnv())
}

func open(opts Options, e env) (*Devices, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := e.init(); err != nil {
		return nil, fmt.Errorf("board: host init: %w", err)
	}
	c, err := resolve(opts, e.model)
	if err != nil {
		return nil, err
	}
	log = log.With("board", c.profile.Name)
	d := &Devices{Board: c.profile.Name, Indicator: c.indicator}

	// The LED first: without it nothing else matters.
	if c.indicator == "none" {
		log.Warn("indicator disabled: capture runs without a visible LED (development only)")
		d.LED = &noopLED{log: log}
	} else {
		p := e.pin(c.led)
		if p == nil {
			return nil, fmt.Errorf("board: LED pin %s not found (is the GPIO chardev accessible?)", c.led)
		}
		led, err := gpioled.New(p, gpioled.Options{ActiveLow: opts.ActiveLowLED})
		if err != nil {
			return nil, fmt.Errorf("board: LED on %s: %w", c.led, err)
		}
		d.LED = led
	}

	d.Camera = v4l2.Open(c.camera, opts.CameraOptions)

	d.Panel = noopPanel{}
	if c.panel != nil {
		if panel, port, err := openPanel(c.panel, c.profile.SPIPort, e); err != nil {
			log.Warn("panel disabled", "panel", c.panel.Name, "err", err)
		} else {
			d.Panel, d.port, d.PanelOK = panel, port, true
		}
	} else {
		log.Info("panel disabled by configuration")
	}

	d.Button = noopButton{}
	if c.button != "" {
		if b, err := openButton(c.button, e); err != nil {
			log.Warn("button disabled", "pin", c.button, "err", err)
		} else {
			d.Button, d.ButtonOK = b, true
		}
	} else {
		log.Info("button disabled by configuration")
	}
	return d, nil
}

// config is the resolved set of names.
type config struct {
	profile   Profile
	camera    string
	led       string // "" when indicator is "none"
	indicator string
	panel     *PanelSpec // nil: none
	button    string     // "": none
}

// resolve applies opts to the profile and checks the result; it touches no hardware.
func resolve(opts Options, model func() string) (config, error) {
	var c config
	switch b := strings.TrimSpace(opts.Board); strings.ToLower(b) {
	case "", "auto":
		m := model()
		p, ok := Detect(m)
		if !ok {
			return c, fmt.Errorf("board: unknown board model %q; set the board to one of: %s", strings.TrimRight(m, "\x00"),
				names(profiles, func(p Profile) string { return p.Name }))
		}
		c.profile = p
	default:
		p, ok := profileByName(b)
		if !ok {
			return c, fmt.Errorf("board: unknown board %q; want auto or one of: %s", b,
				names(profiles, func(p Profile) string { return p.Name }))
		}
		c.profile = p
	}
	p := c.profile

	c.camera = or(opts.Camera, p.Camera)

	switch strings.ToLower(opts.Indicator) {
	case "", "gpio":
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
		c.panel = &s
	}

	if b := or(opts.ButtonPin, p.ButtonPin); !strings.EqualFold(b, "none") {
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

func or(v, def string) string {
	if v = strings.TrimSpace(v); v != "" {
		return v
	}
	return def
}

// openPanel resolves the panel's pins, opens its SPI port and builds the driver. On error nothing stays
// open.
func openPanel(s *PanelSpec, portName string, e env) (hal.Panel, spi.PortCloser, error) {
	pins := map[string]gpio.PinIO{}
	for _, n := range []string{s.DC, s.RST, s.Busy, s.PWR} {
		if n == "" {
			continue
		}
		p := e.pin(n)
		if p == nil {
			return nil, nil, fmt.Errorf("pin %s not found", n)
		}
		pins[n] = p
	}
	port, err := e.openSPI(portName)
	if err != nil {
		return nil, nil, fmt.Errorf("SPI port %s: %w (is SPI enabled, dtparam=spi=on?)", portName, err)
	}
	var pwr gpio.PinOut
	if s.PWR != "" {
		pwr = pins[s.PWR]
	}
	o := s.Opts
	dev, err := ssd16xx.New(port, pins[s.DC], pins[s.RST], pins[s.Busy], pwr, &o)
	if err != nil {
		_ = port.Close()
		return nil, nil, err
	}
	return dev, port, nil
}

func openButton(name string, e env) (hal.Button, error) {
	p := e.pin(name)
	if p == nil {
		return nil, fmt.Errorf("pin %s not found", name)
	}
	return gpiobutton.New(p, gpiobutton.Options{})
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
		if d.LED != nil {
			if err := d.LED.Set(false); err != nil {
				errs = append(errs, err)
			}
		}
		if d.PanelOK && d.Panel != nil {
			if err := d.Panel.Halt(); err != nil {
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
