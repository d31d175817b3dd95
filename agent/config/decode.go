package config

import (
	"encoding"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// decoder fills a Config from a TOML document strictly, and reports every problem at once rather than
// stopping at the first: each unknown key and each value of the wrong type gets its own error, naming
// the key as the file writes it ("capture.ring_slots") and its line. Values are never quoted back, so a
// misplaced secret cannot end up in a log.
type decoder struct {
	name   string         // the file's name, for messages
	lines  map[string]int // dotted key → line of its definition
	errs   []error
	failed map[string]bool // keys whose value could not be decoded
}

// decode fills c from b and returns the decoder, holding the problems found. A document that is not TOML
// at all gives a single error with its position.
func decode(name string, b []byte, c *Config) (*decoder, error) {
	var doc map[string]any
	if err := toml.Unmarshal(b, &doc); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return nil, fmt.Errorf("%s:%d:%d: %s", name, row, col, strings.TrimPrefix(de.Error(), "toml: "))
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	d := &decoder{name: name, lines: keyLines(b), failed: map[string]bool{}}
	d.table(reflect.ValueOf(c).Elem(), doc, "")
	return d, nil
}

// validated adds the problems that validation found (each an error starting with its key), except those
// that follow from a value that could not be decoded, and returns every problem in the order of the
// file.
func (d *decoder) validated(errs []error) []error {
	for _, err := range errs {
		key, msg, _ := strings.Cut(err.Error(), ": ")
		if !d.followsFailure(key) {
			d.report(key, key+": "+msg)
		}
	}
	sort.SliceStable(d.errs, func(i, j int) bool { return lineOf(d.errs[i]) < lineOf(d.errs[j]) })
	return d.errs
}

// followsFailure reports whether a problem with key follows from one already reported: the value of
// key, or of something in it, could not be decoded.
func (d *decoder) followsFailure(key string) bool {
	for k := range d.failed {
		if k == key || strings.HasPrefix(k, key+".") || strings.HasPrefix(k, key+"[") {
			return true
		}
	}
	return false
}

// keyError is a problem with one key; line 0 means the key is not in the file (a default, or a whole
// section), and sorts first.
type keyError struct {
	line int
	msg  string
}

func (e *keyError) Error() string { return e.msg }

func lineOf(err error) int {
	var ke *keyError
	if errors.As(err, &ke) {
		return ke.line
	}
	return 0
}

// bad records that the value of key could not be decoded, and why.
func (d *decoder) bad(key, format string, args ...any) {
	d.failed[key] = true
	d.report(key, fmt.Sprintf("%s: %s", key, fmt.Sprintf(format, args...)))
}

// report records msg about key, after the file's name and the key's line.
func (d *decoder) report(key, msg string) {
	line := d.lines[key]
	for k := key; line == 0 && k != ""; { // an array element: the line of its array
		i := strings.LastIndexAny(k, ".[")
		if i < 0 {
			break
		}
		k = k[:i]
		line = d.lines[k]
	}
	where := d.name
	if line > 0 {
		where = fmt.Sprintf("%s:%d", d.name, line)
	}
	d.errs = append(d.errs, &keyError{line: line, msg: where + ": " + msg})
}

// table fills the struct dst from the TOML table t; prefix is t's dotted key ("" for the document).
func (d *decoder) table(dst reflect.Value, t map[string]any, prefix string) {
	fields := map[string]int{}
	for i := range dst.NumField() {
		if tag, _, _ := strings.Cut(dst.Type().Field(i).Tag.Get("toml"), ","); tag != "" && tag != "-" {
			fields[tag] = i
		}
	}
	for k, v := range t {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		i, ok := fields[k]
		if !ok {
			d.failed[key] = true
			d.report(key, fmt.Sprintf("unknown key %q", key))
			continue
		}
		d.value(dst.Field(i), v, key)
	}
}

// value sets dst from the decoded TOML value v at key.
func (d *decoder) value(dst reflect.Value, v any, key string) {
	if tu, ok := dst.Addr().Interface().(encoding.TextUnmarshaler); ok {
		s, ok := v.(string)
		if !ok {
			d.bad(key, "want %s, got %s", want(dst.Type()), tomlType(v))
			return
		}
		if err := tu.UnmarshalText([]byte(s)); err != nil {
			d.bad(key, "%v", err)
		}
		return
	}
	switch dst.Kind() {
	case reflect.Pointer:
		elem := reflect.New(dst.Type().Elem())
		n := len(d.failed)
		d.value(elem.Elem(), v, key)
		if len(d.failed) == n || elem.Elem().Kind() == reflect.Struct {
			dst.Set(elem) // a table that is present stays present, even with bad keys in it
		}
	case reflect.Struct:
		t, ok := v.(map[string]any)
		if !ok {
			d.bad(key, "want %s, got %s", want(dst.Type()), tomlType(v))
			return
		}
		d.table(dst, t, key)
	case reflect.Slice, reflect.Array:
		d.list(dst, v, key)
	default:
		if msg := setScalar(dst, v); msg != "" {
			d.bad(key, "%s", msg)
		}
	}
}

// list sets the slice or array dst from the TOML value v at key, element by element.
func (d *decoder) list(dst reflect.Value, v any, key string) {
	list, ok := v.([]any)
	if !ok {
		d.bad(key, "want %s, got %s", want(dst.Type()), tomlType(v))
		return
	}
	if dst.Kind() == reflect.Array && len(list) != dst.Len() {
		d.bad(key, "want %s, got a list of %d", want(dst.Type()), len(list))
		return
	}
	if dst.Kind() == reflect.Slice {
		dst.Set(reflect.MakeSlice(dst.Type(), len(list), len(list)))
	}
	for i, e := range list {
		d.value(dst.Index(i), e, fmt.Sprintf("%s[%d]", key, i))
	}
}

// setScalar sets the string, bool, integer or float dst from v, and returns why it cannot, or "".
func setScalar(dst reflect.Value, v any) string {
	mismatch := fmt.Sprintf("want %s, got %s", want(dst.Type()), tomlType(v))
	switch dst.Kind() {
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			return mismatch
		}
		dst.SetString(s)
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			return mismatch
		}
		dst.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, ok := v.(int64)
		if !ok {
			return mismatch
		}
		if dst.OverflowInt(n) {
			return fmt.Sprintf("%d is too large", n)
		}
		dst.SetInt(n)
	case reflect.Float64:
		switch n := v.(type) {
		case float64:
			if math.IsNaN(n) || math.IsInf(n, 0) {
				return "want a finite number"
			}
			dst.SetFloat(n)
		case int64:
			dst.SetFloat(float64(n))
		default:
			return mismatch
		}
	default:
		return "cannot be set from a configuration file"
	}
	return ""
}

