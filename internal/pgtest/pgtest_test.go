package pgtest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestCluster starts a cluster, creates two databases and checks that each is empty and reachable, and
// that the server refuses a connection without the password.
func TestCluster(t *testing.T) {
	c := Start(t, Options{})
	if _, err := os.Stat(filepath.Join(c.DataDir(), "PG_VERSION")); err != nil {
		t.Fatal(err)
	}
	a, b := c.NewDatabase(t), c.NewDatabase(t)
	if a == b {
		t.Fatalf("two databases named %s", a)
	}
	conn := c.Connect(t, a)
	var v string
	if err := conn.QueryRow(context.Background(), "SHOW server_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if major, _, _ := strings.Cut(v, "."); major < "15" || len(major) != 2 {
		t.Errorf("server version %s, want 15 or later", v)
	}
	c.Exec(t, a, "CREATE TABLE x (a int)")
	c.Exec(t, b, "CREATE TABLE x (a int)") // b does not see a's table
	if conn, err := pgxConnect(c.DSN(a)); err == nil {
		conn.Close(context.Background())
		t.Error("connected without the password")
	}
}

func pgxConnect(dsn string) (interface{ Close(context.Context) error }, error) {
	return pgx.Connect(context.Background(), dsn)
}
