package postgres

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ashiato/ashiato/backoffice"
)

// Sensors implements backoffice.Store.
func (db *DB) Sensors(ctx context.Context) ([]backoffice.Sensor, error) {
	rows, err := db.pool.Query(ctx, `SELECT store, sensor, first_seen_ms, last_seen_ms,
	status, state, birth, status_ms, privacy, privacy_state, privacy_ms, stats, stats_ms,
	notice, notice_hash, notice_ms, retention_days, aggregate_retention_days
	FROM sensors ORDER BY store COLLATE "C", sensor COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("postgres: sensors: %w", err)
	}
	defer rows.Close()
	var out []backoffice.Sensor
	for rows.Next() {
		var s backoffice.Sensor
		var first, last int64
		var status, state, privacy, privacyState, stats, notice, hash *string
		var birth, statusAt, privacyAt, statsAt, noticeAt *int64
		var days, aggDays *int32
		if err := rows.Scan(&s.Store, &s.Sensor, &first, &last, &status, &state, &birth, &statusAt, &privacy,
			&privacyState, &privacyAt, &stats, &statsAt, &notice, &hash, &noticeAt, &days, &aggDays); err != nil {
			return nil, fmt.Errorf("postgres: sensors: %w", err)
		}
		s.FirstSeen, s.LastSeen = fromMS(first), fromMS(last)
		s.Status, s.State, s.Birth, s.StatusAt = raw(status), str(state), uint64(deref(birth)), nullMS(statusAt)
		s.Privacy, s.PrivacyState, s.PrivacyAt = raw(privacy), str(privacyState), nullMS(privacyAt)
		s.Stats, s.StatsAt = raw(stats), nullMS(statsAt)
		s.Notice, s.NoticeHash, s.NoticeAt = raw(notice), str(hash), nullMS(noticeAt)
		s.RetentionDays, s.AggregateRetentionDays = int(deref(days)), int(deref(aggDays))
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: sensors: %w", err)
	}
	return out, nil
}

func raw(s *string) []byte {
	if s == nil {
		return nil
	}
	return []byte(*s)
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func deref[T int32 | int64](v *T) T {
	if v == nil {
		return 0
	}
	return *v
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
	rows, err := db.pool.Query(ctx, `SELECT track, seg, final, space, w, h, start_ms, minimised, expires_ms, points
	FROM tracks WHERE store = $1 AND sensor = $2 AND start_ms >= $3 AND start_ms < $4
	ORDER BY start_ms, track COLLATE "C", seg`, q.Store, q.Sensor, from, to)
	if err != nil {
		return fmt.Errorf("postgres: tracks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		t := backoffice.Track{Store: q.Store, Sensor: q.Sensor}
		var start, expires int64
		var seg, w, h int32
		var blob []byte
		if err := rows.Scan(&t.ID, &seg, &t.Final, &t.Space, &w, &h, &start, &t.Minimised, &expires, &blob); err != nil {
			return fmt.Errorf("postgres: tracks: %w", err)
		}
		t.Seg, t.W, t.H = int(seg), int(w), int(h)
		t.Start, t.Expires = fromMS(start), fromMS(expires)
		if t.Points, err = backoffice.DecodePoints(t.Space, blob); err != nil {
			return fmt.Errorf("postgres: track %s/%d: %w", t.ID, t.Seg, err)
		}
		if err := fn(t); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: tracks: %w", err)
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
	rows, err := db.pool.Query(ctx, `SELECT store, sensor, count(*), min(start_ms), max(start_ms) FROM tracks GROUP BY store, sensor`)
	if err != nil {
		return nil, fmt.Errorf("postgres: kept: %w", err)
	}
	var k backoffice.SensorKey
	var n, oldest, newest int64
	_, err = pgx.ForEachRow(rows, []any{&k.Store, &k.Sensor, &n, &oldest, &newest}, func() error {
		c := get(k)
		c.Tracks, c.Oldest, c.Newest = int(n), fromMS(oldest), fromMS(newest)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: kept: %w", err)
	}
	rows, err = db.pool.Query(ctx, `SELECT store, sensor, count(*) FROM dropped GROUP BY store, sensor`)
	if err != nil {
		return nil, fmt.Errorf("postgres: kept: %w", err)
	}
	_, err = pgx.ForEachRow(rows, []any{&k.Store, &k.Sensor, &n}, func() error {
		get(k).Dropped = int(n)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: kept: %w", err)
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
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	rows, err := db.pool.Query(ctx, `SELECT id, at_ms, erasure, erased FROM purge_runs ORDER BY id DESC LIMIT $1`, lim)
	if err != nil {
		return nil, fmt.Errorf("postgres: purge runs: %w", err)
	}
	var runs []backoffice.PurgeRun
	var r backoffice.PurgeRun
	var at int64
	if _, err := pgx.ForEachRow(rows, []any{&r.ID, &at, &r.Erasure, &r.Erased}, func() error {
		r.At = fromMS(at)
		runs = append(runs, r)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("postgres: purge runs: %w", err)
	}
	for i := range runs {
		rows, err := db.pool.Query(ctx, `SELECT store, sensor, days, cutoff_ms, tracks, dropped, oldest_ms, newest_ms,
		aggregate_days, aggregate_cutoff_ms, aggregate_hours FROM purge_log WHERE run_id = $1
		ORDER BY store COLLATE "C", sensor COLLATE "C"`, runs[i].ID)
		if err != nil {
			return nil, fmt.Errorf("postgres: purge log: %w", err)
		}
		var p backoffice.Purged
		var days, tracks, dropped, aggDays, aggHours int32
		var cutoff, aggCutoff int64
		var oldest, newest *int64
		if _, err := pgx.ForEachRow(rows, []any{&p.Store, &p.Sensor, &days, &cutoff, &tracks, &dropped, &oldest, &newest,
			&aggDays, &aggCutoff, &aggHours}, func() error {
			p.Days, p.Tracks, p.Dropped, p.AggregateDays, p.AggregateHours = int(days), int(tracks), int(dropped), int(aggDays), int(aggHours)
			p.Cutoff, p.Oldest, p.Newest = fromMS(cutoff), nullMS(oldest), nullMS(newest)
			p.AggregateCutoff = time.Time{}
			if aggCutoff != 0 {
				p.AggregateCutoff = fromMS(aggCutoff)
			}
			runs[i].Sensors = append(runs[i].Sensors, p)
			return nil
		}); err != nil {
			return nil, fmt.Errorf("postgres: purge log: %w", err)
		}
	}
	return runs, nil
}
