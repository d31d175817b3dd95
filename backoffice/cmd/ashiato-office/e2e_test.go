package main

// End-to-end: the real ashiato-office and ashiato binaries against a real Mosquitto with persistence. The
// office or the broker is SIGKILLed while tracks flow; afterwards every track the broker delivered is in
// tracks or dropped exactly once. They run without -short (make test's full run).

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	_ "modernc.org/sqlite"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/backoffice/sqlite"
	"github.com/ashiato/ashiato/internal/mosquittotest"
)

var builds struct {
	sync.Mutex
	paths map[string]string
}

// binary builds the main package in dir (relative to this package) once per test run.
func binary(t *testing.T, dir, name string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: runs without -short (make test's full run)")
	}
	builds.Lock()
	defer builds.Unlock()
	if p, ok := builds.paths[dir]; ok {
		return p
	}
	out := filepath.Join(os.TempDir(), fmt.Sprintf("ashiato-office-e2e-%d", os.Getpid()), name)
	cmd := exec.Command("go", "build", "-o", out, dir)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", dir, err, b)
	}
	if builds.paths == nil {
		builds.paths = map[string]string{}
	}
	builds.paths[dir] = out
	return out
}

// proc is a running binary whose output is kept for the test's log.
type proc struct {
	cmd  *exec.Cmd
	out  *bytes.Buffer
	mu   sync.Mutex
	done chan struct{}
	err  error
}

func (p *proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

func start(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{out: &bytes.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = p, p
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.cmd.Process.Kill(); <-p.done })
	return p
}

func (p *proc) kill() {
	p.cmd.Process.Kill()
	<-p.done
}

// office is an ashiato-office serve process on a data directory.
type office struct {
	t       *testing.T
	bin     string
	args    []string
	health  string
	dataDir string
	p       *proc
	// read reads the store's rows; nil means the SQLite database in dataDir.
	read func() (tracks, dropped map[key]int)
}

func newOffice(t *testing.T, broker string) *office {
	t.Helper()
	o := &office{t: t, bin: binary(t, ".", "ashiato-office"), dataDir: filepath.Join(t.TempDir(), "data")}
	listen := fmt.Sprintf("127.0.0.1:%d", mosquittotest.FreePort(t))
	o.health = "http://" + listen + "/healthz"
	o.args = []string{"serve", "-broker", broker, "-data-dir", o.dataDir, "-listen", listen}
	o.start()
	return o
}

// start runs the office and waits until /healthz says it is healthy: from then on it receives what is published.
func (o *office) start() {
	o.t.Helper()
	o.p = start(o.t, o.bin, o.args...)
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := http.Get(o.health)
		if err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return
			}
		}
		select {
		case <-o.p.done:
			o.t.Fatalf("office exited: %v\n%s", o.p.err, o.p.output())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			o.t.Fatalf("office not healthy after 30 s:\n%s", o.p.output())
		}
	}
}

// stop stops the office with SIGTERM and checks that it exits cleanly.
func (o *office) stop() {
	o.t.Helper()
	o.p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-o.p.done:
		if o.p.err != nil {
			o.t.Errorf("office after SIGTERM: %v\n%s", o.p.err, o.p.output())
		}
	case <-time.After(30 * time.Second):
		o.t.Fatalf("office still running 30 s after SIGTERM:\n%s", o.p.output())
	}
}

type key struct {
	store, sensor, track string
	seg                  int
}

// rows reads every key of tracks and dropped, read-only, while the office may be running.
func (o *office) rows() (tracks, dropped map[key]int) {
	o.t.Helper()
	if o.read != nil {
		return o.read()
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(o.dataDir, sqlite.FileName)+"?mode=ro&_busy_timeout=10000")
	if err != nil {
		o.t.Fatal(err)
	}
	defer db.Close()
	read := func(table string) map[key]int {
		m := map[key]int{}
		rows, err := db.Query("SELECT store, sensor, track, seg FROM " + table)
		if err != nil {
			return m // not created yet
		}
		defer rows.Close()
		for rows.Next() {
			var k key
			if err := rows.Scan(&k.store, &k.sensor, &k.track, &k.seg); err != nil {
				o.t.Fatal(err)
			}
			m[k]++
		}
		return m
	}
	return read("tracks"), read("dropped")
}

