package command

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/event"
)

var top = event.Topics{Store: "s1", Sensor: "door"}

func TestValidCommands(t *testing.T) {
	cases := []struct {
		leaf, payload string
		want          Command
	}{
		{"cmd/pause", "{}", Command{Kind: Pause}},
		{"cmd/pause", `{"v":1,"for":"15m","reason":"清掃中"}`, Command{Kind: Pause, For: 15 * time.Minute, Reason: "清掃中"}},
		{"cmd/resume", ` {"reason":"done"} `, Command{Kind: Resume, Reason: "done"}},
		{"cmd/pause", "\t{\"v\":1.0}\r\n", Command{Kind: Pause}},
		{"cmd/pause", `{"v":10e-1}`, Command{Kind: Pause}},
		{"cmd/pause", `{"reason":"\u6e05\u6383中　(Ａ) ✓ café"}`, Command{Kind: Pause, Reason: "清掃中　(Ａ) ✓ café"}},
		{"cmd/pause", `{"for":"1.5h"}`, Command{Kind: Pause, For: 90 * time.Minute}},
	}
	for _, c := range cases {
		got, err := Parse(top, top.Topic(c.leaf), []byte(c.payload), false)
		if err != nil || got != c.want {
			t.Errorf("Parse(%s, %q) = %+v, %v; want %+v", c.leaf, c.payload, got, err, c.want)
		}
	}
}

