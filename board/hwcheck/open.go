package hwcheck

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/ashiato/ashiato/board"
	"github.com/ashiato/ashiato/drivers/v4l2"
)

// OpenBoard opens the devices of opts with board.Open for Run; it never fails, but records each failure in
// Devices for its check to report. An LED that cannot be driven makes board.Open fail; OpenBoard then
// opens the rest without an indicator, leaves Devices.LED nil and sets LEDErr, so the capture check is
// skipped. opts.Indicator is ignored: the self-test always wants the GPIO LED. The caller must Close the
// Devices.
func OpenBoard(opts board.Options) *Devices {
	opts.Indicator = "gpio"
	rec := &recorder{}
	opts.Logger = slog.New(rec)

	d := &Devices{Wiring: wiring(opts, ""), FindCamera: func() (string, error) { return v4l2.FindCaptureNode() },
		Formats: v4l2.Formats}
	devs, err := board.Open(opts)
	if err != nil {
		noLED := opts
		noLED.Indicator = "none"
		var err2 error
		if devs, err2 = board.Open(noLED); err2 != nil {
			d.BoardErr = err
			return d
		}
		d.LEDErr = err
	} else {
		d.LED = devs.LED
	}
	d.Wiring = wiring(opts, devs.Board)
	d.Camera = devs.Camera
	d.closeFn = devs.Close
	if devs.PanelOK {
		d.Panel = devs.Panel
	} else if d.Wiring.Panel != "" {
		d.PanelErr = rec.failure("panel", "panel not opened")
	}
	if devs.ButtonOK {
		d.Button = devs.Button
	} else if d.Wiring.ButtonPin != "" {
		d.ButtonErr = rec.failure("button", "button not opened")
	}
	return d
}

// wiring resolves the names the way board.Open does, for messages; boardName is the profile in use, or ""
// before one is known.
func wiring(opts board.Options, boardName string) Wiring {
	w := Wiring{Board: or(boardName, opts.Board), ActiveLowLED: opts.ActiveLowLED}
	var p board.Profile
	for _, q := range board.Profiles() {
		if strings.EqualFold(q.Name, w.Board) {
			p = q
		}
	}
	w.Model = p.Model
	w.LEDPin = or(strings.TrimSpace(opts.LEDPin), p.LEDPin)
	w.ButtonPin = or(strings.TrimSpace(opts.ButtonPin), p.ButtonPin)
	w.Panel = or(strings.TrimSpace(opts.Panel), p.Panel)
	w.SPIPort = p.SPIPort
	w.Camera = or(strings.TrimSpace(opts.Camera), p.Camera)
	if strings.EqualFold(w.ButtonPin, "none") {
		w.ButtonPin = ""
	}
	if strings.EqualFold(w.Panel, "none") {
		w.Panel = ""
	}
	return w
}

// LEDOff switches the capture LED of opts off and releases it; it touches nothing else (no panel, button or
// camera). It is meant for `ashiato led-off` in the systemd unit's ExecStopPost=, which runs after the agent
// has exited or crashed and so finds the pin free. opts.Indicator "none" makes it a no-op.
func LEDOff(opts board.Options) error {
	if strings.EqualFold(opts.Indicator, "none") {
		return nil
	}
	opts.Panel, opts.ButtonPin, opts.Indicator = "none", "none", "gpio"
	opts.Logger = nil
	devs, err := board.Open(opts) // gpioled.New drives the pin to off
	if err != nil {
		return fmt.Errorf("hwcheck: LED off: %w", err)
	}
	// Close switches the LED off again; the camera was never started.
	return devs.Close()
}

// recorder is a slog.Handler that keeps board.Open's warnings, which are the only place it says why an
// optional device was disabled.
type recorder struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	r.recs = append(r.recs, rec.Clone())
	r.mu.Unlock()
	return nil
}

func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

// failure returns the error of the first warning whose message starts with what, or fallback.
func (r *recorder) failure(what, fallback string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range r.recs {
		if rec.Level < slog.LevelWarn || !strings.HasPrefix(rec.Message, what) {
			continue
		}
		var err error
		rec.Attrs(func(a slog.Attr) bool {
			if a.Key == "err" {
				if e, ok := a.Value.Any().(error); ok {
					err = e
				} else {
					err = errors.New(a.Value.String())
				}
				return false
			}
			return true
		})
		if err != nil {
			return fmt.Errorf("%s: %w", rec.Message, err)
		}
		return errors.New(rec.Message)
	}
	return errors.New(fallback)
}
