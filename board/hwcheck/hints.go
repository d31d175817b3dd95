package hwcheck

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/ashiato/ashiato/board"
	"github.com/ashiato/ashiato/drivers/ssd16xx"
	"github.com/ashiato/ashiato/hal"
)

// headerPins maps a BCM GPIO number to its physical pin on the 40-pin header (the same on every board with
// that header: Zero 2 W, 3B/3B+, 4B, 5).
var headerPins = map[int]int{
	2: 3, 3: 5, 4: 7, 17: 11, 27: 13, 22: 15, 10: 19, 9: 21, 11: 23, 0: 27, 5: 29, 6: 31, 13: 33, 19: 35, 26: 37,
	14: 8, 15: 10, 18: 12, 23: 16, 24: 18, 25: 22, 8: 24, 7: 26, 1: 28, 12: 32, 16: 36, 20: 38, 21: 40,
}

// HeaderPin returns the physical header pin of a GPIO name such as "GPIO26" or "26", and false for other
// names.
func HeaderPin(name string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(name)), "GPIO"))
	if err != nil {
		return 0, false
	}
	p, ok := headerPins[n]
	return p, ok
}

// ledLabel names the capture LED: its pin (see pinLabel) or its LED-class directory.
func ledLabel(w Wiring) string {
	if w.LEDClass {
		return "LED-class device " + w.LEDPin
	}
	return pinLabel(w.LEDPin)
}

// pinLabel spells a GPIO name with its header pin, e.g. "GPIO26 (pin 37)".
func pinLabel(name string) string {
	if name == "" {
		return "the pin"
	}
	if p, ok := HeaderPin(name); ok {
		return fmt.Sprintf("%s (pin %d)", name, p)
	}
	return name
}

