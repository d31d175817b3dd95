package main

// Several collectors: real ashiato-office processes with fixed client ids in one share group against one
// real Mosquitto, fed by the ashiato-load binary. One collector is SIGKILLed mid-stream and restarted;
// afterwards every published track is stored exactly once. Like the other end-to-end tests they run
// without -short.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/jackc/pgx/v5"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/internal/mosquittotest"
	"github.com/ashiato/ashiato/internal/pgtest"
)

// collectorStore is where the collectors of a test keep their rows.
type collectorStore interface {
	// args are the flags that give collector i (0-based) its store.
	args(t *testing.T, i int) []string
	// rows reads every key of tracks and dropped from all the collectors' stores together, counting a key
	// once per row; it may run while the collectors do.
	rows(t *testing.T) (tracks, dropped map[key]int)
}

// sqliteEach gives every collector a SQLite database of its own. A SQLite database serves one office
// process: its erasure (a checkpoint that truncates the WAL) needs no other process to be reading, and
// every process runs its own purge and analytics. With a store each, a track that the broker handed to
// both collectors would show up twice, so this is the stricter check of the broker's side.
type sqliteEach struct{ dirs []string }

func (s *sqliteEach) args(t *testing.T, i int) []string {
	for len(s.dirs) <= i {
		s.dirs = append(s.dirs, filepath.Join(t.TempDir(), fmt.Sprintf("data-%d", len(s.dirs)+1)))
	}
	return []string{"-data-dir", s.dirs[i]}
}

func (s *sqliteEach) rows(t *testing.T) (tracks, dropped map[key]int) {
	tracks, dropped = map[key]int{}, map[key]int{}
	for _, dir := range s.dirs {
		o := &office{t: t, dataDir: dir}
		tr, dr := o.rows()
		for k, n := range tr {
			tracks[k] += n
		}
		for k, n := range dr {
			dropped[k] += n
		}
	}
	return tracks, dropped
}

// TestCollectorsShareSQLiteEach: two collectors, each on its own SQLite database.
func TestCollectorsShareSQLiteEach(t *testing.T) {
	testCollectorsShare(t, &sqliteEach{})
}

// postgresShared gives every collector the same PostgreSQL database, as a chain runs them; the password
// reaches the offices through PGPASSWORD.
type postgresShared struct {
	c    *pgtest.Cluster
	db   string
	conn *pgx.Conn
}

func (s *postgresShared) args(t *testing.T, i int) []string {
	return []string{"-postgres", s.c.DSN(s.db)}
}

func (s *postgresShared) rows(t *testing.T) (tracks, dropped map[key]int) {
	if s.conn == nil {
		s.conn = s.c.Connect(t, s.db)
	}
	read := func(table string) (map[key]int, error) {
		m := map[key]int{}
		rows, err := s.conn.Query(context.Background(), "SELECT store, sensor, track, seg FROM "+table)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var k key
			if err := rows.Scan(&k.store, &k.sensor, &k.track, &k.seg); err != nil {
				return nil, err
			}
			m[k]++
		}
		return m, rows.Err()
	}
	tr, err1 := read("tracks")
	dr, err2 := read("dropped")
	if err := errors.Join(err1, err2); err != nil {
		t.Fatalf("read the rows: %v", err)
	}
	return tr, dr
}

// TestCollectorsSharePostgres: two collectors on one PostgreSQL database, as a chain runs them.
func TestCollectorsSharePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs without -short (make test's full run)")
	}
	c := pgtest.Start(t, pgtest.Options{})
	t.Setenv("PGPASSWORD", c.Password())
	testCollectorsShare(t, &postgresShared{c: c, db: c.NewDatabase(t)})
	// Partitions are created on demand while both collectors write and the test reads: creating one must
	// not deadlock with a batch or a reader (the server would abort one of them and log it).
	if log := c.Log(); strings.Contains(log, "deadlock detected") {
		t.Errorf("the server detected a deadlock:\n%s", log)
	}
}

