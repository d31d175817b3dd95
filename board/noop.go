package board

import (
	"context"
	"image"
	"log/slog"
	"sync"
	"time"
)

// noopLED stands in for the LED when the indicator is disabled; it logs each change of state.
type noopLED struct {
	log *slog.Logger
	mu  sync.Mutex
	on  bool
	set bool
}

func (l *noopLED) Set(on bool) error {
	l.mu.Lock()
	changed := !l.set || l.on != on
	l.on, l.set = on, true
	l.mu.Unlock()
	if changed {
		l.log.Info("indicator none: LED not driven", "on", on)
	}
	return nil
}

// noopPanel stands in for an absent panel: it accepts every image and shows none.
type noopPanel struct{}

func (noopPanel) Bounds() image.Rectangle      { return image.Rect(0, 0, 250, 122) }
func (noopPanel) Draw(image.Image, bool) error { return nil }
func (noopPanel) Halt() error                  { return nil }

// noopButton stands in for an absent button: it is never pressed.
type noopButton struct{}

func (noopButton) WaitPress(ctx context.Context) (time.Time, error) {
	<-ctx.Done()
	return time.Time{}, ctx.Err()
}
