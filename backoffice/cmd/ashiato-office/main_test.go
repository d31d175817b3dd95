package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/backoffice/sqlite"
)

func runCmd(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestExampleConfig loads office.example.toml, so that it cannot go stale.
func TestExampleConfig(t *testing.T) {
	code, out, errs := runCmd("check-config", "../../../office.example.toml")
	if code != 0 || !strings.Contains(out, ": ok") {
		t.Fatalf("check-config: %d %s %s", code, out, errs)
	}
	c, err := Load("../../../office.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Minimisation(), backoffice.DefaultMinimisation(); got != want {
		t.Errorf("the example's minimisation %+v is not the default %+v", got, want)
	}
	if c.Interval() != 24*time.Hour || len(c.Brokers()) != 1 || c.Brokers()[0] != DefaultBroker || c.Listen() != DefaultListen {
		t.Errorf("the example's values differ from the defaults: %+v", c)
	}
}

func TestConfigErrors(t *testing.T) {
	_, err := Parse("office.toml", []byte("[mqtt]\nbroker = \"tcp://h:1\"\n\n[retention]\nmax_dayz = 3\n"))
	if err == nil || !strings.Contains(err.Error(), `office.toml:5: unknown key "retention.max_dayz"`) {
		t.Errorf("unknown key: %v", err)
	}
	_, err = Parse("office.toml", []byte(`[mqtt]
broker = "tcp://user:secret@h:1883"
[retention]
max_days = 4000
interval = "1s"
[minimise]
start_time = "7m"
[[sensor]]
store = "s"
id = "a/b"
notice_hash = "x"
`))
	for _, want := range []string{"credentials in the URL", "retention.max_days", "retention.interval", "minimise.start_time",
		"sensor[0]", "sensor[0].notice_hash"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want an error about %s, got %v", want, err)
		}
	}
	if err != nil && strings.Contains(err.Error(), "secret") {
		t.Errorf("the error echoes the password: %v", err)
	}
	// No file at all: every default.
	c := &Config{}
	if c.Minimisation() != backoffice.DefaultMinimisation() || c.ClientID("") != "ashiato-office" || c.ClientID("office-1") != "office-1" {
		t.Errorf("defaults: %+v", c)
	}
	off := false
	c.Minimise.Enabled = &off
	if c.Minimisation() != (backoffice.Minimisation{}) {
		t.Errorf("minimise.enabled = false still minimises")
	}
}

func TestWebConfig(t *testing.T) {
	code, out, errs := func() (int, string, string) {
		var o, e bytes.Buffer
		c := hashPassword(strings.NewReader("a long enough password\n"), &o, &e)
		return c, o.String(), e.String()
	}()
	if code != 0 || !strings.HasPrefix(out, "$2a$") {
		t.Fatalf("hash-password: %d %q %q", code, out, errs)
	}
	good := "[[operator]]\nname = \"op\"\npassword_hash = " + strconv.Quote(strings.TrimSpace(out)) + "\n"
	c, err := Parse("office.toml", []byte(good+"[inquiry]\nenabled = true\n[analytics]\ntimezone = \"Asia/Tokyo\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	so := c.ServerOptions()
	if len(so.Accounts) != 1 || so.Accounts[0].Name != "op" || so.Location.String() != "Asia/Tokyo" || so.Security.HTTPS ||
		so.Security.MQTTTLS || !so.Security.MinOn() {
		t.Errorf("server options: %+v", so)
	}
	if code, _, _ := func() (int, string, string) {
		var o, e bytes.Buffer
		return hashPassword(strings.NewReader("short\n"), &o, &e), o.String(), e.String()
	}(); code == 0 {
		t.Error("hash-password accepted a 5-character password")
	}
	_, err = Parse("office.toml", []byte(`[http]
tls_cert_file = "c.pem"
[[operator]]
name = "op"
password_hash = "plain text"
[[operator]]
name = "op"
password_hash = "plain text"
[public]
stale_after = "1s"
[inquiry]
retention_days = 400
`))
	for _, want := range []string{"http.tls_cert_file", "operator[0].password_hash: not a bcrypt hash",
		`operator[1].name: "op" is listed twice`, "public.stale_after", "inquiry.retention_days"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want an error about %s, got %v", want, err)
		}
	}
}

// TestPurgeCommand runs `ashiato-office purge` with -now and -dry-run on a database with an old track.
func TestPurgeCommand(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2030, 3, 4, 10, 0, 0, 0, time.UTC)
	k := backoffice.SensorKey{Store: "store-12", Sensor: "entrance"}
	_, err = db.Write(ctx, &backoffice.Batch{
		Sensors: []backoffice.SensorUpdate{{Kind: backoffice.UpdateNotice, SensorKey: k, At: now, RetentionDays: 90, NoticeHash: "h"}},
		Tracks: []backoffice.Track{{Store: k.Store, Sensor: k.Sensor, ID: "ab", Final: true, Space: "floor", W: 1, H: 1,
			Start: now.Add(-100 * 24 * time.Hour), Expires: now, Points: []backoffice.Point{{T: 0, X: 1, Y: 2}}}},
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCmd("purge", "-data-dir", dir, "-now", "2030-03-04T19:00:00+09:00", "-dry-run")
	if code != 0 || !strings.Contains(out, "dry run (nothing removed) at 2030-03-04T10:00:00Z") ||
		!strings.Contains(out, "store-12  entrance  90") || !strings.Contains(out, "total: 1 tracks") {
		t.Fatalf("dry run: %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = runCmd("purge", "-data-dir", dir, "-now", "2030-03-04T19:00:00+09:00")
	if code != 0 || !strings.Contains(out, "total: 1 tracks") || !strings.Contains(out, "wal_checkpoint(TRUNCATE) complete") {
		t.Fatalf("purge: %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = runCmd("purge", "-data-dir", dir)
	if code != 0 || !strings.Contains(out, "total: 0 tracks") {
		t.Fatalf("second purge: %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, sqlite.FileName)); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := runCmd("purge", "-now", "yesterday"); code != 2 {
		t.Errorf("bad -now: exit %d", code)
	}
	if code, _, _ := runCmd("frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d", code)
	}
}
