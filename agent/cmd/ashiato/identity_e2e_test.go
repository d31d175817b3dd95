package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/event"
)

// TestTwoAgentsOneIdentity runs two agents with one configuration (a cloned SD card) against Mosquitto.
// The broker knocks each off whenever the other connects; both must say, in the log and in their status,
// that another client is probably using their identity.
func TestTwoAgentsOneIdentity(t *testing.T) {
	m := startMosq(t, 0, "")
	top := event.Topics{Store: "clone-store", Sensor: "entrance"}
	bo := newBackOffice(t, m.url(), top.Topic(event.LeafStatus), subOpts{clean: true})
	var agents []*agentProc
	for range 2 {
		agents = append(agents, startAgent(t, nil, "-source", "synth", "-broker", m.url(), "-store", top.Store,
			"-sensor", top.Sensor, "-log-level", "warn"))
	}
	const says = "another client is probably using this sensor's identity"
	for _, a := range agents {
		a.waitLog(t, says, time.Minute)
	}
	bo.waitFor("a status with the warning", time.Minute, func() bool {
		for _, s := range bo.statuses(top) {
			if slices.ContainsFunc(s.Warnings, func(w string) bool { return strings.Contains(w, "another client") }) {
				return true
			}
		}
		return false
	})
	for _, a := range agents {
		if !a.running() {
			t.Fatalf("an agent exited:\n%s", a.stderr.String())
		}
	}
}