// want describes what a value of type t looks like in TOML.
func want(t reflect.Type) string {
	if t == reflect.TypeFor[Duration]() {
		return `a duration such as "2s" or "5m"`
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.Float64:
		return "a number"
	case reflect.Pointer:
		return want(t.Elem())
	case reflect.Struct:
		return "a table"
	case reflect.Array:
		return fmt.Sprintf("a list of %d (%s)", t.Len(), want(t.Elem()))
	case reflect.Slice:
		return "a list of " + want(t.Elem())
	}
	return t.String()
}

// tomlType names the TOML type of a decoded value, without its content.
func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "true/false"
	case int64:
		return "a whole number"
	case float64:
		return "a number with a fraction"
	case []any:
		return "a list"
	case map[string]any:
		return "a table"
	case time.Time, toml.LocalDate, toml.LocalTime, toml.LocalDateTime:
		return "a date or time"
	}
	return fmt.Sprintf("%T", v)
}

// keyLines maps every key defined in the document (dotted, with the tables it is in) to its line.
func keyLines(b []byte) map[string]int {
	lines := map[string]int{}
	var p unstable.Parser
	p.Reset(b)
	var table []string
	keyOf := func(it unstable.Iterator) ([]string, int) {
		var parts []string
		line := 0
		for it.Next() {
			n := it.Node()
			parts = append(parts, string(n.Data))
			if line == 0 {
				line = p.Shape(n.Raw).Start.Line
			}
		}
		return parts, line
	}
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			k, line := keyOf(e.Key())
			table = k
			lines[strings.Join(k, ".")] = line
		case unstable.KeyValue:
			k, line := keyOf(e.Key())
			lines[strings.Join(append(append([]string(nil), table...), k...), ".")] = line
		}
	}
	return lines
}
