package agent

import (
	"log/slog"
	"sync"
)

// VirtualLED is the indicator of replayed and synthetic sources, which film nobody: it logs every change
// instead of lighting anything. It is safe for concurrent use.
type VirtualLED struct {
	Log *slog.Logger // nil discards

	mu sync.Mutex
	on bool
}

// Set implements hal.LED.
func (l *VirtualLED) Set(on bool) error {
	l.mu.Lock()
	changed := l.on != on
	l.on = on
	l.mu.Unlock()
	if changed && l.Log != nil {
		l.Log.Info("indicator (virtual)", "on", on)
	}
	return nil
}

// On reports the last state set.
func (l *VirtualLED) On() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.on
}
