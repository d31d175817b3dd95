package sdnotify

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// listen opens a real unixgram socket as systemd does and points $NOTIFY_SOCKET at it.
func listen(t *testing.T) *net.UnixConn {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	return c
}

// recv reads one datagram; the deadline only bounds a broken test.
func recv(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("no datagram: %v", err)
	}
	return string(buf[:n])
}

// pending reports whether a datagram is queued, without waiting for one.
func pending(t *testing.T, c *net.UnixConn) bool {
	t.Helper()
	c.SetReadDeadline(time.Now())
	buf := make([]byte, 4096)
	_, err := c.Read(buf)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

func TestMessages(t *testing.T) {
	c := listen(t)
	t.Setenv("WATCHDOG_USEC", "30000000")
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	n, err := FromEnv()
	if err != nil || !n.Enabled() || n.WatchdogInterval() != 30*time.Second {
		t.Fatalf("FromEnv: %+v, %v", n, err)
	}
	for _, tc := range []struct {
		send func() error
		want string
	}{
		{func() error { return n.Ready("capturing\nsince 14:05") }, "READY=1\nSTATUS=capturing since 14:05"},
		{n.Watchdog, "WATCHDOG=1"},
		{func() error { return n.Status("paused: staff meeting") }, "STATUS=paused: staff meeting"},
		{func() error { return n.Stopping("") }, "STOPPING=1"},
	} {
		if err := tc.send(); err != nil {
			t.Fatal(err)
		}
		if got := recv(t, c); got != tc.want {
			t.Errorf("sent %q, want %q", got, tc.want)
		}
	}
}

func TestWatchdogOfAnotherProcess(t *testing.T) {
	listen(t)
	t.Setenv("WATCHDOG_USEC", "30000000")
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()+1))
	if n, err := FromEnv(); err != nil || n.WatchdogInterval() != 0 {
		t.Errorf("a watchdog meant for pid+1: interval %v, %v", n.WatchdogInterval(), err)
	}
	t.Setenv("WATCHDOG_USEC", "soon")
	if n, err := FromEnv(); err == nil || n == nil || n.WatchdogInterval() != 0 || !n.Enabled() {
		t.Errorf("malformed WATCHDOG_USEC: %+v, %v; want an error and a notifier without watchdog", n, err)
	}
}

func TestOutsideSystemd(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	t.Setenv("WATCHDOG_USEC", "")
	n, err := FromEnv()
	if err != nil || n.Enabled() {
		t.Fatalf("FromEnv: %+v, %v", n, err)
	}
	var nilN *Notifier
	for _, x := range []*Notifier{n, nilN} {
		if err := x.Ready("x"); err != nil {
			t.Error(err)
		}
		if err := x.Feed(context.Background(), func() bool { t.Error("alive called without a watchdog"); return true }); err != nil {
			t.Error(err)
		}
	}
}

func TestSendErrorNamesTheMessage(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "gone"))
	n, _ := FromEnv()
	if err := n.Ready(""); err == nil || err.Error()[:len("sdnotify: READY=1")] != "sdnotify: READY=1" {
		t.Errorf("Ready to a missing socket: %v", err)
	}
}

// TestFeedFollowsProgress: pings flow while alive says so and stop as soon as it says no, so a stuck
// pipeline is restarted by systemd.
func TestFeedFollowsProgress(t *testing.T) {
	c := listen(t)
	t.Setenv("WATCHDOG_USEC", "30000") // ticks every 10 ms
	t.Setenv("WATCHDOG_PID", "")
	n, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	calls := make(chan bool) // what alive is told to answer, one value per call
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Feed(ctx, func() bool { return <-calls }) }()

	calls <- true
	if got := recv(t, c); got != "WATCHDOG=1" {
		t.Fatalf("got %q", got)
	}
	calls <- false
	// Feed sends its ping (if any) before it asks alive again, so once the next call is taken every ping
	// of the call before is in the socket.
	calls <- false
	if pending(t, c) {
		t.Error("a ping was sent although alive said no")
	}
	calls <- true
	if got := recv(t, c); got != "WATCHDOG=1" {
		t.Fatalf("got %q after progress resumed", got)
	}
	cancel()
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Error(err)
			}
			return
		case calls <- false: // a tick raced the cancel
		}
	}
}
