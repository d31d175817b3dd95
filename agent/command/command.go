// Package command parses inbound MQTT commands strictly: only pause and resume exist, and no command can
// widen what is collected or turn a privacy setting off.
package command

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
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

// body is the JSON form of a command payload. Every field is optional, but the payload must be a JSON
// object: {} means a command with default values.
type body struct {
	V      *int    `json:"v,omitempty"`
	For    *string `json:"for,omitempty"`    // a Go duration such as "15m"
	Reason *string `json:"reason,omitempty"` // at most 64 characters, no control characters
}

// Parse checks a message received on topic with payload and returns the command. Commands are
// authenticated by topic: only <prefix>/cmd/pause and <prefix>/cmd/resume of this sensor are accepted
// (the broker's ACL must let only the back office publish there). Retained messages are rejected, so an
// old command cannot replay itself on every reconnect. Every error wraps ErrRejected and says why.
func Parse(top event.Topics, topic string, payload []byte, retained bool) (Command, error) {
	reject := func(format string, args ...any) (Command, error) {
		return Command{}, fmt.Errorf("%w: %s", ErrRejected, fmt.Sprintf(format, args...))
	}
	leaf, ok := top.Leaf(topic)
	if !ok {
		return reject("topic %.80q is not under this sensor's prefix", topic)
	}
	var c Command
	switch leaf {
	case event.LeafPause:
		c.Kind = Pause
	case event.LeafResume:
		c.Kind = Resume
	default:
		return reject("unknown command %.40q", leaf)
	}
	if retained {
		return reject("retained %s ignored: commands must be sent live", c.Kind)
	}
	if len(payload) > MaxPayload {
		return reject("payload of %d bytes exceeds %d", len(payload), MaxPayload)
	}
	if !utf8.Valid(payload) {
		return reject("payload is not UTF-8")
	}
	p := bytes.TrimSpace(payload)
	if bytes.Equal(p, []byte("null")) {
		return reject("payload is null, not a JSON object")
	}
	if len(p) == 0 {
		// An empty payload is how a retained message is cleared, and a broker forwards it to live
		// subscribers without the retain flag: it must never act as a command. Defaults are sent as {}.
		return reject("empty payload (send {} for a command with default values)")
	}
	var b body
	dec := json.NewDecoder(bytes.NewReader(p))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return reject("payload is not a JSON object of v, for and reason: %v", err)
	}
	if dec.More() {
		return reject("trailing data after the JSON object")
	}
	if b.V != nil && *b.V != event.Version {
		return reject("version %d; this sensor speaks %d", *b.V, event.Version)
	}
	if b.For != nil {
		if c.Kind != Pause {
			return reject("\"for\" only applies to pause")
		}
		d, err := time.ParseDuration(*b.For)
		if err != nil || d <= 0 || d > MaxPause {
			return reject("\"for\" must be a duration between 1s and %s, e.g. \"15m\"", MaxPause)
		}
		if d < time.Second {
			return reject("\"for\" must be at least 1s")
		}
		c.For = d
	}
	if b.Reason != nil {
		r := *b.Reason
		if utf8.RuneCountInString(r) > 64 {
			return reject("reason longer than 64 characters")
		}
		if strings.IndexFunc(r, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
			return reject("reason contains control characters")
		}
		c.Reason = r
	}
	return c, nil
}
