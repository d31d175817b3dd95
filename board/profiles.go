package board

import (
	"strconv"
	"strings"

	"github.com/ashiato/ashiato/drivers/ssd16xx"
)

// Profile is one supported board, as data. The Raspberry Pi profiles share the 40-pin header layout, so
// they differ only in name and detection; they are kept separate so a board can diverge without code
// changes. The generic profile has no header and no default LED, button or panel.
type Profile struct {
	// Name is the value of Options.Board that selects this profile, e.g. "rpi4b".
	Name string
	// Model is a human-readable board name.
	Model string
	// DTModels are prefixes of /proc/device-tree/model that identify the board.
	DTModels []string
	// LEDPin is the capture indicator's GPIO (active high, GPIO → resistor → LED → GND).
	LEDPin string
	// ButtonPin is the pause button's GPIO (to GND, internal pull-up).
	ButtonPin string
	// Panel is the default panel model, a PanelSpec name.
	Panel string
	// SPIPort is the spireg name of the panel's SPI port.
	SPIPort string
	// Camera is the default camera path; "auto" finds the first capture node at each start.
	Camera string
	// Header means the board has the Raspberry Pi 40-pin header, so GPIO numbers map to header pins and
	// the e-ink HATs fit.
	Header bool
}

// PanelSpec is a panel model with its own pin map: the same header pin means different things on
// different HATs (GPIO17 is RST on the Waveshare HAT and BUSY on the Inky pHAT).
type PanelSpec struct {
	// Name is the value of Options.Panel that selects this panel.
	Name string
	// DC, RST and Busy are the control pins; PWR is the panel power switch, "" if the HAT has none.
	DC, RST, Busy, PWR string
	// Reserved are the other pins the HAT occupies (SPI CE0/MOSI/SCLK, Inky's ID EEPROM on I²C); the LED
	// and button must not use them. CS (GPIO8) is driven by spidev, never claimed as a GPIO.
	Reserved []string
	// Opts are the driver options for the panel.
	Opts ssd16xx.Opts
}

// Pins returns every GPIO name the panel uses.
func (s *PanelSpec) Pins() []string {
	p := []string{s.DC, s.RST, s.Busy}
	if s.PWR != "" {
		p = append(p, s.PWR)
	}
	return append(p, s.Reserved...)
}

// Common header facts. GPIO9–GPIO27 are pulled down at reset and GPIO0–GPIO8 up (BCM2835 ARM Peripherals,
// table 6-31, the "Pull" column; the same on the BCM2711), so an LED on GPIO9–27 stays dark while no
// program drives it. GPIO26 (pin 37) sits next to GND (pin 39) and is used by neither HAT below; GPIO16
// (pin 36) is free too. periph's sysfs driver names spidev0.0 "SPI0.0".
const (
	defaultLED    = "GPIO26" // pin 37, next to GND on pin 39; pulled down at boot
	defaultButton = "GPIO16" // pin 36
	defaultPanel  = "waveshare213v4"
	defaultSPI    = "SPI0.0"
	defaultCamera = "auto"
)

// spi0 are SPI0's CE0, MOSI and SCLK. CE0 is driven by the kernel's SPI driver (Raspberry Pi OS Bookworm
// claims GPIO8 as spi0's chip select, as the pimoroni/inky README notes), so it is reserved, never
// requested as a GPIO.
var spi0 = []string{"GPIO8", "GPIO10", "GPIO11"}

var profiles = []Profile{
	{
		Name:      "rpizero2w",
		Model:     "Raspberry Pi Zero 2 W",
		DTModels:  []string{"Raspberry Pi Zero 2 W"},
		LEDPin:    defaultLED,
		ButtonPin: defaultButton,
		Panel:     defaultPanel,
		SPIPort:   defaultSPI,
		Camera:    defaultCamera,
		Header:    true,
	},
	{
		Name:      "rpi3b",
		Model:     "Raspberry Pi 3 Model B / B+",
		DTModels:  []string{"Raspberry Pi 3 Model B"}, // also matches "… Model B Plus Rev 1.3"
		LEDPin:    defaultLED,
		ButtonPin: defaultButton,
		Panel:     defaultPanel,
		SPIPort:   defaultSPI,
		Camera:    defaultCamera,
		Header:    true,
	},
	{
		Name:      "rpi4b",
		Model:     "Raspberry Pi 4 Model B",
		DTModels:  []string{"Raspberry Pi 4 Model B"},
		LEDPin:    defaultLED,
		ButtonPin: defaultButton,
		Panel:     defaultPanel,
		SPIPort:   defaultSPI,
		Camera:    defaultCamera,
		Header:    true,
	},
	{
		Name:      "rpi5",
		Model:     "Raspberry Pi 5",
		DTModels:  []string{"Raspberry Pi 5 Model B"},
		LEDPin:    defaultLED,
		ButtonPin: defaultButton,
		Panel:     defaultPanel,
		SPIPort:   defaultSPI,
		Camera:    defaultCamera,
		Header:    true,
	},
}

