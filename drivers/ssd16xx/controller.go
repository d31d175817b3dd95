package ssd16xx

import (
	"fmt"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/gpio"
)

// controller is the private seam between the command sequences and the bus. Every method is a no-op once
// an error has been recorded (a sticky error, like periph's errorHandler), so a sequence is written
// straight through and checked once at the end.
type controller interface {
	// sendCommand sends one command byte with DC low.
	sendCommand(cmd byte)
	// sendData sends data bytes with DC high, in as many Tx calls as the port's size limit needs.
	sendData(data []byte)
	// waitUntilIdle polls BUSY until it reads idle or timeout passes.
	waitUntilIdle(timeout time.Duration)
	// setRST drives the reset pin.
	setRST(l gpio.Level)
	// power drives the PWR pin, if the board has one.
	power(on bool)
	// listenBusy configures BUSY as an input: pulled towards its busy level while the panel is powered,
	// pulled down (no current into the controller) while it is not.
	listenBusy(powered bool)
	// delay sleeps.
	delay(d time.Duration)
}

// hw is the controller on real pins and an SPI connection.
type hw struct {
	c            conn.Conn
	dc, rst, pwr gpio.PinOut // pwr may be nil
	busy         gpio.PinIn
	busyLevel    gpio.Level // the level BUSY reads while the controller is busy
	busyPull     gpio.Pull  // the pull towards busyLevel
	maxTx        int        // > 0
	poll         time.Duration
	sleep        func(time.Duration)
	now          func() time.Time

	cmd [1]byte
	err error // sticky
}

func (h *hw) setDC(l gpio.Level) {
	if h.err != nil {
		return
	}
	if err := h.dc.Out(l); err != nil {
		h.err = fmt.Errorf("ssd16xx: DC %s: %w", h.dc, err)
	}
}

func (h *hw) tx(b []byte) {
	for len(b) > 0 && h.err == nil {
		n := min(len(b), h.maxTx)
		if err := h.c.Tx(b[:n], nil); err != nil {
			h.err = fmt.Errorf("ssd16xx: SPI write of %d bytes: %w", n, err)
		}
		b = b[n:]
	}
}

func (h *hw) sendCommand(cmd byte) {
	h.setDC(gpio.Low)
	h.cmd[0] = cmd
	h.tx(h.cmd[:])
}

func (h *hw) sendData(data []byte) {
	h.setDC(gpio.High)
	h.tx(data)
}

func (h *hw) waitUntilIdle(timeout time.Duration) {
	if h.err != nil {
		return
	}
	deadline := h.now().Add(timeout)
	for h.busy.Read() == h.busyLevel {
		if !h.now().Before(deadline) {
			h.err = fmt.Errorf("%w: %s still %s after %v", ErrBusyTimeout, h.busy, h.busyLevel, timeout)
			return
		}
		h.sleep(h.poll)
	}
}

func (h *hw) setRST(l gpio.Level) {
	if h.err != nil {
		return
	}
	if err := h.rst.Out(l); err != nil {
		h.err = fmt.Errorf("ssd16xx: RST %s: %w", h.rst, err)
	}
}

func (h *hw) power(on bool) {
	if h.err != nil || h.pwr == nil {
		return
	}
	if err := h.pwr.Out(gpio.Level(on)); err != nil {
		h.err = fmt.Errorf("ssd16xx: PWR %s: %w", h.pwr, err)
	}
}

func (h *hw) delay(d time.Duration) {
	if h.err != nil {
		return
	}
	h.sleep(d)
}

func (h *hw) listenBusy(powered bool) {
	if h.err != nil {
		return
	}
	pull := gpio.PullDown
	if powered {
		pull = h.busyPull
	}
	if err := h.busy.In(pull, gpio.NoEdge); err != nil {
		h.err = fmt.Errorf("ssd16xx: BUSY %s: %w", h.busy, err)
	}
}
