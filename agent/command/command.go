// Package command parses inbound MQTT commands strictly: only pause and resume exist, and no command can
// widen what is collected or turn a privacy setting off.
package command

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ashiato/ashiato/agent/event"
)

// MaxPayload is the largest command payload accepted, in bytes.
const MaxPayload = 1024

// MaxPause is the longest pause a command may ask for.
const MaxPause = 24 * time.Hour

// Kind is what a command asks for.
type Kind int

const (
	Pause Kind = iota + 1
	Resume
)

func (k Kind) String() string {
	switch k {
	case Pause:
		return "pause"
	case Resume:
		return "resume"
	}
	return "unknown"
}

// Command is one parsed command.
type Command struct {
	Kind Kind
	// For is how long a pause lasts; 0 means the configured default.
	For time.Duration
	// Reason is shown on the panel and echoed on the privacy topic; "" means "remote".
	Reason string
}

// ErrRejected is wrapped by every Parse error.
var ErrRejected = errors.New("command rejected")

// MaxReason is the longest reason accepted, in characters (Unicode code points, as JSON Schema's
// maxLength counts them).
const MaxReason = 64

// Parse checks a message received on topic with payload and returns the command. Commands are
// authenticated by topic: only <prefix>/cmd/pause and <prefix>/cmd/resume of this sensor are accepted
// (the broker's ACL must let only the back office publish there). Every error wraps ErrRejected and says
// why.
//
// The payload must be exactly what schemas/command.schema.json describes, and Parse is no looser: one
// JSON object (RFC 8259; only JSON's own whitespace around it, nothing after it) whose member names are
// exactly "v", "for" and "reason", each at most once (the I-JSON rule of RFC 7493 §2.3), with v the
// number 1, for a string in Go duration syntax without a sign, and reason a string of at most MaxReason
// printable characters (see Printable). Beyond what a schema can say, for must lie between 1s and
// MaxPause and the payload may not exceed MaxPayload bytes.
//
// Retained messages are rejected, so an old command cannot replay itself on every reconnect: a retained
// copy left on the broker reaches the sensor with the retain flag set each time it subscribes. A command
// published with the retain flag while the sensor is subscribed is another matter: the broker forwards it
// to established subscriptions with the flag cleared (MQTT 3.1.1 §3.3.1.3, MQTT 5 §3.3.1.3 without
// "retain as published"), so it looks exactly like a live command and is acted on once, when it is sent.
// That is deliberate: only the back office may publish commands, it did send this one at that moment, and
// the MQTT 3.1.1 client cannot tell the two apart. What must never happen, acting on it again later, is
// what the rejection of flagged messages prevents.
func Parse(top event.Topics, topic string, payload []byte, retained bool) (Command, error) {
	leaf, ok := top.Leaf(topic)
	if !ok {
		return Command{}, rejected("topic %.80q is not under this sensor's prefix", topic)
	}
	var c Command
	switch leaf {
	case event.LeafPause:
		c.Kind = Pause
	case event.LeafResume:
		c.Kind = Resume
	default:
		return Command{}, rejected("unknown command %.40q", leaf)
	}
	if retained {
		return Command{}, rejected("retained %s ignored: commands must be sent live", c.Kind)
	}
	f, err := decodePayload(payload)
	if err != nil {
		return Command{}, err
	}
	if f.hasFor {
		if c.Kind != Pause {
			return Command{}, rejected("\"for\" only applies to pause")
		}
		if c.For, err = pauseFor(f.forStr); err != nil {
			return Command{}, err
		}
	}
	if f.hasReason {
		if err := checkReason(f.reason); err != nil {
			return Command{}, err
		}
		c.Reason = f.reason
	}
	return c, nil
}

// rejected is an ErrRejected error saying why.
func rejected(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrRejected, fmt.Sprintf(format, args...))
}

// decodePayload checks a command's payload (size, UTF-8, not empty, version) and returns its fields.
func decodePayload(payload []byte) (fields, error) {
	if len(payload) > MaxPayload {
		return fields{}, rejected("payload of %d bytes exceeds %d", len(payload), MaxPayload)
	}
	if !utf8.Valid(payload) {
		return fields{}, rejected("payload is not UTF-8")
	}
	if len(bytes.Trim(payload, jsonSpace)) == 0 {
		// An empty payload is how a retained message is cleared, and a broker forwards it to live
		// subscribers without the retain flag: it must never act as a command. Defaults are sent as {}.
		return fields{}, rejected("empty payload (send {} for a command with default values)")
	}
	f, err := decode(payload)
	if err != nil {
		return fields{}, rejected("%v", err)
	}
	if f.v != nil && !isOne(string(f.v)) {
		return fields{}, rejected("version %.20s; this sensor speaks %d", f.v, event.Version)
	}
	return f, nil
}

