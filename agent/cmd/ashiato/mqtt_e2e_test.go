package main

// MQTT contract and delivery tests: the real agent binary against a real Mosquitto, started on free
// loopback ports. They skip when Mosquitto is not installed, and run under -short too.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/schemas"
)

// mosq is a Mosquitto process that can be killed and restarted on the same ports with the same
// configuration (and, when the configuration enables it, the same persistence directory).
type mosq struct {
	t    *testing.T
	bin  string
	dir  string // private directory, {{dir}} in the configuration
	conf string
	addr string // first listener, host:port

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been reaped
	log    *syncBuffer
}

// startMosq is newMosq followed by start.
func startMosq(t *testing.T, port int, extra string) *mosq {
	t.Helper()
	m := newMosq(t, port, extra)
	m.start()
	return m
}

// newMosq writes a configuration with a plain listener on port (0 picks one) plus extra lines, which may
// use {{dir}} for the broker's private directory (m.dir), and returns the broker, not started. It skips
// the test when Mosquitto is absent.
func newMosq(t *testing.T, port int, extra string) *mosq {
	t.Helper()
	m := newMosqDir(t, port)
	dir := m.dir
	conf := fmt.Sprintf("per_listener_settings false\nlistener %d 127.0.0.1\n%s\n", m.port(), strings.ReplaceAll(extra, "{{dir}}", dir))
	if !strings.Contains(extra, "allow_anonymous") {
		conf += "allow_anonymous true\n"
	}
	if os.Geteuid() == 0 {
		conf += "user root\n" // else it switches to user mosquitto, which cannot read our private directory
	}
	if !strings.Contains(extra, "persistence ") {
		conf += "persistence false\n"
	}
	if err := os.WriteFile(m.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return m
}

// newMosqDir returns a broker, not started, whose first listener will be 127.0.0.1:port (0 picks a free
// port) and whose configuration the caller writes to m.conf, in m.dir. It skips the test when Mosquitto
// is absent, and kills the broker at the end of the test.
func newMosqDir(t *testing.T, port int) *mosq {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end against Mosquitto: runs without -short (make test's full run)")
	}
	bin := mosquittoPath()
	if bin == "" {
		t.Skip("mosquitto not installed (apt-get install mosquitto; .ci/run installs it)")
	}
	if port == 0 {
		port = freePort(t)
	}
	dir := t.TempDir()
	m := &mosq{t: t, bin: bin, dir: dir, conf: filepath.Join(dir, "mosquitto.conf"), addr: fmt.Sprintf("127.0.0.1:%d", port)}
	t.Cleanup(func() { m.stop(syscall.SIGKILL) })
	return m
}

// port is the port of the first listener.
func (m *mosq) port() int {
	_, p, _ := net.SplitHostPort(m.addr)
	n, _ := strconv.Atoi(p)
	return n
}

func (m *mosq) url() string { return "tcp://" + m.addr }

// start runs Mosquitto and waits until its first listener accepts connections.
func (m *mosq) start() {
	m.t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd != nil {
		m.t.Fatal("mosquitto already running")
	}
	m.log = &syncBuffer{}
	cmd := exec.Command(m.bin, "-c", m.conf)
	cmd.Stdout, cmd.Stderr = m.log, m.log
	if err := cmd.Start(); err != nil {
		m.t.Fatalf("starting mosquitto: %v", err)
	}
	exited := make(chan struct{})
	m.cmd, m.exited = cmd, exited
	go func() { cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", m.addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-exited:
			m.t.Fatalf("mosquitto exited at start:\n%s", m.log.String())
		default:
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("mosquitto did not listen on %s:\n%s", m.addr, m.log.String())
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// stop sends sig (SIGKILL: a crash; SIGTERM: a clean stop that saves persistence) and waits for the exit.
func (m *mosq) stop(sig syscall.Signal) {
	m.mu.Lock()
	cmd, exited := m.cmd, m.exited
	m.cmd = nil
	m.mu.Unlock()
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

// syncBuffer is a bytes.Buffer safe for concurrent writers, with a change signal.
type syncBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	change chan struct{}
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.change != nil {
		select {
		case s.change <- struct{}{}:
		default:
		}
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// agentProc is a running agent binary.
type agentProc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{}
	err    error
}

// startAgent runs the agent with args and extra environment; it is killed at the end of the test.
func startAgent(t *testing.T, env []string, args ...string) *agentProc {
	t.Helper()
	return startAgentStdin(t, nil, env, args...)
}

// startAgentStdin is startAgent with stdin as the agent's standard input (nil: none).
func startAgentStdin(t *testing.T, stdin *os.File, env []string, args ...string) *agentProc {
	t.Helper()
	a := &agentProc{stderr: &syncBuffer{change: make(chan struct{}, 1)}, done: make(chan struct{})}
	a.cmd = exec.Command(agentBinary(t), args...)
	a.cmd.Env = append(os.Environ(), env...)
	if stdin != nil {
		a.cmd.Stdin = stdin
	}
	a.cmd.Stderr = a.stderr
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { a.err = a.cmd.Wait(); close(a.done) }()
	t.Cleanup(func() {
		a.cmd.Process.Kill()
		<-a.done
	})
	return a
}

// wait waits for the agent to exit and fails the test if it does not exit cleanly within d.
func (a *agentProc) wait(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case <-a.done:
		if a.err != nil {
			t.Fatalf("agent: %v\n%s", a.err, a.stderr.String())
		}
	case <-time.After(d):
		t.Fatalf("agent still running after %v\n%s", d, a.stderr.String())
	}
}

// waitLog waits until the agent's stderr contains s.
func (a *agentProc) waitLog(t *testing.T, s string, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	for !strings.Contains(a.stderr.String(), s) {
		select {
		case <-a.stderr.change:
		case <-a.done:
			if !strings.Contains(a.stderr.String(), s) {
				t.Fatalf("agent exited (%v) without logging %q:\n%s", a.err, s, a.stderr.String())
			}
		case <-deadline:
			t.Fatalf("agent did not log %q within %v:\n%s", s, d, a.stderr.String())
		}
	}
}

func (a *agentProc) running() bool {
	select {
	case <-a.done:
		return false
	default:
		return true
	}
}

// backOffice is a subscriber as a back office would write it: persistent session (clean session false,
// fixed client id), QoS 1, reconnecting, resubscribing on every connect, every payload checked against the
// schemas, tracks deduplicated by id.
type backOffice struct {
	t   *testing.T
	v   *schemas.Validator
	c   paho.Client
	ups chan struct{} // a connect completed (with its subscription)

	mu      sync.Mutex
	msgs    []paho.Message
	tracks  map[string]event.Track // by sensor+"/"+id
	dups    int
	invalid []string
	change  chan struct{}
}

type subOpts struct {
	username, password string
	clean              bool
	tls                *tls.Config // for an ssl:// broker; nil means paho's default
	ordered            bool        // handle messages one at a time in the order they arrive (see barrier)
}

func newBackOffice(t *testing.T, broker, filter string, o subOpts) *backOffice {
	t.Helper()
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	b := &backOffice{t: t, v: v, tracks: map[string]event.Track{}, change: make(chan struct{}, 1), ups: make(chan struct{}, 100)}
	opts := paho.NewClientOptions().AddBroker(broker).SetClientID(fmt.Sprintf("backoffice-%d", time.Now().UnixNano())).
		SetCleanSession(o.clean).SetAutoReconnect(true).SetConnectRetry(true).
		SetConnectRetryInterval(200 * time.Millisecond).SetMaxReconnectInterval(500 * time.Millisecond).
		SetOrderMatters(o.ordered).SetUsername(o.username).SetPassword(o.password)
	if o.tls != nil {
		opts.SetTLSConfig(o.tls)
	}
	opts.SetOnConnectHandler(func(c paho.Client) {
		tok := c.Subscribe(filter, 1, func(_ paho.Client, m paho.Message) { b.add(m) })
		go func() {
			if tok.WaitTimeout(10*time.Second) && tok.Error() == nil {
				b.ups <- struct{}{}
			}
		}()
	})
	b.c = paho.NewClient(opts)
	b.c.Connect()
	select {
	case <-b.ups:
	case <-time.After(15 * time.Second):
		t.Fatalf("back office did not connect to %s", broker)
	}
	t.Cleanup(func() { b.c.Disconnect(50) })
	return b
}

func (b *backOffice) add(m paho.Message) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.msgs = append(b.msgs, m)
	// Commands are the back office's own (test) messages, some deliberately malformed; judge the agent's.
	if err := b.v.Validate(m.Topic(), m.Payload()); err != nil && !strings.Contains(m.Topic(), "/cmd/") {
		b.invalid = append(b.invalid, fmt.Sprintf("%s: %v: %.300s", m.Topic(), err, m.Payload()))
	}
	if strings.HasSuffix(m.Topic(), "/"+event.LeafTracks) {
		var tr event.Track
		if json.Unmarshal(m.Payload(), &tr) == nil {
			k := tr.Sensor + "/" + tr.ID
			if _, ok := b.tracks[k]; ok {
				b.dups++
			} else {
				b.tracks[k] = tr
			}
		}
	}
	select {
	case b.change <- struct{}{}:
	default:
	}
}

// barrier publishes a marker to topic (which the back office's filter must match) from the back office's own
// client and waits until the back office has handled it. The broker queues a session's messages in the
// order it received them, and an ordered back office handles them in that order, so once the marker is in,
// so is every message the broker held for the back office before it.
func (b *backOffice) barrier(topic string, d time.Duration) {
	b.t.Helper()
	marker := fmt.Sprintf("barrier %d", time.Now().UnixNano())
	if tok := b.c.Publish(topic, 1, false, marker); !tok.WaitTimeout(d) || tok.Error() != nil {
		b.t.Fatalf("barrier: publish to %s: %v", topic, tok.Error())
	}
	b.waitFor("the barrier on "+topic, d, func() bool {
		for _, m := range b.msgs {
			if m.Topic() == topic && string(m.Payload()) == marker {
				return true
			}
		}
		return false
	})
}

// waitFor waits until cond (called under b.mu) holds.
func (b *backOffice) waitFor(what string, d time.Duration, cond func() bool) {
	b.t.Helper()
	deadline := time.After(d)
	for {
		b.mu.Lock()
		ok := cond()
		b.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-b.change:
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			b.t.Fatalf("timed out after %v waiting for %s", d, what)
		}
	}
}

// statuses returns the status bodies received for top, in order.
func (b *backOffice) statuses(top event.Topics) []event.Status {
	var out []event.Status
	for _, m := range b.msgs {
		if m.Topic() == top.Topic(event.LeafStatus) {
			var s event.Status
			if json.Unmarshal(m.Payload(), &s) == nil {
				out = append(out, s)
			}
		}
	}
	return out
}

// stopped returns the "stopped" status of top, if received (b.mu held).
func (b *backOffice) stopped(top event.Topics) (event.Status, bool) {
	for _, s := range b.statuses(top) {
		if s.State == event.StateStopped {
			return s, true
		}
	}
	return event.Status{}, false
}

func (b *backOffice) waitStopped(top event.Topics, d time.Duration) event.Status {
	b.t.Helper()
	var st event.Status
	b.waitFor(top.Prefix()+" stopped status", d, func() bool {
		var ok bool
		st, ok = b.stopped(top)
		return ok
	})
	return st
}

// sensorTracks returns the unique tracks received from sensor (b.mu held).
func (b *backOffice) sensorTracks(sensor string) []event.Track {
	var out []event.Track
	for k, tr := range b.tracks {
		if strings.HasPrefix(k, sensor+"/") {
			out = append(out, tr)
		}
	}
	return out
}

func (b *backOffice) count(topic string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, m := range b.msgs {
		if m.Topic() == topic {
			n++
		}
	}
	return n
}

func (b *backOffice) checkValid() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.invalid {
		b.t.Errorf("message fails its schema: %s", s)
	}
}

