package notice

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

func TestPlaceholdersFound(t *testing.T) {
	for _, s := range []string{
		"株式会社サンプル商店 中央店",
		"Sample Shop Co., Central Store",
		"サービスカウンター（03-0000-0000）",
		"Service counter (03-0000-0000)",
		"0120-000-000",
		"https://example.com/privacy/camera",
		"https://www.example.jp/p",
		"http://shop.test/p",
		"店舗スタッフ privacy@example.com",
		"Store staff, privacy@example.net.",
		"Demo Store (sample notice)",
		"〇〇株式会社",
		"TODO",
		"Lorem ipsum",
	} {
		if placeholder(s) == "" {
			t.Errorf("%q not recognised as a placeholder", s)
		}
	}
}

func TestRealValuesPass(t *testing.T) {
	for _, s := range []string{
		"株式会社足跡商店 中央店",
		"Ashiato Shoten Co., Central Store",
		"サービスカウンター（03-5555-0123）",
		"privacy@ashiato-shoten.co.jp",
		"https://ashiato-shoten.co.jp/camera",
		"Measuring crowding to improve the store layout",
		"店内通路（入口からレジ前まで）",
		"90 days",
		"Examples of exemplary service", // a word that merely starts with "example"
		"0120-100-200",
	} {
		if why := placeholder(s); why != "" {
			t.Errorf("%q taken for a placeholder: %s", s, why)
		}
	}
}

// The example configuration and the demo notice must both be refused for a live camera, naming the
// fields to fill in, and a real notice must pass.
func TestPlaceholdersOfShippedNotices(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "ashiato.example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Notice Notice `toml:"notice"`
	}
	if err := toml.Unmarshal(b, &doc); err != nil { // the agent reads it with package config, which imports this one
		t.Fatal(err)
	}
	n := doc.Notice.WithDefaults()
	var keys []string
	for _, e := range n.Placeholders() {
		keys = append(keys, strings.SplitN(e.Error(), ":", 2)[0])
	}
	if got, want := strings.Join(keys, " "), "notice.operator_ja notice.operator_en notice.contact_ja notice.contact_en notice.policy_url"; got != want {
		t.Errorf("placeholders of the example config: %s; want %s", got, want)
	}
	if len(Default().Placeholders()) == 0 {
		t.Error("the demo notice passes for a real one")
	}
	real := Default()
	real.OperatorJA, real.OperatorEN = "株式会社足跡商店", "Ashiato Shoten Co."
	real.ContactJA, real.ContactEN = "店舗スタッフ privacy@ashiato-shoten.co.jp", "Store staff, privacy@ashiato-shoten.co.jp"
	real.PolicyURL = "https://ashiato-shoten.co.jp/camera"
	if errs := real.Placeholders(); len(errs) != 0 {
		t.Errorf("a real notice: %v", errs)
	}
}
