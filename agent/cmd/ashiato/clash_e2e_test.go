package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/event"
)

// TestIdentityClashInStatus runs two agents with one identity (a copied configuration) against a real
// Mosquitto, which closes the older connection whenever the other reconnects: each logs that another client
// probably uses its identity, and the status it publishes says so, for the back office to alert on.
func TestIdentityClashInStatus(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	m := startMosq(t, 0, "persistence false\n")
	top := event.Topics{Store: "clash", Sensor: "cam1"}
	bo := newBackOffice(t, m.url(), top.Topic(event.LeafStatus), subOpts{clean: true})
	cfg := writeConfig(t, fmt.Sprintf("[sensor]\nstore = %q\nid = %q\n[capture]\nsource = %q\n[mqtt]\nbroker = %q\n"+
		"status_interval = \"1s\"\n", top.Store, top.Sensor, "synth:seed=1,w=160,h=120", m.url()))
	const clash = "another client is probably using this sensor's MQTT identity"
	agents := []*agentProc{startAgent(t, nil, "-config", cfg), startAgent(t, nil, "-config", cfg)}
	bo.waitFor("a status saying that another client uses the identity", 90*time.Second, func() bool {
		for _, st := range bo.statuses(top) {
			for _, w := range st.Warnings {
				if strings.Contains(w, clash) {
					return true
				}
			}
		}
		return false
	})
	for i, a := range agents {
		a.waitLog(t, "another client is probably using this sensor's identity", 30*time.Second)
		if !a.running() {
			t.Errorf("agent %d exited:\n%s", i, a.stderr.String())
		}
	}
}
