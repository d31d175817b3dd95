package sqlite

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/backoffice/storetest"
)

// openWithoutErasure opens dir as SQLite does by default: no secure_delete, no auto_vacuum, and a purge that
// neither vacuums nor checkpoints. Only the forensic test uses it, to show that its search can fail.
func openWithoutErasure(t *testing.T, dir string) *DB {
	t.Helper()
	db, err := open(context.Background(), dir, Options{}, "_busy_timeout=10000&_journal_mode=WAL&_synchronous=FULL&_txlock=immediate", false)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// plantAndPurge fills db with tracks that will expire and tracks that will not, in several batches with a
// restart in between (so that some rows sit in office.db and some only in the WAL), purges the expired
// ones, and returns the markers of both.
func plantAndPurge(t *testing.T, dir string, reopen func() *DB) (expired, kept [][]byte) {
	t.Helper()
	ctx := context.Background()
	k := backoffice.SensorKey{Store: "store-1", Sensor: "entrance"}
	now := time.Date(2030, 3, 4, 10, 0, 0, 0, time.UTC)
	db := reopen()
	notice := backoffice.SensorUpdate{Kind: backoffice.UpdateNotice, SensorKey: k, At: now, RetentionDays: 30, NoticeHash: "x"}
	for round := range 4 {
		b := backoffice.Batch{Sensors: []backoffice.SensorUpdate{notice}}
		for i := range 60 {
			old := i%4 != 0 // three in four expire
			start := now.Add(-time.Duration(i) * time.Minute)
			if old {
				start = start.Add(-31 * 24 * time.Hour)
			}
			tr, markers := storetest.MarkedTrack(t, k, start, 30)
			b.Tracks = append(b.Tracks, tr)
			if old {
				expired = append(expired, markers...)
				// A dropped record of an expired day carries a track id too.
				d := backoffice.Dropped{Store: k.Store, Sensor: k.Sensor, ID: hex.EncodeToString([]byte(tr.ID)[:12]),
					Reason: backoffice.DropDuration, Day: start.Format(time.DateOnly), Expires: tr.Expires}
				b.Dropped = append(b.Dropped, d)
				expired = append(expired, []byte(d.ID))
			} else {
				kept = append(kept, markers...)
			}
		}
		if _, err := db.Write(ctx, &b); err != nil {
			t.Fatal(err)
		}
		if round == 1 { // a restart: SQLite checkpoints the WAL into office.db on the last close
			db.Close()
			db = reopen()
		}
	}
	if n := storetest.Found(t, dir, expired); n != len(expired) {
		t.Fatalf("before the purge only %d of %d markers are in the files: the search is broken", n, len(expired))
	}
	ss, err := db.Sensors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := db.Purge(ctx, backoffice.Retention{}.Plan(now, ss))
	if err != nil {
		t.Fatalf("Purge: %v (%s)", err, rep.Erasure)
	}
	if tr, _ := rep.Total(); tr != 180 {
		t.Fatalf("purged %d tracks, want 180", tr)
	}
	t.Logf("purge: %s", rep.Erasure)
	// Searched while the office still runs: nothing may depend on a clean shutdown.
	t.Cleanup(func() { db.Close() })
	return expired, kept
}

// TestPurgeLeavesNoTrace is the forensic test: after a purge, no byte string of a deleted track is left in
// any file of the data directory (office.db, -wal, -shm), while those of kept tracks are all there.
func TestPurgeLeavesNoTrace(t *testing.T) {
	dir := t.TempDir()
	expired, kept := plantAndPurge(t, dir, func() *DB {
		db, err := Open(context.Background(), dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
	if n := storetest.Found(t, dir, expired); n != 0 {
		t.Errorf("%d of %d markers of purged tracks are still in the data directory", n, len(expired))
		if keep := os.Getenv("FORENSIC_KEEP"); keep != "" { // a directory to copy the files to, for sqlite3's dbstat

			os.MkdirAll(keep, 0o700)
			for _, f := range []string{"office.db", "office.db-wal", "office.db-shm"} {
				b, _ := os.ReadFile(filepath.Join(dir, f))
				os.WriteFile(filepath.Join(keep, f), b, 0o600)
			}
		}
	}
	if n := storetest.Found(t, dir, kept); n != len(kept) {
		t.Errorf("only %d of %d markers of kept tracks were found: the search is broken", n, len(kept))
	}
}

// TestPurgeWithoutErasureLeavesTraces is the control: the same purge on a database with SQLite's defaults
// (no secure_delete, no auto_vacuum, no checkpoint) leaves markers behind, so the forensic test can fail.
func TestPurgeWithoutErasureLeavesTraces(t *testing.T) {
	dir := t.TempDir()
	expired, _ := plantAndPurge(t, dir, func() *DB { return openWithoutErasure(t, dir) })
	n := storetest.Found(t, dir, expired)
	t.Logf("without the erasure settings, %d of %d markers of purged tracks survive", n, len(expired))
	if n == 0 {
		t.Error("no marker survived a plain DELETE: the forensic test cannot tell erasure from none")
	}
}
