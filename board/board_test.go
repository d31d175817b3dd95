package board

import (
	"bytes"
	"errors"
	"image"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spitest"

	"github.com/ashiato/ashiato/drivers/ledclass/ledclasstest"
	"github.com/ashiato/ashiato/hal"
	"github.com/ashiato/ashiato/hal/haltest"
)

func TestProfilesSanity(t *testing.T) {
	if len(Profiles()) != 5 {
		t.Fatalf("%d profiles, want Zero 2 W, 3B/3B+, 4B, 5 and generic", len(Profiles()))
	}
	seen := map[string]bool{}
	for _, p := range Profiles() {
		if seen[p.Name] {
			t.Errorf("profile %s twice", p.Name)
		}
		seen[p.Name] = true
		if !p.Header {
			if p.Name != "generic" || p.LEDPin != "" || p.ButtonPin != "" || p.Panel != "none" || len(p.DTModels) != 0 {
				t.Errorf("headerless profile %+v; want only generic, with no default LED, button or panel and no detection", p)
			}
			continue
		}
		if p.SPIPort == "" || p.Camera == "" || len(p.DTModels) == 0 {
			t.Errorf("%s: empty SPIPort, Camera or DTModels", p.Name)
		}
		if _, ok := panelByName(p.Panel); !ok {
			t.Errorf("%s: default panel %q unknown", p.Name, p.Panel)
		}
		led, ok := gpioNumber(p.LEDPin)
		if !ok || led < 9 || led > 27 {
			t.Errorf("%s: LED %s should be one of GPIO9–27 (pulled down at boot, so a crash leaves it off)", p.Name, p.LEDPin)
		}
		for _, s := range Panels() {
			used := map[int]string{}
			for _, n := range append(s.Pins(), p.LEDPin, p.ButtonPin) {
				g, ok := gpioNumber(n)
				if !ok {
					t.Errorf("%s+%s: pin name %q is not GPIOn", p.Name, s.Name, n)
					continue
				}
				if prev, dup := used[g]; dup {
					t.Errorf("%s+%s: GPIO%d used twice (%s, %s)", p.Name, s.Name, g, prev, n)
				}
				used[g] = n
			}
		}
	}
}

func TestPanelPinMaps(t *testing.T) {
	// GPIO17 is RST on the Waveshare HAT (epdconfig.py: RST_PIN = 17) and BUSY on the Inky pHAT
	// (inky_ssd1608.py: BUSY_PIN = 17); CS (GPIO8) is never a control pin.
	ws, _ := panelByName("waveshare213v4")
	inky, _ := panelByName("inky-ssd1608")
	if ws.RST != "GPIO17" || inky.Busy != "GPIO17" {
		t.Errorf("GPIO17: Waveshare RST=%s, Inky BUSY=%s", ws.RST, inky.Busy)
	}
	want := map[string][]int{
		"waveshare213v4": {8, 10, 11, 17, 18, 24, 25},
		"inky-ssd1608":   {2, 3, 8, 10, 11, 17, 22, 27},
	}
	for name, nums := range want {
		s, _ := panelByName(name)
		got := map[int]bool{}
		for _, n := range s.Pins() {
			g, _ := gpioNumber(n)
			got[g] = true
		}
		for _, g := range nums {
			if !got[g] {
				t.Errorf("%s: GPIO%d missing from its pin set", name, g)
			}
		}
		if len(got) != len(nums) {
			t.Errorf("%s: %d pins, want %d", name, len(got), len(nums))
		}
		for _, c := range []string{s.DC, s.RST, s.Busy, s.PWR} {
			if samePin(c, "GPIO8") {
				t.Errorf("%s claims CE0 as a GPIO", name)
			}
		}
	}
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct{ model, want string }{
		{"Raspberry Pi Zero 2 W Rev 1.0\x00", "rpizero2w"},
		{"Raspberry Pi 3 Model B Rev 1.2", "rpi3b"},
		{"Raspberry Pi 3 Model B Plus Rev 1.3\x00", "rpi3b"},
		{"Raspberry Pi 4 Model B Rev 1.5\x00", "rpi4b"},
		{"Raspberry Pi 4 Model B Rev 1.1", "rpi4b"},
		{"Raspberry Pi 5 Model B Rev 1.0\x00", "rpi5"},
		{"Raspberry Pi 400 Rev 1.0", ""},
		{"Raspberry Pi 3 Model A Plus Rev 1.0", ""},
		{"Raspberry Pi Zero W Rev 1.1", ""},
		{"Raspberry Pi Compute Module 4 Rev 1.0", ""},
		{"<unknown>", ""},
		{"", ""},
	} {
		p, ok := Detect(tc.model)
		if ok != (tc.want != "") || p.Name != tc.want {
			t.Errorf("Detect(%q) = %q, %v; want %q", tc.model, p.Name, ok, tc.want)
		}
	}
}