func TestRejected(t *testing.T) {
	cases := []struct {
		topic, payload string
		retained       bool
		why            string
	}{
		{"ashiato/v1/s1/other/cmd/pause", "", false, "prefix"},
		{"ashiato/v1/s1/door/cmd/disable_privacy_zones", "", false, "unknown command"},
		{"ashiato/v1/s1/door/cmd/set", `{"indicator":"none"}`, false, "unknown command"},
		{top.Topic("cmd/pause"), "{}", true, "retained"},
		{top.Topic("cmd/pause"), "", false, "empty payload"},
		{top.Topic("cmd/pause"), " null ", false, "JSON object"},
		{top.Topic("cmd/resume"), " \n", false, "empty payload"},
		{top.Topic("cmd/pause"), strings.Repeat(" ", MaxPayload+1), false, "exceeds"},
		{top.Topic("cmd/pause"), "\xff\xfe", false, "UTF-8"},
		{top.Topic("cmd/pause"), `{"for":"15m","indicator":"none"}`, false, "unknown member"},
		{top.Topic("cmd/pause"), `[]`, false, "JSON object"},
		{top.Topic("cmd/pause"), `{"for":"forever"}`, false, "duration"},
		{top.Topic("cmd/pause"), `{"for":"-5m"}`, false, "duration"},
		{top.Topic("cmd/pause"), `{"for":"48h"}`, false, "duration"},
		{top.Topic("cmd/pause"), `{"for":"10ms"}`, false, "at least 1s"},
		{top.Topic("cmd/resume"), `{"for":"5m"}`, false, "only applies to pause"},
		{top.Topic("cmd/pause"), `{"v":2}`, false, "version"},
		{top.Topic("cmd/pause"), `{} {}`, false, "trailing"},
		{top.Topic("cmd/pause"), `{"reason":"a\nb"}`, false, "control"},
		{top.Topic("cmd/pause"), `{"reason":"` + strings.Repeat("あ", 65) + `"}`, false, "64"},
		// Exactly the schema: names in their case, once each, nothing after the object, JSON whitespace only.
		{top.Topic("cmd/pause"), `{"REASON":"x"}`, false, "unknown member"},
		{top.Topic("cmd/pause"), `{"For":"5m"}`, false, "unknown member"},
		{top.Topic("cmd/pause"), `{"reason":"a","reason":"b"}`, false, "twice"},
		{top.Topic("cmd/pause"), `{"reason":"a","\u0072eason":"b"}`, false, "twice"},
		{top.Topic("cmd/pause"), `{}]`, false, "trailing"},
		{top.Topic("cmd/pause"), `{"for":"5m"}}`, false, "trailing"},
		{top.Topic("cmd/pause"), "\u00a0{}", false, "JSON object"},
		{top.Topic("cmd/pause"), "{}\u0085", false, "trailing"},
		{top.Topic("cmd/pause"), `{"reason":null}`, false, "not a string"},
		{top.Topic("cmd/pause"), `{"for":null}`, false, "not a string"},
		{top.Topic("cmd/pause"), `{"v":null}`, false, "not a number"},
		{top.Topic("cmd/pause"), `{"v":"1"}`, false, "not a number"},
		{top.Topic("cmd/pause"), `{"v":1.0000000000000000001}`, false, "version"},
		{top.Topic("cmd/pause"), `{"v":1e999999999999999999999}`, false, "version"},
		{top.Topic("cmd/pause"), `{"for":"+5m"}`, false, "duration"},
		{top.Topic("cmd/pause"), `{"for":"0"}`, false, "duration"},
		// Reasons are shown to shoppers: nothing that reorders or hides text.
		{top.Topic("cmd/pause"), `{"reason":"\u202eedoc"}`, false, "U+202E"},      // right-to-left override
		{top.Topic("cmd/pause"), `{"reason":"a\u2067b\u2069"}`, false, "U+2067"},  // right-to-left isolate
		{top.Topic("cmd/pause"), `{"reason":"a\u200fb"}`, false, "U+200F"},        // right-to-left mark
		{top.Topic("cmd/pause"), `{"reason":"a\u200bb"}`, false, "U+200B"},        // zero-width space
		{top.Topic("cmd/pause"), `{"reason":"a\u200db"}`, false, "U+200D"},        // zero-width joiner
		{top.Topic("cmd/pause"), `{"reason":"a\ufeffb"}`, false, "U+FEFF"},        // zero-width no-break space
		{top.Topic("cmd/pause"), `{"reason":"a\u00adb"}`, false, "U+00AD"},        // soft hyphen
		{top.Topic("cmd/pause"), `{"reason":"a\u0085b"}`, false, "U+0085"},        // C1 next line
		{top.Topic("cmd/pause"), "{\"reason\":\"a\u0085b\"}", false, "U+0085"},    // the same, raw
		{top.Topic("cmd/pause"), `{"reason":"a\u2028b"}`, false, "U+2028"},        // line separator
		{top.Topic("cmd/pause"), `{"reason":"a\u3164b"}`, false, "U+3164"},        // Hangul filler, blank
		{top.Topic("cmd/pause"), `{"reason":"a\ufe0fb"}`, false, "U+FE0F"},        // variation selector
		{top.Topic("cmd/pause"), `{"reason":"a\ue000b"}`, false, "U+E000"},        // private use
		{top.Topic("cmd/pause"), `{"reason":"a\udb40\udc01b"}`, false, "U+E0001"}, // language tag
		{top.Topic("cmd/pause"), `{"reason":"a\tb"}`, false, "U+0009"},
	}
	for _, c := range cases {
		_, err := Parse(top, c.topic, []byte(c.payload), c.retained)
		if !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), c.why) {
			t.Errorf("Parse(%q, %.40q) = %v; want a rejection mentioning %q", c.topic, c.payload, err, c.why)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("cmd/pause", []byte(`{"for":"15m","reason":"x"}`), false)
	f.Add("cmd/resume", []byte(`{}`), false)
	f.Add("cmd/pause", []byte(`{"v":1}`), true)
	f.Add("cmd/x", []byte(`{`), false)
	f.Fuzz(func(t *testing.T, leaf string, payload []byte, retained bool) {
		c, err := Parse(top, top.Topic(leaf), payload, retained)
		if err != nil {
			if !errors.Is(err, ErrRejected) {
				t.Fatalf("error does not wrap ErrRejected: %v", err)
			}
			return
		}
		if c.Kind != Pause && c.Kind != Resume {
			t.Fatalf("accepted an unknown kind: %+v", c)
		}
		if c.For < 0 || c.For > MaxPause || (c.Kind == Resume && c.For != 0) || retained || len(payload) > MaxPayload {
			t.Fatalf("accepted out-of-contract command %+v (retained %v, %d bytes)", c, retained, len(payload))
		}
	})
}
