package schemas

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ashiato/ashiato/agent/command"
	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/agent/notice"
)

var top = event.Topics{Store: "store-1", Sensor: "cam_2"}

func validator(t *testing.T) *Validator {
	t.Helper()
	v, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func marshal(t *testing.T, x any) []byte {
	t.Helper()
	b, err := json.Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// edit decodes b, applies f to the object and encodes it again.
func edit(t *testing.T, b []byte, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	return marshal(t, m)
}

func goodTrack() event.Track {
	return event.Track{V: event.Version, Sensor: "cam_2", ID: "0123456789abcdef01234567", Space: event.SpaceImage,
		W: 640, H: 480, Final: true, Points: []event.Point{{F: 3, T: 1700000000000, X: 0, Y: 0.5}, {F: 4, T: 1700000000100, X: 1, Y: 0.25}}}
}

func goodStatus(state string) event.Status {
	return event.Status{V: event.Version, State: state, Birth: 3, Sensor: "cam_2", Version: "v1.2.3",
		ConfigHash: "abc", Source: "v4l2", Capturing: true, RingLocked: true, Frames: 10, TracksClosed: 2,
		TracksPublished: 1, Attestation: &event.Attestation{RingLocked: true, Indicator: "gpio", IndicatorOK: true,
			PanelOK: true, PanelLastRefresh: 1700000000000, NoticeHash: strings.Repeat("a", 64)}}
}

// TestEventStructsValid validates what the event package's structs (and the notice package) encode: the
// schemas must accept every message the agent can produce from them.
func TestEventStructsValid(t *testing.T) {
	v := validator(t)
	floor := goodTrack()
	floor.Space, floor.Points[0].X, floor.Points[1].Y = event.SpaceFloor, -3.5, 12.25
	floor.Seg, floor.Final = 2, false
	msgs := map[string][]any{
		event.LeafStatus: {
			goodStatus(event.StateOnline), goodStatus(event.StateStopped),
			event.Status{V: event.Version, State: event.StateOffline, Birth: 1, Sensor: "cam_2"}, // the will
			event.Status{V: event.Version, State: event.StateOnline, Birth: 1, Sensor: "x"},      // no attestation
		},
		event.LeafTracks: {goodTrack(), floor},
		event.LeafPrivacy: {
			event.Privacy{V: event.Version, State: event.PrivacyCapturing, Since: 1700000000000},
			event.Privacy{V: event.Version, State: event.PrivacyPaused, Cause: "command", Reason: "遠隔操作（cleaning）", Since: 1, ForSeconds: 12.5},
			event.Privacy{V: event.Version, State: event.PrivacyStopped, Cause: "schedule"},
			event.Privacy{V: event.Version, State: event.PrivacyFault, Cause: "indicator-fault", Reason: "表示灯の故障"},
		},
		event.LeafStats: {
			event.Stats{V: event.Version},
			event.Stats{V: event.Version, FPS: 9.8, Frames: 100, RingFill: 2, RingSlots: 4, InView: 3, OutboxDepth: 7,
				OutboxBytes: 9000, Reconnects: 1, TracksClosed: 10, TracksPublished: 3, TracksDropped: 0, UptimeSeconds: 10.5},
		},
	}
	for leaf, xs := range msgs {
		for _, x := range xs {
			b := marshal(t, x)
			if err := v.Validate(top.Topic(leaf), b); err != nil {
				t.Errorf("%s %s: %v", leaf, b, err)
			}
		}
	}
	n := notice.Default().JSON(event.Version)
	if err := v.Validate(top.Topic(event.LeafNotice), n); err != nil {
		t.Errorf("notice %s: %v", n, err)
	}
}

// TestInvalidRejected checks that each schema catches the mistakes a subscriber must not have to handle.
func TestInvalidRejected(t *testing.T) {
	v := validator(t)
	track := marshal(t, goodTrack())
	online := marshal(t, goodStatus(event.StateOnline))
	privacy := marshal(t, event.Privacy{V: 1, State: event.PrivacyPaused, Since: 5})
	stats := marshal(t, event.Stats{V: 1})
	ntc := notice.Default().JSON(event.Version)
	cases := []struct {
		name, leaf string
		payload    []byte
	}{
		{"track v2", event.LeafTracks, edit(t, track, func(m map[string]any) { m["v"] = 2 })},
		{"track without id", event.LeafTracks, edit(t, track, func(m map[string]any) { delete(m, "track") })},
		{"track id not hex", event.LeafTracks, edit(t, track, func(m map[string]any) { m["track"] = "person-42-xxxxxxxx" })},
		{"track no points", event.LeafTracks, edit(t, track, func(m map[string]any) { m["points"] = []any{} })},
		{"point of 3", event.LeafTracks, edit(t, track, func(m map[string]any) { m["points"] = []any{[]any{1, 2, 0.5}} })},
		{"point x > 1 in image space", event.LeafTracks, edit(t, track, func(m map[string]any) { m["points"] = []any{[]any{1, 2, 1.5, 0.5}} })},
		{"point frame negative", event.LeafTracks, edit(t, track, func(m map[string]any) { m["points"] = []any{[]any{-1, 2, 0.5, 0.5}} })},
		{"track space other", event.LeafTracks, edit(t, track, func(m map[string]any) { m["space"] = "world" })},
		{"track without final", event.LeafTracks, edit(t, track, func(m map[string]any) { delete(m, "final") })},
		{"not JSON", event.LeafTracks, []byte(`{"v":1,`)},
		{"not an object", event.LeafTracks, []byte(`[1]`)},
		{"status state", event.LeafStatus, edit(t, online, func(m map[string]any) { m["state"] = "sleeping" })},
		{"status birth 0", event.LeafStatus, edit(t, online, func(m map[string]any) { m["birth"] = 0 })},
		{"online without counters", event.LeafStatus, []byte(`{"v":1,"state":"online","birth":1,"sensor":"a","capturing":true}`)},
		{"status sensor name", event.LeafStatus, edit(t, online, func(m map[string]any) { m["sensor"] = "a/b" })},
		{"attestation type", event.LeafStatus, edit(t, online, func(m map[string]any) { m["attestation"].(map[string]any)["dumpable"] = "no" })},
		{"privacy state", event.LeafPrivacy, edit(t, privacy, func(m map[string]any) { m["state"] = "recording" })},
		{"privacy no since", event.LeafPrivacy, edit(t, privacy, func(m map[string]any) { delete(m, "since") })},
		{"privacy free-text cause", event.LeafPrivacy, edit(t, privacy, func(m map[string]any) { m["cause"] = "シャットダウン" })},
		{"stats negative", event.LeafStats, edit(t, stats, func(m map[string]any) { m["tracks_dropped"] = -1 })},
		{"stats missing", event.LeafStats, edit(t, stats, func(m map[string]any) { delete(m, "outbox_depth") })},
		{"notice hash", event.LeafNotice, edit(t, ntc, func(m map[string]any) { m["hash"] = "x" })},
		{"notice missing", event.LeafNotice, edit(t, ntc, func(m map[string]any) { delete(m, "contact_en") })},
	}
	for _, c := range cases {
		err := v.Validate(top.Topic(c.leaf), c.payload)
		if err == nil {
			t.Errorf("%s: %s accepted", c.name, c.payload)
		} else if errors.Is(err, ErrNoSchema) || !strings.HasPrefix(err.Error(), "schemas: ") {
			t.Errorf("%s: error %q", c.name, err)
		}
	}
	// Unknown fields are allowed in the sensor's messages, for forward compatibility.
	if err := v.Validate(top.Topic(event.LeafTracks), edit(t, track, func(m map[string]any) { m["zone"] = "entrance" })); err != nil {
		t.Errorf("unknown field rejected: %v", err)
	}
}

// TestCommandSchemaMatchesParser checks that the command schema accepts what command.Parse accepts and
// rejects what it rejects, except for what JSON Schema cannot say (the 1s..24h range and the size cap).
// FuzzCommandMatchesSchema checks the same over generated payloads.
func TestCommandSchemaMatchesParser(t *testing.T) {
	v := validator(t)
	cases := []struct {
		leaf, payload string
	}{
		{event.LeafPause, ``},
		{event.LeafPause, `{}`},
		{event.LeafPause, `{"v":1,"for":"15m","reason":"cleaning"}`},
		{event.LeafPause, `{"for":"1h30m"}`},
		{event.LeafPause, `{"for":"90s"}`},
		{event.LeafPause, `{"for":"1.5h"}`},
		{event.LeafPause, `{"for":"15"}`},
		{event.LeafPause, `{"for":"soon"}`},
		{event.LeafPause, `{"for":15}`},
		{event.LeafPause, `{"v":2}`},
		{event.LeafPause, `{"for_s":60}`},
		{event.LeafPause, `{"reason":"` + strings.Repeat("é", 64) + `"}`},
		{event.LeafPause, `{"reason":"` + strings.Repeat("é", 65) + `"}`},
		{event.LeafPause, `{"reason":"a\nb"}`},
		{event.LeafPause, `{"reason":"a\u007fb"}`},
		{event.LeafPause, `[]`},
		{event.LeafPause, `"pause"`},
		{event.LeafResume, `{}`},
		{event.LeafResume, `{"v":1,"reason":"done"}`},
		{event.LeafResume, `{"for":"15m"}`},
	}
	for _, c := range cases {
		_, perr := command.Parse(top, top.Topic(c.leaf), []byte(c.payload), false)
		serr := v.Validate(top.Topic(c.leaf), []byte(c.payload))
		if (perr == nil) != (serr == nil) {
			t.Errorf("%s %s: parser says %v, schema says %v", c.leaf, c.payload, perr, serr)
		}
	}
}

func TestValidateTopics(t *testing.T) {
	v := validator(t)
	for _, topic := range []string{"ashiato/v2/s/c/tracks", "ashiato/v1/s/c", "ashiato/v1/s/c/", "ashiato/v1/s/c/cmd/foo",
		"ashiato/v1/s!/c/tracks", "other/s/c/tracks", "ashiato/v1/s/c/tracks/x"} {
		if err := v.Validate(topic, []byte(`{}`)); !errors.Is(err, ErrNoSchema) {
			t.Errorf("%s: %v, want ErrNoSchema", topic, err)
		}
	}
	tp, leaf, ok := SplitTopic("ashiato/v1/store-1/cam_2/cmd/pause")
	if !ok || tp != top || leaf != event.LeafPause {
		t.Errorf("SplitTopic: %+v %q %v", tp, leaf, ok)
	}
	for leaf := range ByLeaf {
		if _, l, ok := SplitTopic(top.Topic(leaf)); !ok || l != leaf {
			t.Errorf("SplitTopic(%s) leaf %q", top.Topic(leaf), l)
		}
	}
}

// TestCommandSchemaStatesTheParsersLimits: the command schema repeats, in its maxLength and in prose, the
// limits that package command enforces; each must be the same number as the parser's constant, so that
// each rule stays one fact.
func TestCommandSchemaStatesTheParsersLimits(t *testing.T) {
	b, err := FS.ReadFile("command.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Description string `json:"description"`
		Defs        struct {
			Pause struct {
				Properties struct {
					For struct {
						Description string `json:"description"`
					} `json:"for"`
				} `json:"properties"`
			} `json:"pause"`
			Reason struct {
				MaxLength   int    `json:"maxLength"`
				Description string `json:"description"`
			} `json:"reason"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	maxPause := strings.TrimSuffix(command.MaxPause.String(), "0m0s") // "24h"
	for _, c := range []struct{ text, want string }{
		{s.Description, fmt.Sprintf("a payload over %d bytes", command.MaxPayload)},
		{s.Description, fmt.Sprintf("outside 1s..%s", maxPause)},
		{s.Defs.Pause.Properties.For.Description, fmt.Sprintf("between 1s and %s", maxPause)},
		{s.Defs.Reason.Description, fmt.Sprintf("at most %d characters", command.MaxReason)},
	} {
		if !strings.Contains(c.text, c.want) {
			t.Errorf("command.schema.json does not say %q (package command's limit):\n%s", c.want, c.text)
		}
	}
	if s.Defs.Reason.MaxLength != command.MaxReason {
		t.Errorf("reason maxLength %d, command.MaxReason %d", s.Defs.Reason.MaxLength, command.MaxReason)
	}
}
