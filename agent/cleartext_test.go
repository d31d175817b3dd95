package agent

import (
	"strings"
	"testing"
)

func TestCleartextWarnings(t *testing.T) {
	for _, c := range []struct {
		broker   string
		password bool
		warn     bool
	}{
		{"tcp://mqtt.example.net:1883", true, true},
		{"mqtt://mqtt.example.net:1883", true, true},
		{"mqtt://127.0.0.1:1883", true, false},
		{"tcp://192.0.2.7:1883", true, true},
		{"tcp://[2001:db8::7]:1883", true, true},
		{"tcp://0.0.0.0:1883", true, true},
		{"tcp://mqtt.example.net:1883", false, false},
		{"tls://mqtt.example.net:8883", true, false},
		{"ssl://mqtt.example.net:8883", true, false},
		{"tcp://localhost:1883", true, false},
		{"tcp://127.0.0.1:1883", true, false},
		{"tcp://127.0.1.1:1883", true, false},
		{"tcp://[::1]:1883", true, false},
		{"stdout", true, false},
		{"", true, false},
	} {
		w := cleartextWarnings(c.broker, c.password)
		if (len(w) > 0) != c.warn {
			t.Errorf("cleartextWarnings(%q, %v) = %q; want a warning: %v", c.broker, c.password, w, c.warn)
		}
		if len(w) > 0 && !strings.Contains(w[0], "clear text") {
			t.Errorf("warning %q does not say what is wrong", w[0])
		}
	}
}
