package ledclass

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ashiato/ashiato/drivers/ledclass/ledclasstest"
)

func TestOnOffAndTrigger(t *testing.T) {
	d := ledclasstest.New(t, "input3::capslock", 1)
	l, err := New(d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if d.On() || d.Trigger() != "none" {
		t.Fatalf("after New: brightness %d, trigger %q; want 0 and none (no kernel event may drive the LED)", d.Brightness(), d.Trigger())
	}
	var got []int
	for _, on := range []bool{true, false, true} {
		if err := l.Set(on); err != nil {
			t.Fatal(err)
		}
		got = append(got, d.Brightness())
	}
	if err := l.Halt(); err != nil {
		t.Fatal(err)
	}
	got = append(got, d.Brightness())
	if want := []int{1, 0, 1, 0}; !equal(got, want) {
		t.Fatalf("brightness after Set(on, off, on), Halt: %v, want %v", got, want)
	}
}

func TestOnIsMaxBrightness(t *testing.T) {
	d := ledclasstest.New(t, "tpacpi::power", 255)
	l, err := New(d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Set(true); err != nil || d.Brightness() != 255 {
		t.Fatalf("Set(true): %v, brightness %d; want 255", err, d.Brightness())
	}
}

func TestNotAnLED(t *testing.T) {
	dir := t.TempDir()
	_, err := New(dir)
	if err == nil || !strings.Contains(err.Error(), "not an LED-class device") || !strings.Contains(err.Error(), Root) {
		t.Fatalf("New on an empty directory = %v", err)
	}
	os.WriteFile(filepath.Join(dir, "max_brightness"), []byte("0\n"), 0o644)
	if _, err := New(dir); err == nil || !strings.Contains(err.Error(), "not a positive number") {
		t.Fatalf("New with max_brightness 0 = %v", err)
	}
}

func TestNewFailure(t *testing.T) {
	d := ledclasstest.New(t, "broken", 1)
	d.Break(t)
	_, err := New(d.Dir)
	if err == nil || !strings.HasPrefix(err.Error(), "ledclass: ") || !strings.Contains(err.Error(), filepath.Join(d.Dir, "brightness")) {
		t.Fatalf("New on a broken LED = %v; want a ledclass: error naming the file", err)
	}
}

func TestSetFailure(t *testing.T) {
	d := ledclasstest.New(t, "unplugged", 1)
	l, err := New(d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	d.Break(t)
	for _, on := range []bool{true, false} {
		if err := l.Set(on); err == nil || !strings.Contains(err.Error(), "brightness") {
			t.Fatalf("Set(%v) on a broken LED = %v", on, err)
		}
	}
	if err := l.Halt(); err == nil {
		t.Fatal("Halt on a broken LED succeeded")
	}
}

// A write the kernel does not apply is caught by the read-back.
func TestReadBack(t *testing.T) {
	d := ledclasstest.New(t, "deaf", 1)
	l, err := New(d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	d.Ignore(t)
	if err := l.Set(true); err == nil || !strings.Contains(err.Error(), "reads back") {
		t.Fatalf("Set(true) on an LED that ignores writes = %v", err)
	}
}

func TestErrorsSayWhatToDo(t *testing.T) {
	l := &LED{dir: "/sys/class/leds/input3::capslock"}
	err := l.fileErr("brightness", &fs.PathError{Op: "open", Path: "x", Err: fs.ErrPermission})
	for _, want := range []string{"/sys/class/leds/input3::capslock/brightness", "udev", `KERNEL=="input3::capslock"`, "root"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("permission error %q lacks %q", err, want)
		}
	}
	if !errors.Is(err, fs.ErrPermission) {
		t.Error("permission error does not wrap fs.ErrPermission")
	}
}

func TestDir(t *testing.T) {
	if Dir("input3::capslock") != "/sys/class/leds/input3::capslock" || Dir("/tmp/x/leds/a/") != "/tmp/x/leds/a" {
		t.Fatal(Dir("input3::capslock"), Dir("/tmp/x/leds/a/"))
	}
}

func TestConcurrentSets(t *testing.T) {
	d := ledclasstest.New(t, "race", 1)
	l, err := New(d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.Set(i%2 == 0); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