// fakeHost is an env with gpiotest pins for the names in pins and spitest ports.
type fakeHost struct {
	mu      sync.Mutex
	pins    map[string]*gpiotest.Pin
	lookups []string
	ports   []*closePort
	spiErr  error
	initErr error
	model   string
	chips   []string // GPIO character devices; nil means none
	access  error    // why none of them opens
}

type closePort struct {
	spitest.Record
	name   string
	closed int
}

func (p *closePort) Close() error { p.closed++; return nil }

func newFakeHost(model string, absent ...string) *fakeHost {
	h := &fakeHost{pins: map[string]*gpiotest.Pin{}, model: model, chips: []string{"/dev/gpiochip0"}}
	for i := 0; i <= 27; i++ {
		n := "GPIO" + itoa(i)
		h.pins[n] = &gpiotest.Pin{N: n, Num: i, EdgesChan: make(chan gpio.Level, 4)}
	}
	for _, n := range absent {
		delete(h.pins, n)
	}
	return h
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

func (h *fakeHost) env() env {
	return env{
		init:  func() error { return h.initErr },
		model: func() string { return h.model },
		pin: func(name string) gpio.PinIO {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.lookups = append(h.lookups, name)
			if p, ok := h.pins[name]; ok {
				return p
			}
			return nil
		},
		openSPI: func(name string) (spi.PortCloser, error) {
			if h.spiErr != nil {
				return nil, h.spiErr
			}
			p := &closePort{name: name}
			h.ports = append(h.ports, p)
			return p, nil
		},
		chips: func() ([]string, error) { return h.chips, h.access },
	}
}

func logTo(buf *bytes.Buffer) *slog.Logger { return slog.New(slog.NewTextHandler(buf, nil)) }

func TestOpenDefaults(t *testing.T) {
	h := newFakeHost("Raspberry Pi 4 Model B Rev 1.5\x00")
	h.pins["GPIO26"].L = gpio.High // Open must switch the LED off
	d, err := open(Options{}, h.env())
	if err != nil {
		t.Fatal(err)
	}
	if d.Wiring.Board != "rpi4b" || d.Panel.State != Opened || d.Button.State != Opened || d.Indicator != "gpio" || d.Camera == nil {
		t.Fatalf("Devices = %+v", d)
	}
	if h.pins["GPIO26"].L != gpio.Low {
		t.Error("LED not switched off at Open")
	}
	if err := d.LED.Dev.Set(true); err != nil || h.pins["GPIO26"].L != gpio.High {
		t.Errorf("LED.Set(true): %v, pin %v", err, h.pins["GPIO26"].L)
	}
	if len(h.ports) != 1 || h.ports[0].name != "SPI0.0" {
		t.Fatalf("SPI ports opened: %+v", h.ports)
	}
	// The panel's pins are left alone until its first Draw (drivers/ssd16xx tests that sequence).
	if h.pins["GPIO18"].L != gpio.Low || h.pins["GPIO24"].P != gpio.PullNoChange { // PWR, BUSY: untouched
		t.Errorf("Open drove the panel's pins: PWR %v, BUSY pull %v", h.pins["GPIO18"].L, h.pins["GPIO24"].P)
	}
	if h.pins["GPIO16"].P != gpio.PullUp { // button
		t.Errorf("button pull %v", h.pins["GPIO16"].P)
	}
	if d.Panel.Dev.Bounds() != image.Rect(0, 0, 250, 122) {
		t.Errorf("panel bounds %v", d.Panel.Dev.Bounds())
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if h.pins["GPIO26"].L != gpio.Low || h.ports[0].closed != 1 {
		t.Errorf("after Close: LED %v, port closed %d times", h.pins["GPIO26"].L, h.ports[0].closed)
	}
	if err := d.Close(); err != nil || h.ports[0].closed != 1 {
		t.Errorf("second Close: %v, port closed %d times", err, h.ports[0].closed)
	}
}

func TestOpenOverrides(t *testing.T) {
	h := newFakeHost("<unknown>") // not consulted: the board is given
	d, err := open(Options{Board: "RPI5", Panel: "inky-ssd1608", LEDPin: "GPIO6", ButtonPin: "none",
		ActiveLowLED: true}, h.env())
	if err != nil {
		t.Fatal(err)
	}
	if d.Wiring.Board != "rpi5" || d.Panel.State != Opened || d.Button.State != Absent || d.Button.Err != nil {
		t.Fatalf("Devices = %+v", d)
	}
	if h.pins["GPIO6"].L != gpio.High {
		t.Error("active-low LED not off (High) at Open")
	}
	for _, n := range h.lookups {
		if n == "GPIO26" || n == "GPIO16" || n == "GPIO18" || n == "GPIO24" {
			t.Errorf("looked up %s, which this configuration does not use", n)
		}
	}

	c, err := resolve(Options{Board: "rpizero2w", Camera: "/dev/video2"}, nil)
	if err != nil || c.camera != "/dev/video2" || c.led != "GPIO26" || c.button != "GPIO16" || c.panel.Name != "waveshare213v4" {
		t.Errorf("resolve = %+v, %v", c, err)
	}
	c, err = resolve(Options{Board: "auto"}, func() string { return "Raspberry Pi 3 Model B Plus Rev 1.3" })
	if err != nil || c.profile.Name != "rpi3b" || c.camera != "auto" {
		t.Errorf("resolve auto = %+v, %v", c, err)
	}
	c, err = resolve(Options{Board: "rpi4b", Panel: "none"}, nil)
	if err != nil || c.panel != nil {
		t.Errorf("Panel none: %+v, %v", c.panel, err)
	}
}

func TestResolveErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"unknown board", Options{Board: "rpi1"}, `unknown board "rpi1"; want auto, generic or one of: rpizero2w, rpi3b, rpi4b, rpi5`},
		{"panel on generic", Options{Board: "generic", Panel: "waveshare213v4"}, `panel waveshare213v4 is a Raspberry Pi HAT`},
		{"unknown panel", Options{Board: "rpi4b", Panel: "epd7in5"}, `unknown panel "epd7in5"`},
		{"unknown indicator", Options{Board: "rpi4b", Indicator: "act"}, `unknown indicator "act"`},
		{"LED none", Options{Board: "rpi4b", LEDPin: "none"}, `LED pin "none" needs indicator "none"`},
		{"LED on panel RST", Options{Board: "rpi4b", LEDPin: "GPIO17"}, "LED pin GPIO17 is used by panel waveshare213v4"},
		{"button on Inky DC", Options{Board: "rpi4b", Panel: "inky-ssd1608", ButtonPin: "22"}, "button pin 22 is used by panel inky-ssd1608"},
		{"LED on Inky EEPROM", Options{Board: "rpi4b", Panel: "inky-ssd1608", LEDPin: "GPIO3"}, "LED pin GPIO3 is used"},
		{"LED is button", Options{Board: "rpi4b", LEDPin: "GPIO16"}, "LED and button both on GPIO16"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := resolve(tc.opts, func() string { return "Raspberry Pi 400 Rev 1.0\x00" })
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "board") {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	// With the panel off, its pins are free.
	if _, err := resolve(Options{Board: "rpi4b", Panel: "none", LEDPin: "GPIO17"}, nil); err != nil {
		t.Errorf("LED on GPIO17 without a panel: %v", err)
	}
}

func TestOpenMissingLED(t *testing.T) {
	h := newFakeHost("Raspberry Pi 4 Model B Rev 1.5", "GPIO26")
	_, err := open(Options{}, h.env())
	if err == nil || !strings.Contains(err.Error(), "LED pin GPIO26 not found") {
		t.Fatalf("Open without LED pin = %v", err)
	}
	if len(h.ports) != 0 {
		t.Error("SPI port opened although Open failed")
	}
}

type failingPin struct{ *gpiotest.Pin }

func (failingPin) Out(gpio.Level) error { return errors.New("EBUSY") }

func TestOpenFailingLED(t *testing.T) {
	h := newFakeHost("Raspberry Pi 5 Model B Rev 1.0")
	e := h.env()
	lookup := e.pin
	e.pin = func(n string) gpio.PinIO {
		if n == "GPIO26" {
			return failingPin{h.pins[n]}
		}
		return lookup(n)
	}
	if _, err := open(Options{}, e); err == nil || !strings.Contains(err.Error(), "EBUSY") {
		t.Fatalf("Open with failing LED = %v", err)
	}
	// OpenEach reports the LED as a value and opens the rest.
	d, err := openEach(Options{}, e)
	if err != nil || d.LED.State != Failed || !strings.Contains(d.LED.Err.Error(), "EBUSY") || d.Panel.State != Opened {
		t.Fatalf("OpenEach with failing LED = %+v, %v", d, err)
	}
	d.Close()
	// Indicator none does not touch the LED at all.
	var logs bytes.Buffer
	d, err = open(Options{Indicator: "none", Logger: logTo(&logs)}, e)
	if err != nil {
		t.Fatal(err)
	}
	if d.Indicator != "none" {
		t.Errorf("Indicator = %q", d.Indicator)
	}
	if err := d.LED.Dev.Set(true); err != nil {
		t.Fatal(err)
	}
	_ = d.LED.Dev.Set(true)
	if n := strings.Count(logs.String(), "LED not driven"); n != 1 {
		t.Errorf("no-op LED logged %d times for one change:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "indicator disabled") {
		t.Errorf("missing warning:\n%s", logs.String())
	}
}

func TestOpenMissingOptionalDevices(t *testing.T) {
	// BUSY (GPIO24) and the button pin are absent: both are reported Failed, with the pin named.
	h := newFakeHost("Raspberry Pi Zero 2 W Rev 1.0", "GPIO24", "GPIO16")
	d, err := open(Options{}, h.env())
	if err != nil {
		t.Fatal(err)
	}
	if d.Panel.State != Failed || !strings.Contains(d.Panel.Err.Error(), "panel pin GPIO24 not found") {
		t.Errorf("panel %v", d.Panel)
	}
	if d.Button.State != Failed || !strings.Contains(d.Button.Err.Error(), "button pin GPIO16 not found") {
		t.Errorf("button %v", d.Button)
	}
	var pe *PinError
	if !errors.As(d.Button.Err, &pe) || pe.Pin != "GPIO16" || pe.Chips != 1 {
		t.Errorf("button error %#v is not a PinError for GPIO16 on a host with one chip", d.Button.Err)
	}
	if len(h.ports) != 0 {
		t.Error("SPI port opened for a panel with a missing pin")
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}

	// An SPI port that cannot be opened fails the panel too, and says what to check.
	h = newFakeHost("Raspberry Pi Zero 2 W Rev 1.0")
	h.spiErr = errors.New("spireg: no port found")
	d, err = open(Options{}, h.env())
	if err != nil {
		t.Fatal(err)
	}
	if d.Panel.State != Failed || d.Button.State != Opened || !strings.Contains(d.Panel.Err.Error(), "SPI port SPI0.0") ||
		!strings.Contains(d.Panel.Err.Error(), "dtparam=spi=on") {
		t.Errorf("panel %v, button %v", d.Panel, d.Button)
	}
	// Configured off: Absent, not Failed.
	d, err = open(Options{Panel: "none", ButtonPin: "none"}, h.env())
	if err != nil || d.Panel.State != Absent || d.Button.State != Absent || d.Panel.Err != nil {
		t.Fatalf("panel %v, button %v, %v", d.Panel, d.Button, err)
	}
}

func TestOpenHostInitError(t *testing.T) {
	h := newFakeHost("Raspberry Pi 4 Model B")
	h.initErr = errors.New("no drivers")
	if _, err := open(Options{}, h.env()); err == nil || !strings.Contains(err.Error(), "board: host init: no drivers") {
		t.Fatalf("Open = %v", err)
	}
}

func TestOpenRealHostWithoutGPIO(t *testing.T) {
	if paths, _ := hostChips(); len(paths) > 0 {
		t.Skip("this machine has GPIO; Open would drive real pins")
	}
	// driverreg.Init with gpioioctl + sysfs succeeds on a machine without GPIO, and the nil pin from
	// gpioreg.ByName becomes a clear error instead of a panic, one that does not send the user to a group
	// that cannot help.
	_, err := Open(Options{Board: "rpi4b"})
	var pe *PinError
	if err == nil || !errors.As(err, &pe) || pe.Chips != 0 || !strings.Contains(err.Error(), "no GPIO chip") ||
		strings.Contains(err.Error(), "group gpio") {
		t.Fatalf("Open = %v", err)
	}
	d, err := Open(Options{Board: "rpi4b", Indicator: "none"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Panel.State != Failed || d.Button.State != Failed {
		t.Errorf("panel %v, button %v on a machine without GPIO", d.Panel, d.Button)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestPinErrorAdvice(t *testing.T) {
	for _, tc := range []struct {
		e        PinError
		want     []string
		wantNot  string
		wantPerm bool
	}{
		{PinError{Role: "LED", Pin: "GPIO26"}, []string{"no GPIO chip", "led_class", "generic"}, "group", false},
		{PinError{Role: "button", Pin: "GPIO16"}, []string{"no GPIO chip", "disable the button"}, "group", false},
		{PinError{Role: "LED", Pin: "GPIO26", Chips: 2, Access: fs.ErrPermission}, []string{"cannot open the GPIO chips", "group gpio", "root"}, "", true},
		{PinError{Role: "LED", Pin: "MY_LED", Chips: 1}, []string{"not found", "gpiochipN/OFFSET", "gpioinfo"}, "group", false},
	} {
		msg := tc.e.Error()
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%+v: %q lacks %q", tc.e, msg, w)
			}
		}
		if tc.wantNot != "" && strings.Contains(msg, tc.wantNot) {
			t.Errorf("%+v: %q mentions %q", tc.e, msg, tc.wantNot)
		}
		if errors.Is(&tc.e, fs.ErrPermission) != tc.wantPerm {
			t.Errorf("%+v: errors.Is(ErrPermission) = %v", tc.e, !tc.wantPerm)
		}
	}
}

func TestChipLine(t *testing.T) {
	for _, tc := range []struct {
		in   string
		chip string
		off  int
		ok   bool
	}{
		{"gpiochip0/17", "gpiochip0", 17, true},
		{"/dev/gpiochip4/26", "gpiochip4", 26, true},
		{"GPIO26", "", 0, false},
		{"gpiochip0/x", "", 0, false},
		{"leds/17", "", 0, false},
	} {
		chip, off, ok := chipLine(tc.in)
		if chip != tc.chip || off != tc.off || ok != tc.ok {
			t.Errorf("chipLine(%q) = %q, %d, %v", tc.in, chip, off, ok)
		}
	}
}

// The generic board: any Linux machine, found by auto-detection where there is no Raspberry Pi (or by
// name, "none" included), with an LED-class capture LED, no panel and no button unless configured.
func TestGenericBoard(t *testing.T) {
	for _, model := range []string{"", "<unknown>", "Raspberry Pi 400 Rev 1.0\x00", "Radxa ROCK 5B"} {
		c, err := resolve(Options{LEDClass: "input3::capslock"}, func() string { return model })
		if err != nil || c.profile.Name != "generic" || c.panel != nil || c.button != "" || c.indicator != "ledclass" {
			t.Errorf("model %q: resolve = %+v, %v; want the generic board with an LED-class LED", model, c, err)
		}
	}
	for _, name := range []string{"generic", "none", "NONE"} {
		if c, err := resolve(Options{Board: name}, nil); err != nil || c.profile.Name != "generic" {
			t.Errorf("board %q: %+v, %v", name, c.profile, err)
		}
	}

	led := ledclasstest.New(t, "input3::capslock", 1)
	h := newFakeHost("")
	h.chips = nil // a PC: no GPIO at all
	d, err := open(Options{LEDClass: led.Dir}, h.env())
	if err != nil {
		t.Fatal(err)
	}
	if d.Wiring.Board != "generic" || d.Indicator != "ledclass" || d.Panel.State != Absent || d.Button.State != Absent ||
		d.Wiring.LED != led.Dir || !d.Wiring.LEDClass || d.Wiring.Camera != "auto" || len(h.lookups) != 0 {
		t.Fatalf("Devices = %+v, GPIO lookups %v", d, h.lookups)
	}
	if led.On() || led.Trigger() != "none" {
		t.Errorf("LED-class LED after Open: brightness %d, trigger %q", led.Brightness(), led.Trigger())
	}
	if err := d.LED.Dev.Set(true); err != nil || !led.On() {
		t.Fatalf("Set(true): %v, on %v", err, led.On())
	}
	if err := d.Close(); err != nil || led.On() {
		t.Fatalf("Close: %v, LED on %v", err, led.On())
	}

	// No LED configured: Open refuses and says how to configure one; OpenEach reports it as a value.
	_, err = open(Options{Board: "generic"}, h.env())
	if err == nil || !strings.Contains(err.Error(), "no capture LED configured") || !strings.Contains(err.Error(), "led_class") {
		t.Fatalf("generic board without an LED: %v", err)
	}
	d, err = openEach(Options{Board: "generic"}, h.env())
	if err != nil || d.LED.State != Failed || d.Camera == nil {
		t.Fatalf("OpenEach generic without an LED: %+v, %v", d, err)
	}

	// A GPIO line by chip and offset, where the machine has one.
	h.pins["gpiochip1/5"] = &gpiotest.Pin{N: "gpiochip1/5", L: gpio.High}
	h.chips = []string{"/dev/gpiochip1"}
	d, err = open(Options{Board: "generic", LEDPin: "gpiochip1/5", ButtonPin: "none"}, h.env())
	if err != nil || d.Indicator != "gpio" || h.pins["gpiochip1/5"].L != gpio.Low {
		t.Fatalf("generic board with a GPIO LED: %+v, %v", d, err)
	}

	// A broken LED-class device fails Open with the driver's explanation.
	led.Break(t)
	if _, err := open(Options{LEDClass: led.Dir}, h.env()); err == nil || !strings.HasPrefix(err.Error(), "board: capture LED: ledclass:") {
		t.Fatalf("broken LED-class LED: %v", err)
	}
}

// Close must stop the camera before it turns the LED off: the LED is never off while frames flow.
func TestCloseStopsCameraBeforeLEDOff(t *testing.T) {
	h := &haltest.History{}
	led := &haltest.LED{Log: h}
	cam := &haltest.Camera{Format: hal.Format{Width: 64, Height: 48}, Log: h}
	if err := led.Set(true); err != nil {
		t.Fatal(err)
	}
	if _, err := cam.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	d := &Devices{LED: opened[hal.LED](led), Camera: cam}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	h.Check(t) // the LED switched off only after the camera stopped
	if cam.IsStreaming() || led.IsOn() || h.Count(haltest.CameraStop) != 1 || h.Count(haltest.LEDOff) != 1 {
		t.Errorf("after Close: streaming %v, LED on %v\n%s", cam.IsStreaming(), led.IsOn(), h)
	}
}
