package main

import (
	"bytes"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSystemdNotify runs the binary as a Type=notify unit with a watchdog would: it says READY=1 with its
// state first, feeds the watchdog while the synthetic scene flows, and says STOPPING=1 after SIGTERM.
func TestSystemdNotify(t *testing.T) {
	bin := agentBinary(t)
	path := filepath.Join(t.TempDir(), "notify")
	sock, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	cmd := exec.Command(bin, "-source", "synth:fps=20,seed=3", "-sink", "stdout")
	cmd.Env = append(cmd.Environ(), "NOTIFY_SOCKET="+path, "WATCHDOG_USEC=1500000", "WATCHDOG_PID=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// next returns the next datagram; the deadline only bounds a broken run.
	next := func() string {
		t.Helper()
		sock.SetReadDeadline(time.Now().Add(30 * time.Second))
		buf := make([]byte, 4096)
		n, err := sock.Read(buf)
		if err != nil {
			t.Fatalf("no notification: %v\n%s", err, stderr.String())
		}
		return string(buf[:n])
	}
	if got := next(); !strings.HasPrefix(got, "READY=1\nSTATUS=capturing since ") {
		t.Fatalf("first notification %q; want READY=1 with the capture state", got)
	}
	for n := 0; n < 3; {
		if got := next(); got == "WATCHDOG=1" {
			n++
		} else if !strings.HasPrefix(got, "STATUS=") {
			t.Fatalf("unexpected notification %q while capturing", got)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for {
		got := next()
		if strings.HasPrefix(got, "STOPPING=1") {
			break
		}
		if got != "WATCHDOG=1" && !strings.HasPrefix(got, "STATUS=") {
			t.Fatalf("unexpected notification %q before STOPPING=1", got)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr.String())
	}
}
