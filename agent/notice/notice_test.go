package notice

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestDefaultIsValidAndDemo(t *testing.T) {
	d := Default()
	if errs := d.Validate(); len(errs) != 0 {
		t.Fatalf("Default().Validate() = %v", errs)
	}
	if !strings.Contains(d.OperatorJA, "デモ") || !strings.Contains(strings.ToLower(d.OperatorEN), "demo") {
		t.Errorf("default operator %q / %q does not say it is a demo", d.OperatorJA, d.OperatorEN)
	}
	if d.CollectedJA != DefaultCollectedJA || d.RawImageEN != DefaultRawImageEN {
		t.Error("Default() lacks the device-behaviour defaults")
	}
}

func TestValidateNamesMissingKeys(t *testing.T) {
	errs := Notice{}.Validate()
	got := map[string]bool{}
	for _, e := range errs {
		got[e.Error()] = true
	}
	typ := reflect.TypeFor[Notice]()
	for i := 0; i < typ.NumField(); i++ {
		key := typ.Field(i).Tag.Get("toml")
		if key == "aggregate_retention_days" {
			continue // 0 means "as long as the tracks"
		}
		if key == "retention_days" {
			if !got["notice.retention_days: required (how many days tracks are kept, e.g. 90)"] {
				t.Errorf("retention_days: not reported as required in %v", errs)
			}
			continue
		}
		msg := "notice." + key + ": required"
		isOptional := strings.HasPrefix(key, "collected_") || strings.HasPrefix(key, "never_collected_") || strings.HasPrefix(key, "raw_image_") ||
			strings.HasPrefix(key, "unmeasured_") || strings.HasPrefix(key, "objection_")
		if got[msg] == isOptional {
			t.Errorf("%s: reported %v, optional %v", key, got[msg], isOptional)
		}
	}
	n := Default()
	n.OperatorJA = "  "
	if errs := n.Validate(); len(errs) != 1 || errs[0].Error() != "notice.operator_ja: required" {
		t.Errorf("blank operator_ja: %v", errs)
	}
	n = Default()
	n.PurposeEN = "two\nlines"
	if errs := n.Validate(); len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), "notice.purpose_en: ") {
		t.Errorf("multi-line purpose_en: %v", errs)
	}
}

func TestValidateURL(t *testing.T) {
	for u, ok := range map[string]bool{
		"https://example.com/p":    true,
		"http://192.0.2.1/privacy": true,
		"ftp://example.com/p":      false,
		"javascript:alert(1)":      false,
		"example.com/p":            false,
		"https:///nohost":          false,
		"https://example.com/" + strings.Repeat("a", MaxURLLen): false,
	} {
		n := Default()
		n.PolicyURL = u
		errs := n.Validate()
		if ok != (len(errs) == 0) {
			t.Errorf("%q: errors %v, want ok=%v", u, errs, ok)
		}
		for _, e := range errs {
			if !strings.HasPrefix(e.Error(), "notice.policy_url: ") {
				t.Errorf("%q: error %q does not name the key", u, e)
			}
		}
	}
}

