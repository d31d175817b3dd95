package main

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/config"
	"github.com/ashiato/ashiato/agent/notice"
	"github.com/ashiato/ashiato/agent/panel"
)

func TestRunWritesTheRenderedImage(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "a.toml")
	src := `[notice]
operator_ja = "テスト商店"
operator_en = "Test Shop"
purpose_ja = "混雑の把握"
purpose_en = "Crowding"
area_ja = "店内"
area_en = "Inside"
retention_days = 30
third_parties_ja = "なし"
third_parties_en = "None"
contact_ja = "レジ"
contact_en = "Till"
policy_url = "https://example.org/x"
`
	if err := os.WriteFile(cfg, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "p.png")
	now := "2026-11-29T14:32:00+09:00"
	if err := run(cfg, panel.ModePaused, "点検", 10*time.Minute, now, panel.Size, out); err != nil {
		t.Fatal(err)
	}
	c, err := config.Parse("a.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	n := c.EffectiveNotice()
	tm, _ := time.Parse(time.RFC3339, now)
	want := panel.Render(n, panel.State{Mode: panel.ModePaused, Reason: "点検", Since: tm.Add(-10 * time.Minute), Now: tm}, panel.Size)
	b, _ := os.ReadFile(out)
	got, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := got.(*image.Paletted); !ok || !bytes.Equal(p.Pix, want.Pix) {
		t.Error("preview PNG differs from panel.Render")
	}
	if bytes.Equal(want.Pix, panel.Render(notice.Default(), panel.State{Mode: panel.ModePaused, Reason: "点検", Since: tm.Add(-10 * time.Minute), Now: tm}, panel.Size).Pix) {
		t.Error("the config's notice was not used")
	}
	if err := run("", "recording", "", 0, "", panel.Size, out); err == nil {
		t.Error("unknown state accepted")
	}
	if err := run(filepath.Join(dir, "missing.toml"), panel.ModeCapturing, "", 0, "", panel.Size, out); err == nil {
		t.Error("missing config accepted")
	}
}

func TestParseNow(t *testing.T) {
	base := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	got, err := parseNow("14:32", base)
	if err != nil || !got.Equal(time.Date(2026, 11, 29, 14, 32, 0, 0, time.UTC)) {
		t.Errorf("14:32 → %v, %v", got, err)
	}
	if _, err := parseNow("yesterday", base); err == nil {
		t.Error("bad -now accepted")
	}
}
