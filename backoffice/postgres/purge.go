package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ashiato/ashiato/backoffice"
)

// Purge implements backoffice.Store (see the package documentation for how).
func (db *DB) Purge(ctx context.Context, req backoffice.PurgeRequest) (backoffice.PurgeReport, error) {
	rep := backoffice.PurgeReport{At: req.Now, DryRun: req.DryRun}
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return rep, fmt.Errorf("postgres: purge: %w", err)
	}
	defer conn.Release()
	// A session lock: the purge spans several transactions (DETACH … CONCURRENTLY runs outside one).
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1, $2)", lockSpace, lockPurge); err != nil {
		return rep, fmt.Errorf("postgres: purge lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1, $2)", lockSpace, lockPurge)

	p := &purge{db: db, conn: conn, req: req, t: tally{}}
	for _, l := range req.Limits {
		s := p.t.get(l.SensorKey)
		s.Days, s.Cutoff = l.Days, l.Cutoff
		if !l.AggregateCutoff.IsZero() {
			s.AggregateDays, s.AggregateCutoff = l.AggregateDays, l.AggregateCutoff
		}
	}
	leaves, err := db.listLeaves(ctx, conn)
	if err != nil {
		return rep, fmt.Errorf("postgres: purge: partitions: %w", err)
	}
	var gone, kept []leaf
	for _, l := range leaves {
		if l.detached || l.pending || db.due(l.leafKey, req.Horizon) {
			gone = append(gone, l)
		} else {
			kept = append(kept, l)
		}
	}
	if !req.DryRun {
		// Detach first: after it no row can enter the leaf, so the counts below are exact.
		for i, l := range gone {
			if err := p.detach(ctx, l); err != nil {
				return rep, fmt.Errorf("postgres: purge: %w", err)
			}
			gone[i].detached = true
		}
	}
	for _, l := range gone {
		if err := p.countAll(ctx, l.leafKey); err != nil {
			return rep, fmt.Errorf("postgres: purge: %s: %w", l.name(), err)
		}
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return rep, fmt.Errorf("postgres: purge: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	rewritten := 0
	for _, l := range kept {
		n, err := p.cut(ctx, tx, l.leafKey)
		if err != nil {
			return rep, fmt.Errorf("postgres: purge: %s: %w", l.name(), err)
		}
		if n > 0 {
			rewritten++
		}
	}
	if err := p.aggregates(ctx, tx); err != nil {
		return rep, fmt.Errorf("postgres: purge: aggregates: %w", err)
	}
	rep.Sensors = p.t.removed()
	if req.DryRun {
		rep.Erasure = "dry run: nothing deleted"
		return rep, nil
	}
	runID, err := logRun(ctx, tx, rep)
	if err != nil {
		return rep, fmt.Errorf("postgres: purge log: %w", err)
	}
	for _, l := range gone {
		if _, err := tx.Exec(ctx, "DROP TABLE "+l.name()); err != nil {
			return rep, fmt.Errorf("postgres: purge: drop %s: %w", l.name(), err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return rep, fmt.Errorf("postgres: purge: commit: %w", err)
	}
	db.forget()
	steps := []string{fmt.Sprintf("dropped %d partitions (DETACH PARTITION CONCURRENTLY, DROP TABLE)", len(gone))}
	if rewritten > 0 {
		steps = append(steps, fmt.Sprintf("rewrote %d partitions holding rows of a shortened promise (TRUNCATE, kept rows copied back)", rewritten))
	}
	rep.Erased = true
	if len(gone) > 0 || rewritten > 0 {
		// The dropped files were truncated at commit; a checkpoint unlinks them.
		if _, err := conn.Exec(ctx, "CHECKPOINT"); err != nil {
			steps = append(steps, "CHECKPOINT not run ("+err.Error()+"): the emptied files are unlinked at the next checkpoint")
		} else {
			steps = append(steps, "CHECKPOINT done")
		}
		steps = append(steps, "copies remain in pg_wal until its segments are recycled and overwritten")
	}
	rep.Erasure = strings.Join(steps, "; ")
	var errs []error
	if _, err := conn.Exec(ctx, "UPDATE purge_runs SET erasure = $1, erased = $2 WHERE id = $3", rep.Erasure, rep.Erased, runID); err != nil {
		errs = append(errs, fmt.Errorf("postgres: purge log: %w", err))
	}
	if err := db.createAhead(ctx); err != nil {
		errs = append(errs, err)
	}
	db.log.Info("purge erased", "erasure", rep.Erasure)
	return rep, errors.Join(errs...)
}

// purge is the state of one Purge.
type purge struct {
	db   *DB
	conn *pgxpool.Conn
	req  backoffice.PurgeRequest
	t    tally
}

// detach detaches leaf l from its class's table, or finishes a detach that a stopped purge began.
func (p *purge) detach(ctx context.Context, l leaf) error {
	switch {
	case l.detached:
		return nil
	case l.pending:
		_, err := p.conn.Exec(ctx, fmt.Sprintf("ALTER TABLE %s DETACH PARTITION %s FINALIZE", l.parent(), l.name()))
		if err != nil {
			return fmt.Errorf("detach %s: %w", l.name(), err)
		}
	default:
		_, err := p.conn.Exec(ctx, fmt.Sprintf("ALTER TABLE %s DETACH PARTITION %s CONCURRENTLY", l.parent(), l.name()))
		if err != nil {
			return fmt.Errorf("detach %s: %w", l.name(), err)
		}
	}
	p.db.log.Debug("partition detached", "table", l.name())
	return nil
}

// countAll adds every row of leaf k to the tally.
func (p *purge) countAll(ctx context.Context, k leafKey) error {
	return p.count(ctx, p.conn, k, "SELECT store, sensor, count(*), %s FROM "+k.name()+" GROUP BY store, sensor")
}

// count runs a per-sensor count (format takes the start columns) and adds it to the tally.
func (p *purge) count(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, k leafKey, format string, args ...any) error {
	cols := "min(start_ms), max(start_ms)"
	if k.kind == kindDropped {
		cols = "NULL::bigint, NULL::bigint"
	}
	rows, err := q.Query(ctx, fmt.Sprintf(format, cols), args...)
	if err != nil {
		return err
	}
	var sk backoffice.SensorKey
	var n int64
	var oldest, newest *int64
	_, err = pgx.ForEachRow(rows, []any{&sk.Store, &sk.Sensor, &n, &oldest, &newest}, func() error {
		s := p.t.get(sk)
		if k.kind == kindDropped {
			s.Dropped += int(n)
			return nil
		}
		s.Tracks += int(n)
		if o := fromMS(*oldest); s.Oldest.IsZero() || o.Before(s.Oldest) {
			s.Oldest = o
		}
		if nw := fromMS(*newest); nw.After(s.Newest) {
			s.Newest = nw
		}
		return nil
	})
	return err
}

// limitsFor returns the sensor limits that may reach into leaf k before it is due: those of sensors now
// promised fewer days than k's class whose cutoff lies after the leaf's first day.
func (p *purge) limitsFor(k leafKey) (stores, sensors []string, cutoffs []int64, days []time.Time) {
	start := dayStart(k.day, p.db.zone(k.kind))
	for _, l := range p.req.Limits {
		if l.Days >= k.class || !l.Cutoff.After(start) {
			continue
		}
		stores, sensors = append(stores, l.Store), append(sensors, l.Sensor)
		cutoffs = append(cutoffs, ms(l.Cutoff))
		days = append(days, calendarDay(l.Cutoff, time.UTC))
	}
	return
}

// cut removes from leaf k, which is not due, the rows that must already go: those of a sensor whose
// promise became shorter than k's class, and those whose own promise has ended by the horizon (only in a
// leaf of class 1, where classOf rounded up). It returns how many it removed (or would, in a dry run).
func (p *purge) cut(ctx context.Context, tx pgx.Tx, k leafKey) (int, error) {
	stores, sensors, cutoffs, days := p.limitsFor(k)
	checkExpiry := k.class == 1
	if len(stores) == 0 && !checkExpiry {
		return 0, nil
	}
	// Does anything match? Index probes only: (store, sensor, start_ms) and (expires_ms).
	cutoffCol, cutoffArg, cutoffType := "start_ms", any(cutoffs), "bigint[]"
	if k.kind == kindDropped {
		cutoffCol, cutoffArg, cutoffType = "day", any(days), "date[]"
	}
	var found bool
	if err := tx.QueryRow(ctx, fmt.Sprintf(`SELECT EXISTS (SELECT 1 FROM unnest($1::text[], $2::text[], $3::%s) AS l(store, sensor, cutoff)
	JOIN %s t ON t.store = l.store AND t.sensor = l.sensor AND t.%s < l.cutoff)
	OR ($4 AND EXISTS (SELECT 1 FROM %s WHERE expires_ms <= $5))`, cutoffType, k.name(), cutoffCol, k.name()),
		stores, sensors, cutoffArg, checkExpiry, ms(p.req.Horizon)).Scan(&found); err != nil {
		return 0, err
	}
	if !found {
		return 0, nil
	}
	if !p.req.DryRun {
		// No writer may add to the class while its leaf is rewritten; readers wait too (a rare event: a
		// promise shortened after its tracks were stored).
		if _, err := tx.Exec(ctx, "LOCK TABLE "+k.parent()+" IN ACCESS EXCLUSIVE MODE"); err != nil {
			return 0, err
		}
	}
	victim := fmt.Sprintf(`FROM %s t LEFT JOIN unnest($1::text[], $2::text[], $3::%s) AS l(store, sensor, cutoff)
	ON t.store = l.store AND t.sensor = l.sensor`, k.name(), cutoffType)
	cond := fmt.Sprintf("(t.expires_ms <= $4 OR coalesce(t.%s < l.cutoff, false))", cutoffCol)
	args := []any{stores, sensors, cutoffArg, ms(p.req.Horizon)}
	before := p.t.total()
	if err := p.count(ctx, tx, k, "SELECT t.store, t.sensor, count(*), %s "+victim+" WHERE "+cond+" GROUP BY t.store, t.sensor", args...); err != nil {
		return 0, err
	}
	n := p.t.total() - before
	if p.req.DryRun || n == 0 {
		return n, nil
	}
	// TRUNCATE gives the leaf new, empty files; the old ones, with the removed rows, are truncated at
	// commit. The kept rows go through a temporary table (dropped at commit) and back.
	if _, err := tx.Exec(ctx, "CREATE TEMP TABLE purge_keep ON COMMIT DROP AS SELECT t.* "+victim+" WHERE NOT "+cond, args...); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, "TRUNCATE "+k.name()); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, "INSERT INTO "+k.name()+" SELECT * FROM purge_keep"); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, "DROP TABLE purge_keep"); err != nil {
		return 0, err
	}
	p.db.log.Info("partition rewritten without rows of a shortened promise", "table", k.name(), "removed", n)
	return n, nil
}

