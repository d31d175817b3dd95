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

func TestUnitPrivacyDirectives(t *testing.T) {
	ds := parse(t, Unit)
	one := func(key string) string {
		t.Helper()
		vs := values(ds, "Service", key)
		if len(vs) != 1 {
			t.Errorf("[Service] %s appears %d times, want once", key, len(vs))
			return ""
		}
		return vs[0]
	}
	for key, want := range map[string]string{
		"LimitCORE":        "0", // no core dumps of a process holding frames
		"MemorySwapMax":    "0", // no frame (or heap) page in the SD card's swap file
		"ProtectSystem":    "strict",
		"ProtectHome":      "yes",
		"NoNewPrivileges":  "yes",
		"DevicePolicy":     "closed",
		"UMask":            "0077",
		"User":             "ashiato",
		"SystemCallFilter": "@system-service",
	} {
		if got := one(key); got != want {
			t.Errorf("[Service] %s=%s, want %s", key, got, want)
		}
	}
	// The ring is mlock'ed: the limit must cover a 1080p ring of the default 4 slots and exceed the 8 MiB
	// default, or the directive is pointless.
	if m := size(t, one("LimitMEMLOCK")); m < 4*1920*1080 || m <= 8<<20 {
		t.Errorf("LimitMEMLOCK=%d bytes is too small for the frame ring", m)
	}
	// PrivateDevices=yes would hide the camera, GPIO and SPI devices; PrivateTmp= is disk-backed on Pi OS.
	for _, key := range []string{"PrivateDevices", "PrivateTmp", "PrivateUsers"} {
		for _, v := range values(ds, "Service", key) {
			if v != "no" && v != "false" {
				t.Errorf("[Service] %s=%s must not be set", key, v)
			}
		}
	}
	tmp := one("TemporaryFileSystem")
	if !strings.Contains(tmp, "/tmp") || !strings.Contains(tmp, "/var/tmp") {
		t.Errorf("TemporaryFileSystem=%s; want RAM-backed /tmp and /var/tmp", tmp)
	}
	allow := strings.Join(values(ds, "Service", "DeviceAllow"), "|")
	for _, class := range []string{"char-video4linux rw", "char-gpiochip rw", "char-spi rw"} {
		if !strings.Contains(allow, class) {
			t.Errorf("DeviceAllow lacks %q (has %s)", class, allow)
		}
	}
	groups := one("SupplementaryGroups")
	for _, g := range []string{"video", "gpio", "spi"} {
		if !strings.Contains(" "+groups+" ", " "+g+" ") {
			t.Errorf("SupplementaryGroups=%s lacks %s", groups, g)
		}
	}
	if start := one("ExecStart"); !strings.HasPrefix(start, "/usr/local/bin/ashiato ") || !strings.Contains(start, "-config /etc/ashiato/ashiato.toml") {
		t.Errorf("ExecStart=%s", start)
	}
	if post := one("ExecStopPost"); !strings.HasPrefix(post, "/usr/local/bin/ashiato led-off") {
		t.Errorf("ExecStopPost=%s; want the LED switched off after every stop", post)
	}
	wants := strings.Join(values(ds, "Unit", "Wants"), " ")
	if !strings.Contains(wants, "modprobe@spidev.service") {
		t.Errorf("Wants=%s; DeviceAllow=char-spi needs spidev loaded first", wants)
	}
	if len(values(ds, "Install", "WantedBy")) != 1 {
		t.Error("no [Install] WantedBy=")
	}
}

func TestUnitSyntax(t *testing.T) {
	ds := parse(t, Unit)
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