// testCollectorsShare runs two collectors, office+1 and office+2, in the share group "office"; feeds them
// 40 sensors' tracks from ashiato-load; SIGKILLs office+1 once it has stored a quarter of them, restarts it
// once office+2 alone has stored a tenth more, and checks that every track the broker acknowledged to the
// generator is stored exactly once, and that both collectors stored some.
func testCollectorsShare(t *testing.T, store collectorStore) {
	b := mosquittotest.Start(t, mosquittotest.Options{Persistence: true})
	load := binary(t, "../../../tools/ashiato-load", "ashiato-load")
	const fence = "feedfacefeedfacefeedfac5"
	ob := newObserver(t, b.URL(), fence)
	probe(t, b.URL())
	var offices []*office
	for i := range 2 {
		listen := fmt.Sprintf("127.0.0.1:%d", mosquittotest.FreePort(t))
		o := &office{t: t, bin: binary(t, ".", "ashiato-office"), health: "http://" + listen + "/healthz"}
		o.args = append([]string{"serve", "-broker", b.URL(), "-listen", listen, "-client-id", fmt.Sprintf("office+%d", i+1),
			"-share", "office"}, store.args(t, i)...)
		o.start()
		waitSubscribed(t, o)
		offices = append(offices, o)
	}
	const tracks = 2000
	gen := start(t, load, "-broker", b.URL(), "-sensors", "40", "-rate", "250", "-tracks", strconv.Itoa(tracks),
		"-status-every", "2s", "-client-id", "e2e-load")
	count := func() int {
		tr, dr := store.rows(t)
		return len(tr) + len(dr)
	}
	waitRows(t, count, tracks/4, offices)
	offices[0].p.kill()
	at := count()
	t.Logf("office+1 SIGKILLed at %d rows", at)
	waitRows(t, count, at+tracks/10, offices[1:])
	offices[0].start()
	t.Logf("office+1 restarted at %d rows", count())

	select {
	case <-gen.done:
		if gen.err != nil {
			t.Fatalf("ashiato-load: %v\n%s", gen.err, gen.output())
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("ashiato-load still running after 2 min:\n%s", gen.output())
	}
	acked := acknowledged(t, gen.output())
	if acked != tracks {
		t.Fatalf("ashiato-load: %d of %d tracks acknowledged:\n%s", acked, tracks, gen.output())
	}
	// The fence goes to one member of the group only, so it tells that the observer has everything, not
	// that both collectors do: wait for the stores to hold as many tracks as the observer saw.
	publishFence(t, b.URL(), fence)
	select {
	case <-ob.fence:
	case <-time.After(60 * time.Second):
		t.Fatal("the observer never got the fence")
	}
	want := ob.unique() + 1 // with the fence
	deadline := time.Now().Add(2 * time.Minute)
	for count() < want {
		if time.Now().After(deadline) {
			t.Fatalf("%d rows after 2 min, want %d:\n%s\n%s", count(), want, offices[0].p.output(), offices[1].p.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, o := range offices {
		o.stop()
	}
	tr, dr := store.rows(t)
	checkOnce(t, ob, tr, dr, tracks)
	for _, o := range offices {
		if !strings.Contains(o.p.output(), "share_group=office") {
			t.Errorf("%v did not run in the share group:\n%s", o.args, o.p.output())
		}
	}
	if per := perCollector(t, store); len(per) == 2 && (per[0] == 0 || per[1] == 0) {
		t.Errorf("rows per collector %v: the group did not split the stream", per)
	}
}

// perCollector counts the track rows of each collector, when each has a store of its own.
func perCollector(t *testing.T, store collectorStore) []int {
	s, ok := store.(*sqliteEach)
	if !ok {
		return nil
	}
	var out []int
	for _, dir := range s.dirs {
		tr, _ := (&office{t: t, dataDir: dir}).rows()
		out = append(out, len(tr))
	}
	t.Logf("rows per collector: %v", out)
	return out
}

// checkOnce checks that every (track, seg) the observer received is stored once, in tracks or dropped,
// and that nothing else is.
func checkOnce(t *testing.T, ob *observer, tracks, dropped map[key]int, min int) {
	t.Helper()
	ob.mu.Lock()
	defer ob.mu.Unlock()
	lost, dup := 0, 0
	for k := range ob.tracks {
		switch n := tracks[k] + dropped[k]; {
		case n == 0:
			lost++
		case n > 1:
			dup++
			t.Errorf("%v stored %d times (tracks %d, dropped %d)", k, n, tracks[k], dropped[k])
		}
	}
	for _, m := range []map[key]int{tracks, dropped} {
		for k := range m {
			if ob.tracks[k] == 0 {
				t.Errorf("%v stored but never published", k)
			}
		}
	}
	t.Logf("published (track, seg): %d; lost %d, duplicates %d", len(ob.tracks), lost, dup)
	if lost != 0 || len(ob.tracks) < min {
		t.Errorf("lost %d of %d, want 0 of at least %d", lost, len(ob.tracks), min)
	}
}

// unique is how many (track, seg) the observer received, the fence left out.
func (ob *observer) unique() int {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	n := 0
	for k := range ob.tracks {
		if k.sensor != "fence" {
			n++
		}
	}
	return n
}

// probe publishes a retained status of a sensor "probe/probe": a collector has subscribed once it has
// received it (waitSubscribed).
func probe(t *testing.T, broker string) {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(broker).SetClientID("e2e-probe"))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("probe: %v", tok.Error())
	}
	defer c.Disconnect(100)
	p := fmt.Appendf(nil, `{"v":%d,"state":"online","birth":1,"sensor":"probe","capturing":true,"ring_locked":true,`+
		`"frames":0,"frames_dropped":0,"tracks_closed":0,"tracks_published":0}`, event.Version)
	tok := c.Publish(event.Topics{Store: "probe", Sensor: "probe"}.Topic(event.LeafStatus), 1, true, p)
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("probe: %v", tok.Error())
	}
}

var statusCounter = regexp.MustCompile(`(?m)^ashiato_office_messages_total\{[^}]*topic="status"[^}]*\} (\d+)`)

// waitSubscribed waits until o's /metrics counts a status message: its subscriptions are in place.
func waitSubscribed(t *testing.T, o *office) {
	t.Helper()
	url := strings.TrimSuffix(o.health, "/healthz") + "/metrics"
	deadline := time.Now().Add(30 * time.Second)
	for {
		if r, err := http.Get(url); err == nil {
			b, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if m := statusCounter.FindSubmatch(b); m != nil && string(m[1]) != "0" {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v did not receive the probe's status in 30 s:\n%s", o.args, o.p.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitRows waits until count reaches n, failing with the offices' output after a minute.
func waitRows(t *testing.T, count func() int, n int, offices []*office) {
	t.Helper()
	waitRowsWithin(t, time.Minute, count, n, offices)
}

// waitRowsWithin waits until count reaches n, failing with the offices' output when it has not within d.
func waitRowsWithin(t *testing.T, d time.Duration, count func() int, n int, offices []*office) {
	t.Helper()
	deadline := time.Now().Add(d)
	for count() < n {
		if time.Now().After(deadline) {
			var out strings.Builder
			for _, o := range offices {
				out.WriteString(o.p.output())
			}
			t.Fatalf("%d rows after %v, want %d:\n%s", count(), d, n, out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var ackLine = regexp.MustCompile(`tracks (\d+)  acknowledged (\d+)`)

// acknowledged reads the number of acknowledged tracks from ashiato-load's report.
func acknowledged(t *testing.T, out string) int {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if m := ackLine.FindStringSubmatch(sc.Text()); m != nil {
			n, _ := strconv.Atoi(m[2])
			return n
		}
	}
	t.Fatalf("no report in ashiato-load's output:\n%s", out)
	return 0
}
