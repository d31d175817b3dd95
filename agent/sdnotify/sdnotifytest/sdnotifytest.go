//go:build unix

// Package sdnotifytest plays systemd's side of sd_notify(3) in tests: a real unixgram socket that
// $NOTIFY_SOCKET points at, read either by waiting for the next datagram or by taking what is queued.
package sdnotifytest

import (
	"errors"
	"net"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Socket is the service manager's end. Its datagrams are the notifications, one per send.
type Socket struct {
	c *net.UnixConn
}

// Listen opens a socket in t's temporary directory and points the test's environment at it:
// NOTIFY_SOCKET, WATCHDOG_USEC (unset, "", when watchdog is 0) and WATCHDOG_PID ("": any process, so
// a child started with the test's environment is watched too). The socket is closed at t's cleanup.
// It must be called outside a synctest bubble.
func Listen(t testing.TB, watchdog time.Duration) *Socket {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	t.Setenv("WATCHDOG_PID", "")
	usec := ""
	if watchdog > 0 {
		usec = strconv.FormatInt(watchdog.Microseconds(), 10)
	}
	t.Setenv("WATCHDOG_USEC", usec)
	return &Socket{c: c}
}

// Next waits for the next datagram and returns it; the 30 s deadline only bounds a broken test. It uses
// the real clock, so it must not be called inside a synctest bubble (use Pending there).
func (s *Socket) Next(t testing.TB) string {
	t.Helper()
	s.c.SetReadDeadline(time.Now().Add(30 * time.Second))
	buf := make([]byte, 4096)
	n, err := s.c.Read(buf)
	if err != nil {
		t.Fatalf("sdnotifytest: no notification: %v", err)
	}
	return string(buf[:n])
}

// Pending takes every datagram queued now, without waiting (recvfrom with MSG_DONTWAIT, which works
// inside a synctest bubble). After synctest.Wait every datagram sent so far is queued: a send on a
// unixgram socket completes before the sender goes on.
func (s *Socket) Pending(t testing.TB) []string {
	t.Helper()
	rc, err := s.c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	buf := make([]byte, 4096)
	for {
		var n int
		var rerr error
		if err := rc.Read(func(fd uintptr) bool {
			n, _, rerr = syscall.Recvfrom(int(fd), buf, syscall.MSG_DONTWAIT)
			return true
		}); err != nil {
			t.Fatal(err)
		}
		if errors.Is(rerr, syscall.EAGAIN) {
			return out
		}
		if rerr != nil {
			t.Fatal(rerr)
		}
		out = append(out, string(buf[:n]))
	}
}

// Pings counts the watchdog pings (WATCHDOG=1) among msgs.
func Pings(msgs []string) int {
	n := 0
	for _, m := range msgs {
		if m == "WATCHDOG=1" {
			n++
		}
	}
	return n
}
