package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	pdf := filepath.Join(dir, "s.pdf")
	if err := run("", pdf, "a3", 0, true); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(pdf); !bytes.HasPrefix(b, []byte("%PDF-")) || !bytes.Contains(b, []byte("/MediaBox [0 0 841.89 1190.55]")) {
		t.Errorf("%s is not an A3 PDF", pdf)
	}
	out := filepath.Join(dir, "s.png")
	if err := run("", out, "a4", 50, true); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil || cfg.Width != 414 || cfg.Height != 585 { // 210 × 297 mm at 50 dpi, rounded up
		t.Errorf("preview PNG %dx%d (%v), want 414x585", cfg.Width, cfg.Height, err)
	}
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("[notice]\noperator_ja = \"x\"\n"), 0o644)
	if err := run(bad, out, "a4", 50, true); err == nil {
		t.Error("an incomplete notice was rendered with -strict")
	}
	if err := run(bad, out, "a4", 50, false); err != nil {
		t.Errorf("-strict=false: %v", err)
	}
	// Read by the agent's strict parser: an unknown key or a wrong type is refused even for a draft.
	for _, doc := range []string{"[notice]\noperater_ja = \"x\"\n", "[notice]\nretention_days = \"90\"\n"} {
		os.WriteFile(bad, []byte(doc), 0o644)
		if err := run(bad, out, "a4", 50, false); err == nil {
			t.Errorf("rendered %q", doc)
		}
	}
	for _, tc := range []struct{ out, paper string }{{pdf, "letter"}, {filepath.Join(dir, "s.svg"), "a4"}} {
		if err := run("", tc.out, tc.paper, 150, true); err == nil || !strings.HasPrefix(err.Error(), "poster: ") {
			t.Errorf("-o %s -paper %s: %v", tc.out, tc.paper, err)
		}
	}
}
