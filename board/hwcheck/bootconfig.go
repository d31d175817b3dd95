package hwcheck

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// bootConfigPaths are where Raspberry Pi OS keeps config.txt: Bookworm, then older releases.
var bootConfigPaths = []string{"/boot/firmware/config.txt", "/boot/config.txt"}

// BootSettings are the config.txt lines the sensor depends on.
type BootSettings struct {
	SPI         bool // dtparam=spi=on: /dev/spidev0.0 exists for the panel
	StrictGPIOD bool // dtparam=strict_gpiod: released GPIO outputs return to inputs, so a crash turns the LED off
	SPI0NoCS    bool // dtoverlay=spi0-0cs: spidev no longer drives CE0, which the panel driver relies on
}

// ParseBootConfig reads the settings from the text of a config.txt. Conditional sections ([pi4], [cm4], …)
// are not evaluated: a line counts wherever it is, and a later line overrides an earlier one.
func ParseBootConfig(text []byte) BootSettings {
	var s BootSettings
	for _, line := range bytes.Split(text, []byte("\n")) {
		l := string(line)
		if i := strings.IndexByte(l, '#'); i >= 0 {
			l = l[:i]
		}
		key, val, ok := strings.Cut(strings.TrimSpace(l), "=")
		if !ok {
			continue
		}
		switch strings.TrimSpace(key) {
		case "dtparam":
			for _, p := range strings.Split(val, ",") {
				name, v, hasV := strings.Cut(strings.TrimSpace(p), "=")
				on := !hasV || isOn(v)
				switch strings.TrimSpace(name) {
				case "spi":
					s.SPI = on
				case "strict_gpiod":
					s.StrictGPIOD = on
				}
			}
		case "dtoverlay":
			name, _, _ := strings.Cut(strings.TrimSpace(val), ",")
			if strings.TrimSpace(name) == "spi0-0cs" {
				s.SPI0NoCS = true
			}
		}
	}
	return s
}

func isOn(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "on", "true", "yes", "okay", "1":
		return true
	}
	return false
}

// checkBootConfig checks config.txt at path ("" searches the usual places, "none" skips).
func checkBootConfig(path string, w Wiring) Result {
	res := Result{Name: CheckBootConfig}
	if path == "none" {
		res.Status, res.Detail = Skip, "not asked for"
		return res
	}
	if path == "" && !w.Header {
		res.Status, res.Detail = Skip, fmt.Sprintf("board %s has no Raspberry Pi header: no config.txt to check", or(w.Board, "unknown"))
		return res
	}
	paths := bootConfigPaths
	if path != "" {
		paths = []string{path}
	}
	var text []byte
	var err error
	for _, p := range paths {
		if text, err = os.ReadFile(p); err == nil {
			path = p
			break
		}
	}
	if err != nil {
		if path == "" && errors.Is(err, fs.ErrNotExist) {
			res.Status = Skip
			res.Detail = "no " + strings.Join(bootConfigPaths, " or ") + ": not Raspberry Pi OS?"
			return res
		}
		res.Status, res.Detail = Fail, fmt.Sprintf("hwcheck: read boot config: %v", err)
		return res
	}
	s := ParseBootConfig(text)
	var bad, hints, good []string
	if w.Panel != "" {
		if s.SPI {
			good = append(good, "dtparam=spi=on")
		} else {
			bad = append(bad, "SPI is off")
			hints = append(hints, "add dtparam=spi=on (the panel is on SPI0)")
		}
		if s.SPI0NoCS {
			bad = append(bad, "dtoverlay=spi0-0cs is set")
			hints = append(hints, "remove dtoverlay=spi0-0cs (the panel driver leaves chip select to spidev)")
		}
	}
	if w.LEDPin != "" && !w.LEDClass {
		if s.StrictGPIOD {
			good = append(good, "dtparam=strict_gpiod")
		} else {
			bad = append(bad, "strict_gpiod is not set")
			hints = append(hints, "add dtparam=strict_gpiod (without it a crashed agent leaves the LED lit)")
		}
	}
	if len(bad) > 0 {
		res.Status = Fail
		res.Detail = path + ": " + strings.Join(bad, "; ")
		res.Hint = strings.Join(hints, "; ") + " to " + path + ", then reboot"
		return res
	}
	res.Status = Pass
	res.Detail = path + ": " + or(strings.Join(good, ", "), "nothing required")
	return res
}