// pauseFor returns the duration of a pause given as "for": unsigned Go duration syntax, between 1s and
// MaxPause.
func pauseFor(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || s[0] == '+' || s[0] == '-' || d <= 0 || d > MaxPause {
		return 0, rejected("\"for\" must be a duration between 1s and %s, e.g. \"15m\"", MaxPause)
	}
	if d < time.Second {
		return 0, rejected("\"for\" must be at least 1s")
	}
	return d, nil
}

// checkReason checks a reason: at most MaxReason characters, all printable (see Printable).
func checkReason(r string) error {
	if utf8.RuneCountInString(r) > MaxReason {
		return rejected("reason longer than %d characters", MaxReason)
	}
	if i := strings.IndexFunc(r, func(r rune) bool { return !Printable(r) }); i >= 0 {
		ch, _ := utf8.DecodeRuneInString(r[i:])
		return rejected("reason contains %U, which is not a printable character (controls, format characters such as bidi overrides and zero-width marks, separators and invisible fillers are refused)", ch)
	}
	return nil
}

// Printable reports whether r may appear in a reason, which shoppers read on the panel: a graphic
// character (Unicode general categories L, M, N, P, S and the space separators Zs) that is not
// default-ignorable. That refuses every control (Cc: C0, DEL and C1 such as U+0085), every format
// character (Cf: the bidi embeddings, overrides and isolates U+202A–U+202E and U+2066–U+2069, the marks
// U+200E, U+200F and U+061C, the zero-width U+200B–U+200D, U+2060 and U+FEFF, the soft hyphen U+00AD,
// tags), the line and paragraph separators (Zl, Zp), private-use, surrogate and unassigned code points,
// and the graphic but invisible characters of Unicode's Other_Default_Ignorable_Code_Point and
// Variation_Selector properties (Hangul fillers, U+034F, variation selectors). None of what is left can
// reorder text or hide it. schemas/command.schema.json states the same rule as a pattern.
func Printable(r rune) bool {
	return unicode.IsGraphic(r) && !unicode.In(r, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector)
}

// jsonSpace is the whitespace JSON allows around values (RFC 8259 §2); Unicode's other spaces are not.
const jsonSpace = " \t\n\r"

// fields are the members of a command object, as found.
type fields struct {
	v                 json.RawMessage // the raw number; nil if absent
	hasFor, hasReason bool
	forStr, reason    string
}

// decode reads payload as exactly one JSON object with no member other than v, for and reason, each at
// most once and of the schema's type, and nothing but JSON whitespace after it. Names are compared
// exactly, after JSON unescaping (encoding/json alone would match them case-insensitively and let a
// repeated name overwrite the first).
func decode(payload []byte) (fields, error) {
	var f fields
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return f, errors.New("payload is not a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return f, fmt.Errorf("payload is not a JSON object: %v", err)
		}
		name, _ := tok.(string) // in an object, Token returns a name here or fails
		if seen[name] {
			return f, fmt.Errorf("member %.20q appears twice", name)
		}
		seen[name] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return f, fmt.Errorf("payload is not a JSON object: %v", err)
		}
		switch name {
		case "v":
			if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
				return f, errors.New("\"v\" is not a number")
			}
			f.v = raw
		case "for":
			if err := str(raw, &f.forStr); err != nil {
				return f, fmt.Errorf("\"for\" %v", err)
			}
			f.hasFor = true
		case "reason":
			if err := str(raw, &f.reason); err != nil {
				return f, fmt.Errorf("\"reason\" %v", err)
			}
			f.hasReason = true
		default:
			return f, fmt.Errorf("unknown member %.20q (names are v, for and reason, in lower case)", name)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return f, fmt.Errorf("payload is not a JSON object: %v", err)
	}
	if rest := bytes.Trim(payload[dec.InputOffset():], jsonSpace); len(rest) > 0 {
		return f, errors.New("trailing data after the JSON object")
	}
	return f, nil
}

// str decodes raw, which must be a JSON string (not null or any other type), into s.
func str(raw json.RawMessage, s *string) error {
	if raw[0] != '"' {
		return errors.New("is not a string")
	}
	return json.Unmarshal(raw, s)
}

// isOne reports whether num, a JSON number, equals 1 exactly, as JSON Schema's "const": 1 compares:
// 1, 1.0, 1.000e0 and 10e-1 do; 1.0000000000000000001 does not. It works on the digits, so an exponent of
// any size costs nothing.
func isOne(num string) bool {
	mant, exp, _ := strings.Cut(strings.ToLower(num), "e")
	if strings.HasPrefix(mant, "-") {
		return false
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := strings.TrimLeft(intPart+frac, "0")
	trimmed := strings.TrimRight(digits, "0")
	if trimmed != "1" {
		return false
	}
	e := 0
	if exp != "" {
		v, err := strconv.Atoi(strings.TrimPrefix(exp, "+"))
		if err != nil {
			return false // beyond any int: nowhere near 1
		}
		e = v
	}
	// value = trimmed × 10^(e − len(frac) + trailing zeros removed)
	return e-len(frac)+(len(digits)-len(trimmed)) == 0
}
