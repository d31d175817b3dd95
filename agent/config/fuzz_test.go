package config

import (
	"os"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

// FuzzParse feeds arbitrary documents to the strict TOML decoder and validator. Every error names the
// file. A document that is accepted is valid as parsed and with its defaults filled in, its schedule
// parses, and it survives a round trip through TOML unchanged: what the agent runs is what the file says.
func FuzzParse(f *testing.F) {
	example, err := os.ReadFile("../../ashiato.example.toml")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		string(example),
		"",
		"[sensor]\nstore = \"s1\"\nid = \"door\"\n",
		"[capture]\nsource = \"v4l2:/dev/video0\"\nfps = 15.0\n[privacy]\nrequire_locked_memory = false\n",
		"[mqtt]\nbroker = \"tls://mqtt.example.net:8883\"\nsegment_time = \"10m\"\nstatus_interval = \"1s\"\n",
		"[schedule]\ntimezone = \"Asia/Tokyo\"\nhours = [\"mon-fri 10:00-20:00\", \"sat,sun 10:00-18:00\"]\n",
		"[tracker]\nprivacy_zones = [[[0.8, 0.0], [1.0, 0.0], [1.0, 0.3]]]\nroi = [[0, 0], [1, 0], [1, 1]]\n",
		"[pause]\ndefault_duration = \"15m\"\nmax_duration = \"1h\"\n",
		"[calibration]\nimage = [[0,0],[1,0],[1,1],[0,1]]\nfloor = [[0,0],[4,0],[4,3],[0,3]]\n",
		"[capture]\nstall_timeout = \"-1s\"\n",
		"[sensor]\nstore = \"a/b\"\n",
		"[mqtt]\nbroker = \"tcp://user:pw@host:1883\"\n",
		"x = 1\n",
		"[sensor\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		c, err := Parse("fuzz.toml", doc)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.toml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted, then invalid: %v", err)
		}
		d := c.WithDefaults()
		if err := d.Validate(); err != nil {
			t.Fatalf("valid, but not with its defaults: %v", err)
		}
		if _, err := c.Schedule.Parse(); err != nil {
			t.Fatalf("valid, but its schedule does not parse: %v", err)
		}
		out, err := toml.Marshal(c)
		if err != nil {
			t.Fatalf("an accepted configuration cannot be written back: %v", err)
		}
		c2, err := Parse("round-trip.toml", out)
		if err != nil {
			t.Fatalf("written back, it is refused: %v\n%s", err, out)
		}
		// TOML writes an absent list and an empty one alike, so compare what is written, not the hashes
		// (config_hash tells `roi = []` from no roi at all).
		if out2, err := toml.Marshal(c2); err != nil || string(out2) != string(out) {
			t.Fatalf("written back, it is another configuration:\n%s\nthen:\n%s", out, out2)
		}
	})
}
