//go:build unix

package main

import (
	"bytes"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/sdnotify/sdnotifytest"
)

// TestSystemdNotify runs the binary as a Type=notify unit with a watchdog would: it says READY=1 with its
// state first, feeds the watchdog while the synthetic scene flows, and says STOPPING=1 after SIGTERM.
func TestSystemdNotify(t *testing.T) {
	bin := agentBinary(t)
	sock := sdnotifytest.Listen(t, 1500*time.Millisecond) // the binary inherits the test's environment
	cmd := exec.Command(bin, "-source", "synth:fps=20,seed=3", "-sink", "stdout")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	defer func() {
		if t.Failed() {
			t.Logf("agent's stderr:\n%s", stderr.String())
		}
	}()
	next := func() string { t.Helper(); return sock.Next(t) }
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