func (o *office) count() int {
	tr, dr := o.rows()
	return len(tr) + len(dr)
}

// observer is an independent subscriber with a persistent session: the reference for what was published.
type observer struct {
	mu      sync.Mutex
	tracks  map[key]int
	fence   chan struct{}
	fenceID string
	c       paho.Client
}

func newObserver(t *testing.T, broker, fenceID string) *observer {
	t.Helper()
	ob := &observer{tracks: map[key]int{}, fence: make(chan struct{}), fenceID: fenceID}
	subscribed := make(chan struct{}, 10)
	opts := paho.NewClientOptions().AddBroker(broker).SetClientID("e2e-observer").SetCleanSession(false).
		SetAutoReconnect(true).SetConnectRetry(true).SetConnectRetryInterval(100 * time.Millisecond).
		SetMaxReconnectInterval(500 * time.Millisecond).SetOrderMatters(true)
	opts.SetDefaultPublishHandler(ob.add)
	opts.SetOnConnectHandler(func(c paho.Client) {
		tok := c.Subscribe(event.Root+"/+/+/tracks", 1, nil)
		go func() {
			if tok.WaitTimeout(10*time.Second) && tok.Error() == nil {
				subscribed <- struct{}{}
			}
		}()
	})
	ob.c = paho.NewClient(opts)
	ob.c.Connect()
	select {
	case <-subscribed:
	case <-time.After(15 * time.Second):
		t.Fatal("observer did not subscribe")
	}
	t.Cleanup(func() { ob.c.Disconnect(100) })
	return ob
}

func (ob *observer) add(_ paho.Client, m paho.Message) {
	var tr event.Track
	if json.Unmarshal(m.Payload(), &tr) != nil {
		return
	}
	ob.mu.Lock()
	defer ob.mu.Unlock()
	parts := bytes.Split([]byte(m.Topic()), []byte("/"))
	k := key{string(parts[2]), string(parts[3]), tr.ID, tr.Seg}
	ob.tracks[k]++
	if tr.ID == ob.fenceID && ob.tracks[k] == 1 {
		close(ob.fence)
	}
}

// publishFence publishes a track from another sensor after the agent has finished: the broker queues it
// behind everything the agent sent, so a subscriber that has it has everything before it.
func publishFence(t *testing.T, broker, id string) {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(broker).SetClientID("e2e-fence"))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("fence: %v", tok.Error())
	}
	defer c.Disconnect(100)
	tr := event.Track{V: 1, Sensor: "fence", ID: id, Space: event.SpaceFloor, W: 1, H: 1, Final: true}
	for i := range 40 {
		tr.Points = append(tr.Points, event.Point{F: uint64(i), T: time.Now().UnixMilli() + int64(i)*100, X: float64(i) / 10, Y: 0})
	}
	b, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	if tok := c.Publish("ashiato/v1/store-1/fence/tracks", 1, false, b); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("fence: %v", tok.Error())
	}
}

