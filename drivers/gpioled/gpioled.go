// Package gpioled implements hal.LED on a single periph.io GPIO output pin.
//
// Wiring: GPIO → 330 Ω–1 kΩ → LED anode, cathode → GND is active high (Options{}); a red LED (forward
// voltage about 2 V) then draws about 4 mA from the 3.3 V pin, well under the 16 mA a Raspberry Pi GPIO
// is commonly rated for. An LED wired from 3.3 V to the GPIO is active low (Options{ActiveLow: true}). Out() errors
// are the only "cannot drive" signal a GPIO gives: reading back an output returns the driven level, not the
// LED's physical state, so a broken LED cannot be detected.
package gpioled

import (
	"errors"
	"fmt"
	"sync"

	"periph.io/x/conn/v3/gpio"

	"github.com/ashiato/ashiato/hal"
)

// Options configures an LED. The zero value is an active-high LED.
type Options struct {
	// ActiveLow means the LED lights when the pin is driven low. false means it lights when driven high.
	ActiveLow bool
}

// LED is a hal.LED driving one GPIO output pin. It is safe for concurrent use.
type LED struct {
	pin       gpio.PinOut
	activeLow bool

	mu sync.Mutex // serialises Out calls so Set and Halt from different goroutines cannot interleave
}

var _ hal.LED = (*LED)(nil)

// New returns an LED on pin and switches it off. The caller keeps ownership of pin (and whatever host
// driver backs it); the LED only calls pin.Out. It returns an error naming the pin if pin is nil or if
// switching it off fails, in which case the LED's state is unknown.
func New(pin gpio.PinOut, opts Options) (*LED, error) {
	if pin == nil {
		return nil, errors.New("gpioled: nil pin")
	}
	l := &LED{pin: pin, activeLow: opts.ActiveLow}
	if err := l.Set(false); err != nil {
		return nil, err
	}
	return l, nil
}

// Set switches the LED on or off. An error (prefixed "gpioled:" and naming the pin) means the LED's state
// is unknown.
func (l *LED) Set(on bool) error {
	// Active high: on → High. Active low: on → Low.
	level := gpio.Level(on != l.activeLow)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.pin.Out(level); err != nil {
		state := "off"
		if on {
			state = "on"
		}
		return fmt.Errorf("gpioled: switch %s %s (drive %s): %w", l.pin.Name(), state, level, err)
	}
	return nil
}

// Halt switches the LED off; it is the inert state of periph's conn.Resource.Halt. The pin stays an output
// driven to the off level.
func (l *LED) Halt() error {
	return l.Set(false)
}

// String names the LED by its pin, for logs.
func (l *LED) String() string {
	return "gpioled(" + l.pin.Name() + ")"
}
