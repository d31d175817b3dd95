package systemd

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// directive is one Key=Value line of a unit file.
type directive struct {
	section, key, value string
	line                int
}

// parse reads a unit file the way systemd does for this subset: sections, Key=Value lines, comments starting
// with # or ; on their own line. Line continuations are not used here and are rejected.
func parse(t *testing.T, b []byte) []directive {
	t.Helper()
	var out []directive
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSpace(sc.Text())
		switch {
		case l == "" || l[0] == '#' || l[0] == ';':
			continue
		case strings.HasSuffix(l, "\\"):
			t.Fatalf("line %d: continuation lines are not expected", n)
		case l[0] == '[':
			if !strings.HasSuffix(l, "]") {
				t.Fatalf("line %d: bad section header %q", n, l)
			}
			section = l[1 : len(l)-1]
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok || section == "" {
			t.Fatalf("line %d: %q is not Key=Value inside a section", n, l)
		}
		out = append(out, directive{section, strings.TrimSpace(k), strings.TrimSpace(v), n})
	}
	return out
}

func values(ds []directive, section, key string) []string {
	var vs []string
	for _, d := range ds {
		if d.section == section && d.key == key {
			vs = append(vs, d.value)
		}
	}
	return vs
}

// size parses a systemd resource size such as 64M (base 1024).
func size(t *testing.T, s string) int64 {
	t.Helper()
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("size %q: %v", s, err)
	}
	return n * mult
}

// seconds parses a systemd time span written as a number of seconds ("60s").
func seconds(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimSuffix(s, "s"))
	if err != nil || !strings.HasSuffix(s, "s") {
		t.Fatalf("time span %q: write it in seconds, such as 60s", s)
	}
	return n
}

// one returns the single value of [Service] key, or reports that it is missing or repeated.
func one(t *testing.T, ds []directive, key string) string {
	t.Helper()
	vs := values(ds, "Service", key)
	if len(vs) != 1 {
		t.Errorf("[Service] %s appears %d times, want once", key, len(vs))
		return ""
	}
	return vs[0]
}

// common is what both units must say: privacy and hardening that neither service may go without.
var common = map[string]string{
	"LimitCORE":               "0", // no core dumps of a process holding frames or tracks
	"MemorySwapMax":           "0", // no page of it in a swap file
	"ProtectSystem":           "strict",
	"ProtectHome":             "yes",
	"NoNewPrivileges":         "yes",
	"DevicePolicy":            "closed",
	"UMask":                   "0077",
	"CapabilityBoundingSet":   "",
	"RemoveIPC":               "yes",
	"ProtectProc":             "invisible",
	"SystemCallErrorNumber":   "EPERM",
	"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
	"Restart":                 "on-failure",
	// 2 is the exit status of a configuration error in both programs.
	"RestartPreventExitStatus": "2",
	"StateDirectoryMode":       "0700",
}

func checkCommon(t *testing.T, ds []directive, name string) {
	t.Helper()
	for key, want := range common {
		if got := one(t, ds, key); got != want {
			t.Errorf("%s: [Service] %s=%s, want %s", name, key, got, want)
		}
	}
	if got := strings.Join(values(ds, "Service", "SystemCallFilter"), "|"); got != "@system-service|~@privileged @resources" {
		t.Errorf("%s: SystemCallFilter=%s", name, got)
	}
	if u, st := one(t, ds, "User"), one(t, ds, "StateDirectory"); u != name || st != name {
		t.Errorf("%s: User=%s StateDirectory=%s, want both %s", name, u, st, name)
	}
	// Both programs send READY=1 and feed the watchdog (package agent/sdnotify); only the main process
	// may notify.
	if got := one(t, ds, "Type"); got != "notify" {
		t.Errorf("%s: Type=%s, want notify", name, got)
	}
	if got := one(t, ds, "NotifyAccess"); got != "main" {
		t.Errorf("%s: NotifyAccess=%s, want main", name, got)
	}
	if len(values(ds, "Install", "WantedBy")) != 1 {
		t.Errorf("%s: no [Install] WantedBy=", name)
	}
}

