package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/ashiato/ashiato/agent/broker"
	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/schemas"
)

var top = event.Topics{Store: "st", Sensor: "cam1"}

func track(t testing.TB, id string) []byte {
	t.Helper()
	return mustJSON(t, event.Track{V: 1, Sensor: top.Sensor, ID: id, Space: event.SpaceImage, W: 64, H: 48,
		Final: true, Points: []event.Point{{F: 1, T: 1000, X: 0.5, Y: 0.5}}})
}

func status(t testing.TB, state string, birth uint64) []byte {
	t.Helper()
	return mustJSON(t, event.Status{V: 1, State: state, Birth: birth, Sensor: top.Sensor})
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFilter(t *testing.T) {
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	other := event.Topics{Store: "st", Sensor: "cam2"}
	f := newFilter(v)
	steps := []struct {
		topic   string
		payload []byte
		want    verdict
	}{
		{top.Topic(event.LeafTracks), track(t, "00000000000000aa"), show},
		{top.Topic(event.LeafTracks), track(t, "00000000000000aa"), duplicate},
		{other.Topic(event.LeafTracks), track(t, "00000000000000aa"), show}, // ids are per sensor
		{top.Topic(event.LeafTracks), track(t, "00000000000000bb"), show},
		{top.Topic(event.LeafTracks), []byte(`{"v":1,"track":"00000000000000cc"}`), invalid},
		{top.Topic(event.LeafStatus), status(t, event.StateOnline, 3), show},
		{top.Topic(event.LeafStatus), status(t, event.StateOffline, 2), stale}, // a late will of connection 2
		{other.Topic(event.LeafStatus), status(t, event.StateOffline, 2), show},
		{top.Topic(event.LeafStatus), status(t, event.StateOffline, 3), show},
		{top.Topic(event.LeafStatus), status(t, event.StateOnline, 1), show}, // the agent restarted
		{top.Topic(event.LeafStatus), status(t, event.StateOffline, 1), show},
		{top.Topic("cmd/foo"), []byte(`{}`), show}, // outside the contract: shown, not judged
	}
	for i, s := range steps {
		got, err := f.handle(s.topic, s.payload)
		if got != s.want {
			t.Errorf("step %d (%s %s): verdict %d (%v), want %d", i, s.topic, s.payload, got, err, s.want)
		}
	}
	// Without a validator nothing is invalid for its schema, but dedupe still works.
	f = newFilter(nil)
	for i, want := range []verdict{show, duplicate} {
		if got, _ := f.handle(top.Topic(event.LeafTracks), track(t, "00000000000000aa")); got != want {
			t.Errorf("no validation, delivery %d: %d", i, got)
		}
	}
}

// lineWriter collects stdout and signals each line.
type lineWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	lines chan struct{}
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for range bytes.Count(p, []byte("\n")) {
		select {
		case w.lines <- struct{}{}:
		default:
		}
	}
	return w.buf.Write(p)
}

func (w *lineWriter) decoded(t *testing.T) []event.Line {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []event.Line
	sc := bufio.NewScanner(bytes.NewReader(w.buf.Bytes()))
	for sc.Scan() {
		var l event.Line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("output line %q: %v", sc.Bytes(), err)
		}
		out = append(out, l)
	}
	return out
}

func publisher(t *testing.T, url string) paho.Client {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(fmt.Sprintf("pub-%d", time.Now().UnixNano())))
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(50) })
	return c
}

func pub(t *testing.T, c paho.Client, topic string, payload []byte, retain bool) {
	t.Helper()
	if tok := c.Publish(topic, 1, retain, payload); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
}

// TestRun runs the tool against the embedded broker: the retained status arrives first, duplicates and a
// stale will are skipped, an invalid track is printed and makes the exit status 1, and -count ends it.
func TestRun(t *testing.T) {
	b, err := broker.Start("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	c := publisher(t, b.URL())
	pub(t, c, top.Topic(event.LeafStatus), status(t, event.StateOnline, 2), true)

	out := &lineWriter{lines: make(chan struct{}, 100)}
	var errOut bytes.Buffer
	var errMu sync.Mutex
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"-broker", b.URL(), "-store", top.Store, "-sensor", top.Sensor,
			"-validate", "-count", "4", "-timeout", "20s"}, out, syncWriter{&errMu, &errOut})
	}()
	select {
	case <-out.lines: // subscribed: the retained status was printed
	case <-time.After(10 * time.Second):
		t.Fatal("retained status not printed")
	}
	pub(t, c, top.Topic(event.LeafStatus), status(t, event.StateOffline, 1), false) // stale
	pub(t, c, top.Topic(event.LeafTracks), track(t, "0123456789abcdef"), false)
	pub(t, c, top.Topic(event.LeafTracks), track(t, "0123456789abcdef"), false) // redelivery
	pub(t, c, event.Topics{Store: top.Store, Sensor: "other"}.Topic(event.LeafTracks), track(t, "ffffffffffffffff"), false)
	pub(t, c, top.Topic(event.LeafTracks), []byte(`{"v":1,"track":"x"}`), false) // invalid
	pub(t, c, top.Topic(event.LeafStats), []byte(`not json`), false)             // invalid, and the 4th printed
	pub(t, c, top.Topic(event.LeafTracks), track(t, "0123456789abcdee"), false)  // after -count: not printed
	var code int
	select {
	case code = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("run did not end")
	}
	lines := out.decoded(t)
	errMu.Lock()
	stderr := errOut.String()
	errMu.Unlock()
	if code != 1 {
		t.Errorf("exit %d, want 1 for the invalid messages; stderr:\n%s", code, stderr)
	}
	var got []string
	for _, l := range lines {
		got = append(got, strings.TrimPrefix(l.Topic, top.Prefix()+"/")+" "+string(l.Payload))
	}
	want := []string{
		"status " + string(status(t, event.StateOnline, 2)),
		"tracks " + string(track(t, "0123456789abcdef")),
		`tracks {"v":1,"track":"x"}`,
		`stats "not json"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("printed:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !lines[0].Retain || lines[1].Retain || lines[1].QoS != 1 {
		t.Errorf("retain/qos flags wrong: %+v", lines[:2])
	}
	for _, s := range []string{"1 duplicate tracks", "1 stale wills", "2 invalid", "INVALID on " + top.Topic(event.LeafStats)} {
		if !strings.Contains(stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, stderr)
		}
	}
}

type syncWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (s syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func TestRunExitCodes(t *testing.T) {
	b, err := broker.Start("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var out, errOut bytes.Buffer
	for _, args := range [][]string{
		{},
		{"-broker", b.URL(), "-store", "a/b"},
		{"-broker", b.URL(), "-sensor", "x"},
		{"-broker", b.URL(), "-filter", "#", "-store", "a"},
		{"-broker", b.URL(), "-count", "-1"},
		{"-broker", b.URL(), "extra"},
	} {
		if code := run(context.Background(), args, &out, &errOut); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	// -timeout without -count is a normal end; -timeout before -count is not.
	if code := run(context.Background(), []string{"-broker", b.URL(), "-timeout", "300ms"}, &out, &errOut); code != 0 {
		t.Errorf("timeout without count: exit %d\n%s", code, errOut.String())
	}
	if code := run(context.Background(), []string{"-broker", b.URL(), "-timeout", "300ms", "-count", "1"}, &out, &errOut); code != 3 {
		t.Errorf("timeout before count: exit %d", code)
	}
	b.Close()
	if code := run(context.Background(), []string{"-broker", b.URL(), "-timeout", "700ms"}, &out, &errOut); code != 3 {
		t.Errorf("no broker: exit %d", code)
	}
}
