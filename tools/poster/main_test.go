package main

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/ashiato/ashiato/agent/notice/poster"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "s.png")
	if err := run("", out, true); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil || cfg.Width != poster.Width || cfg.Height != poster.Height {
		t.Errorf("poster PNG %dx%d (%v), want %dx%d", cfg.Width, cfg.Height, err, poster.Width, poster.Height)
	}
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("[notice]\noperator_ja = \"x\"\n"), 0o644)
	if err := run(bad, out, true); err == nil {
		t.Error("an incomplete notice was rendered with -strict")
	}
	if err := run(bad, out, false); err != nil {
		t.Errorf("-strict=false: %v", err)
	}
}