// writeConfig writes an agent configuration file.
func writeConfig(t *testing.T, toml string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ashiato.toml")
	if err := os.WriteFile(p, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// pathKey identifies a track by its content, which is deterministic for a synthetic clip paced asap; the
// id and the timestamps are not.
func pathKey(tr event.Track) string {
	var sb strings.Builder
	for _, p := range tr.Points {
		fmt.Fprintf(&sb, "%d:%g:%g;", p.F, p.X, p.Y)
	}
	return sb.String()
}

// stdoutRun runs the agent on spec with -sink stdout and returns every line, each validated against the
// schemas.
func stdoutRun(t *testing.T, spec string, extra ...string) []event.Line {
	t.Helper()
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, agentBinary(t), append([]string{"-source", spec, "-sink", "stdout", "-store", "st", "-sensor", "cam1"}, extra...)...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("agent: %v\n%s", err, stderr.String())
	}
	var lines []event.Line
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var l event.Line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("stdout line is not a message: %v: %.200s", err, sc.Bytes())
		}
		if err := v.Validate(l.Topic, l.Payload); err != nil {
			t.Errorf("line fails its schema: %v\n%.400s", err, sc.Bytes())
		}
		lines = append(lines, l)
	}
	return lines
}

func linesTracks(t *testing.T, lines []event.Line) []event.Track {
	var out []event.Track
	for _, l := range lines {
		if strings.HasSuffix(l.Topic, "/"+event.LeafTracks) {
			var tr event.Track
			if err := json.Unmarshal(l.Payload, &tr); err != nil {
				t.Fatal(err)
			}
			out = append(out, tr)
		}
	}
	return out
}

