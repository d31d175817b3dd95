package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestUnknownKeyNamesKeyAndLine(t *testing.T) {
	doc := "[sensor]\nstore = \"s1\"\n\n[capture]\nsorce = \"synth\"\n"
	_, err := Parse("a.toml", []byte(doc))
	if err == nil {
		t.Fatal("unknown key accepted")
	}
	if !strings.Contains(err.Error(), `a.toml:5: unknown key "capture.sorce"`) {
		t.Fatalf("error = %q; want key and line 5", err)
	}
}

func TestAllBadValuesReportedAtOnce(t *testing.T) {
	doc := `
[sensor]
store = "no spaces allowed"
[capture]
source = "rtsp://cam"
pace = "fast"
ring_slots = 2
[mqtt]
broker = "mqtt.example.com"
status_interval = "10ms"
[privacy]
indicator = "maybe"
[tracker]
roi = [[0.0, 0.0], [2.0, 0.0]]
`
	_, err := Parse("b.toml", []byte(doc))
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, key := range []string{"sensor.store", "capture.source", "capture.pace", "capture.ring_slots",
		"mqtt.broker", "mqtt.status_interval", "privacy.indicator", "tracker.roi"} {
		if !strings.Contains(err.Error(), key+":") {
			t.Errorf("error does not mention %s:\n%v", key, err)
		}
	}
	if n := strings.Count(err.Error(), "\n") + 1; n < 9 {
		t.Errorf("got %d messages, want one per problem (≥9):\n%v", n, err)
	}
}

func TestSyntaxErrorHasPosition(t *testing.T) {
	_, err := Parse("c.toml", []byte("[sensor]\nstore = \n"))
	if err == nil || !strings.HasPrefix(err.Error(), "c.toml:2:") {
		t.Fatalf("error = %v; want c.toml:2:…", err)
	}
}

func TestBadDuration(t *testing.T) {
	_, err := Parse("d.toml", []byte("[tracker]\nmax_coast = \"two seconds\"\n"))
	if err == nil || !strings.Contains(err.Error(), "duration") {
		t.Fatalf("error = %v", err)
	}
}

func TestDefaults(t *testing.T) {
	c, err := Parse("empty.toml", nil)
	if err != nil {
		t.Fatal(err)
	}
	d := c.WithDefaults()
	if d.Capture.Source != "synth" || d.MQTT.Broker != "embedded" || d.Sensor.Store != "demo-store" ||
		d.MQTT.StatusInterval.D() != 10*time.Second || d.MQTT.StatsInterval != d.MQTT.StatusInterval ||
		d.Privacy.Indicator != "gpio" {
		t.Fatalf("defaults = %+v", d)
	}
	// Options another package uses keep their zero, which that package reads as its default.
	if d.Capture.RingSlots != 0 || d.Tracker.MaxCoast != 0 || d.MQTT.ClientID != "" || d.MQTT.OutboxBytes != 0 ||
		d.Pause.DefaultDuration != 0 || d.Capture.Width != 0 {
		t.Fatalf("defaults of other packages written here: %+v", d)
	}
	if c.Live() || c.RequireLocked() {
		t.Fatal("synthetic source should not be live or require a locked ring by default")
	}
}

func TestRequireLockedDefaultsByLiveness(t *testing.T) {
	if _, err := Parse("e.toml", []byte("[capture]\nsource = \"v4l2:/dev/video0\"\n")); err == nil ||
		!strings.Contains(err.Error(), "notice:") {
		t.Fatalf("live camera without a notice: err = %v; want a notice error", err)
	}
	c, err := Parse("e.toml", []byte("[capture]\nsource = \"v4l2:/dev/video0\"\n"+exampleNotice))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Live() || !c.RequireLocked() {
		t.Fatal("live camera must require a locked ring by default")
	}
	c, err = Parse("f.toml", []byte("[capture]\nsource = \"v4l2:auto\"\n[privacy]\nrequire_locked_memory = false\n"+exampleNotice))
	if err != nil {
		t.Fatal(err)
	}
	if c.RequireLocked() {
		t.Fatal("explicit false ignored")
	}
}