func TestAgentUnit(t *testing.T) {
	ds := parse(t, Unit)
	checkCommon(t, ds, "ashiato")
	// The ring is mlock'ed: the limit must cover a 1080p ring of the default 4 slots and exceed the 8 MiB
	// default, or the directive is pointless.
	memlock := size(t, one(t, ds, "LimitMEMLOCK"))
	if memlock < 4*1920*1080 || memlock <= 8<<20 {
		t.Errorf("LimitMEMLOCK=%d bytes is too small for the frame ring", memlock)
	}
	// MemoryMax must leave room for the whole locked ring on top of the process's own memory.
	if mx := size(t, one(t, ds, "MemoryMax")); mx < memlock+64<<20 {
		t.Errorf("MemoryMax=%d leaves no room beside LimitMEMLOCK=%d", mx, memlock)
	}
	// PrivateDevices=yes would hide the camera, GPIO and SPI devices; PrivateTmp= is disk-backed on Pi OS;
	// PrivateUsers= unmaps the device groups.
	for _, key := range []string{"PrivateDevices", "PrivateTmp", "PrivateUsers"} {
		for _, v := range values(ds, "Service", key) {
			if v != "no" && v != "false" {
				t.Errorf("[Service] %s=%s must not be set", key, v)
			}
		}
	}
	tmp := one(t, ds, "TemporaryFileSystem")
	if !strings.Contains(tmp, "/tmp") || !strings.Contains(tmp, "/var/tmp") {
		t.Errorf("TemporaryFileSystem=%s; want RAM-backed /tmp and /var/tmp", tmp)
	}
	allow := values(ds, "Service", "DeviceAllow")
	if strings.Join(allow, "|") != "char-video4linux rw|char-gpiochip rw|char-spi rw" {
		t.Errorf("DeviceAllow=%q, want exactly the camera, GPIO and SPI classes", allow)
	}
	if groups := one(t, ds, "SupplementaryGroups"); groups != "video gpio spi" {
		t.Errorf("SupplementaryGroups=%s, want video gpio spi", groups)
	}
	if start := one(t, ds, "ExecStart"); start != "/usr/bin/ashiato -config /etc/ashiato/ashiato.toml" {
		t.Errorf("ExecStart=%s", start)
	}
	if post := one(t, ds, "ExecStopPost"); post != "/usr/bin/ashiato led-off -config /etc/ashiato/ashiato.toml" {
		t.Errorf("ExecStopPost=%s; want the LED switched off after every stop", post)
	}
	// Longer than the longest legitimate gap between pings: the 30 s panel wait plus one check
	// (WatchdogSec/3) and the controller's answer bound.
	if wd := seconds(t, one(t, ds, "WatchdogSec")); wd < 30+wd/3+1 {
		t.Errorf("WatchdogSec=%ds is shorter than the 30 s panel wait plus one check", wd)
	}
	wants := strings.Join(values(ds, "Unit", "Wants"), " ")
	if !strings.Contains(wants, "modprobe@spidev.service") || !strings.Contains(wants, "modprobe@uvcvideo.service") {
		t.Errorf("Wants=%s; DeviceAllow=char-spi and char-video4linux need their drivers loaded first", wants)
	}
}

func TestOfficeUnit(t *testing.T) {
	ds := parse(t, OfficeUnit)
	checkCommon(t, ds, "ashiato-office")
	for key, want := range map[string]string{
		"PrivateDevices": "yes", // no device at all
		"PrivateUsers":   "yes",
		"PrivateTmp":     "yes",
		"ExecStart":      "/usr/bin/ashiato-office serve -config /etc/ashiato/office.toml -data-dir /var/lib/ashiato-office",
	} {
		if got := one(t, ds, key); got != want {
			t.Errorf("[Service] %s=%s, want %s", key, got, want)
		}
	}
	for _, key := range []string{"SupplementaryGroups", "DeviceAllow", "AmbientCapabilities"} {
		for _, v := range values(ds, "Service", key) {
			if v != "" {
				t.Errorf("[Service] %s=%s: the office needs none", key, v)
			}
		}
	}
}

func TestUnitSyntax(t *testing.T) {
	for _, unit := range [][]byte{Unit, OfficeUnit} {
		checkSyntax(t, parse(t, unit))
	}
}

func checkSyntax(t *testing.T, ds []directive) {
	t.Helper()
	if len(ds) < 30 {
		t.Fatalf("only %d directives", len(ds))
	}
	for _, d := range ds {
		// systemd has no trailing comments: a " #" would become part of the value.
		if strings.Contains(d.value, "#") {
			t.Errorf("line %d: %s=%s has a trailing comment", d.line, d.key, d.value)
		}
		if d.key == "" || strings.ContainsAny(d.key, " \t") {
			t.Errorf("line %d: bad key %q", d.line, d.key)
		}
		switch d.section {
		case "Unit", "Service", "Install":
		default:
			t.Errorf("line %d: unknown section [%s]", d.line, d.section)
		}
	}
}
