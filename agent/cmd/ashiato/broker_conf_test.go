package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/ashiato/ashiato/agent/event"
)

// shipped is Mosquitto running the shipped deploy/mosquitto/ashiato.conf and acl.example, installed as
// deploy/mosquitto/README.md says, with a password for every user of the ACL and for sensors.
type shipped struct {
	*mosq
	tls       *tls.Config // trusts the test CA, for paho clients
	caPath    string      // the test CA, for the agent's ca_file
	office    []string    // the office's usernames, from the ACL's user lines
	writes    []string    // the topics of the ACL's "pattern write" lines
	maxPacket int         // max_packet_size
	pass      map[string]string
}

// shippedSensors are the sensor users the tests log in as.
var shippedSensors = []string{"s1/cam1", "s1/cam2", "s1/cam3", "s2/cam1", "s1/thief", "s1/victim"}

// startShipped installs the shipped files the way a Debian broker has them: Debian's mosquitto.conf
// (persistence and its location, then include_dir conf.d), ashiato.conf and office.conf in conf.d, the ACL and a password
// file. Only what differs between machines is changed: the paths, the listener's port (on loopback) and
// the certificates (a test CA).
func startShipped(t *testing.T) *shipped {
	t.Helper()
	passwd := "/usr/bin/mosquitto_passwd"
	if _, err := os.Stat(passwd); err != nil {
		t.Skip("mosquitto_passwd not installed")
	}
	m := newMosqDir(t, 0)
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("../../../deploy/mosquitto", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	conf, acl, office := read("ashiato.conf"), read("acl.example"), read("office.conf")
	p := pki{t, m.dir}
	ca, caKey, caPath := p.ca("ca")
	cert, key := p.leaf(ca, caKey, "broker", true, "broker.test")
	for _, r := range [][2]string{
		{"\nlistener 8883\n", fmt.Sprintf("\nlistener %d 127.0.0.1\n", m.port())},
		{"/etc/mosquitto/ashiato.passwd", filepath.Join(m.dir, "passwd")},
		{"/etc/mosquitto/ashiato.acl", filepath.Join(m.dir, "acl")},
		{"/etc/mosquitto/certs/ca.pem", caPath},
		{"/etc/mosquitto/certs/broker.pem", cert},
		{"/etc/mosquitto/certs/broker.key", key},
	} {
		if !strings.Contains(conf, r[0]) {
			t.Fatalf("ashiato.conf no longer has %q: update deploy/mosquitto/README.md and this installation", r[0])
		}
		conf = strings.ReplaceAll(conf, r[0], r[1])
	}
	confd := filepath.Join(m.dir, "conf.d")
	debian := fmt.Sprintf("pid_file %s/mosquitto.pid\npersistence true\npersistence_location %s/\ninclude_dir %s\n", m.dir, m.dir, confd)
	if os.Geteuid() == 0 {
		debian = "user root\n" + debian // else it switches to user mosquitto, which cannot read our directory
	}
	if err := os.Mkdir(confd, 0o700); err != nil {
		t.Fatal(err)
	}
	for path, body := range map[string]string{m.conf: debian, filepath.Join(confd, "ashiato.conf"): conf,
		filepath.Join(confd, "office.conf"): office, filepath.Join(m.dir, "acl"): acl} {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := &shipped{mosq: m, caPath: caPath, pass: map[string]string{}}
	for line := range strings.Lines(acl) {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "user":
			s.office = append(s.office, f[1])
		case len(f) == 3 && f[0] == "pattern" && (f[1] == "write" || f[1] == "readwrite"):
			s.writes = append(s.writes, f[2])
		}
	}
	if mp := regexp.MustCompile(`(?m)^max_packet_size (\d+)$`).FindStringSubmatch(conf); mp != nil {
		s.maxPacket, _ = strconv.Atoi(mp[1])
	}
	if len(s.office) < 2 || len(s.writes) == 0 || s.maxPacket == 0 {
		t.Fatalf("acl.example and ashiato.conf: want at least two office users (%q), pattern write lines (%q) and max_packet_size (%d)",
			s.office, s.writes, s.maxPacket)
	}
	for i, u := range append(append([]string{}, s.office...), shippedSensors...) {
		s.pass[u] = fmt.Sprintf("pw-%d-%x", i, time.Now().UnixNano())
		args := []string{"-b", filepath.Join(m.dir, "passwd"), u, s.pass[u]}
		if i == 0 {
			args = append([]string{"-c"}, args...)
		}
		if out, err := exec.Command(passwd, args...).CombinedOutput(); err != nil {
			t.Fatalf("mosquitto_passwd: %v\n%s", err, out)
		}
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	s.tls = &tls.Config{RootCAs: roots, ServerName: "broker.test", MinVersion: tls.VersionTLS12}
	m.start()
	return s
}

func (s *shipped) url() string { return "ssl://" + s.addr }

// sub is a backOffice logged in as user over the shipped broker's TLS listener.
func (s *shipped) sub(user, filter string, clean bool) *backOffice {
	s.t.Helper()
	return newBackOffice(s.t, s.url(), filter, subOpts{username: user, password: s.pass[user], clean: clean, tls: s.tls})
}

// client is a plain MQTT client that does not reconnect: it records what it receives and whether the
// broker dropped it.
type client struct {
	c    paho.Client
	lost chan error // the connection was lost (buffered)

	mu   sync.Mutex
	msgs []paho.Message
	got  chan struct{} // a message arrived
}

// dial connects as user with the client id id (the broker replaces it with the username) and the given
// clean-session flag, and subscribes to filters (each must be granted).
func (s *shipped) dial(user, id string, clean bool, filters ...string) *client {
	s.t.Helper()
	c := &client{lost: make(chan error, 1), got: make(chan struct{}, 1)}
	record := func(_ paho.Client, m paho.Message) {
		c.mu.Lock()
		c.msgs = append(c.msgs, m)
		c.mu.Unlock()
		select {
		case c.got <- struct{}{}:
		default:
		}
	}
	opts := paho.NewClientOptions().AddBroker(s.url()).SetTLSConfig(s.tls).SetClientID(id).SetCleanSession(clean).
		SetUsername(user).SetPassword(s.pass[user]).SetAutoReconnect(false).SetConnectTimeout(10 * time.Second).
		SetOrderMatters(false).SetDefaultPublishHandler(record).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			select {
			case c.lost <- err:
			default:
			}
		})
	c.c = paho.NewClient(opts)
	if tok := c.c.Connect(); !tok.WaitTimeout(15*time.Second) || tok.Error() != nil {
		s.t.Fatalf("%s (id %q) cannot connect: %v", user, id, tok.Error())
	}
	for _, f := range filters {
		tok := c.c.Subscribe(f, 1, record)
		if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			s.t.Fatalf("%s: subscribe %s: %v", user, f, tok.Error())
		}
	}
	s.t.Cleanup(func() { c.c.Disconnect(0) })
	return c
}

