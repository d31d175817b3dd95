package postgres_test

import (
	crand "crypto/rand"
	"encoding/hex"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/backoffice/postgres"
	"github.com/ashiato/ashiato/backoffice/storetest"
	"github.com/ashiato/ashiato/internal/pgtest"
)

// TestPurgeLeavesNoTraceInBase is the forensic test: tracks (and dropped records) of an expired day are
// planted with unique markers, found in the cluster's base/ directory after a checkpoint (the control:
// the search can find them), purged, and after another checkpoint none is left in base/, while every
// marker of the kept tracks still is. A plain DELETE of the kept tracks, in contrast, leaves their markers
// in base/. What remains in pg_wal/ is reported, not asserted: how much WAL the server writes (about 8 MB
// of ordinary rows, then a checkpoint, again and again) before the last marker is overwritten, and how
// long that took here.
func TestPurgeLeavesNoTraceInBase(t *testing.T) {
	forensic(t, func(t *testing.T, su *pgx.Conn) {
		// About 8 MB of WAL: rows of incompressible text.
		if _, err := su.Exec(ctx, "INSERT INTO wal_filler SELECT md5(random()::text) || repeat(md5(random()::text), 30) FROM generate_series(1, 8000)"); err != nil {
			t.Fatal(err)
		}
	})
}

// TestPurgeWALSwitch is the same test, with the WAL pushed on by an operator (or a job) after the purge:
// pg_switch_wal() and a checkpoint, again and again, on a server that otherwise writes nothing. It
// reports how many rounds the last marker of the purged rows survives in pg_wal/.
func TestPurgeWALSwitch(t *testing.T) {
	forensic(t, func(t *testing.T, su *pgx.Conn) {
		if _, err := su.Exec(ctx, "INSERT INTO wal_filler VALUES ('x')"); err != nil { // a switch needs something written
			t.Fatal(err)
		}
		if _, err := su.Exec(ctx, "SELECT pg_switch_wal()"); err != nil {
			t.Fatal(err)
		}
	})
}