// generic is any Linux machine with a USB camera and no Raspberry Pi header: a PC, a NUC, another
// single-board computer. Its capture LED must be configured (an LED-class device or a GPIO line).
var generic = Profile{
	Name:   "generic",
	Model:  "any Linux machine (no Raspberry Pi header)",
	Panel:  "none",
	Camera: defaultCamera,
}

// Generic returns the generic board's profile.
func Generic() Profile { return generic }

var panels = []PanelSpec{
	{
		// Waveshare 2.13" e-Paper HAT V4; PWR exists from HAT Rev2.3 on and is harmless before.
		Name: "waveshare213v4",
		DC:   "GPIO25", RST: "GPIO17", Busy: "GPIO24", PWR: "GPIO18",
		Reserved: spi0,
		Opts:     ssd16xx.WaveshareV4,
	},
	{
		// Pimoroni Inky pHAT SSD1608, black/white (EEPROM display variant 10).
		Name: "inky-ssd1608",
		DC:   "GPIO22", RST: "GPIO27", Busy: "GPIO17",
		Reserved: append([]string{"GPIO2", "GPIO3"}, spi0...), // ID EEPROM on I²C1
		Opts:     ssd16xx.InkySSD1608,
	},
	{
		// Pimoroni Inky pHAT SSD1608, black/white/red (variant 11).
		Name: "inky-ssd1608-red",
		DC:   "GPIO22", RST: "GPIO27", Busy: "GPIO17",
		Reserved: append([]string{"GPIO2", "GPIO3"}, spi0...),
		Opts:     ssd16xx.InkySSD1608Red,
	},
}

// Profiles returns a copy of the supported board profiles: the Raspberry Pis, then the generic board.
func Profiles() []Profile {
	return append(append([]Profile(nil), profiles...), generic)
}

// Panels returns a copy of the supported panel models.
func Panels() []PanelSpec {
	out := make([]PanelSpec, len(panels))
	copy(out, panels)
	return out
}

// Detect returns the profile whose device-tree model prefix matches model, the content of
// /proc/device-tree/model (trailing NULs and spaces are ignored).
func Detect(model string) (Profile, bool) {
	model = strings.TrimRight(model, "\x00 \n")
	for _, p := range profiles {
		for _, m := range p.DTModels {
			if strings.HasPrefix(model, m) {
				return p, true
			}
		}
	}
	return Profile{}, false
}

// profileByName finds a profile by name, ignoring case.
func profileByName(name string) (Profile, bool) {
	for _, p := range Profiles() {
		if strings.EqualFold(p.Name, name) {
			return p, true
		}
	}
	return Profile{}, false
}

func panelByName(name string) (PanelSpec, bool) {
	for _, s := range panels {
		if strings.EqualFold(s.Name, name) {
			return s, true
		}
	}
	return PanelSpec{}, false
}

func names[T any](xs []T, name func(T) string) string {
	var s []string
	for _, x := range xs {
		s = append(s, name(x))
	}
	return strings.Join(s, ", ")
}

// gpioNumber returns n for "GPIOn" or "n"; ok is false for other names (header aliases like "P1_37").
func gpioNumber(name string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimPrefix(strings.ToUpper(name), "GPIO"))
	return n, err == nil && n >= 0
}

// samePin reports whether two pin names certainly denote the same GPIO.
func samePin(a, b string) bool {
	na, oka := gpioNumber(a)
	nb, okb := gpioNumber(b)
	if oka && okb {
		return na == nb
	}
	return strings.EqualFold(a, b)
}
