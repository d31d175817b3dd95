package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/backoffice/sqlite"
	"github.com/ashiato/ashiato/backoffice/storetest"
)

func openTemp(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) backoffice.Store { return openTemp(t) })
}

// TestFilesArePrivate checks the modes of the data directory and the database files.
func TestFilesArePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	db, err := sqlite.Open(context.Background(), dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Write(context.Background(), &backoffice.Batch{Sensors: []backoffice.SensorUpdate{{SensorKey: backoffice.SensorKey{Store: "s", Sensor: "a"}}}}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir, db.Path(), db.Path() + "-wal", db.Path() + "-shm"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v: others can read tracks", p, st.Mode().Perm())
		}
	}
}

// TestMigrations checks that opening twice applies the schema once, and that a database from a newer
// program, or one created without incremental auto-vacuum, is refused with an explanation.
func TestMigrations(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	db.Close()
	raw := rawDB(t, filepath.Join(dir, sqlite.FileName))
	var n, v int
	if err := raw.QueryRow("SELECT count(*), max(version) FROM schema_migrations").Scan(&n, &v); err != nil {
		t.Fatal(err)
	}
	if n != sqlite.SchemaVersion() || v != sqlite.SchemaVersion() {
		t.Errorf("schema_migrations has %d rows up to %d, want %d", n, v, sqlite.SchemaVersion())
	}
	if _, err := raw.Exec("INSERT INTO schema_migrations VALUES (999, '0999_future', 0)"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if _, err := sqlite.Open(ctx, dir, sqlite.Options{}); err == nil || !strings.Contains(err.Error(), "newer than this program") {
		t.Errorf("a newer schema: %v", err)
	}

	plain := t.TempDir()
	raw = rawDB(t, filepath.Join(plain, sqlite.FileName))
	if _, err := raw.Exec("CREATE TABLE x (a)"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if _, err := sqlite.Open(ctx, plain, sqlite.Options{}); err == nil || !strings.Contains(err.Error(), "auto_vacuum=INCREMENTAL") {
		t.Errorf("a database without incremental auto-vacuum: %v", err)
	}
}

func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestInquiries(t *testing.T) {
	storetest.RunInquiries(t, func(t *testing.T) backoffice.InquiryStore { return openTemp(t) })
}
