package hwcheck

import (
	"bytes"
	"encoding/json"
	"flag"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ashiato/ashiato/board"
	"github.com/ashiato/ashiato/drivers/ledclass/ledclasstest"
)

func TestParseBootConfig(t *testing.T) {
	for _, tc := range []struct {
		text string
		want BootSettings
	}{
		{"dtparam=spi=on\ndtparam=strict_gpiod\n", BootSettings{SPI: true, StrictGPIOD: true}},
		{"dtparam=i2c_arm=on,spi=on,strict_gpiod=on", BootSettings{SPI: true, StrictGPIOD: true}},
		{"#dtparam=spi=on\n  # dtparam=strict_gpiod", BootSettings{}},
		{"dtparam=spi=on\n[pi4]\ndtparam=spi=off\n", BootSettings{}}, // the later line wins
		{"dtparam=spi=on # enable SPI\r\n", BootSettings{SPI: true}},
		{"dtparam=strict_gpiod=off\ndtoverlay=spi0-0cs,cs0_pin=7", BootSettings{SPI0NoCS: true}},
		{"dtoverlay=spi0-1cs\ndtparam=audio=on", BootSettings{}},
	} {
		if got := ParseBootConfig([]byte(tc.text)); got != tc.want {
			t.Errorf("ParseBootConfig(%q) = %+v, want %+v", tc.text, got, tc.want)
		}
	}
}

func TestCheckBootConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	full := Wiring{LEDPin: "GPIO26", Panel: "waveshare213v4"}
	good := write("good.txt", "dtparam=spi=on\ndtparam=strict_gpiod\n")
	if r := checkBootConfig(good, full); r.Status != Pass {
		t.Errorf("good config: %+v", r)
	}
	noSPI := write("nospi.txt", "dtparam=strict_gpiod\n")
	if r := checkBootConfig(noSPI, full); r.Status != Fail || !strings.Contains(r.Hint, "dtparam=spi=on") {
		t.Errorf("no SPI with a panel: %+v", r)
	}
	if r := checkBootConfig(noSPI, Wiring{LEDPin: "GPIO26"}); r.Status != Pass {
		t.Errorf("no SPI and no panel: %+v", r)
	}
	noStrict := write("nostrict.txt", "dtparam=spi=on\ndtoverlay=spi0-0cs\n")
	r := checkBootConfig(noStrict, full)
	if r.Status != Fail || !strings.Contains(r.Hint, "dtparam=strict_gpiod") || !strings.Contains(r.Hint, "remove dtoverlay=spi0-0cs") {
		t.Errorf("no strict_gpiod, spi0-0cs: %+v", r)
	}
	if r := checkBootConfig(filepath.Join(dir, "absent.txt"), full); r.Status != Fail {
		t.Errorf("an explicitly named, absent file: %+v", r)
	}
	if r := checkBootConfig("none", full); r.Status != Skip {
		t.Errorf("none: %+v", r)
	}
}

func TestHeaderPins(t *testing.T) {
	// BCM/header pairs from the Raspberry Pi GPIO pinout (pinout.xyz; the same on every 40-pin board).
	for gpio, pin := range map[string]int{
		"GPIO26": 37, "GPIO16": 36, "GPIO6": 31, "GPIO17": 11, "GPIO25": 22, "GPIO8": 24, "GPIO24": 18,
		"GPIO10": 19, "GPIO11": 23, "GPIO18": 12, "GPIO22": 15, "GPIO27": 13, "GPIO2": 3, "GPIO3": 5, "26": 37,
	} {
		if got, ok := HeaderPin(gpio); !ok || got != pin {
			t.Errorf("HeaderPin(%s) = %d, %v; want %d", gpio, got, ok, pin)
		}
	}
	if _, ok := HeaderPin("P1_37"); ok {
		t.Error("a header alias is not a GPIO name")
	}
	power := map[int]bool{1: true, 2: true, 4: true, 6: true, 9: true, 14: true, 17: true, 20: true, 25: true,
		30: true, 34: true, 39: true}
	seen := map[int]int{}
	for g, p := range headerPins {
		if p < 1 || p > 40 || power[p] {
			t.Errorf("GPIO%d on pin %d, which is not a signal pin", g, p)
		}
		if prev, dup := seen[p]; dup {
			t.Errorf("pin %d is GPIO%d and GPIO%d", p, prev, g)
		}
		seen[p] = g
	}
	if len(headerPins) != 28 {
		t.Errorf("%d GPIOs on the header, want 28 (GPIO0–27)", len(headerPins))
	}
	// Every pin the board profiles and panels use must be on the header, so messages can name it.
	for _, p := range board.Profiles() {
		if !p.Header {
			continue
		}
		for _, n := range []string{p.LEDPin, p.ButtonPin} {
			if _, ok := HeaderPin(n); !ok {
				t.Errorf("profile %s pin %s has no header pin", p.Name, n)
			}
		}
	}
	for _, s := range board.Panels() {
		for _, n := range s.Pins() {
			if _, ok := HeaderPin(n); !ok {
				t.Errorf("panel %s pin %s has no header pin", s.Name, n)
			}
		}
	}
}