// forensic plants, purges and searches; after the purge it calls push, then a checkpoint, until pg_wal/
// holds none of the purged rows' markers (or 1 GB of WAL was written).
func forensic(t *testing.T, push func(*testing.T, *pgx.Conn)) {
	if testing.Short() {
		t.Skip("the forensic tests write about 150 MB of WAL each: they run without -short")
	}
	c := pgtest.Start(t, pgtest.Options{})
	db, name := openNamed(t, c, postgres.Options{Location: time.UTC})
	su := c.Connect(t, name)
	base, wal := filepath.Join(c.DataDir(), "base"), filepath.Join(c.DataDir(), "pg_wal")
	checkpoint := func() {
		t.Helper()
		if _, err := su.Exec(ctx, "CHECKPOINT"); err != nil {
			t.Fatal(err)
		}
	}
	// A server that has run for a while keeps recycled WAL segments (renamed for reuse, their old bytes
	// intact) up to min_wal_size: write about 80 MB of WAL with checkpoints first, so that the
	// measurement below starts from that steady state rather than from a fresh cluster's single segment.
	if _, err := su.Exec(ctx, "CREATE TABLE wal_filler (b text)"); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if _, err := su.Exec(ctx, "INSERT INTO wal_filler SELECT md5(random()::text) || repeat(md5(random()::text), 30) FROM generate_series(1, 8000)"); err != nil {
			t.Fatal(err)
		}
		checkpoint()
	}
	k := backoffice.SensorKey{Store: "store-1", Sensor: "entrance"}
	now := time.Date(2030, 3, 4, 10, 0, 0, 0, time.UTC)
	notice := backoffice.SensorUpdate{Kind: backoffice.UpdateNotice, SensorKey: k, At: now, RetentionDays: 30, NoticeHash: "x"}
	var expired, kept [][]byte
	var keptIDs []string
	for range 4 {
		b := backoffice.Batch{Sensors: []backoffice.SensorUpdate{notice}}
		for i := range 60 {
			old := i%4 != 0 // three in four expire
			start := now.Add(-time.Duration(i) * time.Minute)
			if old {
				start = start.Add(-31 * 24 * time.Hour)
			}
			tr, ms := storetest.MarkedTrack(t, k, start, 30)
			b.Tracks = append(b.Tracks, tr)
			if old {
				expired = append(expired, ms...)
				id := make([]byte, 12)
				crand.Read(id)
				d := backoffice.Dropped{Store: k.Store, Sensor: k.Sensor, ID: hex.EncodeToString(id), Reason: backoffice.DropDuration,
					Day: start.Format(time.DateOnly), Expires: tr.Expires}
				b.Dropped = append(b.Dropped, d)
				expired = append(expired, []byte(d.ID))
			} else {
				kept = append(kept, ms...)
				keptIDs = append(keptIDs, tr.ID)
			}
		}
		if _, err := db.Write(ctx, &b); err != nil {
			t.Fatal(err)
		}
	}
	checkpoint()
	if n := storetest.Found(t, base, expired); n != len(expired) {
		t.Fatalf("before the purge only %d of %d markers are in base/: the search is broken", n, len(expired))
	}
	walBefore := storetest.Found(t, wal, expired)
	ss, err := db.Sensors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := db.Purge(ctx, backoffice.Retention{}.Plan(now, ss))
	if err != nil {
		t.Fatalf("Purge: %v (%s)", err, rep.Erasure)
	}
	if tr, dr := rep.Total(); tr != 180 || dr != 180 {
		t.Fatalf("purged %d tracks and %d dropped records, want 180 and 180", tr, dr)
	}
	t.Logf("purge: %s", rep.Erasure)
	checkpoint()
	if n := storetest.Found(t, base, expired); n != 0 {
		t.Errorf("%d of %d markers of purged tracks are still in base/", n, len(expired))
	}
	if n := storetest.Found(t, base, kept); n != len(kept) {
		t.Errorf("only %d of %d markers of kept tracks were found in base/: the search is broken", n, len(kept))
	}

	// What the WAL still holds, and how much more WAL the server writes before it holds none of it.
	var lsn0 string
	if err := su.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&lsn0); err != nil {
		t.Fatal(err)
	}
	var segs []string
	if err := su.QueryRow(ctx, "SELECT array_agg(name ORDER BY name) FROM pg_ls_waldir()").Scan(&segs); err != nil {
		t.Fatal(err)
	}
	left := storetest.Found(t, wal, expired)
	t.Logf("pg_wal/ after the purge and a checkpoint: %d of %d markers of purged rows (%d before the purge), in %d segments; "+
		"settings: %s", left, len(expired), walBefore, len(segs), walSettings(t, su))
	start := time.Now()
	var written int64
	round := 0
	for left > 0 && written < 1<<30 {
		round++
		push(t, su)
		checkpoint()
		if err := su.QueryRow(ctx, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint", lsn0).Scan(&written); err != nil {
			t.Fatal(err)
		}
		left = storetest.Found(t, wal, expired)
		t.Logf("WAL written since the purge: %5.1f MB, %3d checkpoints, %4.1f s: %d markers left in pg_wal/",
			float64(written)/(1<<20), round, time.Since(start).Seconds(), left)
	}
	if left == 0 {
		t.Logf("MEASURED: the purged rows left pg_wal/ after %.1f MB of new WAL and %d checkpoints (%s here; in production, "+
			"that volume at the office's own WAL rate)", float64(written)/(1<<20), round, time.Since(start).Round(time.Second))
	} else {
		t.Logf("MEASURED: %d markers still in pg_wal/ after %.1f MB of new WAL", left, float64(written)/(1<<20))
	}

	// The contrast: a plain DELETE (and the VACUUM that follows it) leaves the rows' bytes in base/.
	if _, err := su.Exec(ctx, "DELETE FROM tracks WHERE track = ANY($1)", keptIDs); err != nil {
		t.Fatal(err)
	}
	if _, err := su.Exec(ctx, "VACUUM tracks"); err != nil {
		t.Fatal(err)
	}
	checkpoint()
	n := storetest.Found(t, base, kept)
	t.Logf("after DELETE and VACUUM, %d of %d markers of the deleted rows are still in base/", n, len(kept))
	if n == 0 {
		t.Error("no marker survived a plain DELETE: the test cannot tell dropping partitions from deleting rows")
	}
}