// TestStdoutMatchesSchemas validates every message the real agent writes for a synthetic clip against the
// published schemas.
func TestStdoutMatchesSchemas(t *testing.T) {
	lines := stdoutRun(t, "synth:frames=300,seed=5,pace=asap,w=320,h=240,rate=120")
	seen := map[string]int{}
	for _, l := range lines {
		_, leaf, ok := schemas.SplitTopic(l.Topic)
		if !ok {
			t.Errorf("topic %q outside the contract", l.Topic)
		}
		seen[leaf]++
	}
	if seen[event.LeafStatus] < 2 || seen[event.LeafTracks] < 10 {
		t.Errorf("messages by leaf %v: want at least online+stopped status and 10 tracks", seen)
	}
	t.Logf("validated %d lines: %v", len(lines), seen)
}

// TestBrokerCrashNoLoss kills Mosquitto with SIGKILL while the agent streams tracks, restarts it on the same
// port three seconds later, and checks that the back office, once duplicates are removed by id, has every
// track the agent closed, including those closed during the outage.
//
// Mosquitto autosaves its state every second, so the back office's persistent session (its subscription)
// survives the crash and messages the agent re-delivers after the restart are queued for it even before it
// has reconnected. QoS 1 is per hop: a message the broker acknowledged but had not yet forwarded would be
// lost in a crash; on loopback Mosquitto forwards before it acknowledges, so that window is empty here.
func TestBrokerCrashNoLoss(t *testing.T) {
	m := startMosq(t, 0, "persistence true\npersistence_location {{dir}}/\nautosave_interval 1\nautosave_on_changes false\n")
	top := event.Topics{Store: "crash", Sensor: "cam1"}
	bo := newBackOffice(t, m.url(), top.Prefix()+"/#", subOpts{})
	subscribed := time.Now()
	// 500 frames at 50 fps: 10 s of a busy floor, in real time.
	a := startAgent(t, nil, "-source", "synth:frames=500,seed=11,fps=50,w=320,h=240,rate=150",
		"-broker", m.url(), "-store", top.Store, "-sensor", top.Sensor)
	bo.waitFor("3 tracks before the crash", 20*time.Second, func() bool { return len(bo.sensorTracks("cam1")) >= 3 })
	// Wait for an autosave (every second) written after the back office subscribed: the saved state holds
	// its session, so the broker still has it after the crash.
	db := filepath.Join(m.dir, "mosquitto.db")
	bo.waitFor("an autosave after the subscription", 20*time.Second, func() bool {
		st, err := os.Stat(db)
		return err == nil && st.ModTime().After(subscribed)
	})
	bo.mu.Lock()
	before := len(bo.sensorTracks("cam1"))
	bo.mu.Unlock()
	m.stop(syscall.SIGKILL)
	down := time.Now()
	time.Sleep(3 * time.Second) // the outage itself: the broker stays down 3 s while the agent runs
	if !a.running() {
		t.Fatalf("agent exited while the broker was down:\n%s", a.stderr.String())
	}
	m.start()
	up := time.Now()
	a.wait(t, 60*time.Second)
	st := bo.waitStopped(top, 20*time.Second)
	bo.waitFor("every closed track", 20*time.Second, func() bool { return uint64(len(bo.sensorTracks("cam1"))) >= st.TracksClosed })

	bo.mu.Lock()
	tracks := bo.sensorTracks("cam1")
	dups := bo.dups
	bo.mu.Unlock()
	bo.checkValid()
	if st.Frames != 500 || st.TracksPublished != st.TracksClosed || uint64(len(tracks)) != st.TracksClosed {
		t.Fatalf("final status %+v; back office has %d unique tracks", st, len(tracks))
	}
	// Tracks whose last point fell in the outage were closed while the broker was down (or just after).
	var inOutage int
	for _, tr := range tracks {
		last := time.UnixMilli(tr.Points[len(tr.Points)-1].T)
		if last.After(down) && last.Before(up) {
			inOutage++
		}
	}
	if inOutage == 0 {
		t.Errorf("no track ended during the outage (%v to %v): the test proved nothing", down, up)
	}
	if !strings.Contains(a.stderr.String(), "publish: no connection") {
		t.Errorf("the agent never noticed the outage:\n%s", a.stderr.String())
	}
	t.Logf("%d tracks before the crash, %d ended during the 3 s outage, %d in all, %d duplicates removed",
		before, inOutage, len(tracks), dups)
}

