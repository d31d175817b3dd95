package main

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/ashiato/ashiato/internal/mosquittotest"
)

// queueClient is a collector's persistent session (clean session false, QoS 1) that counts what it gets.
type queueClient struct {
	t    *testing.T
	url  string
	id   string
	c    paho.Client
	mu   sync.Mutex
	got  map[string]int // by topic
	seen chan struct{}  // poked on every message
}

func newQueueClient(t *testing.T, url, id string) *queueClient {
	q := &queueClient{t: t, url: url, id: id, got: map[string]int{}, seen: make(chan struct{}, 1)}
	q.connect()
	if tok := q.c.Subscribe("ashiato/v1/+/+/#", 1, nil); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	return q
}

func (q *queueClient) connect() {
	q.t.Helper()
	opts := paho.NewClientOptions().AddBroker(q.url).SetClientID(q.id).SetCleanSession(false).
		SetAutoReconnect(false).SetOrderMatters(true)
	opts.SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) {
		q.mu.Lock()
		q.got[m.Topic()]++
		q.mu.Unlock()
		select {
		case q.seen <- struct{}{}:
		default:
		}
	})
	q.c = paho.NewClient(opts)
	if tok := q.c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		q.t.Fatalf("%s: connect: %v", q.id, tok.Error())
	}
	q.t.Cleanup(func() { q.c.Disconnect(0) })
}

func (q *queueClient) count(topic string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.got[topic]
}

