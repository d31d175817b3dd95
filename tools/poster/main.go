// Command poster renders the printed privacy sign from the [notice] table of a configuration file, the
// same source the panel and the MQTT notice topic use: a vector PDF for printing (A4 or A3, portrait) or a
// PNG preview of the same layout.
//
//	go run ./tools/poster -config ashiato.toml -o sign.pdf            # A4, for printing
//	go run ./tools/poster -config ashiato.toml -paper a3 -o sign.pdf  # A3
//	go run ./tools/poster -config ashiato.toml -o sign.png -dpi 100   # preview
//
// The configuration is read by the agent's own parser (package config). Without -config, or without a
// [notice] table, the demo notice (notice.Default) is used. With -strict (the default) the whole file
// must be one the agent would accept; -strict=false renders a draft from a file whose values do not
// validate yet (unknown keys and wrong types are still refused) and lists the problems. Print at 100 %
// ("actual size") so the QR code keeps its size.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/ashiato/ashiato/agent/config"
	"github.com/ashiato/ashiato/agent/notice/poster"
)

func main() {
	log.SetFlags(0)
	cfg := flag.String("config", "", "TOML configuration file with a [notice] table; empty uses the demo notice")
	out := flag.String("o", "poster.pdf", "output file: .pdf (vector, for printing) or .png (preview)")
	paper := flag.String("paper", "a4", "a4 or a3 (portrait)")
	dpi := flag.Float64("dpi", 150, "resolution of a PNG preview")
	strict := flag.Bool("strict", true, "refuse to render a notice that does not validate")
	flag.Parse()
	if err := run(*cfg, *out, *paper, *dpi, *strict); err != nil {
		log.Fatal(err)
	}
}

func run(cfg, out, paperName string, dpi float64, strict bool) error {
	c := &config.Config{}
	if cfg != "" {
		b, err := os.ReadFile(cfg)
		if err != nil {
			return fmt.Errorf("poster: %w", err)
		}
		if c, err = config.Decode(cfg, b); err != nil { // the agent's own parser: no unknown key, no wrong type
			return fmt.Errorf("poster: %w", err)
		}
	}
	if err := c.Validate(); err != nil {
		log.Printf("poster: %v", err)
		if strict {
			return errors.New("poster: the configuration has problems; fix them or pass -strict=false for a draft")
		}
	}
	n := c.EffectiveNotice()
	var paper poster.Paper
	switch strings.ToLower(paperName) {
	case "a4":
		paper = poster.A4
	case "a3":
		paper = poster.A3
	default:
		return fmt.Errorf("poster: -paper %q: want a4 or a3", paperName)
	}
	var buf bytes.Buffer
	switch strings.ToLower(filepath.Ext(out)) {
	case ".pdf":
		if err := poster.WritePDF(&buf, n, paper); err != nil {
			return err
		}
	case ".png":
		if dpi < 36 || dpi > 600 {
			return fmt.Errorf("poster: -dpi %g: want 36 to 600", dpi)
		}
		img, err := poster.RenderPNG(n, paper, dpi)
		if err != nil {
			return err
		}
		if err := png.Encode(&buf, img); err != nil {
			return fmt.Errorf("poster: %w", err)
		}
	default:
		return fmt.Errorf("poster: -o %q: want a .pdf or .png file", out)
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("poster: %w", err)
	}
	return nil
}