// brokerDownRun starts a broker, connects a persistent back-office session to it and stops the broker
// cleanly (saving the session). It then runs the agent on a clip paced asap with config, which must end
// while the broker is still down, starts the broker again, and returns the stopped status and the tracks
// the back office received.
func brokerDownRun(t *testing.T, top event.Topics, spec, config string) (*agentProc, event.Status, []event.Track) {
	t.Helper()
	m := startMosq(t, 0, "persistence true\npersistence_location {{dir}}/\n")
	bo := newBackOffice(t, m.url(), top.Prefix()+"/#", subOpts{ordered: true})
	m.stop(syscall.SIGTERM) // saves the back office's subscription
	if _, err := os.Stat(filepath.Join(m.dir, "mosquitto.db")); err != nil {
		t.Fatalf("mosquitto did not save its state: %v\n%s", err, m.log.String())
	}
	cfg := writeConfig(t, fmt.Sprintf("[sensor]\nstore = %q\nid = %q\n[capture]\nsource = %q\n[mqtt]\nbroker = %q\n%s",
		top.Store, top.Sensor, spec, m.url(), config))
	a := startAgent(t, nil, "-config", cfg)
	// Once the last tracks are in the outbox, the agent says it waits for the broker.
	a.waitLog(t, "waiting for the broker to acknowledge the outbox", 30*time.Second)
	if !a.running() {
		t.Fatalf("agent exited with the broker down:\n%s", a.stderr.String())
	}
	if strings.Contains(a.stderr.String(), "publish: connected") {
		t.Fatal("agent connected to a stopped broker")
	}
	m.start()
	a.wait(t, 40*time.Second)
	st := bo.waitStopped(top, 20*time.Second)
	bo.waitFor("published tracks", 20*time.Second, func() bool {
		return uint64(len(bo.sensorTracks(top.Sensor))) >= st.TracksPublished
	})
	// The agent has exited with its outbox acknowledged: anything extra is already queued for the back
	// office, ahead of the barrier.
	bo.barrier(top.Topic("cmd/barrier"), 20*time.Second)
	bo.checkValid()
	bo.mu.Lock()
	defer bo.mu.Unlock()
	return a, st, bo.sensorTracks(top.Sensor)
}