func (c *client) publish(t *testing.T, topic string, payload []byte) {
	t.Helper()
	if tok := c.c.Publish(topic, 1, false, payload); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

// received returns the payloads received on topic.
func (c *client) received(topic string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, m := range c.msgs {
		if m.Topic() == topic {
			out = append(out, string(m.Payload()))
		}
	}
	return out
}

// await waits until a message with payload has arrived on topic.
func (c *client) await(t *testing.T, what, topic, payload string) {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		for _, p := range c.received(topic) {
			if p == payload {
				return
			}
		}
		select {
		case <-c.got:
		case err := <-c.lost:
			t.Fatalf("%s: connection lost while waiting: %v", what, err)
		case <-deadline:
			t.Fatalf("%s: nothing on %s", what, topic)
		}
	}
}

// stillConnected fails the test if the broker dropped c.
func (c *client) stillConnected(t *testing.T, who string) {
	t.Helper()
	select {
	case err := <-c.lost:
		t.Errorf("%s was knocked off the broker: %v", who, err)
	default:
	}
}

// TestShippedBrokerConfig runs Mosquitto with deploy/mosquitto/ashiato.conf and acl.example as installed:
// the ACL keeps every sensor to its own topics, a client id is bound to its credentials (no session
// theft, no knocking others off), the office's users get nothing from the sensors' patterns, oversized
// packets are refused, and the real agent and two office collectors sharing a subscription work under it.
func TestShippedBrokerConfig(t *testing.T) {
	s := startShipped(t)
	office, office2 := s.office[0], s.office[1]
	top := func(sensor string) event.Topics {
		store, id, _ := strings.Cut(sensor, "/")
		return event.Topics{Store: store, Sensor: id}
	}
	cam1, cam2 := top("s1/cam1"), top("s1/cam2")

	t.Run("sensors keep to their own topics", func(t *testing.T) {
		bo := s.sub(office, "ashiato/v1/#", true)
		c1 := s.sub("s1/cam1", "ashiato/v1/#", true)
		c2 := s.sub("s1/cam2", cam2.Prefix()+"/#", true)
		sh := s.sub("s2/cam1", "$share/g/ashiato/v1/#", true)
		pub := func(c paho.Client, topic string, payload string) {
			t.Helper()
			tok := c.Publish(topic, 1, false, payload)
			if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
				t.Fatalf("publish %s: %v", topic, tok.Error())
			}
		}
		seen := func(b *backOffice, topic, payload string) bool {
			b.mu.Lock()
			defer b.mu.Unlock()
			for _, m := range b.msgs {
				if m.Topic() == topic && string(m.Payload()) == payload {
					return true
				}
			}
			return false
		}
		// Publishing: only under its own prefix, and never commands.
		forbidden := []string{cam2.Topic(event.LeafTracks), "ashiato/v1/s2/cam1/tracks", cam2.Topic(event.LeafPause),
			cam1.Topic(event.LeafPause), cam1.Topic("other"), "other/topic"}
		for _, topic := range forbidden {
			pub(c1.c, topic, `{"forbidden":true}`)
		}
		pub(c1.c, cam1.Topic(event.LeafTracks), `{"marker":true}`)
		// Messages from one client arrive in order, so once the marker is in, the forbidden ones would be too.
		bo.waitFor("cam1's own track", 10*time.Second, func() bool { return bo.countLocked(cam1.Topic(event.LeafTracks)) > 0 })
		for _, topic := range forbidden {
			if seen(bo, topic, `{"forbidden":true}`) {
				t.Errorf("sensor s1/cam1 could publish on %s", topic)
			}
		}
		// Reading: a sensor sees its own commands only, and nothing of other sensors, shared
		// subscription or not.
		pub(c2.c, cam2.Topic(event.LeafTracks), `{"cam2":true}`)
		pub(bo.c, cam2.Topic(event.LeafPause), `{"reason":"for cam2"}`)
		pub(bo.c, cam1.Topic(event.LeafPause), `{"reason":"for cam1"}`)
		pub(bo.c, "ashiato/v1/s2/cam1/cmd/pause", `{"reason":"for s2"}`)
		c2.waitFor("cam2's command", 10*time.Second, func() bool { return c2.countLocked(cam2.Topic(event.LeafPause)) > 0 })
		c1.waitFor("cam1's command", 10*time.Second, func() bool { return c1.countLocked(cam1.Topic(event.LeafPause)) > 0 })
		sh.waitFor("s2/cam1's command", 10*time.Second, func() bool { return sh.countLocked("ashiato/v1/s2/cam1/cmd/pause") > 0 })
		for _, b := range []struct {
			who string
			bo  *backOffice
			own string
		}{{"s1/cam1", c1, cam1.Topic(event.LeafPause)}, {"s2/cam1 (shared subscription)", sh, "ashiato/v1/s2/cam1/cmd/pause"}} {
			b.bo.mu.Lock()
			for _, m := range b.bo.msgs {
				if m.Topic() != b.own {
					t.Errorf("sensor %s read %s: %s", b.who, m.Topic(), m.Payload())
				}
			}
			b.bo.mu.Unlock()
		}
		// Wrong password.
		c := paho.NewClient(paho.NewClientOptions().AddBroker(s.url()).SetTLSConfig(s.tls).SetClientID("intruder").
			SetUsername("s1/cam1").SetPassword("guess"))
		if tok := c.Connect(); tok.WaitTimeout(10*time.Second) && tok.Error() == nil {
			c.Disconnect(0)
			t.Error("wrong password accepted")
		}
		for _, b := range []*backOffice{bo, c1, c2, sh} {
			b.c.Disconnect(50)
		}
	})

	t.Run("the office only reads and sends commands", func(t *testing.T) {
		reader := s.dial(office2, office2, true, "ashiato/v1/#")
		o := s.dial(office, office, true)
		// Every sensor leaf, and whatever the sensors' patterns would give the office's usernames.
		var forbidden []string
		for _, leaf := range []string{event.LeafStatus, event.LeafPrivacy, event.LeafTracks, event.LeafStats, event.LeafNotice} {
			forbidden = append(forbidden, cam1.Topic(leaf))
		}
		for _, u := range s.office {
			for _, p := range s.writes {
				topic := strings.ReplaceAll(p, "%u", u)
				if strings.ContainsAny(topic, "+#") {
					continue // not a topic anyone can publish to: the pattern gives this user nothing
				}
				forbidden = append(forbidden, topic)
			}
		}
		for _, topic := range forbidden {
			o.publish(t, topic, []byte(`{"office":true}`))
		}
		o.publish(t, cam1.Topic(event.LeafPause), []byte(`{"reason":"marker"}`))
		reader.await(t, "the office's command", cam1.Topic(event.LeafPause), `{"reason":"marker"}`)
		for _, topic := range forbidden {
			if len(reader.received(topic)) > 0 {
				t.Errorf("the office (%s) could publish on %s", office, topic)
			}
		}
		o.c.Disconnect(0)
		reader.c.Disconnect(0)
	})

	t.Run("a client id is bound to its credentials", func(t *testing.T) {
		victim := top("s1/victim")
		// The office's collector has a persistent session with tracks queued while it is away.
		col := s.dial(office2, office2, false, "ashiato/v1/s1/+/tracks")
		col.c.Disconnect(100)
		sensor := s.dial("s1/victim", "s1/victim", true, victim.Prefix()+"/"+event.LeafCommands)
		for i := range 3 {
			sensor.publish(t, victim.Topic(event.LeafTracks), []byte(fmt.Sprintf(`{"queued":%d}`, i)))
		}
		// A stolen sensor credential asks for the collector's session: it must get a session of its own.
		// A resumed session replays its queue right after CONNACK, so by the time the broker acknowledges
		// the thief's subscription (dial waits for it), anything replayed has arrived.
		thief := top("s1/thief")
		steal := s.dial("s1/thief", office2, false, thief.Prefix()+"/"+event.LeafCommands)
		if got := steal.received(victim.Topic(event.LeafTracks)); len(got) > 0 {
			t.Errorf("a sensor's credential resumed the collector's session and took %d queued tracks", len(got))
		}
		steal.c.Disconnect(100)
		col = s.dial(office2, office2, false)
		for i := range 3 {
			col.await(t, "the collector's queued tracks", victim.Topic(event.LeafTracks), fmt.Sprintf(`{"queued":%d}`, i))
		}

		// The thief takes the ids of a connected sensor and of the connected collector: nobody is
		// knocked off, and commands still reach the sensor.
		for _, id := range []string{"s1/victim", office2} {
			s.dial("s1/thief", id, true).c.Disconnect(0)
		}
		o := s.dial(office, office, true)
		o.publish(t, victim.Topic(event.LeafPause), []byte(`{"reason":"still yours"}`))
		sensor.await(t, "the sensor's command after the takeover attempts", victim.Topic(event.LeafPause), `{"reason":"still yours"}`)
		sensor.publish(t, victim.Topic(event.LeafTracks), []byte(`{"after":true}`))
		col.await(t, "a track after the takeover attempts", victim.Topic(event.LeafTracks), `{"after":true}`)
		sensor.stillConnected(t, "the sensor s1/victim")
		col.stillConnected(t, "the collector "+office2)
		if !strings.Contains(s.log.String(), "as s1/thief") {
			t.Errorf("the broker did not name the thief by its username:\n%s", s.log.String())
		}
		for _, c := range []*client{o, sensor, col} {
			c.c.Disconnect(0)
		}
	})

	t.Run("oversized packets are refused", func(t *testing.T) {
		victim := top("s1/victim")
		sensor := s.dial("s1/victim", "s1/victim", true, victim.Prefix()+"/"+event.LeafCommands)
		reader := s.dial(office2, office2, true, victim.Topic(event.LeafTracks))
		// The largest track a sensor sends at the defaults' limits: a 5-minute segment at 120 fps, in
		// floor metres, late in a long run. It must pass.
		tr := event.Track{V: event.Version, Sensor: victim.Sensor, ID: "0123456789abcdef01234567", Space: event.SpaceFloor,
			W: 640, H: 480, Seg: 41, Final: false}
		for i := range 301 * 120 {
			tr.Points = append(tr.Points, event.Point{F: 4_000_000_000 + uint64(i), T: 1_796_401_234_567 + int64(i)*8,
				X: -12.34567 - float64(i%7), Y: 123.45678 + float64(i%5)})
		}
		big, err := json.Marshal(tr)
		if err != nil {
			t.Fatal(err)
		}
		if len(big)+1000 > s.maxPacket {
			t.Fatalf("a %d-byte track segment does not fit max_packet_size %d", len(big), s.maxPacket)
		}
		sensor.publish(t, victim.Topic(event.LeafTracks), big)
		reader.await(t, "the largest track", victim.Topic(event.LeafTracks), string(big))
		t.Logf("largest track segment: %d bytes; max_packet_size %d", len(big), s.maxPacket)

		// A command as large as the limit: the broker drops the sender, and the sensor never sees it.
		o := s.dial(office, office, true)
		huge := []byte(`{"reason":"` + strings.Repeat("x", s.maxPacket) + `"}`)
		o.c.Publish(victim.Topic(event.LeafPause), 1, false, huge)
		select {
		case <-o.lost:
		case <-time.After(15 * time.Second):
			t.Fatal("the broker kept the connection of a client that sent an oversized packet")
		}
		o = s.dial(office, office, true)
		o.publish(t, victim.Topic(event.LeafPause), []byte(`{"reason":"small"}`))
		sensor.await(t, "the command after the oversized one", victim.Topic(event.LeafPause), `{"reason":"small"}`)
		if got := sensor.received(victim.Topic(event.LeafPause)); len(got) != 1 {
			t.Errorf("the sensor received %d commands, want only the small one", len(got))
		}
		if !strings.Contains(s.log.String(), "oversize packet") {
			t.Errorf("the broker did not log the oversized packet:\n%s", s.log.String())
		}
		for _, c := range []*client{o, sensor, reader} {
			c.c.Disconnect(0)
		}
	})

	t.Run("the agent and two collectors", func(t *testing.T) {
		// Two collectors share the office's subscription, each under its own username, with persistent
		// sessions: the broker hands each message to one of them.
		cols := []*backOffice{s.sub(office, "$share/office/ashiato/v1/#", false), s.sub(office2, "$share/office/ashiato/v1/#", false)}
		user := "s1/cam3"
		cfg := writeConfig(t, fmt.Sprintf("[sensor]\nstore = \"s1\"\nid = \"cam3\"\n[capture]\nsource = %q\n[mqtt]\nbroker = \"tls://%s\"\nca_file = %q\nserver_name = \"broker.test\"\n",
			"synth:frames=150,seed=4,pace=asap,w=320,h=240,rate=120", s.addr, s.caPath))
		a := startAgent(t, []string{"ASHIATO_MQTT_USERNAME=" + user, "ASHIATO_MQTT_PASSWORD=" + s.pass[user]}, "-config", cfg)
		a.wait(t, 60*time.Second)
		cam3 := top(user)
		var st event.Status
		tracks := func() (n int, each []int) {
			for _, c := range cols {
				c.mu.Lock()
				if got, ok := c.stopped(cam3); ok {
					st = got
				}
				each = append(each, len(c.sensorTracks(cam3.Sensor)))
				n += each[len(each)-1]
				c.mu.Unlock()
			}
			return n, each
		}
		deadline := time.After(20 * time.Second)
		for n, _ := tracks(); st.State == "" || uint64(n) < st.TracksClosed; n, _ = tracks() {
			select {
			case <-cols[0].change:
			case <-cols[1].change:
			case <-deadline:
				t.Fatalf("the collectors received %d tracks; status %+v", n, st)
			}
		}
		n, each := tracks()
		if st.TracksClosed == 0 || st.TracksPublished != st.TracksClosed || uint64(n) != st.TracksClosed {
			t.Errorf("agent under the shipped config: status %+v, %d tracks received", st, n)
		}
		for i, k := range each {
			if k == 0 {
				t.Errorf("collector %s received none of the %d tracks: the subscription is not shared", s.office[i], n)
			}
		}
		for _, w := range st.Warnings {
			if strings.Contains(w, "clear text") {
				t.Errorf("a TLS link is flagged: %q", w)
			}
		}
		log := a.stderr.String()
		if strings.Contains(log, "subscribe to commands failed") {
			t.Errorf("the ACL refused the agent's command subscription:\n%s", log)
		}
		if !strings.Contains(log, "client_id="+user) {
			t.Errorf("the agent's default client id is not its username %s:\n%s", user, log)
		}
		for _, c := range cols {
			c.checkValid()
		}
	})
}
