package config

import (
	"strings"
	"testing"
)

// TestEveryProblemAtOnce: wrong types, unknown keys and bad values are all reported in one pass, in the
// file's own key names and lines, without Go's type names.
func TestEveryProblemAtOnce(t *testing.T) {
	doc := `[capture]
ring_slots = "four"
fps = "ten"
sorce = "synth"
[tracker]
min_hits = 2.5
proc_width = 10
privacy_zones = [[[0.1, 0.1], [0.2, "x"], [0.3, 0.1]]]
[mqtt]
status_interval = 5
[notice]
retention_days = "ninety"
`
	_, err := Parse("e.toml", []byte(doc))
	if err == nil {
		t.Fatal("accepted")
	}
	msg := err.Error()
	for _, want := range []string{
		"e.toml:2: capture.ring_slots: want a whole number, got a string",
		"e.toml:3: capture.fps: want a number, got a string",
		`e.toml:4: unknown key "capture.sorce"`,
		"e.toml:6: tracker.min_hits: want a whole number, got a number with a fraction",
		"e.toml:7: tracker.proc_width: 10 is outside 64..4096",
		"e.toml:8: tracker.privacy_zones[0][1][1]: want a number, got a string",
		`e.toml:10: mqtt.status_interval: want a duration such as "2s" or "5m", got a whole number`,
		"e.toml:12: notice.retention_days: want a whole number, got a string",
		"e.toml:11: notice.operator_ja: required", // the line of its section
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("errors lack %q", want)
		}
	}
	for _, internal := range []string{"config.", "struct field", "of type", "cannot decode"} {
		if strings.Contains(msg, internal) {
			t.Errorf("errors show Go internals (%q)", internal)
		}
	}
	// A key whose value did not decode is not also reported as missing.
	if strings.Contains(msg, "notice.retention_days: required") {
		t.Error("retention_days reported twice")
	}
	if t.Failed() {
		t.Logf("errors:\n%s", msg)
	}
}

// TestBrokerURL: the config accepts exactly the broker URLs the publisher does, refuses credentials in
// the URL, and never quotes the URL back.
func TestBrokerURL(t *testing.T) {
	for _, ok := range []string{"tcp://localhost:1883", "mqtt://broker.example:1883", "tls://b.example:8883",
		"ssl://b.example:8883", "mqtts://b.example:8883", "embedded", "stdout"} {
		if _, err := Parse("m.toml", []byte("[mqtt]\nbroker = \""+ok+"\"\n")); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"tcp://user:s3cr3t-pw@localhost:1883", "mqtt://user:s3cr3t-pw@localhost:1883",
		"mqtts://:s3cr3t-pw@b.example:8883", "http://s3cr3t-pw.example:80", "tcp://s3cr3t-pw.example",
		"mqtt.example.com", "tcp://%zzs3cr3t-pw"} {
		_, err := Parse("m.toml", []byte("[mqtt]\nbroker = \""+bad+"\"\n"))
		if err == nil {
			t.Errorf("%s accepted", bad)
			continue
		}
		if !strings.Contains(err.Error(), "mqtt.broker: ") {
			t.Errorf("%s: error %q does not name mqtt.broker", bad, err)
		}
		if strings.Contains(err.Error(), "s3cr3t-pw") {
			t.Errorf("%s: error quotes the URL: %q", bad, err)
		}
	}
}
