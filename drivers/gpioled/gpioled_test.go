package gpioled

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// recPin is a gpiotest.Pin that records every level driven and can be told to fail.
type recPin struct {
	gpiotest.Pin
	mu     sync.Mutex
	levels []gpio.Level
	err    error // if set, Out fails with it and leaves the level unchanged
}

func (p *recPin) Out(l gpio.Level) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	p.levels = append(p.levels, l)
	return p.Pin.Out(l)
}

func TestActiveHigh(t *testing.T) {
	p := &recPin{Pin: gpiotest.Pin{N: "GPIO26", Num: 26, L: gpio.High}}
	l, err := New(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Read(); got != gpio.Low {
		t.Fatalf("after New: pin %s, want Low (off)", got)
	}
	steps := []struct {
		on   bool
		want gpio.Level
	}{{true, gpio.High}, {false, gpio.Low}, {true, gpio.High}}
	for _, s := range steps {
		if err := l.Set(s.on); err != nil {
			t.Fatal(err)
		}
		if got := p.Read(); got != s.want {
			t.Fatalf("Set(%v): pin %s, want %s", s.on, got, s.want)
		}
	}
	if err := l.Halt(); err != nil {
		t.Fatal(err)
	}
	if got := p.Read(); got != gpio.Low {
		t.Fatalf("after Halt: pin %s, want Low", got)
	}
	want := []gpio.Level{gpio.Low, gpio.High, gpio.Low, gpio.High, gpio.Low}
	if !slices.Equal(p.levels, want) {
		t.Fatalf("levels driven %v, want %v", p.levels, want)
	}
}

func TestActiveLow(t *testing.T) {
	p := &recPin{Pin: gpiotest.Pin{N: "GPIO16", Num: 16, L: gpio.Low}}
	l, err := New(p, Options{ActiveLow: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Read(); got != gpio.High {
		t.Fatalf("after New: pin %s, want High (off, active low)", got)
	}
	if err := l.Set(true); err != nil {
		t.Fatal(err)
	}
	if got := p.Read(); got != gpio.Low {
		t.Fatalf("Set(true): pin %s, want Low", got)
	}
	if err := l.Halt(); err != nil {
		t.Fatal(err)
	}
	if got := p.Read(); got != gpio.High {
		t.Fatalf("after Halt: pin %s, want High", got)
	}
}

func TestPlainGpiotestPin(t *testing.T) {
	// The unwrapped periph fake satisfies gpio.PinOut as is.
	p := &gpiotest.Pin{N: "GPIO5", L: gpio.High}
	l, err := New(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Read() != gpio.Low {
		t.Fatal("New did not switch the LED off")
	}
	if err := l.Set(true); err != nil || p.Read() != gpio.High {
		t.Fatalf("Set(true): err %v, pin %s", err, p.Read())
	}
}

func TestNewFailure(t *testing.T) {
	boom := errors.New("boom")
	p := &recPin{Pin: gpiotest.Pin{N: "GPIO26"}, err: boom}
	l, err := New(p, Options{})
	if err == nil {
		t.Fatalf("New succeeded on a failing pin: %v", l)
	}
	if !errors.Is(err, boom) {
		t.Errorf("error %q does not wrap the pin error", err)
	}
	if !strings.HasPrefix(err.Error(), "gpioled:") || !strings.Contains(err.Error(), "GPIO26") {
		t.Errorf("error %q lacks the gpioled: prefix or the pin name", err)
	}
}

func TestSetFailure(t *testing.T) {
	p := &recPin{Pin: gpiotest.Pin{N: "GPIO26"}}
	l, err := New(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("line busy")
	p.mu.Lock()
	p.err = boom
	p.mu.Unlock()
	for _, on := range []bool{true, false} {
		err := l.Set(on)
		if !errors.Is(err, boom) {
			t.Fatalf("Set(%v) = %v, want wrapping %v", on, err, boom)
		}
		if !strings.HasPrefix(err.Error(), "gpioled: ") || !strings.Contains(err.Error(), "GPIO26") {
			t.Fatalf("Set(%v) error %q lacks prefix or pin name", on, err)
		}
	}
	if err := l.Halt(); !errors.Is(err, boom) {
		t.Fatalf("Halt = %v, want wrapping %v", err, boom)
	}
}

func TestNilPin(t *testing.T) {
	if _, err := New(nil, Options{}); err == nil || !strings.HasPrefix(err.Error(), "gpioled:") {
		t.Fatalf("New(nil) = %v, want a gpioled: error", err)
	}
}
