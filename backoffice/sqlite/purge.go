package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ashiato/ashiato/backoffice"
)

// Purge implements backoffice.Store: the deletion in one transaction, then the erasure (see the package
// documentation).
func (db *DB) Purge(ctx context.Context, req backoffice.PurgeRequest) (backoffice.PurgeReport, error) {
	rep := backoffice.PurgeReport{At: req.Now, DryRun: req.DryRun}
	var runID int64
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return rep, fmt.Errorf("sqlite: purge: %w", err)
	}
	defer tx.Rollback()
	if rep.Sensors, err = deleteExpired(ctx, tx, req); err != nil {
		return rep, fmt.Errorf("sqlite: purge: %w", err)
	}
	if req.DryRun {
		// The same deletions, counted exactly, then rolled back.
		rep.Erasure = "dry run: nothing deleted"
		return rep, nil
	}
	if runID, err = logRun(ctx, tx, rep); err != nil {
		return rep, fmt.Errorf("sqlite: purge log: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return rep, fmt.Errorf("sqlite: purge: commit: %w", err)
	}
	if !db.erasure {
		rep.Erasure = "erasure disabled"
		return rep, nil
	}
	tracks, dropped := rep.Total()
	rep.Erasure, err = db.erase(ctx, tracks+dropped+rep.AggregateHours() > 0)
	rep.Erased = err == nil
	if err != nil {
		rep.Erasure = err.Error()
	}
	// Record the outcome, then checkpoint once more so that this small update does not linger in the WAL
	// either (it holds no track data, so a blocked checkpoint here is harmless).
	if _, uerr := db.w.ExecContext(ctx, "UPDATE purge_runs SET erasure = ?, erased = ? WHERE id = ?", rep.Erasure, rep.Erased, runID); uerr != nil {
		err = errors.Join(err, fmt.Errorf("sqlite: purge log: %w", uerr))
	}
	db.w.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	if err != nil {
		return rep, fmt.Errorf("sqlite: purge: %w: %w", backoffice.ErrErasurePending, err)
	}
	db.log.Info("purge erased", "erasure", rep.Erasure)
	return rep, nil
}

// deleteExpired deletes, per sensor, the tracks older than its cutoff and the dropped records of days
// before it, then every row whose own promise has ended by the horizon, and returns what it removed per
// sensor.
func deleteExpired(ctx context.Context, tx *sql.Tx, req backoffice.PurgeRequest) ([]backoffice.Purged, error) {
	t := tally{}
	for _, l := range req.Limits {
		p := t.get(l.SensorKey)
		p.Days, p.Cutoff = l.Days, l.Cutoff
		day := l.Cutoff.UTC().Format(time.DateOnly)
		if err := t.remove(ctx, tx, "store = ? AND sensor = ? AND start_ms < ?", "store = ? AND sensor = ? AND day < ?",
			[]any{l.Store, l.Sensor, ms(l.Cutoff)}, []any{l.Store, l.Sensor, day}); err != nil {
			return nil, err
		}
		if !l.AggregateCutoff.IsZero() {
			p.AggregateDays, p.AggregateCutoff = l.AggregateDays, l.AggregateCutoff
			if err := t.removeAggregates(ctx, tx, "store = ? AND sensor = ? AND hour_ms < ?",
				l.Store, l.Sensor, ms(l.AggregateCutoff)); err != nil {
				return nil, err
			}
		}
	}
	horizon := ms(req.Horizon)
	if err := t.remove(ctx, tx, "expires_ms <= ?", "expires_ms <= ?", []any{horizon}, []any{horizon}); err != nil {
		return nil, err
	}
	if err := t.removeAggregates(ctx, tx, "expires_ms <= ?", horizon); err != nil {
		return nil, err
	}
	var out []backoffice.Purged
	for _, p := range t {
		if p.Tracks > 0 || p.Dropped > 0 || p.AggregateHours > 0 {
			out = append(out, *p)
		}
	}
	slices.SortFunc(out, func(a, b backoffice.Purged) int { return compareKeys(a.SensorKey, b.SensorKey) })
	return out, nil
}

// tally adds up what a purge removes per sensor.
type tally map[backoffice.SensorKey]*backoffice.Purged

func (t tally) get(k backoffice.SensorKey) *backoffice.Purged {
	if t[k] == nil {
		t[k] = &backoffice.Purged{SensorKey: k}
	}
	return t[k]
}

