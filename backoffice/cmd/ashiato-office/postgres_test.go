package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
