package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/backoffice/sqlite"
	"github.com/ashiato/ashiato/internal/mosquittotest"
)

// TestTwoBrokersFailover: two independent Mosquitto nodes, a real agent configured with both
// (mqtt.brokers), the real office subscribed to both on SQLite. The node the agent is connected to is
// SIGKILLed mid-stream: the agent fails over to the other node at once and sends everything not yet
// acknowledged again there. Once the agent has stopped, the crashed node is restarted: its persistence
// holds what it had acknowledged but not yet forwarded, and the agent's stale retained "online". In the end every track
// message the agent counted as published is stored exactly once, the observer saw no other, and the office
// shows the sensor's real last state (stopped, second connection), not the crashed node's stale online.
func TestTwoBrokersFailover(t *testing.T) {
	a := mosquittotest.Start(t, mosquittotest.Options{Persistence: true})
	b := mosquittotest.Start(t, mosquittotest.Options{Persistence: true})
	nodes := fmt.Sprintf("brokers = [%q, %q]\n", a.URL(), b.URL())
	const fenceA, fenceB = "feedfacefeedfacefeedfa01", "feedfacefeedfacefeedfa02"
	obA, obB := newObserver(t, a.URL(), fenceA), newObserver(t, b.URL(), fenceB)

	dir := t.TempDir()
	officeConf := filepath.Join(dir, "office.toml")
	if err := os.WriteFile(officeConf, []byte("[mqtt]\n"+nodes), 0o600); err != nil {
		t.Fatal(err)
	}
	listen := fmt.Sprintf("127.0.0.1:%d", mosquittotest.FreePort(t))
	o := &office{t: t, bin: binary(t, ".", "ashiato-office"), dataDir: filepath.Join(dir, "data"),
		health: "http://" + listen + "/healthz"}
	o.args = []string{"serve", "-config", officeConf, "-data-dir", o.dataDir, "-listen", listen}
	o.start()
	waitHealth(t, o, `"mqtt":"connected"`)

	agentConf := filepath.Join(dir, "ashiato.toml")
	if err := os.WriteFile(agentConf, []byte("[mqtt]\n"+nodes), 0o600); err != nil {
		t.Fatal(err)
	}
	agent := start(t, binary(t, "../../../agent/cmd/ashiato", "ashiato"), "-config", agentConf,
		"-source", "synth:frames=4000,seed=11,rate=60,pace=asap", "-store", "store-1", "-sensor", "cam-ha", "-log-level", "info")
	connectedTo := func() string {
		m := regexp.MustCompile(`msg="publish: connected" broker=(\S+)`).FindAllStringSubmatch(agent.output(), -1)
		if len(m) == 0 {
			return ""
		}
		return m[len(m)-1][1]
	}
	deadline := time.Now().Add(60 * time.Second)
	for o.count() < 30 {
		if time.Now().After(deadline) {
			t.Fatalf("office stored only %d rows:\n%s\nagent:\n%s", o.count(), o.p.output(), agent.output())
		}
		time.Sleep(5 * time.Millisecond)
	}
	first, other := a, b
	if connectedTo() == b.URL() {
		first, other = b, a
	}
	if connectedTo() != first.URL() {
		t.Fatalf("the agent is connected to %q, neither node:\n%s", connectedTo(), agent.output())
	}
	killed := time.Now()
	first.Stop(syscall.SIGKILL)
	t.Logf("node %s SIGKILLed at %d rows", first.URL(), o.count())
	deadline = time.Now().Add(30 * time.Second)
	for connectedTo() != other.URL() {
		if time.Now().After(deadline) {
			t.Fatalf("the agent did not fail over to %s:\n%s", other.URL(), agent.output())
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Reported, not asserted: from the SIGKILL to the agent's log line of the new connection (5 ms polls).
	t.Logf("failover: connected to %s %v after the SIGKILL", other.URL(), time.Since(killed).Round(time.Millisecond))
	waitHealth(t, o, `"mqtt":"degraded"`)
	waitExit(t, agent, 3*time.Minute)
	// The crashed node comes back after the agent stopped: it still holds the agent's retained online of
	// its first connection, which the office receives after the real last word (stopped, birth 2).
	first.Restart()
	waitHealth(t, o, `"mqtt":"connected"`)
	publishFence(t, a.URL(), fenceA)
	publishFence(t, b.URL(), fenceB)
	waitFence(t, obA, o, fenceA)
	waitFence(t, obB, o, fenceB)
	o.stop()

	// The reference: what the observers on both nodes received, and what the agent counted as published.
	published := map[key]int{}
	for _, ob := range []*observer{obA, obB} {
		ob.mu.Lock()
		for k, n := range ob.tracks {
			if k.sensor == "cam-ha" {
				published[k] += n
			}
		}
		ob.mu.Unlock()
	}
	tracks, dropped := o.rows()
	stored, twice := 0, 0
	for k, n := range published {
		if n > 1 {
			twice++
		}
		if got := tracks[k] + dropped[k]; got != 1 {
			t.Errorf("%v: stored %d times", k, got)
		}
	}
	for k := range tracks {
		if k.sensor == "cam-ha" {
			stored++
		}
	}
	for k := range dropped {
		if k.sensor == "cam-ha" {
			stored++
		}
	}
	st := sensorStatus(t, o)
	t.Logf("agent published %d track messages; observers saw %d distinct (%d through both nodes); office rows %d; "+
		"the agent's last status: %s birth %d", st.TracksPublished, len(published), twice, stored, st.State, st.Birth)
	if stored != len(published) || uint64(stored) != st.TracksPublished || stored < 10 {
		t.Errorf("office rows %d, distinct published %d, agent's tracks_published %d: want all equal",
			stored, len(published), st.TracksPublished)
	}
	if st.State != event.StateStopped || st.Birth != 2 {
		t.Errorf("office shows the sensor %s birth %d, want stopped birth 2 (the crashed node's retained online "+
			"of birth 1 is stale)", st.State, st.Birth)
	}
}

// waitHealth waits until the office's /healthz body contains want.
func waitHealth(t *testing.T, o *office, want string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	body := ""
	for {
		r, err := http.Get(o.health)
		if err == nil {
			var sb strings.Builder
			buf := make([]byte, 4096)
			n, _ := r.Body.Read(buf)
			sb.Write(buf[:n])
			r.Body.Close()
			body = sb.String()
			if strings.Contains(body, want) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz never said %s; last: %s", want, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sensorStatus reads the status the office holds for store-1/cam-ha.
func sensorStatus(t *testing.T, o *office) event.Status {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(o.dataDir, sqlite.FileName)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var raw string
	if err := db.QueryRowContext(context.Background(),
		"SELECT status FROM sensors WHERE store = 'store-1' AND sensor = 'cam-ha'").Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var st event.Status
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		t.Fatal(err)
	}
	return st
}