func contains(err error, subs ...string) bool {
	s := strings.ToLower(err.Error())
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func isPermission(err error) bool {
	return errors.Is(err, os.ErrPermission) || contains(err, "permission denied", "operation not permitted")
}

func isBusy(err error) bool {
	return errors.Is(err, syscall.EBUSY) || contains(err, "resource busy", "ebusy")
}

const stopService = "another program holds it: stop the agent first (sudo systemctl stop ashiato)"

func boardHint(err error) string {
	switch {
	case contains(err, "unknown board", "unknown panel", "unknown indicator"):
		return "check the spelling of -board / -panel (see ashiato hwcheck -h)"
	case contains(err, "is a raspberry pi hat"):
		return "the e-ink HATs need a Raspberry Pi profile: -panel none on the generic board"
	case contains(err, "used by panel", "both on"):
		return "two functions share a pin: choose another -led-pin or -button-pin (e.g. GPIO26 for the LED, GPIO16 or GPIO6 for the button)"
	}
	return ""
}

// gpioHint says what to do about a GPIO line that was not found, from what board found on this machine;
// ok is false if err is not about a missing line.
func gpioHint(err error, role string) (hint string, ok bool) {
	var pe *board.PinError
	if !errors.As(err, &pe) {
		return "", false
	}
	switch {
	case pe.Chips == 0 && role == "LED":
		return "this machine has no GPIO chip (no /dev/gpiochip*): use an LED-class device instead, " +
			"-board generic -led-class NAME (ls /sys/class/leds lists them: a keyboard's capslock LED, a USB status light)", true
	case pe.Chips == 0:
		return fmt.Sprintf("this machine has no GPIO chip (no /dev/gpiochip*): -%s-pin none", role), true
	case pe.Access != nil:
		return "no access to /dev/gpiochip*: add the user to the group that owns them (ls -l /dev/gpiochip*; " +
			"group gpio on Raspberry Pi OS: sudo usermod -aG gpio $USER, then log in again), or run with sudo", true
	}
	return fmt.Sprintf("no GPIO line called %s: on a Raspberry Pi use GPIOn; elsewhere a line name or gpiochipN/OFFSET "+
		"(gpioinfo lists them)", pe.Pin), true
}

func ledHint(err error, w Wiring) string {
	if h, ok := gpioHint(err, "LED"); ok {
		return h
	}
	pin := ledLabel(w)
	switch {
	case errors.Is(err, board.ErrNoLED):
		return "configure the capture LED: -led-class NAME (ls /sys/class/leds), or -led-pin with a GPIO line " +
			"(gpiochipN/OFFSET); in the agent's configuration board.led_class or board.led_pin"
	case w.LEDClass && isPermission(err):
		return "the LED's sysfs files are writable by root only: run with sudo, or install the udev rule the error names"
	case w.LEDClass && contains(err, "not an led-class device"):
		return "no such LED: ls /sys/class/leds lists this machine's LED-class devices"
	case w.LEDClass && contains(err, "read-only file system"):
		return "/sys is read-only here (systemd's ProtectKernelTunables=yes): allow the LED's directory with ReadWritePaths="
	case isBusy(err):
		return fmt.Sprintf("%s is in use: %s, or remove the overlay that claims it", pin, stopService)
	case isPermission(err):
		return "no access to /dev/gpiochip*: add the user to group gpio or run with sudo"
	case contains(err, "used by panel", "both on", "the led is required"):
		return "choose a free -led-pin between GPIO9 and GPIO27 (pulled down at boot), e.g. GPIO26 (pin 37)"
	}
	return fmt.Sprintf("%s could not be driven; check that nothing else uses it", pin)
}

func panelHint(err error, w Wiring) string {
	if h, ok := gpioHint(err, "panel"); ok {
		return h
	}
	switch {
	case errors.Is(err, ssd16xx.ErrBusyTimeout):
		h := "BUSY never cleared: the HAT is not seated on all 40 pins, the -panel model is wrong " +
			"(waveshare213v4, inky-ssd1608, inky-ssd1608-red), or the panel's ribbon cable is loose"
		if strings.HasPrefix(w.Panel, "waveshare") {
			h += "; a Waveshare HAT Rev2.3 also needs its PWR pin, GPIO18 (pin 12)"
		}
		return h
	case contains(err, "spi port", "spireg", "spidev"):
		return "SPI is off or not accessible: add dtparam=spi=on to /boot/firmware/config.txt and reboot; " +
			"the user needs group spi (ls -l /dev/spidev0.0)"
	case isBusy(err):
		return "a panel pin or the SPI port is in use: " + stopService
	case contains(err, "maximum tx length"):
		return "spidev's buffer is too small; the driver chunks at 4096 bytes, so check /sys/module/spidev/parameters/bufsiz"
	}
	return "check the HAT is seated and the -panel model matches it"
}

func cameraHint(err error) string {
	switch {
	case contains(err, "lists no usable format"):
		return "this looks like a Pi Camera Module's CSI receiver (raw Bayer): it needs libcamera, which a V4L2 program " +
			"cannot drive on Bookworm, so it is not supported; plug a USB UVC webcam"
	case errors.Is(err, hal.ErrGone), errors.Is(err, os.ErrNotExist), contains(err, "no video device", "no such file"):
		return "no capture node: plug a USB UVC webcam (a Pi Camera Module needs libcamera and is not supported) " +
			"and check lsusb and ls /dev/v4l/by-id/"
	case isPermission(err):
		return "no access to the camera: add the user to group video (sudo usermod -aG video $USER, then log in again) or run with sudo"
	case isBusy(err):
		return "the camera is in use: " + stopService
	case contains(err, "no usable capture node", "not a video capture", "no capture formats"):
		return "no node delivers frames: plug a USB UVC webcam; a Pi Camera Module needs libcamera and is not supported"
	}
	return "unplug and replug the webcam, then check dmesg for uvcvideo errors"
}

func captureHint(err error) string {
	switch {
	case errors.Is(err, context.Canceled):
		return "interrupted before all frames were grabbed; the camera was stopped and the LED switched off"
	case errors.Is(err, hal.ErrStalled):
		return "the camera opened but sent no frames: give it more power (a powered USB hub), try a smaller size " +
			"(-width 320 -height 240), or another program may be reading it"
	case errors.Is(err, hal.ErrGone):
		return "the camera vanished while streaming: a loose cable, or its USB power dropped (use a powered hub)"
	case contains(err, "another size"):
		return "the camera ignored the requested size: choose one it lists (see the camera check) with -width and -height"
	case isBusy(err):
		return "the camera is in use: " + stopService
	case isPermission(err):
		return "no access to the camera: add the user to group video or run with sudo"
	}
	return cameraHint(err)
}

func buttonHint(err error, w Wiring) string {
	if h, ok := gpioHint(err, "button"); ok {
		return h
	}
	switch {
	case isBusy(err):
		return pinLabel(w.ButtonPin) + " is in use: " + stopService
	}
	return "the button is optional: -button-pin none disables it"
}