// aggregates deletes, per sensor, the units of hours before its aggregate cutoff, then every unit whose
// own promise has ended by the horizon.
func (p *purge) aggregates(ctx context.Context, tx pgx.Tx) error {
	for _, l := range p.req.Limits {
		if l.AggregateCutoff.IsZero() {
			continue
		}
		if err := p.removeAggregates(ctx, tx, "store = $1 AND sensor = $2 AND hour_ms < $3", l.Store, l.Sensor, ms(l.AggregateCutoff)); err != nil {
			return err
		}
	}
	return p.removeAggregates(ctx, tx, "expires_ms <= $1", ms(p.req.Horizon))
}

func (p *purge) removeAggregates(ctx context.Context, tx pgx.Tx, where string, args ...any) error {
	rows, err := tx.Query(ctx, `DELETE FROM agg_units WHERE `+where+` RETURNING store, sensor, hour_ms`, args...)
	if err != nil {
		return err
	}
	var k backoffice.SensorKey
	var hour int64
	var stores, sensors []string
	var hours []int64
	if _, err := pgx.ForEachRow(rows, []any{&k.Store, &k.Sensor, &hour}, func() error {
		p.t.get(k).AggregateHours++
		stores, sensors, hours = append(stores, k.Store), append(sensors, k.Sensor), append(hours, hour)
		return nil
	}); err != nil {
		return err
	}
	if len(hours) == 0 {
		return nil
	}
	_, err = tx.Exec(ctx, `DELETE FROM agg_buckets b USING unnest($1::text[], $2::text[], $3::bigint[]) AS u(store, sensor, hour_ms)
	WHERE b.store = u.store AND b.sensor = u.sensor AND b.hour_ms = u.hour_ms`, stores, sensors, hours)
	return err
}

