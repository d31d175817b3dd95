// Package ratelog keeps repeated warnings from flooding the journal: a slog.Handler that lets through at
// most a few records of each message per period and counts the rest.
//
// A sensor in a shop logs to the journal on an SD card. Anything that a remote party can trigger again
// and again (a stream of malformed MQTT commands, a broker that refuses every connection) must not be
// able to fill the card or bury the line that matters. Records below Warn level pass untouched; Warn and
// Error records are limited per message text (the msg of the call, not its attributes), so one noisy
// warning never silences another.
package ratelog

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Defaults of New.
const (
	DefaultBurst  = 5           // records of one message let through per period
	DefaultPeriod = time.Minute // the period
)

// SuppressedKey is the attribute on the first record let through after others of its message were held
// back: how many were.
const SuppressedKey = "suppressed"

// Handler wraps another slog.Handler. It is safe for concurrent use; handlers derived from it with
// WithAttrs or WithGroup share its counts.
type Handler struct {
	next  slog.Handler
	state *state
}

type state struct {
	burst  int
	period time.Duration
	now    func() time.Time

	mu   sync.Mutex
	msgs map[string]*window
}

// window counts one message's records in the current period.
type window struct {
	start      time.Time
	passed     int // records let through since start
	suppressed int // records held back since the last one let through
}

// New returns a Handler that passes at most burst Warn-or-above records of each message per period to
// next; 0 means DefaultBurst and DefaultPeriod. Time comes from time.Now.
func New(next slog.Handler, burst int, period time.Duration) *Handler {
	if burst <= 0 {
		burst = DefaultBurst
	}
	if period <= 0 {
		period = DefaultPeriod
	}
	return &Handler{next: next, state: &state{burst: burst, period: period, now: time.Now, msgs: map[string]*window{}}}
}

// Enabled implements slog.Handler.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// Handle implements slog.Handler: a record over its message's budget is counted and dropped; the next one
// let through carries the count as SuppressedKey.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		return h.next.Handle(ctx, r)
	}
	n, ok := h.state.admit(r.Message)
	if !ok {
		return nil
	}
	if n > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int(SuppressedKey, n))
	}
	return h.next.Handle(ctx, r)
}

// admit decides on one record of msg: whether it passes, and how many were held back before it.
func (s *state) admit(msg string) (suppressed int, ok bool) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.msgs[msg]
	if w == nil {
		if len(s.msgs) >= maxMessages { // messages are the program's own texts; this only bounds memory
			s.prune(now)
		}
		w = &window{start: now}
		s.msgs[msg] = w
	}
	if now.Sub(w.start) >= s.period {
		w.start, w.passed = now, 0
	}
	if w.passed >= s.burst {
		w.suppressed++
		return 0, false
	}
	w.passed++
	n := w.suppressed
	w.suppressed = 0
	return n, true
}

// maxMessages bounds the distinct messages tracked at once.
const maxMessages = 1024

// prune forgets messages whose period has ended and that hold nothing back.
func (s *state) prune(now time.Time) {
	for m, w := range s.msgs {
		if now.Sub(w.start) >= s.period && w.suppressed == 0 {
			delete(s.msgs, m)
		}
	}
}

// WithAttrs implements slog.Handler.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	return &Handler{next: h.next.WithAttrs(as), state: h.state}
}

// WithGroup implements slog.Handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{next: h.next.WithGroup(name), state: h.state}
}
