package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/ashiato/ashiato/backoffice"
)

// TestUpgradeFromPrevious makes a database of the previous schema version, as an older program left it
// (with a sensor, a track and aggregates), and checks that Open upgrades it with its rows intact.
func TestUpgradeFromPrevious(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, FileName)+"?_pragma=auto_vacuum(2)")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"PRAGMA auto_vacuum = INCREMENTAL",
		"CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms INTEGER NOT NULL)",
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range ms[:len(ms)-1] {
		if _, err := raw.Exec(m.SQL); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		if _, err := raw.Exec("INSERT INTO schema_migrations VALUES (?, ?, 0)", m.Version, m.Name); err != nil {
			t.Fatal(err)
		}
	}
	blob, _ := backoffice.EncodePoints("floor", []backoffice.Point{{}, {T: 500, X: 1, Y: 1}})
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO sensors (store, sensor, first_seen_ms, last_seen_ms, retention_days) VALUES ('s', 'a', 1893751200000, 1893751200000, 30)`, nil},
		{`INSERT INTO tracks (store, sensor, track, seg, final, space, w, h, start_ms, duration_ms, n_points, entry_x, entry_y,
		  exit_x, exit_y, minimised, expires_ms, points) VALUES ('s', 'a', 'old', 0, 1, 'floor', 640, 480, 1893751200000, 500, 2,
		  0, 0, 1, 1, 1, 1896343200000, ?)`, []any{blob}},
		{`INSERT INTO agg_units VALUES ('s', 'a', 1893751200000, 'h', 'd', 1, 1893754800000, 1904119200000)`, nil},
	} {
		if _, err := raw.Exec(q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	raw.Close()

	db, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatalf("upgrade from version %d: %v", len(ms)-1, err)
	}
	defer db.Close()
	var v int
	if err := db.r.QueryRowContext(ctx, "SELECT max(version) FROM schema_migrations").Scan(&v); err != nil || v != SchemaVersion() {
		t.Errorf("schema version %d after the upgrade (%v), want %d", v, err, SchemaVersion())
	}
	var got []backoffice.Track
	if err := db.Tracks(ctx, backoffice.TrackQuery{Store: "s", Sensor: "a"}, func(tr backoffice.Track) error {
		got = append(got, tr)
		return nil
	}); err != nil || len(got) != 1 || got[0].ID != "old" {
		t.Errorf("the track written before the upgrade: %+v, %v", got, err)
	}
	if us, err := db.AggregateUnits(ctx, backoffice.SensorKey{Store: "s", Sensor: "a"}); err != nil || len(us) != 1 {
		t.Errorf("the aggregates written before the upgrade: %+v, %v", us, err)
	}
	if _, err := db.AddInquiry(ctx, backoffice.Inquiry{Store: "s", Message: "new table", Received: time.Unix(0, 0), Expires: time.Unix(1, 0)}); err != nil {
		t.Errorf("the newest migration's table: %v", err)
	}
}