func TestHashAndJSON(t *testing.T) {
	d := Default()
	h := d.Hash()
	if len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
		t.Fatalf("Hash = %q, want 64 hex digits", h)
	}
	// Empty defaulted fields hash like their explicit defaults; any text change changes the hash.
	blank := d
	blank.CollectedJA, blank.RawImageEN = "", ""
	if blank.Hash() != h {
		t.Error("a notice relying on defaults hashes differently from the explicit one")
	}
	for i := 0; i < reflect.TypeFor[Notice]().NumField(); i++ {
		c := d
		f := reflect.ValueOf(&c).Elem().Field(i)
		if f.Kind() == reflect.Int {
			f.SetInt(f.Int() + 1)
		} else {
			f.SetString(f.String() + "!")
		}
		if c.Hash() == h {
			t.Errorf("changing field %d does not change the hash", i)
		}
	}

	var m map[string]any
	if err := json.Unmarshal(d.JSON(7), &m); err != nil {
		t.Fatal(err)
	}
	if m["v"] != float64(7) || m["hash"] != h {
		t.Errorf("v=%v hash=%v, want 7 and %s", m["v"], m["hash"], h)
	}
	typ := reflect.TypeFor[Notice]()
	consent := 0
	for i := 0; i < typ.NumField(); i++ {
		key, omit := strings.CutSuffix(typ.Field(i).Tag.Get("json"), ",omitempty")
		if omit {
			consent++
			if _, ok := m[key]; ok {
				t.Errorf("JSON has %s, which is empty and optional", key)
			}
			continue
		}
		if fv := reflect.ValueOf(d).Field(i); fv.Kind() == reflect.Int {
			if m[key] != float64(fv.Int()) {
				t.Errorf("JSON %s = %v, want %d", key, m[key], fv.Int())
			}
			continue
		}
		if m[key] != reflect.ValueOf(d).Field(i).String() {
			t.Errorf("JSON %s = %v, want %q", key, m[key], reflect.ValueOf(d).Field(i).String())
		}
	}
	if len(m) != typ.NumField()-consent+2 {
		t.Errorf("JSON has %d keys, want %d", len(m), typ.NumField()-consent+2)
	}
	amp := d
	amp.ContactEN = "Desk <A&B>"
	if !strings.Contains(string(amp.JSON(1)), `"Desk <A&B>"`) {
		t.Errorf("HTML escaping altered the payload: %s", amp.JSON(1))
	}
	if blank.JSON(1) == nil || string(blank.JSON(1)) != string(d.JSON(1)) {
		t.Error("JSON does not apply defaults")
	}
}

func TestRetentionDays(t *testing.T) {
	n := Default()
	n.RetentionDays, n.AggregateRetentionDays = 30, 0
	if n.RetentionJA() != "30日" || n.RetentionEN() != "30 days" || n.AggregateDays() != 30 ||
		n.AggregateRetentionEN() != "30 days" {
		t.Errorf("30 days, aggregates 0: %q %q %d %q", n.RetentionJA(), n.RetentionEN(), n.AggregateDays(), n.AggregateRetentionEN())
	}
	n.RetentionDays = 1
	if n.RetentionEN() != "1 day" {
		t.Errorf("1 day: %q", n.RetentionEN())
	}
	for _, c := range []struct {
		days, agg int
		bad       string // the key named in the error, "" if valid
	}{
		{90, 0, ""}, {90, 90, ""}, {90, 365, ""}, {1, 3650, ""},
		{0, 0, "notice.retention_days"}, {-1, 0, "notice.retention_days"}, {3651, 0, "notice.retention_days"},
		{90, 30, "notice.aggregate_retention_days"}, {90, 4000, "notice.aggregate_retention_days"},
	} {
		n := Default()
		n.RetentionDays, n.AggregateRetentionDays = c.days, c.agg
		errs := n.Validate()
		if c.bad == "" {
			if len(errs) != 0 {
				t.Errorf("%d/%d: %v", c.days, c.agg, errs)
			}
			continue
		}
		if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), c.bad+": ") {
			t.Errorf("%d/%d: %v, want one error naming %s", c.days, c.agg, errs, c.bad)
		}
	}
}

// The consent fields are additive: a notice that does not set them publishes and hashes exactly as before
// they existed, so the hash printed on posters already on the wall stays right.
func TestConsentFields(t *testing.T) {
	const before = "51b95c8575db35e043695a8ad88e0996a48e20a2846b922f777c32ce0370dfa6" // Default().Hash() without them
	if h := Default().Hash(); h != before {
		t.Errorf("Default().Hash() = %s, want the hash from before the consent fields, %s", h, before)
	}
	n := Default()
	n.UnmeasuredJA, n.UnmeasuredEN = "トイレ", "Toilets"
	n.ObjectionJA, n.ObjectionEN = "窓口へ", "Ask the desk"
	if errs := n.Validate(); len(errs) != 0 {
		t.Fatalf("complete consent fields: %v", errs)
	}
	if n.Hash() == before {
		t.Error("setting the consent fields does not change the hash")
	}
	var m map[string]any
	if err := json.Unmarshal(n.JSON(1), &m); err != nil {
		t.Fatal(err)
	}
	if m["unmeasured_ja"] != "トイレ" || m["objection_en"] != "Ask the desk" {
		t.Errorf("JSON lacks the consent fields: %v", m)
	}
	half := Default()
	half.ObjectionJA = "窓口へ"
	errs := half.Validate()
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "notice.objection_ja and notice.objection_en") {
		t.Errorf("one language only: %v", errs)
	}
}