func walSettings(t *testing.T, su *pgx.Conn) string {
	t.Helper()
	var s string
	if err := su.QueryRow(ctx, `SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ' ' ORDER BY name) FROM pg_settings
	WHERE name IN ('wal_segment_size', 'min_wal_size', 'max_wal_size', 'wal_keep_size', 'wal_recycle', 'archive_mode', 'wal_compression', 'full_page_writes')`).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestShortenedPromiseRewrite: a sensor's promise becomes shorter (the office's limit drops from its
// notice's 90 days to 10) after its tracks and dropped records were stored in 90-day partitions. The
// purge removes those now too old from the partitions that are not due, and their markers are gone from
// base/ after a checkpoint (the partition was rewritten, not DELETEd from), while the rest stay.
func TestShortenedPromiseRewrite(t *testing.T) {
	c := pgtest.Start(t, pgtest.Options{})
	db, name := openNamed(t, c, postgres.Options{Location: time.UTC})
	su := c.Connect(t, name)
	k := backoffice.SensorKey{Store: "s", Sensor: "a"}
	other := backoffice.SensorKey{Store: "s", Sensor: "b"} // promises 90 days, shares the partitions
	now := time.Date(2030, 3, 4, 10, 0, 0, 0, time.UTC)
	b := backoffice.Batch{Sensors: []backoffice.SensorUpdate{
		{Kind: backoffice.UpdateNotice, SensorKey: k, At: now, RetentionDays: 90, NoticeHash: "x"},
		{Kind: backoffice.UpdateNotice, SensorKey: other, At: now, RetentionDays: 90, NoticeHash: "x"},
	}}
	var gone, stay [][]byte
	for _, age := range []int{20, 5} {
		for _, key := range []backoffice.SensorKey{k, other} {
			start := now.Add(-time.Duration(age) * 24 * time.Hour)
			tr, ms := storetest.MarkedTrack(t, key, start, 90)
			id := make([]byte, 12)
			crand.Read(id)
			d := backoffice.Dropped{Store: key.Store, Sensor: key.Sensor, ID: hex.EncodeToString(id), Reason: backoffice.DropExtent,
				Day: start.Format(time.DateOnly), Expires: tr.Expires}
			b.Tracks, b.Dropped = append(b.Tracks, tr), append(b.Dropped, d)
			ms = append(ms, []byte(d.ID))
			if age == 20 && key == k {
				gone = append(gone, ms...)
			} else {
				stay = append(stay, ms...)
			}
		}
	}
	if _, err := db.Write(ctx, &b); err != nil {
		t.Fatal(err)
	}
	ss, err := db.Sensors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	req := backoffice.Retention{}.Plan(now, ss)
	for i := range req.Limits { // the office's limit for a alone, as a shorter notice would set it
		if req.Limits[i].SensorKey == k {
			req.Limits[i].Days, req.Limits[i].Cutoff = 10, now.Add(-10*24*time.Hour)
		}
	}
	rep, err := db.Purge(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if tr, dr := rep.Total(); tr != 1 || dr != 1 {
		t.Errorf("purged %d tracks and %d dropped records, want 1 and 1: %+v", tr, dr, rep.Sensors)
	}
	t.Logf("purge: %s", rep.Erasure)
	if _, err := su.Exec(ctx, "CHECKPOINT"); err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(c.DataDir(), "base")
	if n := storetest.Found(t, base, gone); n != 0 {
		t.Errorf("%d of %d markers of the removed rows are still in base/", n, len(gone))
	}
	if n := storetest.Found(t, base, stay); n != len(stay) {
		t.Errorf("only %d of %d markers of the kept rows are in base/", n, len(stay))
	}
	kept, _ := db.Kept(ctx)
	for _, kp := range kept {
		want := 2
		if kp.SensorKey == k {
			want = 1
		}
		if kp.Tracks != want || kp.Dropped != want {
			t.Errorf("%s keeps %d tracks and %d dropped records, want %d of each", kp.SensorKey, kp.Tracks, kp.Dropped, want)
		}
	}
}
