package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ashiato/ashiato/internal/mosquittotest"
	"github.com/ashiato/ashiato/internal/pgtest"
)

func TestPostgresConfig(t *testing.T) {
	for _, tc := range []struct{ toml, want string }{
		{"[store]\ndriver = \"postgres\"\n", "driver postgres needs a dsn"},
		{"[store]\ndriver = \"postgres\"\ndsn = \"postgres://office:s3cret@db:5432/ashiato\"\n", "password in the DSN is refused"},
		{"[store]\ndriver = \"postgres\"\ndsn = \"host=db user=office password=s3cret\"\n", "password in the DSN is refused"},
		{"[store]\ndriver = \"postgres\"\ndsn = \"postgres://office@db:5432/ashiato?password=s3cret\"\n", "password in the DSN is refused"},
		{"[store]\ndsn = \"postgres://office@db:5432/ashiato\"\n", `for driver = "postgres"`},
		{"[store]\ndriver = \"mysql\"\n", `"mysql" is not sqlite or postgres`},
		{"[store]\ndriver = \"postgres\"\ndsn = \"postgres://office@db:notaport/x\"\n", "store.dsn: not a"},
	} {
		_, err := Parse("office.toml", []byte(tc.toml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error about %q", tc.toml, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("the error echoes the password: %v", err)
		}
	}
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("s3cret\n"), 0o600)
	c, err := Parse("office.toml", []byte("[store]\ndriver = \"postgres\"\ndsn = \"postgres://office@db:5432/ashiato\"\npassword_file = \""+pw+"\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p, err := c.PostgresPassword(); err != nil || p != "s3cret" || c.Driver() != DriverPostgres {
		t.Errorf("password %q, %v; driver %s", p, err, c.Driver())
	}
	// The flag selects the store over the file's sqlite.
	o := overrides{postgres: "postgres://office@db:5432/ashiato"}
	if c, err := o.load(); err != nil || c.Driver() != DriverPostgres || c.Store.DSN != o.postgres {
		t.Errorf("-postgres: %+v, %v", c, err)
	}
	o = overrides{postgres: "postgres://office:s3cret@db:5432/ashiato"}
	if _, err := o.load(); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("-postgres with a password: %v", err)
	}
}

// TestPurgePostgres runs `ashiato-office purge -postgres URL` against a server of the test's own, the
// password in PGPASSWORD: the command opens the store through the same path as serve, migrates it and
// purges.
func TestPurgePostgres(t *testing.T) {
	c := pgtest.Start(t, pgtest.Options{})
	db := c.NewDatabase(t)
	t.Setenv("PGPASSWORD", c.Password())
	code, out, errs := runCmd("purge", "-postgres", c.DSN(db), "-now", "2030-03-04T10:00:00Z")
	if code != 0 || !strings.Contains(out, "total: 0 tracks") {
		t.Fatalf("purge: %d\n%s\n%s", code, out, errs)
	}
	if strings.Contains(errs, c.Password()) || strings.Contains(out, c.Password()) {
		t.Errorf("the password was printed:\n%s\n%s", out, errs)
	}
	t.Setenv("PGPASSWORD", "wrong")
	if code, _, errs := runCmd("purge", "-postgres", c.DSN(db)); code == 0 || !strings.Contains(errs, "postgres") {
		t.Errorf("a wrong password: %d %s", code, errs)
	}
}

// TestServePostgres runs the office on PostgreSQL (`serve -postgres URL`, the password in PGPASSWORD)
// while a demo agent publishes as fast as it can, SIGKILLs the office once mid-stream and restarts it:
// every published track is stored (or recorded as dropped) exactly once.
func TestServePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs without -short")
	}
	b := mosquittotest.Start(t, mosquittotest.Options{Persistence: true})
	c := pgtest.Start(t, pgtest.Options{})
	name := c.NewDatabase(t)
	t.Setenv("PGPASSWORD", c.Password())
	const fence = "feedfacefeedfacefeedfac1"
	ob := newObserver(t, b.URL(), fence)
	listen := fmt.Sprintf("127.0.0.1:%d", mosquittotest.FreePort(t))
	o := &office{t: t, bin: binary(t, ".", "ashiato-office"), dataDir: filepath.Join(t.TempDir(), "data"),
		health: "http://" + listen + "/healthz"}
	o.args = []string{"serve", "-broker", b.URL(), "-postgres", c.DSN(name), "-data-dir", o.dataDir, "-listen", listen}
	conn := c.Connect(t, name)
	o.read = func() (tracks, dropped map[key]int) {
		read := func(table string) map[key]int {
			m := map[key]int{}
			rows, err := conn.Query(context.Background(), "SELECT store, sensor, track, seg FROM "+table)
			if err != nil {
				return m // not created yet
			}
			defer rows.Close()
			for rows.Next() {
				var k key
				if err := rows.Scan(&k.store, &k.sensor, &k.track, &k.seg); err != nil {
					t.Fatal(err)
				}
				m[k]++
			}
			return m
		}
		return read("tracks"), read("dropped")
	}
	o.start()
	agent := startAgent(t, b.URL(), "cam-pg", "synth:frames=2000,seed=5,pace=asap,rate=30")
	waitRows(t, o.count, 20, []*office{o})
	o.p.kill()
	t.Logf("office SIGKILLed at %d rows", o.count())
	o.start()
	waitExit(t, agent, 2*time.Minute)
	publishFence(t, b.URL(), fence)
	waitFence(t, ob, o, fence)
	o.stop()
	checkExactlyOnce(t, ob, o)
	if out := o.p.output(); strings.Contains(out, c.Password()) {
		t.Errorf("the office logged the database password:\n%s", out)
	}
}