func TestTestCard(t *testing.T) {
	w := Wiring{Board: "rpi4b", LEDPin: "GPIO26", ButtonPin: "GPIO16", Panel: "inky-ssd1608", SPIPort: "SPI0.0", Camera: "auto"}
	now := time.Date(2026, 11, 29, 14, 3, 0, 0, time.UTC)
	img := TestCard(image.Rect(0, 0, 250, 122), w, now)
	W, H := 250, 122
	black := func(x, y int) bool { return img.ColorIndexAt(x, y) == 1 }
	for x := range W {
		if !black(x, 0) || !black(x, H-1) {
			t.Fatalf("frame missing at column %d", x)
		}
	}
	for y := range H {
		if !black(0, y) || !black(W-1, y) {
			t.Fatalf("frame missing at row %d", y)
		}
	}
	// The triangle fills the top-left corner and not the top-right one.
	if !black(5, 5) || !black(cardMark-3, 1) || black(cardMark-1, cardMark-1) {
		t.Error("top-left triangle is not where it should be")
	}
	if black(W-10, 40) {
		t.Error("the body's right side should be white")
	}
	// The checkerboard alternates every cardChecker pixels.
	y := H - 6
	for x := 4; x < W-4; x++ {
		if black(x, y) == black(x+cardChecker, y) {
			t.Fatalf("checkerboard does not alternate at x=%d", x)
		}
	}
	// There is white text in the bar and black text in the body.
	whiteInBar, blackInBody := 0, 0
	for y := 3; y < 2+cardBar; y++ {
		for x := cardMark + 3; x < W-3; x++ {
			if !black(x, y) {
				whiteInBar++
			}
		}
	}
	for y := 2 + cardBar + 2; y < H-cardStrip-4; y++ {
		for x := 2; x < W-2; x++ {
			if black(x, y) {
				blackInBody++
			}
		}
	}
	if whiteInBar < 50 || blackInBody < 200 {
		t.Errorf("text pixels: %d white in the bar, %d black in the body", whiteInBar, blackInBody)
	}
	// Pure: the same inputs draw the same pixels; another board draws other pixels.
	if !bytes.Equal(img.Pix, TestCard(image.Rect(0, 0, 250, 122), w, now).Pix) {
		t.Error("TestCard is not deterministic")
	}
	w2 := w
	w2.Board = "rpi5"
	if bytes.Equal(img.Pix, TestCard(image.Rect(0, 0, 250, 122), w2, now).Pix) {
		t.Error("the board name is not drawn")
	}
	// A tiny panel must not panic.
	_ = TestCard(image.Rect(0, 0, 30, 10), w, now)
}

func TestBoardFlags(t *testing.T) {
	load := func(path string) (Setup, error) {
		if path != "/etc/ashiato/ashiato.toml" {
			t.Errorf("loaded %q", path)
		}
		return Setup{Board: board.Options{Board: "rpi4b", LEDPin: "GPIO5", Panel: "inky-ssd1608", ButtonPin: "GPIO6"}}, nil
	}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	var bf boardFlags
	bf.register(fs, load, true)
	if err := fs.Parse([]string{"-config", "/etc/ashiato/ashiato.toml", "-led-pin", "GPIO26", "-width", "320", "-button-pin", "none"}); err != nil {
		t.Fatal(err)
	}
	s, err := bf.options(fs, load, false)
	if err != nil {
		t.Fatal(err)
	}
	o := s.Board
	if o.Board != "rpi4b" || o.LEDPin != "GPIO26" || o.Panel != "inky-ssd1608" || o.ButtonPin != "none" || o.CameraOptions.Width != 320 {
		t.Errorf("options %+v: the config's values, with the flags given overriding them", o)
	}
	d := OpenBoard(o)
	defer d.Close()
	w := d.Wiring
	if w.Model != "Raspberry Pi 4 Model B" || w.ButtonPin != "" || w.Panel != "inky-ssd1608" || w.Camera != "auto" || w.SPIPort != "SPI0.0" {
		t.Errorf("wiring %+v", w)
	}
}

