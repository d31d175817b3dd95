package haltest

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// Events the fakes record in a History. Tests may record anything else with Add; Check ignores it.
const (
	CameraStart       = "camera start"        // Camera.Start succeeded: frames flow from now on
	CameraStartFailed = "camera start failed" // Camera.Start returned an error
	CameraStop        = "camera stop"         // Camera.Stop was called
	LEDOn             = "led on"              // LED.Set(true) succeeded
	LEDOff            = "led off"             // LED.Set(false) succeeded
	LEDFailed         = "led failed"          // LED.Set failed: the LED's state is unknown
	NoticeOn          = "notice on"           // a public notice now says capture is on (or does not say it is off)
	NoticeOff         = "notice off"          // a public notice now says capture is off (paused or stopped)
)

// Event is one entry of a History.
type Event struct {
	At   time.Time // from History.Clock
	What string    // one of the constants above, or what a test recorded with Add
}

// History is one ordered record shared by several fakes (set their Log field), so that invariants
// spanning devices, such as "the LED is on whenever the camera streams", can be checked over everything
// that happened, in order. It is safe for concurrent use. The zero value is ready to use.
type History struct {
	// Clock gives event times; nil means time.Now (the fake clock inside a testing/synctest bubble).
	Clock func() time.Time

	mu     sync.Mutex
	events []Event
}

// Add records what happened now. A nil History records nothing.
func (h *History) Add(what string) {
	if h == nil {
		return
	}
	now := time.Now
	if h.Clock != nil {
		now = h.Clock
	}
	h.mu.Lock()
	h.events = append(h.events, Event{At: now(), What: what})
	h.mu.Unlock()
}

// Events returns a copy of the events so far, in order.
func (h *History) Events() []Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Event(nil), h.events...)
}

// Count returns how many events are exactly what.
func (h *History) Count(what string) int {
	n := 0
	for _, e := range h.Events() {
		if e.What == what {
			n++
		}
	}
	return n
}

// String lists the events, one per line, for failure messages.
func (h *History) String() string {
	var b strings.Builder
	for i, e := range h.Events() {
		fmt.Fprintf(&b, "  %3d %s %s\n", i, e.At.Format("15:04:05.000"), e.What)
	}
	return b.String()
}

// MaxLEDLag is how long the LED may stay on after the camera stopped, unless switching it failed.
const MaxLEDLag = time.Second

// Violations checks the capture indicator's invariants over the whole history and returns one error per
// breach, each naming the event index:
//
//   - the LED is on whenever the camera streams: it is switched on before CameraStart and off only after
//     CameraStop;
//   - the LED goes off within MaxLEDLag of the camera stopping, unless an LEDFailed event came between;
//   - when the history holds any notice event (the notice is assumed to say "off" before its first one),
//     the camera starts only while the last notice says capture is on, and no notice says capture is off
//     while the camera streams.
func (h *History) Violations() []error {
	evs := h.Events()
	hasNotice := false
	for _, e := range evs {
		hasNotice = hasNotice || e.What == NoticeOn || e.What == NoticeOff
	}
	var errs []error
	bad := func(i int, format string, args ...any) {
		errs = append(errs, fmt.Errorf("history[%d]: %s", i, fmt.Sprintf(format, args...)))
	}
	led, streaming, noticeOn := false, false, false
	var stoppedAt time.Time // while the LED lags behind a stopped camera
	for i, e := range evs {
		switch e.What {
		case LEDOn:
			led, stoppedAt = true, time.Time{}
		case LEDOff:
			if streaming {
				bad(i, "LED switched off while the camera streams")
			}
			led, stoppedAt = false, time.Time{}
		case LEDFailed:
			stoppedAt = time.Time{}
		case CameraStart:
			if !led {
				bad(i, "camera started with the LED off")
			}
			if hasNotice && !noticeOn {
				bad(i, "camera started while the notice said capture was off")
			}
			streaming = true
		case CameraStop:
			if streaming && led {
				stoppedAt = e.At
			}
			streaming = false
		case NoticeOn:
			noticeOn = true
		case NoticeOff:
			if streaming {
				bad(i, "notice says capture is off while the camera streams")
			}
			noticeOn = false
		}
		if led && !streaming && !stoppedAt.IsZero() && e.At.Sub(stoppedAt) > MaxLEDLag {
			bad(i, "LED still on %v after the camera stopped", e.At.Sub(stoppedAt))
			stoppedAt = time.Time{}
		}
	}
	return errs
}

// TB is the part of testing.TB that Check needs.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
}

// Check reports every violation of the invariants (see Violations) as a test error, with the history.
func (h *History) Check(t TB) {
	t.Helper()
	if errs := h.Violations(); len(errs) > 0 {
		for _, err := range errs {
			t.Errorf("%v", err)
		}
		t.Errorf("history:\n%s", h)
	}
}
