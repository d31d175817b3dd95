package main

import (
	"flag"
	"io"
	"os"
	"strings"
	"testing"
)

// TestClientIDAndShareFlags: -client-id and -share override the configuration file's mqtt.client_id and
// mqtt.share_group, reach the collector's options, and are validated like the file's keys.
func TestClientIDAndShareFlags(t *testing.T) {
	conf := t.TempDir() + "/office.toml"
	if err := os.WriteFile(conf, []byte("[mqtt]\nclient_id = \"from-file\"\nshare_group = \"file-group\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	parse := func(args ...string) (*Config, error) {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var o overrides
		o.register(fs, true)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return o.load()
	}
	c, err := parse("-config", conf)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.ClientID(""); got != "from-file" || c.IngestOptions().ShareGroup != "file-group" {
		t.Errorf("from the file: client id %q, share group %q", got, c.IngestOptions().ShareGroup)
	}
	c, err = parse("-config", conf, "-client-id", "office+2", "-share", "office")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.ClientID("ignored-user"); got != "office+2" || c.IngestOptions().ShareGroup != "office" {
		t.Errorf("with the flags: client id %q, share group %q", got, c.IngestOptions().ShareGroup)
	}
	if _, err := parse("-share", "a/b"); err == nil || !strings.Contains(err.Error(), "mqtt.share_group") {
		t.Errorf("-share a/b: %v, want an mqtt.share_group error", err)
	}
	if _, err := parse("-client-id", strings.Repeat("x", 129)); err == nil || !strings.Contains(err.Error(), "mqtt.client_id") {
		t.Errorf("-client-id of 129 characters: %v, want an mqtt.client_id error", err)
	}
}