// tally adds up what a purge removes per sensor.
type tally map[backoffice.SensorKey]*backoffice.Purged

func (t tally) get(k backoffice.SensorKey) *backoffice.Purged {
	if t[k] == nil {
		t[k] = &backoffice.Purged{SensorKey: k}
	}
	return t[k]
}

func (t tally) total() (n int) {
	for _, p := range t {
		n += p.Tracks + p.Dropped
	}
	return n
}

// removed returns the sensors with something removed, sorted.
func (t tally) removed() []backoffice.Purged {
	var out []backoffice.Purged
	for _, p := range t {
		if p.Tracks > 0 || p.Dropped > 0 || p.AggregateHours > 0 {
			out = append(out, *p)
		}
	}
	slices.SortFunc(out, func(a, b backoffice.Purged) int { return compareKeys(a.SensorKey, b.SensorKey) })
	return out
}

func logRun(ctx context.Context, tx pgx.Tx, rep backoffice.PurgeReport) (int64, error) {
	tracks, dropped := rep.Total()
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO purge_runs (at_ms, tracks, dropped, aggregate_hours, erasure, erased)
	VALUES ($1, $2, $3, $4, 'pending', false) RETURNING id`, ms(rep.At), tracks, dropped, rep.AggregateHours()).Scan(&id); err != nil {
		return 0, err
	}
	for _, p := range rep.Sensors {
		var oldest, newest *int64
		if !p.Oldest.IsZero() {
			o, n := ms(p.Oldest), ms(p.Newest)
			oldest, newest = &o, &n
		}
		if _, err := tx.Exec(ctx, `INSERT INTO purge_log (run_id, store, sensor, days, cutoff_ms, tracks, dropped, oldest_ms,
		newest_ms, aggregate_days, aggregate_cutoff_ms, aggregate_hours) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
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
