package board

import (
	"log/slog"
	"sync"
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
