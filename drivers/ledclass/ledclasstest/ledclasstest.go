// Package ledclasstest builds fake LED-class devices (a directory of plain files shaped like
// /sys/class/leds/<name>/) for tests of code that drives LEDs through package ledclass.
package ledclasstest

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// Device is one fake LED-class device.
type Device struct {
	// Dir is the device's directory, to pass to ledclass.New (or as a board's LED-class name: it contains
	// a slash).
	Dir string
}

// New creates, under a fresh temporary directory of t, a fake LED called name with the given
// max_brightness, lit at full brightness and driven by the "kbd-capslock" trigger, as a keyboard's Caps
// Lock LED would be before the agent takes it over.
func New(t testing.TB, name string, max int) *Device {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "leds", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	d := &Device{Dir: dir}
	d.put(t, "max_brightness", strconv.Itoa(max))
	d.put(t, "brightness", strconv.Itoa(max))
	d.put(t, "trigger", "none [kbd-capslock] kbd-numlock timer heartbeat")
	return d
}

func (d *Device) put(t testing.TB, name, v string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(d.Dir, name), []byte(v+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Brightness returns the brightness file's value; -1 if it cannot be read or parsed. A plain file, unlike a
// sysfs attribute, is empty between the driver's truncation and its write, so an empty read is read again,
// up to 1000 times. That only narrows the window: a read that races a write from another goroutine can
// still find the file empty (and return -1) when the writer is descheduled, as on a loaded machine. A test
// that needs the LED's state at a moment when it may be being switched must order its read after the
// write (for example by wrapping the hal.LED), not rely on these retries.
func (d *Device) Brightness() int {
	for range 1000 {
		b, err := os.ReadFile(filepath.Join(d.Dir, "brightness"))
		if err != nil {
			return -1
		}
		if len(b) == 0 {
			runtime.Gosched()
			continue
		}
		v, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			return -1
		}
		return v
	}
	return -1
}

// On reports whether the fake LED is lit (brightness above 0).
func (d *Device) On() bool { return d.Brightness() > 0 }

// Trigger returns the trigger file's content, trimmed.
func (d *Device) Trigger() string {
	b, _ := os.ReadFile(filepath.Join(d.Dir, "trigger"))
	return strings.TrimSpace(string(b))
}

// Break makes the brightness file unwritable for anyone, root included (it becomes a directory), so
// every later Set fails as a vanished or broken device would.
func (d *Device) Break(t testing.TB) {
	t.Helper()
	p := filepath.Join(d.Dir, "brightness")
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(p, 0o755); err != nil {
		t.Fatal(err)
	}
}

// Ignore makes the device swallow writes: brightness becomes a link to /dev/null, so it reads back empty,
// as an LED whose driver ignores the value would.
func (d *Device) Ignore(t testing.TB) {
	t.Helper()
	p := filepath.Join(d.Dir, "brightness")
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(os.DevNull, p); err != nil {
		t.Fatal(err)
	}
}