const downSpec = "synth:frames=300,seed=5,pace=asap,w=320,h=240,rate=120"

// TestBrokerLateStart: the broker is unreachable when the agent starts; the agent captures and tracks the
// whole clip anyway, and every track goes out once the broker comes up.
func TestBrokerLateStart(t *testing.T) {
	want := linesTracks(t, stdoutRun(t, downSpec))
	top := event.Topics{Store: "late", Sensor: "cam1"}
	_, st, got := brokerDownRun(t, top, downSpec, "")
	if st.Frames != 300 || st.TracksClosed != uint64(len(want)) || st.TracksPublished != st.TracksClosed || len(got) != len(want) {
		t.Fatalf("status %+v, received %d tracks; the clip has %d", st, len(got), len(want))
	}
	paths := map[string]bool{}
	for _, tr := range got {
		paths[pathKey(tr)] = true
	}
	for i, tr := range want {
		if !paths[pathKey(tr)] {
			t.Errorf("track %d of the clip (frames %d..%d) not received", i, tr.Points[0].F, tr.Points[len(tr.Points)-1].F)
		}
	}
}

// TestOutboxOverflow caps the outbox at 3 messages while the broker is down for the whole clip: exactly the
// 3 newest tracks are delivered, the others are dropped and the counts say so.
func TestOutboxOverflow(t *testing.T) {
	want := linesTracks(t, stdoutRun(t, downSpec))
	if len(want) < 10 {
		t.Fatalf("clip has only %d tracks", len(want))
	}
	top := event.Topics{Store: "overflow", Sensor: "cam1"}
	a, st, got := brokerDownRun(t, top, downSpec, "outbox_messages = 3\n")
	if st.TracksClosed != uint64(len(want)) || st.TracksPublished != 3 || len(got) != 3 {
		t.Fatalf("status closed %d published %d, received %d; want closed %d, published and received 3",
			st.TracksClosed, st.TracksPublished, len(got), len(want))
	}
	newest := map[string]bool{}
	for _, tr := range want[len(want)-3:] {
		newest[pathKey(tr)] = true
	}
	for _, tr := range got {
		if !newest[pathKey(tr)] {
			t.Errorf("delivered track (frames %d..%d) is not one of the 3 newest", tr.Points[0].F, tr.Points[len(tr.Points)-1].F)
		}
	}
	if !strings.Contains(a.stderr.String(), "outbox full") {
		t.Errorf("no outbox-full warning in the log:\n%s", a.stderr.String())
	}
	t.Logf("%d closed, %d dropped, 3 delivered", st.TracksClosed, st.TracksClosed-st.TracksPublished)
}

