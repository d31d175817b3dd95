package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/drivers/synth"
)

// buildAgent builds the ashiato binary once per test run.
var buildOnce struct {
	sync.Once
	path string
	err  error
}

func agentBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: runs without -short (make test's full run)")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ashiato-e2e")
		if err != nil {
			buildOnce.err = err
			return
		}
		buildOnce.path = filepath.Join(dir, "ashiato")
		cmd := exec.Command("go", "build", "-o", buildOnce.path, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildOnce.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildOnce.err != nil {
		t.Fatal(buildOnce.err)
	}
	return buildOnce.path
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func mosquittoPath() string {
	for _, p := range []string{"/usr/sbin/mosquitto", "/usr/bin/mosquitto"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p
	}
	return ""
}

// startMosquitto runs a real Mosquitto on a free loopback port for the duration of the test.
func startMosquitto(t *testing.T) string {
	t.Helper()
	bin := mosquittoPath()
	if bin == "" {
		t.Skip("mosquitto not installed (apt-get install mosquitto; .ci/run installs it)")
	}
	port := freePort(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "mosquitto.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n", port)), 0o600)
	cmd := exec.Command(bin, "-c", conf)
	var logBuf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logBuf, &logBuf
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting mosquitto: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		if i > 100 {
			t.Fatalf("mosquitto did not listen on %s: %s", addr, logBuf.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "tcp://" + addr
}

// subscriber collects every message on a topic filter.
type subscriber struct {
	mu   sync.Mutex
	msgs []paho.Message
	c    paho.Client
}

func subscribe(t *testing.T, broker, filter string) *subscriber {
	t.Helper()
	s := &subscriber{}
	opts := paho.NewClientOptions().AddBroker(broker).SetClientID(fmt.Sprintf("e2e-sub-%d", time.Now().UnixNano()))
	s.c = paho.NewClient(opts)
	if tok := s.c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscriber connect: %v", tok.Error())
	}
	tok := s.c.Subscribe(filter, 1, func(_ paho.Client, m paho.Message) {
		s.mu.Lock()
		s.msgs = append(s.msgs, m)
		s.mu.Unlock()
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	t.Cleanup(func() { s.c.Disconnect(100) })
	return s
}

func (s *subscriber) on(topic string) [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out [][]byte
	for _, m := range s.msgs {
		if m.Topic() == topic {
			out = append(out, m.Payload())
		}
	}
	return out
}

// checkTrack validates one track message against the documented schema.
func checkTrack(t *testing.T, b []byte, sensor string) event.Track {
	t.Helper()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("track is not JSON: %v: %s", err, b)
	}
	for _, k := range []string{"v", "sensor", "track", "space", "w", "h", "points"} {
		if _, ok := raw[k]; !ok {
			t.Fatalf("track lacks %q: %s", k, b)
		}
	}
	var tr event.Track
	if err := json.Unmarshal(b, &tr); err != nil {
		t.Fatalf("track does not decode: %v", err)
	}
	if tr.V != 1 || tr.Sensor != sensor || tr.Space != "image" || tr.W <= 0 || tr.H <= 0 || len(tr.ID) < 16 {
		t.Fatalf("bad track header: %+v", tr)
	}
	if len(tr.Points) == 0 {
		t.Fatal("track without points")
	}
	prev := tr.Points[0]
	for i, p := range tr.Points {
		if p.X < 0 || p.X > 1 || p.Y < 0 || p.Y > 1 {
			t.Fatalf("point %d outside [0,1]: %+v", i, p)
		}
		if i > 0 && (p.F <= prev.F || p.T < prev.T) {
			t.Fatalf("points not in frame order at %d: %+v after %+v", i, p, prev)
		}
		prev = p
	}
	return tr
}

func TestSynthThroughMosquitto(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	broker := startMosquitto(t)
	bin := agentBinary(t)
	const frames = 600
	spec := fmt.Sprintf("synth:frames=%d,seed=7,pace=asap", frames)
	opts, err := synth.ParseSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	people := synth.PeopleIn(opts, frames)

	sub := subscribe(t, broker, "ashiato/v1/e2e/cam1/#")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-source", spec, "-broker", broker, "-store", "e2e", "-sensor", "cam1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("agent: %v\n%s", err, stderr.String())
	}
	top := event.Topics{Store: "e2e", Sensor: "cam1"}
	// The agent exits only after the broker acknowledged every track, so they are at the broker now;
	// give the subscriber's own delivery a moment.
	deadline := time.Now().Add(5 * time.Second)
	var statuses [][]byte
	for time.Now().Before(deadline) {
		statuses = sub.on(top.Topic(event.LeafStatus))
		if len(statuses) > 0 {
			var st event.Status
			if err := json.Unmarshal(statuses[len(statuses)-1], &st); err != nil {
				t.Fatalf("status: %v", err)
			}
			if st.State == event.StateStopped {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	tracks := sub.on(top.Topic(event.LeafTracks))
	ids := map[string]bool{}
	for _, b := range tracks {
		tr := checkTrack(t, b, "cam1")
		if ids[tr.ID] {
			t.Fatalf("track id %s reused", tr.ID)
		}
		ids[tr.ID] = true
		if tr.W != 640 || tr.H != 480 {
			t.Fatalf("track image size %dx%d", tr.W, tr.H)
		}
	}
	var last event.Status
	if len(statuses) == 0 || json.Unmarshal(statuses[len(statuses)-1], &last) != nil {
		t.Fatalf("no status received")
	}
	if last.State != event.StateStopped || last.Frames != frames || last.TracksClosed != uint64(len(tracks)) ||
		last.TracksPublished != last.TracksClosed {
		t.Fatalf("final status %+v; received %d tracks", last, len(tracks))
	}
	// Every synthetic walker should be one track; allow a tolerance for walkers clipped at the ends of the
	// clip and for the odd split or merge.
	lo, hi := people*7/10, people*13/10+1
	t.Logf("%d walkers in the scene, %d tracks received", people, len(tracks))
	if len(tracks) < lo || len(tracks) > hi {
		t.Fatalf("%d tracks for %d walkers; want %d..%d", len(tracks), people, lo, hi)
	}
	if !strings.Contains(stderr.String(), "indicator (virtual)") {
		t.Errorf("the virtual indicator did not log:\n%s", stderr.String())
	}
}

// TestSIGTERMClosesAndDeliversOpenTracks stops a live-paced run with SIGTERM: the agent must close every
// open track, have the broker acknowledge it, publish "stopped" and exit 0.
func TestSIGTERMClosesAndDeliversOpenTracks(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	broker := startMosquitto(t)
	bin := agentBinary(t)
	top := event.Topics{Store: "e2e", Sensor: "term"}
	sub := subscribe(t, broker, top.Prefix()+"/#")
	// 50 fps real time, stats every second: the signal is sent once stats say that people are in view.
	cmd := exec.Command(bin, "-source", "synth:fps=50,seed=3", "-broker", broker, "-store", "e2e", "-sensor", "term",
		"-stats-interval", "1s")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	inView := time.Now().Add(60 * time.Second)
	for seen := false; !seen; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(inView) {
			t.Fatalf("no stats with people in view within 60 s\n%s", stderr.String())
		}
		for _, b := range sub.on(top.Topic(event.LeafStats)) {
			var st event.Stats
			if err := json.Unmarshal(b, &st); err != nil {
				t.Fatalf("stats %q: %v", b, err)
			}
			seen = seen || st.InView > 0
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- cmd.Wait() }()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("agent exit after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("agent did not exit after SIGTERM\n%s", stderr.String())
	}
	var last event.Status
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if st := sub.on(top.Topic(event.LeafStatus)); len(st) > 0 {
			if err := json.Unmarshal(st[len(st)-1], &last); err != nil {
				t.Fatalf("status: %v", err)
			}
			if last.State == event.StateStopped {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	tracks := sub.on(top.Topic(event.LeafTracks))
	if last.State != event.StateStopped || last.Frames == 0 {
		t.Fatalf("final status %+v", last)
	}
	if last.TracksClosed == 0 || last.TracksPublished != last.TracksClosed || uint64(len(tracks)) != last.TracksClosed {
		t.Fatalf("closed %d, acknowledged %d, received %d: every track open at SIGTERM must be delivered",
			last.TracksClosed, last.TracksPublished, len(tracks))
	}
}

// TestLongTracksGoOutInSegments sets a short segment time: tracks open longer than it are published in
// parts that share the track id, numbered from 0, with final set only on the last, and that join without
// gaps or overlap.
func TestLongTracksGoOutInSegments(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	cfg := filepath.Join(t.TempDir(), "seg.toml")
	if err := os.WriteFile(cfg, []byte("[mqtt]\nsegment_time = \"10s\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(agentBinary(t), "-config", cfg, "-source", "synth:frames=1200,seed=7,pace=asap", "-sink", "stdout")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("agent: %v\n%s", err, stderr.String())
	}
	parts := map[string][]event.Track{}
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var l event.Line
		if json.Unmarshal(sc.Bytes(), &l) != nil || !strings.HasSuffix(l.Topic, "/tracks") {
			continue
		}
		tr := checkTrack(t, l.Payload, "sensor-1")
		parts[tr.ID] = append(parts[tr.ID], tr)
	}
	segmented := 0
	for id, ps := range parts {
		if len(ps) > 1 {
			segmented++
		}
		for i, p := range ps {
			if p.Seg != i || p.Final != (i == len(ps)-1) {
				t.Fatalf("track %s part %d: seg %d final %v; want seg %d, final only on the last", id, i, p.Seg, p.Final, i)
			}
			// Segments join without overlap; a gap the tracker left unobserved may fall between them.
			if i > 0 && p.Points[0].F <= ps[i-1].Points[len(ps[i-1].Points)-1].F {
				t.Fatalf("track %s: segment %d starts at frame %d, the previous ended at %d", id, i,
					p.Points[0].F, ps[i-1].Points[len(ps[i-1].Points)-1].F)
			}
			if !p.Final {
				span := time.Duration(p.Points[len(p.Points)-1].T-p.Points[0].T) * time.Millisecond
				if span < 9*time.Second {
					t.Fatalf("track %s: non-final segment spans only %v", id, span)
				}
			}
		}
	}
	if segmented == 0 {
		t.Fatalf("no track was segmented among %d (segment_time 10s, 120 s of scene)", len(parts))
	}
	t.Logf("%d tracks, %d sent in segments", len(parts), segmented)
}

// TestTinyReplayFormatIsRefusedNotCrashed: a valid YUV4MPEG2 header announcing a 3×8 image must end the
// run with a clear error (and a stopped status), never a panic.
func TestTinyReplayFormatIsRefusedNotCrashed(t *testing.T) {
	clip := filepath.Join(t.TempDir(), "tiny.y4m")
	var b bytes.Buffer
	b.WriteString("YUV4MPEG2 W3 H8 F10:1 Cmono\n")
	for range 5 {
		b.WriteString("FRAME\n")
		b.Write(bytes.Repeat([]byte{90}, 24))
	}
	os.WriteFile(clip, b.Bytes(), 0o600)
	cmd := exec.Command(agentBinary(t), "-source", "y4m:"+clip, "-sink", "stdout", "-pace", "asap")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	err := cmd.Run()
	if err == nil || strings.Contains(stderr.String(), "panic") || !strings.Contains(stderr.String(), "too small") {
		t.Fatalf("agent on a 3x8 clip: err %v; want a clear refusal, no panic:\n%s", err, stderr.String())
	}
	if !strings.Contains(out.String(), `"state":"stopped"`) {
		t.Fatalf("no stopped status after refusing:\n%s", out.String())
	}
}
