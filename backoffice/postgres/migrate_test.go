package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/internal/pgtest"
)

// TestMigrations checks the schema's versions: an empty database is brought to the newest; a database of
// the previous version (made with the migrations of that time, holding a sensor, a track and aggregates)
// is upgraded with its rows intact; opening twice applies nothing again; a newer schema is refused.
func TestMigrations(t *testing.T) {
	ctx := context.Background()
	c := pgtest.Start(t, pgtest.Options{})
	open := func(name string) (*DB, error) {
		return Open(ctx, c.DSN(name), Options{Password: c.Password(), Location: time.UTC})
	}
	version := func(name string) (n, v int) {
		t.Helper()
		if err := c.Connect(t, name).QueryRow(ctx, "SELECT count(*), max(version) FROM schema_migrations").Scan(&n, &v); err != nil {
			t.Fatal(err)
		}
		return n, v
	}

	empty := c.NewDatabase(t)
	db, err := open(empty)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err = open(empty); err != nil {
		t.Fatalf("reopen: %v", err)
	}
	db.Close()
	if n, v := version(empty); n != SchemaVersion() || v != SchemaVersion() {
		t.Errorf("empty database: schema_migrations has %d rows up to %d, want %d", n, v, SchemaVersion())
	}

	// The previous version, as an older program left it.
	prev := c.NewDatabase(t)
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	raw := c.Connect(t, prev)
	if _, err := raw.Exec(ctx, `CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_ms bigint NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:len(ms)-1] {
		if _, err := raw.Exec(ctx, m.SQL); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		if _, err := raw.Exec(ctx, "INSERT INTO schema_migrations VALUES ($1, $2, 0)", m.Version, m.Name); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{
		`INSERT INTO sensors (store, sensor, first_seen_ms, last_seen_ms, retention_days) VALUES ('s', 'a', 1893751200000, 1893751200000, 30)`,
		`CREATE TABLE tracks_c0030 PARTITION OF tracks FOR VALUES IN (30) PARTITION BY RANGE (day)`,
		`CREATE TABLE tracks_c0030_d20300304 PARTITION OF tracks_c0030 FOR VALUES FROM ('2030-03-04') TO ('2030-03-05')`,
		`INSERT INTO tracks VALUES ('s', 'a', 'old', 0, '2030-03-04', 30, true, 'floor', 640, 480, 1893751200000, 500, 2,
		 0, 0, 1, 1, true, 1896343200000, '\x0102000000d0070a0a'::bytea)`,
		`INSERT INTO agg_units VALUES ('s', 'a', 1893751200000, 'h', 'd', 1, 1893754800000, 1904119200000)`,
	} {
		if _, err := raw.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db, err = open(prev)
	if err != nil {
		t.Fatalf("upgrade from version %d: %v", len(ms)-1, err)
	}
	defer db.Close()
	if n, v := version(prev); n != SchemaVersion() || v != SchemaVersion() {
		t.Errorf("upgraded database: schema_migrations has %d rows up to %d, want %d", n, v, SchemaVersion())
	}
	k := backoffice.SensorKey{Store: "s", Sensor: "a"}
	var got []backoffice.Track
	if err := db.Tracks(ctx, backoffice.TrackQuery{Store: "s", Sensor: "a"}, func(tr backoffice.Track) error {
		got = append(got, tr)
		return nil
	}); err != nil || len(got) != 1 || got[0].ID != "old" || len(got[0].Points) != 2 {
		t.Errorf("the track written before the upgrade: %+v, %v", got, err)
	}
	if us, err := db.AggregateUnits(ctx, k); err != nil || len(us) != 1 {
		t.Errorf("the aggregates written before the upgrade: %+v, %v", us, err)
	}
	if _, err := db.AddInquiry(ctx, backoffice.Inquiry{Store: "s", Message: "new table", Received: time.Unix(0, 0), Expires: time.Unix(1, 0)}); err != nil {
		t.Errorf("the newest migration's table: %v", err)
	}
	if _, err := db.Write(ctx, &backoffice.Batch{Tracks: []backoffice.Track{{Store: "s", Sensor: "a", ID: "old", Space: "floor",
		Start: time.UnixMilli(1893751200000), Expires: time.UnixMilli(1896343200000), Points: []backoffice.Point{{}, {T: 500, X: 1, Y: 1}}}}}); err != nil {
		t.Errorf("writing after the upgrade: %v", err)
	}

	if _, err := raw.Exec(ctx, "INSERT INTO schema_migrations VALUES (999, '0999_future', 0)"); err != nil {
		t.Fatal(err)
	}
	if _, err := open(prev); err == nil || !strings.Contains(err.Error(), "newer than this program") {
		t.Errorf("a newer schema: %v", err)
	}
}