// TestOutboxDroppedInStats checks the live counters: while the broker is down with a 3-message outbox,
// stats received after it comes back report every closed track as published, dropped or queued.
func TestOutboxDroppedInStats(t *testing.T) {
	m := startMosq(t, 0, "persistence true\npersistence_location {{dir}}/\n")
	top := event.Topics{Store: "stats", Sensor: "cam1"}
	bo := newBackOffice(t, m.url(), top.Prefix()+"/#", subOpts{})
	m.stop(syscall.SIGTERM)
	cfg := writeConfig(t, fmt.Sprintf("[sensor]\nstore = %q\nid = %q\n[capture]\nsource = %q\n[mqtt]\nbroker = %q\noutbox_messages = 3\nstatus_interval = \"1s\"\n",
		top.Store, top.Sensor, "synth:seed=5,fps=50,w=320,h=240,rate=150", m.url()))
	a := startAgent(t, nil, "-config", cfg)
	a.waitLog(t, "outbox full", 30*time.Second)
	m.start()
	var last event.Stats
	bo.waitFor("stats with drops", 30*time.Second, func() bool {
		for _, msg := range bo.msgs {
			if msg.Topic() == top.Topic(event.LeafStats) && json.Unmarshal(msg.Payload(), &last) == nil && last.TracksDropped > 0 && last.OutboxDepth == 0 {
				return true
			}
		}
		return false
	})
	a.cmd.Process.Signal(syscall.SIGTERM)
	a.wait(t, 40*time.Second)
	bo.checkValid()
	// Sampled together while tracks keep closing, the counters may disagree by a track in flight.
	acc := last.TracksPublished + last.TracksDropped + uint64(last.OutboxDepth)
	if last.TracksDropped == 0 || acc > last.TracksClosed+1 || acc+1 < last.TracksClosed {
		t.Fatalf("stats %+v: closed != published + dropped + queued", last)
	}
}

// pki writes ECDSA certificates for a test into dir.
type pki struct {
	t   *testing.T
	dir string
}

// ca makes a self-signed CA and returns its certificate, key and PEM path.
func (p pki) ca(name string) (*x509.Certificate, *ecdsa.PrivateKey, string) {
	p.t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		p.t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		p.t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	path := filepath.Join(p.dir, name+".pem")
	p.write(path, "CERTIFICATE", der)
	return cert, key, path
}

// leaf issues a server (DNS names and 127.0.0.1) or client certificate and returns the cert and key paths.
func (p pki) leaf(ca *x509.Certificate, caKey *ecdsa.PrivateKey, name string, server bool, dns ...string) (string, string) {
	p.t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		p.t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.DNSNames, tmpl.IPAddresses = dns, []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		p.t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		p.t.Fatal(err)
	}
	cert, keyPath := filepath.Join(p.dir, name+".pem"), filepath.Join(p.dir, name+".key")
	p.write(cert, "CERTIFICATE", der)
	p.write(keyPath, "PRIVATE KEY", kder)
	return cert, keyPath
}

func (p pki) write(path, typ string, der []byte) {
	p.t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		p.t.Fatal(err)
	}
}

