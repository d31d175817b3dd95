package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/event"
)

// TestCleartextPasswordWarned runs the agent with a password over plain tcp:// to a broker on this
// machine's network address (not loopback): its status says so, for the back office to alert on.
func TestCleartextPasswordWarned(t *testing.T) {
	ip := networkAddress(t)
	passwd := "/usr/bin/mosquitto_passwd"
	if _, err := os.Stat(passwd); err != nil {
		t.Skip("mosquitto_passwd not installed")
	}
	m := newMosqDir(t, 0)
	m.addr = net.JoinHostPort(ip, fmt.Sprint(m.port()))
	conf := fmt.Sprintf("listener %d %s\nallow_anonymous false\npassword_file %s/passwd\npersistence false\n", m.port(), ip, m.dir)
	if os.Geteuid() == 0 {
		conf += "user root\n"
	}
	if err := os.WriteFile(m.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	users := [][2]string{{"s1/plain", "pw-plain-1"}, {"office+1", "pw-office-1"}}
	for i, u := range users {
		args := []string{"-b", filepath.Join(m.dir, "passwd"), u[0], u[1]}
		if i == 0 {
			args = append([]string{"-c"}, args...)
		}
		if out, err := exec.Command(passwd, args...).CombinedOutput(); err != nil {
			t.Fatalf("mosquitto_passwd: %v\n%s", err, out)
		}
	}
	m.start()
	top := event.Topics{Store: "s1", Sensor: "plain"}
	bo := newBackOffice(t, "tcp://"+m.addr, top.Prefix()+"/#", subOpts{username: users[1][0], password: users[1][1], clean: true})
	a := startAgent(t, []string{"ASHIATO_MQTT_USERNAME=" + users[0][0], "ASHIATO_MQTT_PASSWORD=" + users[0][1]},
		"-source", "synth:frames=30,seed=1,pace=asap,w=160,h=120", "-broker", "tcp://"+m.addr, "-store", top.Store, "-sensor", top.Sensor)
	a.wait(t, 60*time.Second)
	st := bo.waitStopped(top, 20*time.Second)
	found := false
	for _, w := range st.Warnings {
		found = found || strings.Contains(w, "clear text")
	}
	if !found {
		t.Errorf("status of an agent sending its password over tcp:// to %s has no warning: %q", ip, st.Warnings)
	}
	if !strings.Contains(a.stderr.String(), "clear text") {
		t.Errorf("the agent did not log the clear-text password:\n%s", a.stderr.String())
	}
	// The username, <store>/<sensor>, is in every topic anyway; the password must appear nowhere.
	if pw := users[0][1]; strings.Contains(a.stderr.String(), pw) || strings.Contains(strings.Join(st.Warnings, " "), pw) {
		t.Errorf("the password is in the log or the warnings:\n%s", a.stderr.String())
	}
}

// networkAddress returns an IPv4 address of this machine that is not loopback, or skips the test.
func networkAddress(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Skipf("no interface addresses: %v", err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	t.Skip("this machine has no non-loopback IPv4 address to run a broker on")
	return ""
}
