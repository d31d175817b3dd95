// Package ledclass implements hal.LED on a Linux LED-class device, /sys/class/leds/<name>/.
//
// The kernel exposes every LED it drives (keyboard lock LEDs, many USB devices' status LEDs, GPIO LEDs
// declared in a device tree, some cameras' own LEDs) as a directory with these files (kernel
// Documentation/ABI/testing/sysfs-class-led and Documentation/leds/leds-class.rst):
//   - brightness: read and write, 0 … max_brightness; 0 is off, and writing 0 also clears any trigger;
//   - max_brightness: read only;
//   - trigger: the kernel event that drives the LED ("none", "kbd-capslock", "mmc0", …), the active one
//     in brackets; writing a name selects it.
//
// New selects the trigger "none", so that nothing but this LED drives it, and switches it off. Set writes
// brightness and then reads it back, so a write the kernel did not apply is an error (unlike a GPIO,
// whose read-back is only the driven level). Neither can tell whether the light physically shines: look
// at it once (ashiato hwcheck blinks it). The trigger is not restored afterwards: the LED belongs to the
// capture indicator.
//
// The files are writable by root only unless a udev rule hands them to a group; errors say so, and what
// to do. The directory is a parameter, so tests use a fake tree of plain files.
package ledclass

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/ashiato/ashiato/hal"
)

// Root is where the kernel lists LED-class devices.
const Root = "/sys/class/leds"

// Dir returns the directory of the LED called name: name itself if it is a path (it contains a slash),
// else Root/name.
func Dir(name string) string {
	if strings.Contains(name, "/") {
		return filepath.Clean(name)
	}
	return filepath.Join(Root, name)
}

// LED is a hal.LED on one LED-class device. It is safe for concurrent use.
type LED struct {
	dir string
	max int // max_brightness: the value written for on

	mu sync.Mutex // serialises write-then-read-back pairs
}

var _ hal.LED = (*LED)(nil)

// New returns the LED whose directory is dir (see Dir), with its trigger set to "none" and switched off.
// It fails, naming the file and saying what to do, if dir is not an LED-class device, its files cannot
// be written, or it does not switch off.
func New(dir string) (*LED, error) {
	l := &LED{dir: dir}
	b, err := os.ReadFile(filepath.Join(dir, "max_brightness"))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("ledclass: %s is not an LED-class device (no max_brightness); "+
				"`ls %s` lists this machine's LEDs: %w", dir, Root, err)
		}
		return nil, l.fileErr("max_brightness", err)
	}
	l.max, err = strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || l.max <= 0 {
		return nil, fmt.Errorf("ledclass: %s: max_brightness %q is not a positive number", dir, strings.TrimSpace(string(b)))
	}
	if err := l.write("trigger", "none"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err := l.Set(false); err != nil {
		return nil, err
	}
	return l, nil
}

// Set switches the LED on (max_brightness) or off (0) and reads the brightness back. An error (prefixed
// "ledclass:" and naming the file) means the LED's state is unknown.
func (l *LED) Set(on bool) error {
	want := 0
	if on {
		want = l.max
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.write("brightness", strconv.Itoa(want)); err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(l.dir, "brightness"))
	if err != nil {
		return l.fileErr("brightness", err)
	}
	got, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || (got != 0) != on {
		return fmt.Errorf("ledclass: %s: wrote brightness %d but it reads back %q; the kernel did not "+
			"switch the LED %s", l.dir, want, strings.TrimSpace(string(b)), onOff(on))
	}
	return nil
}

// Halt switches the LED off.
func (l *LED) Halt() error { return l.Set(false) }

// String names the LED by its directory, for logs.
func (l *LED) String() string { return "ledclass(" + l.dir + ")" }

// write replaces the content of one of the LED's files. The file must exist: sysfs attributes cannot be
// created, so O_CREATE is never used.
func (l *LED) write(name, value string) error {
	f, err := os.OpenFile(filepath.Join(l.dir, name), os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return l.fileErr(name, err)
	}
	_, err = f.WriteString(value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return l.fileErr(name, err)
	}
	return nil
}

// fileErr explains a failure on one of the LED's files and says what to do.
func (l *LED) fileErr(name string, err error) error {
	path := filepath.Join(l.dir, name)
	switch {
	case errors.Is(err, fs.ErrPermission):
		led := filepath.Base(l.dir)
		return fmt.Errorf("ledclass: %s: %w; LED files are writable by root only: run as root, or hand them to "+
			"the service's group with a udev rule such as "+
			`ACTION=="add", SUBSYSTEM=="leds", KERNEL=="%s", RUN+="/bin/chgrp ashiato /sys%%p/brightness /sys%%p/trigger", RUN+="/bin/chmod g+w /sys%%p/brightness /sys%%p/trigger"`,
			path, err, led)
	case errors.Is(err, syscall.EROFS):
		return fmt.Errorf("ledclass: %s: %w; /sys is read-only here (systemd's ProtectKernelTunables=yes): "+
			"allow this LED with ReadWritePaths= on its real directory (readlink -f %s) in a drop-in for the unit",
			path, err, l.dir)
	}
	return fmt.Errorf("ledclass: %s: %w", path, err)
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}
