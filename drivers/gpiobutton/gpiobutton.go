// Package gpiobutton implements hal.Button on a periph.io GPIO input wired to ground (internal pull-up,
// pressed = Low), with debouncing.
//
// WaitForEdge is only ever called with a finite, positive timeout: on a Raspberry Pi's gpioioctl pins -1
// returns at once and 0 blocks forever (periph/host#78; periph.io/x/host/v3/gpioioctl gpio.go, WaitForEdge
// sets a read deadline of now+timeout for a non-zero timeout and none for 0), while the gpiotest fakes do
// the opposite.
package gpiobutton

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/ashiato/ashiato/hal"
)

// Options configures a Button. The zero value is a 30 ms debounce with a 200 ms poll.
type Options struct {
	// Debounce is the quiet time that must follow the last falling edge before the level is read: Low then
	// is a press, High a glitch. 0 means 30 ms.
	Debounce time.Duration
	// Poll is the longest single WaitForEdge; it bounds how late WaitPress notices that ctx is done.
	// 0 means 200 ms.
	Poll time.Duration
}

// settleLimit caps how long a burst of edges (a chattering contact, interference) can keep extending the
// quiet-time wait, as a multiple of Debounce; the level is read after that regardless.
const settleLimit = 20

// Button is a hal.Button. WaitPress calls are serialised.
type Button struct {
	pin      gpio.PinIn
	debounce time.Duration
	poll     time.Duration
	now      func() time.Time

	mu sync.Mutex
}

var _ hal.Button = (*Button)(nil)

// New configures pin as an input with the internal pull-up and falling-edge detection, so the button
// must connect the pin to ground. The caller keeps ownership of pin. It returns an error if pin is nil, an
// option is negative, or the pin cannot be configured.
func New(pin gpio.PinIn, opts Options) (*Button, error) {
	if pin == nil {
		return nil, errors.New("gpiobutton: nil pin")
	}
	if opts.Debounce < 0 || opts.Poll < 0 {
		return nil, fmt.Errorf("gpiobutton: negative option (debounce %v, poll %v)", opts.Debounce, opts.Poll)
	}
	b := &Button{pin: pin, debounce: opts.Debounce, poll: opts.Poll, now: time.Now}
	if b.debounce == 0 {
		b.debounce = 30 * time.Millisecond
	}
	if b.poll == 0 {
		b.poll = 200 * time.Millisecond
	}
	if err := pin.In(gpio.PullUp, gpio.FallingEdge); err != nil {
		return nil, fmt.Errorf("gpiobutton: configure %s as pulled-up input with falling edge: %w", pin, err)
	}
	return b, nil
}

// String names the button by its pin, for logs.
func (b *Button) String() string {
	return "gpiobutton(" + b.pin.Name() + ")"
}

// WaitPress blocks until a debounced press and returns the time of its first falling edge, or returns
// ctx.Err() once ctx is done (noticed within Options.Poll or Options.Debounce). A falling edge counts as a
// press only if the pin still reads Low after Debounce without further edges; the bounce edges of an
// accepted press are consumed, so one press is reported once. Holding the button produces no further
// presses.
func (b *Button) WaitPress(ctx context.Context) (time.Time, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		if err := ctx.Err(); err != nil {
			return time.Time{}, err
		}
		if !b.pin.WaitForEdge(b.poll) {
			continue
		}
		t := b.now()
		// Wait for a quiet period; each further edge restarts it.
		limit := t.Add(settleLimit * b.debounce)
		for b.pin.WaitForEdge(b.debounce) {
			if err := ctx.Err(); err != nil {
				return time.Time{}, err
			}
			if b.now().After(limit) {
				break
			}
		}
		if b.pin.Read() == gpio.Low {
			return t, nil
		}
	}
}
