package schemas

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ashiato/ashiato/agent/command"
	"github.com/ashiato/ashiato/agent/event"
)

// FuzzCommandMatchesSchema checks that command.Parse accepts a command body exactly when
// command.schema.json does. The parser may refuse more only for what the schema states in words but
// JSON Schema cannot check: a "for" outside 1s..24h, a member name given twice (a validator sees the
// decoded object, in which the second copy has replaced the first), a payload over command.MaxPayload
// bytes or not UTF-8 (MQTT carries bytes; the schema describes JSON text).
func FuzzCommandMatchesSchema(f *testing.F) {
	v, err := New()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		`{}`, ` {"v":1,"for":"15m","reason":"清掃中"} `, `{"v":1.0}`, `{"v":10e-1}`, `{"v":1.0000000000000000001}`,
		`{"v":"1"}`, `{"v":null}`, `{"for":"+5m"}`, `{"for":"5.m"}`, `{"for":".5h"}`, `{"for":"0"}`, `{"for":"25h"}`,
		`{"for":"1h30m"}`, `{"for":"1µs"}`, `{"for":null}`, `{"REASON":"x"}`, `{"reason":"a","reason":"b"}`,
		`{}]`, `{} {}`, "\u00a0{}", "{}\u0085", `[]`, `null`, ``, `{"reason":"\u202e"}`, `{"reason":"a\u200bb"}`,
		`{"reason":"\u3164"}`, `{"reason":"\udb40\udd00"}`, `{"reason":"\ud800"}`, `{"reason":"` + strings.Repeat("é", 65) + `"}`,
		`{"reason":"a\u3000b"}`, `{"reason":"e\u0301"}`,
	} {
		f.Add(true, []byte(s))
	}
	f.Add(false, []byte(`{"reason":"done"}`))
	f.Add(false, []byte(`{"for":"5m"}`))
	top := event.Topics{Store: "s", Sensor: "c"}
	f.Fuzz(func(t *testing.T, pause bool, payload []byte) {
		if len(payload) > command.MaxPayload || !utf8.Valid(payload) {
			return
		}
		leaf := event.LeafResume
		if pause {
			leaf = event.LeafPause
		}
		_, perr := command.Parse(top, top.Topic(leaf), payload, false)
		serr := v.Validate(top.Topic(leaf), payload)
		switch {
		case perr == nil && serr != nil:
			t.Fatalf("%s %q: the parser accepts what the schema refuses: %v", leaf, payload, serr)
		case perr != nil && serr == nil:
			msg := perr.Error()
			if strings.Contains(msg, "twice") || strings.Contains(msg, `"for" must`) {
				return
			}
			t.Fatalf("%s %q: the parser refuses what the schema accepts: %v", leaf, payload, perr)
		}
	})
}
