// Package mosquittotest runs a real Mosquitto broker for tests: on a free loopback port, with its own
// configuration and persistence directory, killable and restartable on the same port and directory.
//
// The test is skipped when Mosquitto is not installed (Debian: apt-get install mosquitto).
package mosquittotest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Options configure Start.
type Options struct {
	// Persistence keeps sessions and queued messages in Dir across restarts (persistence true,
	// autosave_interval 1, autosave_on_changes true: saved after every change).
	Persistence bool
	// Extra lines are appended to the configuration; {{dir}} stands for the broker's private directory.
	Extra string
	// Conf, when set, replaces the test defaults (max_queued_messages 0, max_inflight_messages 100, and
	// Persistence's persistence and autosave settings): a shipped configuration under test. The listener,
	// allow_anonymous and, with Persistence, persistence_location are still set (a Conf that turns
	// persistence on needs Persistence, or Mosquitto saves into the working directory).
	Conf string
}

// Broker is a Mosquitto process under a test's control. Its methods are safe for concurrent use.
type Broker struct {
	t    testing.TB
	bin  string
	dir  string
	conf string
	addr string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}

	logMu sync.Mutex
	log   bytes.Buffer
}

// Path returns Mosquitto's path, or "" when it is not installed.
func Path() string {
	for _, p := range []string{"/usr/sbin/mosquitto", "/usr/bin/mosquitto"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, _ := exec.LookPath("mosquitto")
	return p
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Start starts a broker and stops it (SIGKILL) when the test ends.
func Start(t testing.TB, o Options) *Broker {
	t.Helper()
	bin := Path()
	if bin == "" {
		t.Skip("mosquitto not installed (apt-get install mosquitto; .ci/run installs it)")
	}
	dir := t.TempDir()
	b := &Broker{t: t, bin: bin, dir: dir, conf: filepath.Join(dir, "mosquitto.conf"),
		addr: fmt.Sprintf("127.0.0.1:%d", FreePort(t))}
	_, port, _ := net.SplitHostPort(b.addr)
	conf := "per_listener_settings false\nlistener " + port + " 127.0.0.1\nallow_anonymous true\n"
	switch {
	case o.Conf != "":
		if o.Persistence {
			conf += "persistence_location " + dir + "/\n"
		}
		conf += o.Conf + "\n"
	case o.Persistence:
		conf += "max_queued_messages 0\nmax_inflight_messages 100\n" +
			"persistence true\npersistence_location " + dir + "/\nautosave_interval 1\nautosave_on_changes true\n"
	default:
		conf += "max_queued_messages 0\nmax_inflight_messages 100\npersistence false\n"
	}
	if os.Geteuid() == 0 {
		conf += "user root\n" // else Mosquitto switches to user mosquitto, which cannot read the test's directory
	}
	conf += strings.ReplaceAll(o.Extra, "{{dir}}", dir) + "\n"
	if err := os.WriteFile(b.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Stop(syscall.SIGKILL) })
	b.Restart()
	return b
}

// URL is the broker's address, tcp://127.0.0.1:PORT.
func (b *Broker) URL() string { return "tcp://" + b.addr }

// Addr is host:port.
func (b *Broker) Addr() string { return b.addr }

// PID is the process id of the running broker, or 0 when it is not running.
func (b *Broker) PID() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd == nil {
		return 0
	}
	return b.cmd.Process.Pid
}

// Dir is the broker's private directory (configuration and persistence).
func (b *Broker) Dir() string { return b.dir }

// Restart starts the broker (again) and waits until it accepts connections.
func (b *Broker) Restart() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd != nil {
		b.t.Fatal("mosquittotest: already running")
	}
	cmd := exec.Command(b.bin, "-c", b.conf)
	out := &lockedWriter{mu: &b.logMu, w: &b.log}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		b.t.Fatalf("mosquittotest: %v", err)
	}
	exited := make(chan struct{})
	b.cmd, b.exited = cmd, exited
	go func() { cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", b.addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-exited:
			b.t.Fatalf("mosquittotest: mosquitto exited at start:\n%s", b.Log())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("mosquittotest: mosquitto did not listen on %s:\n%s", b.addr, b.Log())
		}
	}
}

// Stop sends sig (SIGKILL: a crash; SIGTERM: a clean stop that saves persistence) and waits for the
// exit. It does nothing when the broker is not running.
func (b *Broker) Stop(sig syscall.Signal) {
	b.mu.Lock()
	cmd, exited := b.cmd, b.exited
	b.cmd = nil
	b.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(sig)
	select {
	case <-exited:
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		<-exited
	}
}

// Log is what the broker wrote so far.
func (b *Broker) Log() string {
	b.logMu.Lock()
	defer b.logMu.Unlock()
	return b.log.String()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