// noGPIO skips a test on a machine that has GPIO or camera devices (a Pi), where the results depend on
// what is wired up.
func noGPIO(t *testing.T) {
	t.Helper()
	for _, g := range []string{"/dev/gpiochip*", "/dev/video*"} {
		if m, _ := filepath.Glob(g); len(m) > 0 {
			t.Skipf("%s exists: this test expects a machine without GPIO or cameras", m[0])
		}
	}
}

func TestMainWithoutHardware(t *testing.T) {
	noGPIO(t)
	var out, errOut bytes.Buffer
	code := Main([]string{"-board", "rpi4b", "-json", "-boot-config", "none", "-frames", "2"}, &out, &errOut, nil)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (checks fail without hardware); stderr:\n%s", code, errOut.String())
	}
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v in %s", err, out.String())
	}
	want(t, rep, CheckBoard, Pass, "rpi4b")
	led := want(t, rep, CheckLED, Fail, "GPIO26", "no GPIO chip", "-led-class")
	if strings.Contains(led.Detail+led.Hint, "group gpio") {
		t.Errorf("a machine with no GPIO chip is told to join group gpio: %+v", led)
	}
	want(t, rep, CheckPanel, Fail) // pins not found
	want(t, rep, CheckCamera, Fail, "USB UVC webcam")
	want(t, rep, CheckCapture, Skip)
	want(t, rep, CheckButton, Fail, "GPIO16", "-button-pin none")
}

func TestMainUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Main([]string{"-h"}, &out, &errOut, nil); code != 0 || !strings.Contains(errOut.String(), "-button") {
		t.Errorf("-h: exit %d, usage %q", code, errOut.String())
	}
	if code := Main([]string{"-config", "x"}, &out, &errOut, nil); code != 2 {
		t.Errorf("-config without a loader: exit %d, want 2", code)
	}
	if code := Main([]string{"extra"}, &out, &errOut, nil); code != 2 {
		t.Errorf("stray argument: exit %d, want 2", code)
	}
	if code := LEDOffMain([]string{"-panel", "x"}, &errOut, nil); code != 2 {
		t.Errorf("led-off takes no -panel: exit %d, want 2", code)
	}
}

func TestLEDOffWithoutHardware(t *testing.T) {
	noGPIO(t)
	err := LEDOff(board.Options{Board: "rpi4b"})
	if err == nil || !strings.Contains(err.Error(), "GPIO26") || !strings.Contains(err.Error(), "no GPIO chip") ||
		!strings.HasPrefix(err.Error(), "hwcheck: ") {
		t.Errorf("LEDOff = %v; want the missing pin named", err)
	}
	if err := LEDOff(board.Options{Indicator: "none"}); err != nil {
		t.Errorf("indicator none: %v", err)
	}
	var errOut bytes.Buffer
	if code := LEDOffMain([]string{"-board", "rpi4b"}, &errOut, nil); code != 1 || !strings.Contains(errOut.String(), "GPIO26") {
		t.Errorf("led-off: exit %d, %q", code, errOut.String())
	}
}

func TestAskOn(t *testing.T) {
	var out bytes.Buffer
	ask := askOn(strings.NewReader("maybe\ny\nNO\n"), &out)
	if ok, err := ask("LED?"); !ok || err != nil {
		t.Errorf("first answer: %v %v", ok, err)
	}
	if ok, err := ask("panel?"); ok || err != nil {
		t.Errorf("second answer: %v %v", ok, err)
	}
	if _, err := ask("more?"); err == nil {
		t.Error("end of input is not an answer")
	}
	if strings.Count(out.String(), "[y/n]") != 4 {
		t.Errorf("prompts: %q", out.String())
	}
}

// led-off switches an LED-class capture LED off too, as the systemd unit's ExecStopPost= needs on the
// generic board.
func TestLEDOffLEDClass(t *testing.T) {
	led := ledclasstest.New(t, "input3::capslock", 1) // lit, as a crashed agent may leave it
	var errOut bytes.Buffer
	if code := LEDOffMain([]string{"-board", "generic", "-led-class", led.Dir}, &errOut, nil); code != 0 {
		t.Fatalf("led-off: exit %d, %s", code, errOut.String())
	}
	if led.On() {
		t.Fatal("led-off left the LED-class LED lit")
	}
}