// TestTLS drives the agent through Mosquitto's TLS listeners: server authentication, mutual TLS, and the
// refusals (unknown CA, no client certificate). Credentials from the environment must never show up in
// the agent's log or messages.
func TestTLS(t *testing.T) {
	if mosquittoPath() == "" {
		t.Skip("mosquitto not installed")
	}
	p := pki{t, t.TempDir()}
	ca, caKey, caPath := p.ca("ca")
	_, _, wrongCA := p.ca("wrong-ca")
	srvCert, srvKey := p.leaf(ca, caKey, "server", true, "broker.test")
	cliCert, cliKey := p.leaf(ca, caKey, "client", false)
	tlsPort, mtlsPort := freePort(t), freePort(t)
	listener := func(port int, extra string) string {
		return fmt.Sprintf("listener %d 127.0.0.1\ncafile %s\ncertfile %s\nkeyfile %s\ntls_version tlsv1.2\n%s", port, caPath, srvCert, srvKey, extra)
	}
	m := startMosq(t, 0, listener(tlsPort, "")+listener(mtlsPort, "require_certificate true\n"))
	bo := newBackOffice(t, m.url(), "ashiato/v1/tls/#", subOpts{})
	const user, pass = "e2e-user-Zq9Kx", "pw-Secret-4711-xyzzy"
	env := []string{"ASHIATO_MQTT_USERNAME=" + user, "ASHIATO_MQTT_PASSWORD=" + pass}
	config := func(sensor, source string, port int, mqtt string) string {
		return writeConfig(t, fmt.Sprintf("[sensor]\nstore = \"tls\"\nid = %q\n[capture]\nsource = %q\n[mqtt]\nbroker = \"tls://127.0.0.1:%d\"\nserver_name = \"broker.test\"\n%s",
			sensor, source, port, mqtt))
	}
	noLeak := func(a *agentProc) {
		t.Helper()
		if s := a.stderr.String(); strings.Contains(s, user) || strings.Contains(s, pass) {
			t.Errorf("credentials in the agent's log:\n%s", s)
		}
	}
	const clip = "synth:frames=150,seed=4,pace=asap,w=320,h=240,rate=120"
	for _, c := range []struct {
		name, sensor string
		port         int
		mqtt         string
	}{
		{"server-auth", "srv", tlsPort, fmt.Sprintf("ca_file = %q\n", caPath)},
		{"mutual", "mutual", mtlsPort, fmt.Sprintf("ca_file = %q\ncert_file = %q\nkey_file = %q\n", caPath, cliCert, cliKey)},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := startAgent(t, env, "-config", config(c.sensor, clip, c.port, c.mqtt))
			a.wait(t, 60*time.Second)
			top := event.Topics{Store: "tls", Sensor: c.sensor}
			st := bo.waitStopped(top, 20*time.Second)
			bo.waitFor("tracks", 20*time.Second, func() bool { return uint64(len(bo.sensorTracks(c.sensor))) >= st.TracksClosed })
			if st.TracksClosed == 0 || st.TracksPublished != st.TracksClosed {
				t.Errorf("status %+v", st)
			}
			noLeak(a)
		})
	}
	for _, c := range []struct {
		name, sensor string
		port         int
		mqtt, err    string
	}{
		{"unknown-ca", "wrongca", tlsPort, fmt.Sprintf("ca_file = %q\n", wrongCA), "certificate signed by unknown authority"},
		{"no-client-cert", "nocert", mtlsPort, fmt.Sprintf("ca_file = %q\n", caPath), "publish: no connection"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := startAgent(t, env, "-config", config(c.sensor, "synth:seed=1,rate=0,w=64,h=48", c.port, c.mqtt))
			a.waitLog(t, c.err, 20*time.Second)
			a.waitLog(t, "publish: no connection", 20*time.Second)
			a.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-a.done:
			case <-time.After(30 * time.Second):
				t.Fatalf("agent did not stop:\n%s", a.stderr.String())
			}
			if strings.Contains(a.stderr.String(), "publish: connected") {
				t.Errorf("agent connected:\n%s", a.stderr.String())
			}
			if n := bo.count(event.Topics{Store: "tls", Sensor: c.sensor}.Topic(event.LeafStatus)); n != 0 {
				t.Errorf("%d status messages got through", n)
			}
			noLeak(a)
		})
	}
	bo.mu.Lock()
	for _, msg := range bo.msgs {
		if bytes.Contains(msg.Payload(), []byte(user)) || bytes.Contains(msg.Payload(), []byte(pass)) {
			t.Errorf("credentials in a message on %s", msg.Topic())
		}
	}
	bo.mu.Unlock()
	bo.checkValid()
}