func TestLoadExampleConfig(t *testing.T) {
	// The example shipped in the repository must always be valid.
	p := filepath.Join("..", "..", "ashiato.example.toml")
	if _, err := Load(p); err != nil {
		t.Fatal(err)
	}
}

func TestHashChangesWithConfig(t *testing.T) {
	a, _ := Parse("a", nil)
	b, _ := Parse("b", []byte("[sensor]\nid = \"door\"\n"))
	if a.Hash() == b.Hash() || len(a.Hash()) != 16 {
		t.Fatalf("hashes %q %q", a.Hash(), b.Hash())
	}
	if a.Hash() != a.Hash() {
		t.Fatal("hash not stable")
	}
}

const exampleNotice = `
[notice]
operator_ja = "テスト商店"
operator_en = "Test Shop"
purpose_ja = "混雑の把握"
purpose_en = "Measuring crowding"
area_ja = "店内"
area_en = "Inside the shop"
retention_days = 90
third_parties_ja = "なし"
third_parties_en = "none"
contact_ja = "店舗スタッフ"
contact_en = "Store staff"
policy_url = "https://tesuto-shoten.jp/p"
`

func TestNoticeValidatedWithTheRest(t *testing.T) {
	_, err := Parse("g.toml", []byte("[capture]\npace = \"slow\"\n[notice]\noperator_ja = \"x\"\n"))
	if err == nil || !strings.Contains(err.Error(), "capture.pace") || !strings.Contains(err.Error(), "notice.purpose_ja") {
		t.Fatalf("err = %v; want capture.pace and notice.* errors together", err)
	}
	c, err := Parse("h.toml", []byte(exampleNotice))
	if err != nil {
		t.Fatal(err)
	}
	if n := c.EffectiveNotice(); n.OperatorEN != "Test Shop" || n.CollectedEN == "" {
		t.Fatalf("effective notice %+v", n)
	}
	d, _ := Parse("i.toml", nil)
	if d.EffectiveNotice().Hash() == c.EffectiveNotice().Hash() {
		t.Fatal("demo and configured notices hash alike")
	}
}

func TestBrokers(t *testing.T) {
	c, err := Parse("ha.toml", []byte("[mqtt]\nbrokers = [\"tcp://a:1883\", \"tls://b:8883\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	d := c.WithDefaults()
	if got := d.MQTT.Nodes(); len(got) != 2 || got[0] != "tcp://a:1883" || got[1] != "tls://b:8883" || d.MQTT.Broker != "" {
		t.Errorf("nodes %q, broker %q: want the two nodes and no default broker", got, d.MQTT.Broker)
	}
	c, err = Parse("one.toml", []byte("[mqtt]\nbroker = \"tcp://a:1883\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.WithDefaults().MQTT.Nodes(); len(got) != 1 || got[0] != "tcp://a:1883" {
		t.Errorf("one broker: nodes %q", got)
	}
	if got := (&Config{}).WithDefaults().MQTT.Nodes(); len(got) != 1 || got[0] != "embedded" {
		t.Errorf("default: nodes %q, want [embedded]", got)
	}
	for doc, want := range map[string]string{
		"broker = \"tcp://a:1883\"\nbrokers = [\"tcp://b:1883\"]":          "not both",
		"brokers = [\"tcp://a:1883\", \"embedded\"]":                       "node 2",
		"brokers = [\"tcp://a:1883\", \"tcp://u:secret@b:1883\"]":          "node 2: the broker URL holds credentials",
		"brokers = [\"tcp://a:1883\", \"tcp://b:1883\", \"tcp://a:1883\"]": "node 3 is listed twice",
	} {
		_, err := Parse("bad.toml", []byte("[mqtt]\n"+doc+"\n"))
		if err == nil || !strings.Contains(err.Error(), "mqtt.brokers: ") || !strings.Contains(err.Error(), want) ||
			strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: error %v, want mqtt.brokers … %s (and no password)", doc, err, want)
		}
	}
}