// waitFence waits until both the observer and the office have the fence.
func waitFence(t *testing.T, ob *observer, o *office, id string) {
	t.Helper()
	select {
	case <-ob.fence:
	case <-time.After(60 * time.Second):
		t.Fatal("the observer never got the fence")
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		tr, dr := o.rows()
		k := key{"store-1", "fence", id, 0}
		if tr[k]+dr[k] > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the office never stored the fence:\n%s", o.p.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkExactlyOnce compares the office's rows with what the observer received: every published (track,
// seg) is in tracks or dropped, once, and nothing else is.
func checkExactlyOnce(t *testing.T, ob *observer, o *office) {
	t.Helper()
	tracks, dropped := o.rows()
	ob.mu.Lock()
	defer ob.mu.Unlock()
	unique := 0
	for k := range ob.tracks {
		if k.sensor == "fence" {
			continue
		}
		unique++
		if n := tracks[k] + dropped[k]; n != 1 {
			t.Errorf("%v: stored %d times (tracks %d, dropped %d)", k, n, tracks[k], dropped[k])
		}
	}
	stored := 0
	for k := range tracks {
		if k.sensor != "fence" {
			stored++
			if ob.tracks[k] == 0 {
				t.Errorf("%v stored but never published", k)
			}
		}
	}
	for k := range dropped {
		if k.sensor != "fence" {
			stored++
			if ob.tracks[k] == 0 {
				t.Errorf("%v dropped but never published", k)
			}
		}
	}
	t.Logf("published (unique track, seg): %d; rows in tracks + dropped: %d (%d + %d, fence included)",
		unique, stored, len(tracks), len(dropped))
	if unique != stored || unique < 20 {
		t.Errorf("tracks + dropped = %d, published = %d", stored, unique)
	}
}

func startAgent(t *testing.T, broker, sensor, spec string) *proc {
	t.Helper()
	return start(t, binary(t, "../../../agent/cmd/ashiato", "ashiato"), "-source", spec, "-broker", broker,
		"-store", "store-1", "-sensor", sensor, "-listen", "127.0.0.1:0", "-log-level", "warn")
}

func waitExit(t *testing.T, p *proc, d time.Duration) {
	t.Helper()
	select {
	case <-p.done:
		if p.err != nil {
			t.Fatalf("agent: %v\n%s", p.err, p.output())
		}
	case <-time.After(d):
		t.Fatalf("agent still running after %v", d)
	}
}

// TestOfficeKilledMidBatch SIGKILLs the office three times while a demo agent publishes as fast as it can,
// and restarts it each time.
func TestOfficeKilledMidBatch(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{Persistence: true})
	const fence = "feedfacefeedfacefeedface"
	ob := newObserver(t, b.URL(), fence)
	o := newOffice(t, b.URL())
	agent := startAgent(t, b.URL(), "cam-1", "synth:frames=4000,seed=7,pace=asap,rate=30")
	for _, at := range []int{15, 60, 110} {
		waitRows(t, o.count, at, []*office{o})
		o.p.kill()
		t.Logf("office SIGKILLed at %d rows", o.count())
		o.start()
	}
	t0 := time.Now()
	waitExit(t, agent, 2*time.Minute)
	t.Logf("agent done after %v", time.Since(t0))
	publishFence(t, b.URL(), fence)
	waitFence(t, ob, o, fence)
	t.Logf("fence after %v", time.Since(t0))
	o.stop()
	checkExactlyOnce(t, ob, o)
}

// TestBrokerKilledMidStream SIGKILLs Mosquitto while a demo agent publishes in real time, and restarts it
// on the same port and persistence directory.
func TestBrokerKilledMidStream(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{Persistence: true})
	const fence = "feedfacefeedfacefeedfac0"
	ob := newObserver(t, b.URL(), fence)
	o := newOffice(t, b.URL())
	agent := startAgent(t, b.URL(), "cam-2", "synth:frames=300,seed=3,rate=120")
	for _, at := range []int{8, 20} {
		waitRowsWithin(t, 90*time.Second, o.count, at, []*office{o})
		b.Stop(syscall.SIGKILL)
		t.Logf("broker SIGKILLed at %d rows", o.count())
		b.Restart()
	}
	waitExit(t, agent, 3*time.Minute)
	publishFence(t, b.URL(), fence)
	waitFence(t, ob, o, fence)
	o.stop()
	checkExactlyOnce(t, ob, o)
	if out := o.p.output(); !bytes.Contains([]byte(out), []byte("lost the broker")) {
		t.Errorf("the office did not notice the broker going away:\n%s", out)
	}
}

// TestSIGTERMIsClean: a stopped office exits 0 and leaves a database the next start opens.
func TestSIGTERMIsClean(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{})
	o := newOffice(t, b.URL())
	o.stop()
	o.start()
	o.stop()
	if _, err := sqlite.Open(context.Background(), o.dataDir, sqlite.Options{}); err != nil {
		t.Fatal(err)
	}
}
