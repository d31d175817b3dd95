package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/ashiato/ashiato/agent/event"
)

// peakRSS returns the peak resident set size of process pid in bytes (VmHWM in /proc/PID/status).
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "VmHWM:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}

// TestOversizedCommandDoesNotRaiseRSS sends a 64 MiB cmd/pause through a broker that allows it: the agent
// must drop it without ever holding it (its peak RSS stays where it was), keep running, and still obey the
// next, well-formed pause.
func TestOversizedCommandDoesNotRaiseRSS(t *testing.T) {
	m := startMosq(t, 0, "") // no max_packet_size: the broker forwards anything up to the protocol's 256 MB
	top := event.Topics{Store: "big-store", Sensor: "entrance"}
	bo := newBackOffice(t, m.url(), top.Prefix()+"/#", subOpts{clean: true})
	a := startAgent(t, nil, "-source", "synth", "-broker", m.url(), "-store", top.Store, "-sensor", top.Sensor,
		"-stats-interval", "1s")
	// The baseline is read once the agent has tracked for a while and reached its working size.
	bo.waitFor("stats after 30 frames", time.Minute, func() bool {
		for _, msg := range bo.msgs {
			var s event.Stats
			if msg.Topic() == top.Topic(event.LeafStats) && json.Unmarshal(msg.Payload(), &s) == nil && s.Frames >= 30 {
				return true
			}
		}
		return false
	})
	before := peakRSS(t, a.cmd.Process.Pid)

	const size = 64 << 20
	pub := func(payload []byte) {
		t.Helper()
		opts := paho.NewClientOptions().AddBroker(m.url()).SetClientID("backoffice-big").SetWriteTimeout(time.Minute)
		c := paho.NewClient(opts)
		if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("connect: %v", tok.Error())
		}
		defer c.Disconnect(100)
		if tok := c.Publish(top.Topic(event.LeafPause), 1, false, payload); !tok.WaitTimeout(time.Minute) || tok.Error() != nil {
			t.Fatalf("publish: %v", tok.Error())
		}
	}
	pub(bytes.Repeat([]byte{'{'}, size))
	a.waitLog(t, "command too large", time.Minute)
	after := peakRSS(t, a.cmd.Process.Pid)
	t.Logf("agent peak RSS %d MiB before, %d MiB after a %d MiB command", before>>20, after>>20, size>>20)
	if after-before > 8<<20 {
		t.Errorf("peak RSS grew by %d MiB for a %d MiB command: it was read into memory", (after-before)>>20, size>>20)
	}

	pub([]byte(`{"reason":"after the big one"}`))
	bo.waitFor("the agent paused", time.Minute, func() bool {
		for _, msg := range bo.msgs {
			if msg.Topic() == top.Topic(event.LeafPrivacy) && strings.Contains(string(msg.Payload()), `"paused"`) {
				return true
			}
		}
		return false
	})
	if !a.running() {
		t.Fatalf("the agent exited:\n%s", a.stderr.String())
	}
}
