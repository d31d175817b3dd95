// Package sdnotify tells systemd how a service is doing (sd_notify(3)): ready, still alive, stopping.
//
// It is the one place where the agent and the back office talk to the service manager; both import it,
// and it imports nothing of either. The datagrams are sent by github.com/coreos/go-systemd/v22/daemon,
// which uses only the standard library.
//
// Outside systemd (no $NOTIFY_SOCKET) every method is a no-op that returns nil, so callers need no
// special case for a terminal, a test or another init system.
package sdnotify

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// Notifier sends state changes to systemd. The zero value and a nil *Notifier send nothing.
type Notifier struct {
	socket   string        // $NOTIFY_SOCKET at FromEnv; "" means not under a notify-type unit
	watchdog time.Duration // WatchdogSec= of the unit (WATCHDOG_USEC); 0 means no watchdog
}

// FromEnv reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID once. Call it once, early in main. An
// error (a malformed $WATCHDOG_USEC) still returns a usable Notifier, without a watchdog.
func FromEnv() (*Notifier, error) {
	n := &Notifier{socket: os.Getenv("NOTIFY_SOCKET")}
	wd, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		return n, fmt.Errorf("sdnotify: %w", err)
	}
	n.watchdog = wd
	return n, nil
}

// Enabled reports whether the process runs under a unit that listens for notifications (Type=notify, or
// NotifyAccess= set).
func (n *Notifier) Enabled() bool { return n != nil && n.socket != "" }

// WatchdogInterval is the unit's WatchdogSec=: systemd kills the service if no Watchdog ping arrives for
// this long. 0 means no watchdog is configured (or this is not the watched process).
func (n *Notifier) WatchdogInterval() time.Duration {
	if n == nil {
		return 0
	}
	return n.watchdog
}

// Ready says that start-up is finished (READY=1); for Type=notify units systemd holds back units ordered
// after this one until then. status, if not "", is shown by systemctl status.
func (n *Notifier) Ready(status string) error { return n.send("READY=1", status) }

// Watchdog says that the service is making progress (WATCHDOG=1). Callers send it only after checking
// real progress, at least twice per WatchdogInterval.
func (n *Notifier) Watchdog() error { return n.send("WATCHDOG=1", "") }

// Stopping says that a clean shutdown has begun (STOPPING=1), so systemd does not mistake a slow drain for
// a hang.
func (n *Notifier) Stopping(status string) error { return n.send("STOPPING=1", status) }

// Status sets the free-form line shown by systemctl status (STATUS=…). Newlines are replaced by spaces.
func (n *Notifier) Status(status string) error { return n.send("", status) }

func (n *Notifier) send(state, status string) error {
	if !n.Enabled() {
		return nil
	}
	var lines []string
	if state != "" {
		lines = append(lines, state)
	}
	if status != "" {
		lines = append(lines, "STATUS="+strings.NewReplacer("\n", " ", "\r", " ").Replace(status))
	}
	if len(lines) == 0 {
		return nil
	}
	if _, err := daemon.SdNotify(false, strings.Join(lines, "\n")); err != nil {
		return fmt.Errorf("sdnotify: %s: %w", lines[0], err)
	}
	return nil
}

// Feed pings the watchdog every WatchdogInterval/3 for as long as alive returns true, and stops pinging
// (so that systemd restarts the service once the interval runs out) as soon as it returns false. alive
// must report real progress (frames tracked, rows committed since the last call), not merely that the
// process runs. Feed returns when ctx ends, at once and with nil when no watchdog is configured, and with
// the first send error.
func (n *Notifier) Feed(ctx context.Context, alive func() bool) error {
	iv := n.WatchdogInterval()
	if iv <= 0 || !n.Enabled() {
		return nil
	}
	t := time.NewTicker(max(iv/3, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if alive() {
				if err := n.Watchdog(); err != nil {
					return err
				}
			}
		}
	}
}