// TestBadCommands sends malformed, oversized, misaddressed and unknown commands to a running agent: it
// keeps running and publishing, and none of them pauses it.
func TestBadCommands(t *testing.T) {
	m := startMosq(t, 0, "")
	top := event.Topics{Store: "cmds", Sensor: "cam1"}
	bo := newBackOffice(t, m.url(), top.Prefix()+"/#", subOpts{clean: true})
	cfg := writeConfig(t, fmt.Sprintf("[sensor]\nstore = %q\nid = %q\n[capture]\nsource = \"synth:seed=3,fps=20,w=320,h=240,rate=60\"\n[mqtt]\nbroker = %q\nstatus_interval = \"1s\"\n",
		top.Store, top.Sensor, m.url()))
	pub := func(topic string, payload []byte, retain bool) {
		t.Helper()
		if tok := bo.c.Publish(topic, 1, retain, payload); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("publish %s: %v", topic, tok.Error())
		}
	}
	// A retained command left on the broker reaches the agent with the retain flag when it subscribes:
	// rejected by design, so an old command cannot replay itself on every reconnect. (Published while the
	// agent is already subscribed, the broker would forward it live, without the flag: a real command.)
	pub(top.Topic(event.LeafPause), []byte(`{}`), true)
	a := startAgent(t, nil, "-config", cfg)
	stats := top.Topic(event.LeafStats)
	bo.waitFor("first stats", 20*time.Second, func() bool { return len(bo.msgs) > 0 && bo.countLocked(stats) > 0 })
	big := []byte(`{"reason":"` + strings.Repeat("x", 10<<10) + `"}`)
	pub(top.Topic(event.LeafPause), []byte(`{bad json`), false)
	pub(top.Topic(event.LeafPause), big, false)
	pub(top.Topic(event.LeafPause), []byte("\xff\xfe{}"), false)
	pub(top.Topic(event.LeafPause), []byte(`{"for":"99999h"}`), false)
	pub(top.Topic(event.LeafResume), []byte(`{"for":"5m"}`), false)
	pub(top.Topic("cmd/foo"), []byte(`{}`), false)
	pub(top.Topic("cmd/pause/x"), []byte(`{}`), false)
	pub(event.Topics{Store: top.Store, Sensor: "cam2"}.Topic(event.LeafPause), []byte(`{}`), false)
	for range 100 { // a flood larger than the command queue
		pub(top.Topic(event.LeafPause), []byte(`{"v":7}`), false)
	}
	pub(top.Topic(event.LeafPause), nil, true) // clear the retained command: reaches the agent as an empty live payload

	after := bo.count(stats)
	afterStatus := bo.count(top.Topic(event.LeafStatus))
	bo.waitFor("stats after the commands", 30*time.Second, func() bool { return bo.countLocked(stats) >= after+4 })
	bo.waitFor("status after the commands", 30*time.Second, func() bool {
		return bo.countLocked(top.Topic(event.LeafStatus)) > afterStatus
	})
	if !a.running() {
		t.Fatalf("agent exited:\n%s", a.stderr.String())
	}
	bo.mu.Lock()
	for _, msg := range bo.msgs {
		if msg.Topic() == top.Topic(event.LeafPrivacy) {
			var p event.Privacy
			if json.Unmarshal(msg.Payload(), &p) == nil && p.State == event.PrivacyPaused {
				t.Errorf("a rejected command paused the sensor: %s", msg.Payload())
			}
		}
	}
	var last event.Stats
	for _, msg := range bo.msgs {
		if msg.Topic() == stats {
			if err := json.Unmarshal(msg.Payload(), &last); err != nil {
				t.Errorf("stats: %v", err) // not Fatal: bo.mu is held
			}
		}
	}
	bo.mu.Unlock()
	if last.Frames == 0 {
		t.Errorf("last stats report no frames: %+v", last)
	}
	if strings.Contains(a.stderr.String(), strings.Repeat("x", 200)) {
		t.Error("the oversized payload was copied into the log")
	}
	// 7 malformed, 1 retained, 100 flooded and 1 empty; the oversized one is dropped before parsing.
	if last.CommandsRejects < 105 {
		t.Errorf("commands_rejected = %d; want every bad command counted (≥ 105)", last.CommandsRejects)
	}
	a.cmd.Process.Signal(syscall.SIGTERM)
	a.wait(t, 40*time.Second)
	bo.checkValid()
	t.Logf("last stats after the commands: commands_rejected=%d frames=%d", last.CommandsRejects, last.Frames)
}

func (b *backOffice) countLocked(topic string) int {
	n := 0
	for _, m := range b.msgs {
		if m.Topic() == topic {
			n++
		}
	}
	return n
}

// TestManyAgents runs 20 agents on short synthetic clips into one Mosquitto: the back office receives every
// track of every one of them.
func TestManyAgents(t *testing.T) {
	m := startMosq(t, 0, "")
	bo := newBackOffice(t, m.url(), "ashiato/v1/load/#", subOpts{clean: true})
	const n = 20
	agents := make([]*agentProc, n)
	for i := range agents {
		agents[i] = startAgent(t, nil, "-source", fmt.Sprintf("synth:frames=200,seed=%d,pace=asap,w=320,h=240,rate=150", i+1),
			"-broker", m.url(), "-store", "load", "-sensor", fmt.Sprintf("cam%02d", i))
	}
	for _, a := range agents {
		a.wait(t, 90*time.Second)
	}
	total := 0
	for i := range agents {
		top := event.Topics{Store: "load", Sensor: fmt.Sprintf("cam%02d", i)}
		st := bo.waitStopped(top, 20*time.Second)
		bo.waitFor(top.Sensor+" tracks", 20*time.Second, func() bool { return uint64(len(bo.sensorTracks(top.Sensor))) >= st.TracksClosed })
		bo.mu.Lock()
		got := len(bo.sensorTracks(top.Sensor))
		bo.mu.Unlock()
		if st.TracksClosed == 0 || st.TracksPublished != st.TracksClosed || uint64(got) != st.TracksClosed {
			t.Errorf("%s: status %+v, received %d tracks", top.Sensor, st, got)
		}
		total += got
	}
	bo.checkValid()
	t.Logf("%d agents, %d tracks received", n, total)
}
