package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The example configuration's notice passes -check-config for a replay, and is refused with a live camera,
// naming every field that still holds the sample operator, phone number or example.com URL.
func TestPlaceholderNoticeRefusedForLiveCamera(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "ashiato.example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse("example.toml", b); err != nil {
		t.Fatalf("the example config for its own source: %v", err)
	}
	live := strings.Replace(string(b), `source = "synth"`, `source = "v4l2:/dev/video0"`, 1)
	if live == string(b) {
		t.Fatal(`the example config no longer says source = "synth"; update this test`)
	}
	_, err = Parse("example.toml", []byte(live))
	if err == nil {
		t.Fatal("the example notice is accepted with a live camera")
	}
	for _, key := range []string{"notice.operator_ja", "notice.operator_en", "notice.contact_ja", "notice.contact_en", "notice.policy_url"} {
		if !strings.Contains(err.Error(), key+":") {
			t.Errorf("error lacks %s:\n%v", key, err)
		}
	}
	if !strings.Contains(err.Error(), "placeholder") {
		t.Errorf("error does not say why:\n%v", err)
	}
}
