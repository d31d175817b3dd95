// Command poster renders the printed A4 privacy sign (PNG, 150 dpi) from the [notice] table of a
// configuration file, the same source the panel and the MQTT notice topic use.
//
//	go run ./tools/poster -config ashiato.toml -o sign.png
//
// Without -config, or without a [notice] table, the demo notice (notice.Default) is used. Print at 100 %
// ("actual size") so the QR code keeps its 5 cm.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"

	"github.com/ashiato/ashiato/agent/notice"
	"github.com/ashiato/ashiato/agent/notice/poster"
	"github.com/ashiato/ashiato/agent/panel"
)

func main() {
	log.SetFlags(0)
	cfg := flag.String("config", "", "TOML configuration file with a [notice] table; empty uses the demo notice")
	out := flag.String("o", "poster.png", "output PNG")
	strict := flag.Bool("strict", true, "refuse to render a notice that does not validate")
	flag.Parse()
	if err := run(*cfg, *out, *strict); err != nil {
		log.Fatal(err)
	}
}

func run(cfg, out string, strict bool) error {
	n := notice.Default()
	if cfg != "" {
		b, err := os.ReadFile(cfg)
		if err != nil {
			return fmt.Errorf("poster: %w", err)
		}
		if n, err = notice.FromTOML(b); err != nil {
			return fmt.Errorf("poster: %s: %w", cfg, err)
		}
	}
	if errs := n.Validate(); len(errs) > 0 {
		for _, err := range errs {
			log.Printf("poster: %v", err)
		}
		if strict {
			return fmt.Errorf("poster: the notice has %d problem(s); fix the config or pass -strict=false", len(errs))
		}
	}
	return panel.WritePNG(out, poster.Render(n))
}
