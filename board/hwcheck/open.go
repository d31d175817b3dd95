package hwcheck

import (
	"fmt"
	"strings"

	"github.com/ashiato/ashiato/board"
	"github.com/ashiato/ashiato/drivers/v4l2"
)

// OpenBoard opens the devices of opts with board.OpenEach for Run; it never fails, but records each
// outcome in Devices for its check to report: a board that cannot be resolved in BoardErr, and each
// device that failed to open in LEDErr, PanelErr or ButtonErr. opts.Indicator is ignored: the self-test
// always wants the physical LED. The caller must Close the Devices.
func OpenBoard(opts board.Options) *Devices {
	opts.Indicator = "gpio"
	devs, err := board.OpenEach(opts)
	if err != nil {
		d := FromBoard(&board.Devices{Wiring: board.Wiring{Board: opts.Board, Camera: or(opts.Camera, v4l2.Auto)}})
		d.BoardErr = err
		return d
	}
	return FromBoard(devs)
}

// FromBoard turns what board.OpenEach (or board.Open) made of each device into the Devices Run checks:
// an Opened device is checked, an Absent one skipped, a Failed one reported with its error. Close closes
// devs. The camera checks use the real V4L2 node search and format listing.
func FromBoard(devs *board.Devices) *Devices {
	w := devs.Wiring
	d := &Devices{
		Wiring: Wiring{Board: w.Board, Model: w.Model, LEDPin: w.LED, LEDClass: w.LEDClass, ActiveLowLED: w.ActiveLowLED,
			ButtonPin: w.ButtonPin, Panel: w.Panel, SPIPort: w.SPIPort, Camera: w.Camera, Header: w.Header},
		Camera:     devs.Camera,
		FindCamera: func() (string, error) { return v4l2.FindCaptureNode() },
		Formats:    v4l2.Formats,
		closeFn:    devs.Close,
	}
	d.LED, d.LEDErr = pick(devs.LED)
	d.Panel, d.PanelErr = pick(devs.Panel)
	d.Button, d.ButtonErr = pick(devs.Button)
	return d
}

// pick returns the device if it opened, or the error if it failed; both are zero for an absent device.
func pick[T any](dv board.Device[T]) (T, error) {
	var zero T
	switch dv.State {
	case board.Opened:
		return dv.Dev, nil
	case board.Failed:
		return zero, dv.Err
	}
	return zero, nil
}

// LEDOff switches the capture LED of opts off and releases it; it touches nothing else (no panel, button or
// camera). It is meant for `ashiato led-off` in the systemd unit's ExecStopPost=, which runs after the agent
// has exited or crashed and so finds the LED free. opts.Indicator "none" makes it a no-op.
func LEDOff(opts board.Options) error {
	if strings.EqualFold(opts.Indicator, "none") {
		return nil
	}
	opts.Panel, opts.ButtonPin, opts.Indicator = "none", "none", "gpio"
	opts.Logger = nil
	devs, err := board.Open(opts) // the LED drivers switch it off when they open it
	if err != nil {
		return fmt.Errorf("hwcheck: LED off: %w", err)
	}
	// Close switches the LED off again; the camera was never started.
	return devs.Close()
}