// await waits until cond holds, failing after 60 s.
func (q *queueClient) await(what string, cond func() bool) {
	q.t.Helper()
	deadline := time.After(60 * time.Second)
	for !cond() {
		select {
		case <-q.seen:
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			q.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func publishN(t *testing.T, url, topic string, n, size int) {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID("queue-test-sensor"))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publisher: %v", tok.Error())
	}
	defer c.Disconnect(100)
	payload := []byte(strings.Repeat("x", size))
	var last paho.Token
	for range n {
		last = c.Publish(topic, 1, false, payload)
	}
	if !last.WaitTimeout(60*time.Second) || last.Error() != nil {
		t.Fatalf("publish: %v", last.Error())
	}
}

// TestOfficeBrokerConfig starts Mosquitto with deploy/mosquitto/office.conf as shipped and checks its
// numbers against the outage it states, that a collector's persistent session keeps what is published
// while it is away (more than Mosquitto's default of 1000 messages) across a broker restart, and the
// 32-bit wrap of max_queued_bytes that the file warns about.
func TestOfficeBrokerConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Mosquitto")
	}
	b, err := os.ReadFile("../../../deploy/mosquitto/office.conf")
	if err != nil {
		t.Fatal(err)
	}
	conf := string(b)
	sized := regexp.MustCompile(`(?m)^# Sized for: a collector outage of (\d+) s at (\d+) msg/s, (\d+) bytes a message\.$`).
		FindStringSubmatch(conf)
	if sized == nil {
		t.Fatal(`office.conf no longer states "# Sized for: a collector outage of N s at N msg/s, N bytes a message."`)
	}
	outage, _ := strconv.ParseUint(sized[1], 10, 64)
	rate, _ := strconv.ParseUint(sized[2], 10, 64)
	size, _ := strconv.ParseUint(sized[3], 10, 64)
	set := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^(\w+) (\S+)$`).FindAllStringSubmatch(conf, -1) {
		if _, dup := set[m[1]]; dup {
			t.Errorf("office.conf sets %s twice", m[1])
		}
		set[m[1]] = m[2]
	}
	num := func(k string) uint64 {
		v, err := strconv.ParseUint(set[k], 10, 64)
		if err != nil {
			t.Fatalf("office.conf %s: %q: %v", k, set[k], err)
		}
		return v
	}
	if got, want := num("max_queued_messages"), outage*rate; got < want {
		t.Errorf("max_queued_messages %d holds less than %d s at %d msg/s (%d)", got, outage, rate, want)
	}
	if got, want := num("max_queued_bytes"), outage*rate*size; got < want || got >= 1<<32 {
		t.Errorf("max_queued_bytes %d: want at least %d and below 2^32 (Mosquitto wraps it)", got, want)
	}
	if set["persistence"] != "true" || num("autosave_interval") == 0 {
		t.Errorf("persistence %q, autosave_interval %q: the queues must survive a restart", set["persistence"], set["autosave_interval"])
	}
	if exp := set["persistent_client_expiration"]; !regexp.MustCompile(`^\d+[dw]$`).MatchString(exp) {
		t.Errorf("persistent_client_expiration %q: want days or weeks, far above a %d s outage", exp, outage)
	}

	t.Run("queues for an absent collector across a restart", func(t *testing.T) {
		br := mosquittotest.Start(t, mosquittotest.Options{Persistence: true, Conf: conf})
		const n, topic = 2500, "ashiato/v1/store-1/cam/tracks"
		col := newQueueClient(t, br.URL(), "office+1")
		col.c.Disconnect(100)
		publishN(t, br.URL(), topic, n, 300)
		br.Stop(syscall.SIGTERM) // a clean stop saves the database
		br.Restart()
		col.connect()
		publishN(t, br.URL(), "ashiato/v1/store-1/cam/status", 1, 10) // queued behind the others
		col.await("the marker", func() bool { return col.count("ashiato/v1/store-1/cam/status") == 1 })
		if got := col.count(topic); got != n {
			t.Errorf("%d of %d queued messages after the restart", got, n)
		}
	})

	t.Run("max_queued_bytes wraps at 2^32", func(t *testing.T) {
		br := mosquittotest.Start(t, mosquittotest.Options{Conf: "persistence false\nmax_queued_messages 1000\nmax_queued_bytes 4294968296"})
		const topic = "ashiato/v1/store-1/cam/tracks"
		col := newQueueClient(t, br.URL(), "office+1")
		col.c.Disconnect(100)
		publishN(t, br.URL(), topic, 20, 500)
		col.connect()
		publishN(t, br.URL(), "ashiato/v1/store-1/cam/status", 1, 10)
		col.await("the marker", func() bool { return col.count("ashiato/v1/store-1/cam/status") == 1 })
		if got := col.count(topic); got != 2 {
			t.Errorf("max_queued_bytes 2^32+1000 queued %d messages of 500 bytes; 2 means it wrapped to 1000 bytes "+
				"(if this Mosquitto no longer wraps, update the warning in office.conf)", got)
		}
	})
}

// BenchmarkOfficeBrokerQueueRAM measures what a message queued for an absent collector costs Mosquitto in
// resident memory, under office.conf (persistence off, so that only memory is measured): the growth of
// its VmRSS divided by the messages queued, for a track-sized and a small payload.
//
//	go test ./backoffice/cmd/ashiato-office -run '^$' -bench OfficeBrokerQueueRAM -benchtime 20000x
func BenchmarkOfficeBrokerQueueRAM(b *testing.B) {
	raw, err := os.ReadFile("../../../deploy/mosquitto/office.conf")
	if err != nil {
		b.Fatal(err)
	}
	conf := strings.Replace(string(raw), "\npersistence true\n", "\npersistence false\n", 1)
	for _, size := range []int{4096, 100} {
		b.Run(fmt.Sprintf("payload=%d", size), func(b *testing.B) {
			br := mosquittotest.Start(b, mosquittotest.Options{Conf: conf})
			sub := paho.NewClient(paho.NewClientOptions().AddBroker(br.URL()).SetClientID("office+1").SetCleanSession(false))
			if tok := sub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
				b.Fatal(tok.Error())
			}
			if tok := sub.Subscribe("ashiato/v1/+/+/tracks", 1, nil); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
				b.Fatal(tok.Error())
			}
			sub.Disconnect(100)
			pub := paho.NewClient(paho.NewClientOptions().AddBroker(br.URL()).SetClientID("bench-sensor"))
			if tok := pub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
				b.Fatal(tok.Error())
			}
			defer pub.Disconnect(100)
			before := vmRSS(b, br.PID())
			payload := []byte(strings.Repeat("x", size))
			b.ResetTimer()
			var last paho.Token
			for range b.N {
				last = pub.Publish("ashiato/v1/s/c/tracks", 1, false, payload)
			}
			if !last.WaitTimeout(time.Minute) || last.Error() != nil {
				b.Fatal(last.Error())
			}
			b.StopTimer()
			b.ReportMetric(float64(vmRSS(b, br.PID())-before)/float64(b.N), "RSS-bytes/queued-msg")
		})
	}
}

// vmRSS reads the resident memory of process pid, in bytes (Linux).
func vmRSS(b *testing.B, pid int) int {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Skip("no /proc: ", err)
	}
	for line := range strings.Lines(string(raw)) {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmRSS:" {
			kb, _ := strconv.Atoi(f[1])
			return kb << 10
		}
	}
	b.Fatal("no VmRSS in /proc/pid/status")
	return 0
}
