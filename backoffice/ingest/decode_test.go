package ingest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/agent/notice"
	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/schemas"
)

var now = time.Date(2030, 3, 4, 10, 30, 0, 0, time.UTC)

func testDecoder(t *testing.T) *decoder {
	t.Helper()
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	return &decoder{validator: v, maxSize: DefaultMaxPayload, min: backoffice.DefaultMinimisation(),
		promises: map[backoffice.SensorKey]int{}}
}

// trackJSON is a floor track of n points at 10 Hz walking 1 m/s, starting 5 minutes before now.
func trackJSON(t *testing.T, sensor, id string, n int) []byte {
	t.Helper()
	tr := event.Track{V: 1, Sensor: sensor, ID: id, Space: event.SpaceFloor, W: 640, H: 480, Final: true}
	t0 := now.Add(-5 * time.Minute).UnixMilli()
	for i := range n {
		tr.Points = append(tr.Points, event.Point{F: uint64(i), T: t0 + int64(i)*100, X: 0.1 * float64(i), Y: 1})
	}
	b, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const topicA = "ashiato/v1/store-1/cam/"

func TestDecodeMalformed(t *testing.T) {
	d := testDecoder(t)
	good := trackJSON(t, "cam", "00112233445566778899aabb", 30)
	cases := []struct {
		name, topic string
		payload     []byte
		want        string
	}{
		{"10 MB", topicA + "tracks", []byte(`{"v":1,"x":"` + strings.Repeat("a", 10<<20) + `"}`), BadSize},
		{"unknown leaf", topicA + "weather", good, BadTopic},
		{"command topic", topicA + "cmd/pause", []byte(`{}`), BadTopic},
		{"bad store name", "ashiato/v1/store!/cam/tracks", good, BadTopic},
		{"other root", "ashiato/v2/store-1/cam/tracks", good, BadTopic},
		{"truncated JSON", topicA + "tracks", good[:len(good)/2], BadJSON},
		{"array", topicA + "tracks", []byte(`[1,2]`), BadJSON},
		{"empty", topicA + "status", nil, BadJSON},
		{"v 2", topicA + "tracks", []byte(strings.Replace(string(good), `"v":1`, `"v":2`, 1)), BadVersion},
		{"no v", topicA + "stats", []byte(`{"fps":1}`), BadVersion},
		{"schema", topicA + "tracks", []byte(strings.Replace(string(good), `"space":"floor"`, `"space":"moon"`, 1)), BadSchema},
		{"wrong sensor", topicA + "tracks", trackJSON(t, "other", "00112233445566778899aabb", 30), BadTrack},
	}
	for _, c := range cases {
		got := d.decode(c.topic, c.payload, delivery{}, now)
		if got.malformed != c.want {
			t.Errorf("%s: malformed %q, want %q (%v)", c.name, got.malformed, c.want, got.err)
		}
		if got.err != nil && strings.Contains(got.err.Error(), "moon") {
			t.Errorf("%s: the error quotes the payload: %v", c.name, got.err)
		}
	}
}

func TestDecodeTrackAndNotice(t *testing.T) {
	d := testDecoder(t)
	k := backoffice.SensorKey{Store: "store-1", Sensor: "cam"}
	// Before any notice: kept for one day.
	got := d.decode(topicA+"tracks", trackJSON(t, "cam", "00112233445566778899aabb", 30), delivery{}, now)
	if got.track == nil || !got.track.Expires.Equal(now.Add(-5*time.Minute).Truncate(time.Minute).Add(24*time.Hour)) {
		t.Fatalf("track without notice: %+v", got)
	}
	if got.sensor == nil || got.sensor.Kind != backoffice.UpdateSeen || !got.sensor.Live {
		t.Errorf("a track does not mark its sensor seen: %+v", got.sensor)
	}
	n := notice.Default()
	n.RetentionDays = 30
	got = d.decode(topicA+"notice", n.JSON(event.Version), delivery{Retained: true}, now)
	if got.sensor == nil || got.sensor.RetentionDays != 30 || got.sensor.NoticeHash != n.Hash() || got.sensor.Live {
		t.Fatalf("notice: %+v", got)
	}
	if d.promises[k] != 30 {
		t.Errorf("promise %d, want 30", d.promises[k])
	}
	got = d.decode(topicA+"tracks", trackJSON(t, "cam", "00112233445566778899aabc", 30), delivery{}, now)
	if got.track == nil || got.track.Expires.Sub(got.track.Start) != 30*24*time.Hour {
		t.Fatalf("track after notice: %+v", got)
	}
	// Too short: recorded as dropped, without points.
	got = d.decode(topicA+"tracks", trackJSON(t, "cam", "00112233445566778899aabd", 10), delivery{}, now)
	if got.dropped == nil || got.dropped.Reason != backoffice.DropDuration || got.dropped.Day != "2030-03-04" || got.track != nil {
		t.Fatalf("short track: %+v", got)
	}
	// Older than the promise on arrival: dropped as expired.
	got = d.decode(topicA+"tracks", trackJSON(t, "cam", "00112233445566778899aabe", 30), delivery{}, now.Add(31*24*time.Hour))
	if got.dropped == nil || got.dropped.Reason != backoffice.DropExpired {
		t.Fatalf("expired track: %+v", got)
	}
	// The will is not a sign of life.
	got = d.decode(topicA+"status", []byte(`{"v":1,"state":"offline","birth":2,"sensor":"cam"}`), delivery{}, now)
	if got.sensor == nil || got.sensor.Live || got.sensor.State != event.StateOffline || got.sensor.Birth != 2 {
		t.Fatalf("will: %+v", got.sensor)
	}
}
