// Package schemas holds the JSON Schemas (draft 2020-12) of every MQTT payload and validates messages
// against them by topic.
//
// The *.schema.json files in this directory are the published contract; they are embedded so that tools
// and tests validate against exactly the files a back-office engineer reads. The sensor's own messages
// allow unknown fields (a newer agent may add some); command bodies do not, because the agent rejects them.
package schemas

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/ashiato/ashiato/agent/event"
)

// FS holds the schema files, named <name>.schema.json.
//
//go:embed *.schema.json
var FS embed.FS

// base is the URL the files' $id values are relative to.
const base = "https://github.com/ashiato/ashiato/schemas/"

// ByLeaf maps each topic leaf (the part after ashiato/v1/<store>/<sensor>/) to the schema of its payload:
// a file name, with a JSON pointer fragment for the command bodies.
var ByLeaf = map[string]string{
	event.LeafStatus:  "status.schema.json",
	event.LeafPrivacy: "privacy.schema.json",
	event.LeafTracks:  "tracks.schema.json",
	event.LeafStats:   "stats.schema.json",
	event.LeafNotice:  "notice.schema.json",
	event.LeafPause:   "command.schema.json#/$defs/pause",
	event.LeafResume:  "command.schema.json#/$defs/resume",
}

// ErrNoSchema is returned by Validate for a topic outside the contract: not under ashiato/v1/<store>/<sensor>/,
// or a leaf this version does not know.
var ErrNoSchema = errors.New("schemas: no schema for topic")

// Validator checks payloads against the compiled schemas. It is safe for concurrent use.
type Validator struct {
	byLeaf map[string]*jsonschema.Schema
}

// New compiles every schema in FS.
func New() (*Validator, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	files, err := FS.ReadDir(".")
	if err != nil {
		return nil, fmt.Errorf("schemas: %w", err)
	}
	for _, f := range files {
		b, err := FS.ReadFile(f.Name())
		if err != nil {
			return nil, fmt.Errorf("schemas: %w", err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("schemas: %s: %w", f.Name(), err)
		}
		if err := c.AddResource(base+f.Name(), doc); err != nil {
			return nil, fmt.Errorf("schemas: %s: %w", f.Name(), err)
		}
	}
	v := &Validator{byLeaf: map[string]*jsonschema.Schema{}}
	for leaf, loc := range ByLeaf {
		s, err := c.Compile(base + loc)
		if err != nil {
			return nil, fmt.Errorf("schemas: %s: %w", loc, err)
		}
		v.byLeaf[leaf] = s
	}
	return v, nil
}

// SplitTopic splits ashiato/v1/<store>/<sensor>/<leaf> into its names and leaf, and reports whether topic
// has that shape with valid names.
func SplitTopic(topic string) (t event.Topics, leaf string, ok bool) {
	rest, ok := strings.CutPrefix(topic, event.Root+"/")
	if !ok {
		return event.Topics{}, "", false
	}
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) != 3 || !event.ValidName(parts[0]) || !event.ValidName(parts[1]) || parts[2] == "" {
		return event.Topics{}, "", false
	}
	return event.Topics{Store: parts[0], Sensor: parts[1]}, parts[2], true
}

// Validate checks payload, received on topic, against the schema of the topic's leaf. An empty payload is
// not JSON and is rejected, as the agent rejects an empty command. It returns an error wrapping ErrNoSchema for a topic outside
// the contract, and otherwise a description of the first problems found, or nil.
func (v *Validator) Validate(topic string, payload []byte) error {
	_, leaf, ok := SplitTopic(topic)
	if !ok {
		return fmt.Errorf("%w %.120q", ErrNoSchema, topic)
	}
	s, ok := v.byLeaf[leaf]
	if !ok {
		return fmt.Errorf("%w %.120q (leaf %q)", ErrNoSchema, topic, leaf)
	}
	// JSON's own whitespace around the value is skipped by the decoder; nothing else is (bytes.TrimSpace
	// would also drop Unicode spaces such as U+00A0 and U+0085, which JSON does not allow there).
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("schemas: %s: payload is not JSON: %v", leaf, err)
	}
	if err := s.Validate(inst); err != nil {
		return fmt.Errorf("schemas: %s: %v", leaf, oneLine(err))
	}
	return nil
}

// oneLine flattens the validator's multi-line report.
func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
}