// remove counts, per sensor, the tracks matching trackWhere and the dropped records matching
// droppedWhere, then deletes them.
func (t tally) remove(ctx context.Context, tx *sql.Tx, trackWhere, droppedWhere string, trackArgs, droppedArgs []any) error {
	rows, err := tx.QueryContext(ctx, `SELECT store, sensor, count(*), min(start_ms), max(start_ms) FROM tracks
	WHERE `+trackWhere+` GROUP BY store, sensor`, trackArgs...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var k backoffice.SensorKey
		var n int
		var oldest, newest int64
		if err := rows.Scan(&k.Store, &k.Sensor, &n, &oldest, &newest); err != nil {
			rows.Close()
			return err
		}
		p := t.get(k)
		p.Tracks += n
		if o := fromMS(oldest); p.Oldest.IsZero() || o.Before(p.Oldest) {
			p.Oldest = o
		}
		if nw := fromMS(newest); nw.After(p.Newest) {
			p.Newest = nw
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = tx.QueryContext(ctx, `SELECT store, sensor, count(*) FROM dropped WHERE `+droppedWhere+` GROUP BY store, sensor`,
		droppedArgs...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var k backoffice.SensorKey
		var n int
		if err := rows.Scan(&k.Store, &k.Sensor, &n); err != nil {
			rows.Close()
			return err
		}
		t.get(k).Dropped += n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM tracks WHERE "+trackWhere, trackArgs...); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "DELETE FROM dropped WHERE "+droppedWhere, droppedArgs...)
	return err
}

// removeAggregates counts, per sensor, the aggregate units matching where, then deletes them and their
// buckets.
func (t tally) removeAggregates(ctx context.Context, tx *sql.Tx, where string, args ...any) error {
	rows, err := tx.QueryContext(ctx, `SELECT store, sensor, count(*) FROM agg_units WHERE `+where+` GROUP BY store, sensor`, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var k backoffice.SensorKey
		var n int
		if err := rows.Scan(&k.Store, &k.Sensor, &n); err != nil {
			rows.Close()
			return err
		}
		t.get(k).AggregateHours += n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM agg_buckets WHERE (store, sensor, hour_ms) IN
	(SELECT store, sensor, hour_ms FROM agg_units WHERE `+where+`)`, args...); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "DELETE FROM agg_units WHERE "+where, args...)
	return err
}

func logRun(ctx context.Context, tx *sql.Tx, rep backoffice.PurgeReport) (int64, error) {
	tracks, dropped := rep.Total()
	r, err := tx.ExecContext(ctx, `INSERT INTO purge_runs (at_ms, tracks, dropped, aggregate_hours, erasure, erased)
	VALUES (?, ?, ?, ?, 'pending', 0)`, ms(rep.At), tracks, dropped, rep.AggregateHours())
	if err != nil {
		return 0, err
	}
	id, err := r.LastInsertId()
	if err != nil {
		return 0, err
	}
	for _, p := range rep.Sensors {
		var oldest, newest sql.NullInt64
		if !p.Oldest.IsZero() {
			oldest = sql.NullInt64{Int64: ms(p.Oldest), Valid: true}
			newest = sql.NullInt64{Int64: ms(p.Newest), Valid: true}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO purge_log (run_id, store, sensor, days, cutoff_ms, tracks, dropped, oldest_ms,
		newest_ms, aggregate_days, aggregate_cutoff_ms, aggregate_hours) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, p.Store, p.Sensor, p.Days, cutoffMS(p.Cutoff), p.Tracks, p.Dropped, oldest, newest,
			p.AggregateDays, cutoffMS(p.AggregateCutoff), p.AggregateHours); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// cutoffMS stores "no cutoff" (a sensor purged by expiry only) as 0.
func cutoffMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return ms(t)
}

// checkpointTries bounds how often a blocked checkpoint is retried (each try waits up to busy_timeout).
const checkpointTries = 3

// erase rewrites the database when rows were deleted, returns the free pages to the file system and moves
// every page out of the WAL, checking each step, and describes what it did.
//
// The rewrite (VACUUM) is needed because secure_delete zeroes deleted cells and freed pages, but not the
// stale copies of cells that a B-tree rebalance leaves in the unused gap of a page that stays in use: the
// forensic test found a deleted track id in such a gap of the (store, sensor, track, seg) index in about
// one run in forty. VACUUM writes every page anew.
func (db *DB) erase(ctx context.Context, deleted bool) (string, error) {
	var steps []string
	steps = append(steps, "secure_delete on")
	if deleted {
		start := time.Now()
		if _, err := db.w.ExecContext(ctx, "VACUUM"); err != nil {
			return "", fmt.Errorf("vacuum: %w", err)
		}
		steps = append(steps, fmt.Sprintf("VACUUM rewrote every page in %s", time.Since(start).Round(time.Millisecond)))
	}
	var free int
	if err := db.w.QueryRowContext(ctx, "PRAGMA freelist_count").Scan(&free); err != nil {
		return "", fmt.Errorf("freelist_count: %w", err)
	}
	// incremental_vacuum frees one page per step: read every row so that it runs to the end.
	rows, err := db.w.QueryContext(ctx, "PRAGMA incremental_vacuum")
	if err != nil {
		return "", fmt.Errorf("incremental_vacuum: %w", err)
	}
	for rows.Next() {
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("incremental_vacuum: %w", err)
	}
	var left int
	if err := db.w.QueryRowContext(ctx, "PRAGMA freelist_count").Scan(&left); err != nil {
		return "", fmt.Errorf("freelist_count: %w", err)
	}
	if left != 0 {
		return "", fmt.Errorf("incremental_vacuum left %d free pages", left)
	}
	var busy, logFrames, done int
	for try := 1; ; try++ {
		if err := db.w.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logFrames, &done); err != nil {
			return "", fmt.Errorf("wal_checkpoint: %w", err)
		}
		if busy == 0 {
			break
		}
		if try == checkpointTries {
			return "", fmt.Errorf("wal_checkpoint(TRUNCATE) was blocked by a reader %d times; the WAL may still hold deleted rows", try)
		}
	}
	if st, err := os.Stat(db.path + "-wal"); err == nil && st.Size() != 0 {
		return "", fmt.Errorf("the WAL is %d bytes after wal_checkpoint(TRUNCATE)", st.Size())
	}
	steps = append(steps, fmt.Sprintf("incremental_vacuum returned %d free pages", free),
		"wal_checkpoint(TRUNCATE) complete, WAL empty")
	return strings.Join(steps, "; "), nil
}
