package schemas

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/agent/notice"
)

// TestEveryFieldDeclared checks that each JSON field the agent can send is declared in its schema's
// properties: schemas allow unknown fields for forward compatibility, so validation alone would not notice a
// field added to a struct and forgotten in the contract.
func TestEveryFieldDeclared(t *testing.T) {
	cases := []struct {
		file string
		typ  reflect.Type
		path []string // nested object, e.g. attestation
	}{
		{"status.schema.json", reflect.TypeOf(event.Status{}), nil},
		{"status.schema.json", reflect.TypeOf(event.Attestation{}), []string{"attestation"}},
		{"privacy.schema.json", reflect.TypeOf(event.Privacy{}), nil},
		{"stats.schema.json", reflect.TypeOf(event.Stats{}), nil},
		{"tracks.schema.json", reflect.TypeOf(event.Track{}), nil},
		{"notice.schema.json", reflect.TypeOf(notice.Notice{}), nil},
	}
	for _, c := range cases {
		b, err := FS.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		obj := doc
		for _, p := range c.path {
			obj, _ = obj["properties"].(map[string]any)[p].(map[string]any)
			if obj == nil {
				t.Fatalf("%s: no object %q", c.file, p)
			}
		}
		props, _ := obj["properties"].(map[string]any)
		if props == nil {
			t.Fatalf("%s %v: no properties", c.file, c.path)
		}
		// A field may also be declared by name in "required" (the notice's _ja/_en fields are typed by a
		// patternProperties rule and listed there).
		req, _ := obj["required"].([]any)
		for _, r := range req {
			if name, ok := r.(string); ok {
				if _, ok := props[name]; !ok {
					props[name] = true
				}
			}
		}
		for i := range c.typ.NumField() {
			name, _, _ := strings.Cut(c.typ.Field(i).Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			if _, ok := props[name]; !ok {
				t.Errorf("%s %v: field %q of %s is not declared", c.file, c.path, name, c.typ)
			}
		}
	}
}
