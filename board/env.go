package board

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"periph.io/x/conn/v3/driver/driverreg"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spireg"
	"periph.io/x/host/v3/distro"
	"periph.io/x/host/v3/gpioioctl" // GPIO lines through /dev/gpiochip* (Pi 0–5 and any other board)
	_ "periph.io/x/host/v3/sysfs"   // /dev/spidev* ports
)

// env is what Open needs from the host; tests replace it.
type env struct {
	init    func() error
	model   func() string
	pin     func(name string) gpio.PinIO // nil if absent
	openSPI func(name string) (spi.PortCloser, error)
	// chips lists the GPIO character devices (/dev/gpiochip*) and, if none of them can be opened, why.
	chips func() (paths []string, access error)
}

func hostEnv() env {
	return env{
		init: func() error {
			_, err := driverreg.Init()
			return err
		},
		model:   distro.DTModel,
		pin:     hostPin,
		openSPI: spireg.Open,
		chips:   hostChips,
	}
}

// hostPin resolves "gpiochipN/OFFSET" through periph's GPIO chardev driver, and anything else (GPIO26,
// a line name) through periph's registry.
func hostPin(name string) gpio.PinIO {
	if chip, off, ok := chipLine(name); ok {
		for _, c := range gpioioctl.Chips {
			if (c.Name() == chip || c.Path() == "/dev/"+chip) && off < c.LineCount() {
				if l := c.ByNumber(off); l != nil {
					return l
				}
			}
		}
		return nil
	}
	if p := gpioreg.ByName(name); p != nil {
		return p
	}
	return nil
}

// chipLine splits "gpiochipN/OFFSET" (or "/dev/gpiochipN/OFFSET").
func chipLine(name string) (chip string, offset int, ok bool) {
	i := strings.LastIndex(name, "/")
	if i < 0 {
		return "", 0, false
	}
	chip = strings.TrimPrefix(name[:i], "/dev/")
	off, err := strconv.Atoi(name[i+1:])
	if err != nil || off < 0 || !strings.HasPrefix(chip, "gpiochip") {
		return "", 0, false
	}
	return chip, off, true
}

func hostChips() ([]string, error) {
	paths, _ := filepath.Glob("/dev/gpiochip*")
	var errs []error
	for _, p := range paths {
		f, err := os.Open(p)
		if err == nil {
			f.Close()
			return paths, nil
		}
		errs = append(errs, err)
	}
	return paths, errors.Join(errs...)
}

// pinError explains why the GPIO called pin (for role: "LED", "button", "panel") was not found on this
// host.
func (e env) pinError(role, pin string) error {
	pe := &PinError{Role: role, Pin: pin}
	if e.chips != nil {
		paths, access := e.chips()
		pe.Chips = len(paths)
		pe.Access = access
	}
	return pe
}

// PinError is returned (wrapped) when a GPIO line cannot be found. Its fields tell why, so callers
// decide from values: a machine without any GPIO chip, chips the user may not open, or no line of
// that name.
type PinError struct {
	Role string // "LED", "button" or "panel"
	Pin  string // the name asked for
	// Chips is the number of GPIO character devices (/dev/gpiochip*) on this machine.
	Chips int
	// Access is why none of the chips could be opened (permission denied, typically), or nil.
	Access error
}

func (e *PinError) Error() string {
	switch {
	case e.Chips == 0:
		what := "use an LED-class device for the capture LED (board.led_class; ls /sys/class/leds)"
		if e.Role != "LED" {
			what = fmt.Sprintf("disable the %s in the configuration", e.Role)
		}
		return fmt.Sprintf("board: %s pin %s: this machine has no GPIO chip (/dev/gpiochip*): %s; "+
			"on a machine without a Raspberry Pi header set board.name = \"generic\"", e.Role, e.Pin, what)
	case e.Access != nil:
		return fmt.Sprintf("board: %s pin %s: cannot open the GPIO chips (%v): add the user to the group that owns "+
			"/dev/gpiochip* (group gpio on Raspberry Pi OS: sudo usermod -aG gpio $USER, then log in again), or run as root",
			e.Role, e.Pin, e.Access)
	}
	return fmt.Sprintf("board: %s pin %s not found: no GPIO line has that name; use GPIOn on a Raspberry Pi, "+
		"a line name, or gpiochipN/OFFSET (gpioinfo lists the lines)", e.Role, e.Pin)
}

// Unwrap returns the access error, so errors.Is(err, fs.ErrPermission) works.
func (e *PinError) Unwrap() error { return e.Access }
