package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/ashiato/ashiato/backoffice"
)

// Sensors implements backoffice.Store.
func (db *DB) Sensors(ctx context.Context) ([]backoffice.Sensor, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT store, sensor, first_seen_ms, last_seen_ms,
	status, state, birth, status_ms, privacy, privacy_state, privacy_ms, stats, stats_ms,
	notice, notice_hash, notice_ms, retention_days, aggregate_retention_days
	FROM sensors ORDER BY store, sensor`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: sensors: %w", err)
	}
	defer rows.Close()
	var out []backoffice.Sensor
	for rows.Next() {
		var s backoffice.Sensor
		var first, last int64
		var status, state, privacy, privacyState, stats, notice, hash sql.NullString
		var birth, statusAt, privacyAt, statsAt, noticeAt, days, aggDays sql.NullInt64
		if err := rows.Scan(&s.Store, &s.Sensor, &first, &last, &status, &state, &birth, &statusAt, &privacy,
			&privacyState, &privacyAt, &stats, &statsAt, &notice, &hash, &noticeAt, &days, &aggDays); err != nil {
			return nil, fmt.Errorf("sqlite: sensors: %w", err)
		}
		s.FirstSeen, s.LastSeen = fromMS(first), fromMS(last)
		s.Status, s.State, s.Birth, s.StatusAt = raw(status), state.String, uint64(birth.Int64), nullMS(statusAt)
		s.Privacy, s.PrivacyState, s.PrivacyAt = raw(privacy), privacyState.String, nullMS(privacyAt)
		s.Stats, s.StatsAt = raw(stats), nullMS(statsAt)
		s.Notice, s.NoticeHash, s.NoticeAt = raw(notice), hash.String, nullMS(noticeAt)
		s.RetentionDays, s.AggregateRetentionDays = int(days.Int64), int(aggDays.Int64)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: sensors: %w", err)
	}
	return out, nil
}

func raw(s sql.NullString) []byte {
	if !s.Valid {
		return nil
	}
	return []byte(s.String)
}

// Tracks implements backoffice.Store.
func (db *DB) Tracks(ctx context.Context, q backoffice.TrackQuery, fn func(backoffice.Track) error) error {
	from, to := int64(math.MinInt64), int64(math.MaxInt64)
	if !q.From.IsZero() {
		from = ms(q.From)
	}
	if !q.To.IsZero() {
		to = ms(q.To)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT track, seg, final, space, w, h, start_ms, minimised, expires_ms, points
	FROM tracks WHERE store = ? AND sensor = ? AND start_ms >= ? AND start_ms < ?
	ORDER BY start_ms, track, seg`, q.Store, q.Sensor, from, to)
	if err != nil {
		return fmt.Errorf("sqlite: tracks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		t := backoffice.Track{Store: q.Store, Sensor: q.Sensor}
		var start, expires int64
		var blob []byte
		if err := rows.Scan(&t.ID, &t.Seg, &t.Final, &t.Space, &t.W, &t.H, &start, &t.Minimised, &expires, &blob); err != nil {
			return fmt.Errorf("sqlite: tracks: %w", err)
		}
		t.Start, t.Expires = fromMS(start), fromMS(expires)
		if t.Points, err = backoffice.DecodePoints(t.Space, blob); err != nil {
			return fmt.Errorf("sqlite: track %s/%d: %w", t.ID, t.Seg, err)
		}
		if err := fn(t); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: tracks: %w", err)
	}
	return nil
}

// Kept implements backoffice.Store.
func (db *DB) Kept(ctx context.Context) ([]backoffice.Kept, error) {
	byKey := map[backoffice.SensorKey]*backoffice.Kept{}
	get := func(k backoffice.SensorKey) *backoffice.Kept {
		if byKey[k] == nil {
			byKey[k] = &backoffice.Kept{SensorKey: k}
		}
		return byKey[k]
	}
	rows, err := db.r.QueryContext(ctx, `SELECT store, sensor, count(*), min(start_ms), max(start_ms)
	FROM tracks GROUP BY store, sensor`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: kept: %w", err)
	}
	for rows.Next() {
		var k backoffice.SensorKey
		var n int
		var oldest, newest int64
		if err := rows.Scan(&k.Store, &k.Sensor, &n, &oldest, &newest); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite: kept: %w", err)
		}
		c := get(k)
		c.Tracks, c.Oldest, c.Newest = n, fromMS(oldest), fromMS(newest)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: kept: %w", err)
	}
	rows, err = db.r.QueryContext(ctx, `SELECT store, sensor, count(*) FROM dropped GROUP BY store, sensor`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: kept: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k backoffice.SensorKey
		var n int
		if err := rows.Scan(&k.Store, &k.Sensor, &n); err != nil {
			return nil, fmt.Errorf("sqlite: kept: %w", err)
		}
		get(k).Dropped = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: kept: %w", err)
	}
	out := make([]backoffice.Kept, 0, len(byKey))
	for _, c := range byKey {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b backoffice.Kept) int { return compareKeys(a.SensorKey, b.SensorKey) })
	return out, nil
}

func compareKeys(a, b backoffice.SensorKey) int {
	if c := strings.Compare(a.Store, b.Store); c != 0 {
		return c
	}
	return strings.Compare(a.Sensor, b.Sensor)
}

// PurgeRuns implements backoffice.Store.
func (db *DB) PurgeRuns(ctx context.Context, limit int) ([]backoffice.PurgeRun, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := db.r.QueryContext(ctx, `SELECT id, at_ms, erasure, erased FROM purge_runs ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: purge runs: %w", err)
	}
	var runs []backoffice.PurgeRun
	for rows.Next() {
		var r backoffice.PurgeRun
		var at int64
		if err := rows.Scan(&r.ID, &at, &r.Erasure, &r.Erased); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite: purge runs: %w", err)
		}
		r.At = fromMS(at)
		runs = append(runs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: purge runs: %w", err)
	}
	stmt, err := db.r.PrepareContext(ctx, `SELECT store, sensor, days, cutoff_ms, tracks, dropped, oldest_ms, newest_ms,
	aggregate_days, aggregate_cutoff_ms, aggregate_hours FROM purge_log WHERE run_id = ? ORDER BY store, sensor`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: purge log: %w", err)
	}
	defer stmt.Close()
	for i := range runs {
		rows, err := stmt.QueryContext(ctx, runs[i].ID)
		if err != nil {
			return nil, fmt.Errorf("sqlite: purge log: %w", err)
		}
		for rows.Next() {
			var p backoffice.Purged
			var cutoff, aggCutoff int64
			var oldest, newest sql.NullInt64
			if err := rows.Scan(&p.Store, &p.Sensor, &p.Days, &cutoff, &p.Tracks, &p.Dropped, &oldest, &newest,
				&p.AggregateDays, &aggCutoff, &p.AggregateHours); err != nil {
				rows.Close()
				return nil, fmt.Errorf("sqlite: purge log: %w", err)
			}
			p.Cutoff, p.Oldest, p.Newest = fromMS(cutoff), nullMS(oldest), nullMS(newest)
			if aggCutoff != 0 {
				p.AggregateCutoff = fromMS(aggCutoff)
			}
			runs[i].Sensors = append(runs[i].Sensors, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("sqlite: purge log: %w", err)
		}
	}
	return runs, nil
}
