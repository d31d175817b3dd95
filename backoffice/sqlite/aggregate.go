package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"

	"github.com/ashiato/ashiato/backoffice"
)

var _ backoffice.AggregateStore = (*DB)(nil)

const hourMS = int64(time.Hour / time.Millisecond)

// TrackHours implements backoffice.AggregateStore.
func (db *DB) TrackHours(ctx context.Context, k backoffice.SensorKey) ([]backoffice.HourCount, error) {
	// Integer division rounds towards zero; start_ms - (start_ms % h) would too, so shift negative times.
	rows, err := db.r.QueryContext(ctx, `SELECT (start_ms - ((start_ms % ?1) + ?1) % ?1) AS hour_ms, count(*)
	FROM tracks WHERE store = ?2 AND sensor = ?3 GROUP BY hour_ms ORDER BY hour_ms`, hourMS, k.Store, k.Sensor)
	if err != nil {
		return nil, fmt.Errorf("sqlite: track hours: %w", err)
	}
	defer rows.Close()
	var out []backoffice.HourCount
	for rows.Next() {
		var h int64
		var n int
		if err := rows.Scan(&h, &n); err != nil {
			return nil, fmt.Errorf("sqlite: track hours: %w", err)
		}
		out = append(out, backoffice.HourCount{Hour: fromMS(h), Segments: n})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: track hours: %w", err)
	}
	return out, nil
}

// AggregateUnits implements backoffice.AggregateStore.
func (db *DB) AggregateUnits(ctx context.Context, k backoffice.SensorKey) ([]backoffice.AggregateUnit, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT hour_ms, layout_hash, digest, tracks, computed_ms, expires_ms
	FROM agg_units WHERE store = ? AND sensor = ? ORDER BY hour_ms`, k.Store, k.Sensor)
	if err != nil {
		return nil, fmt.Errorf("sqlite: aggregate units: %w", err)
	}
	defer rows.Close()
	var out []backoffice.AggregateUnit
	for rows.Next() {
		u := backoffice.AggregateUnit{SensorKey: k}
		var hour, computed, expires int64
		if err := rows.Scan(&hour, &u.LayoutHash, &u.Digest, &u.Tracks, &computed, &expires); err != nil {
			return nil, fmt.Errorf("sqlite: aggregate units: %w", err)
		}
		u.Hour, u.Computed, u.Expires = fromMS(hour), fromMS(computed), fromMS(expires)
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: aggregate units: %w", err)
	}
	return out, nil
}

// PutAggregates implements backoffice.AggregateStore.
func (db *DB) PutAggregates(ctx context.Context, u backoffice.AggregateUnit) error {
	hour := ms(u.Hour)
	err := db.tx(ctx, func(tx *sql.Tx) error {
		expires := ms(u.Expires)
		var old int64
		switch err := tx.QueryRowContext(ctx, `SELECT expires_ms FROM agg_units WHERE store = ? AND sensor = ? AND hour_ms = ?`,
			u.Store, u.Sensor, hour).Scan(&old); {
		case err == nil:
			expires = min(expires, old)
		case err != sql.ErrNoRows:
			return err
		}
		if err := deleteUnit(ctx, tx, u.SensorKey, hour); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO agg_units (store, sensor, hour_ms, layout_hash, digest, tracks,
		computed_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, u.Store, u.Sensor, hour, u.LayoutHash, u.Digest, u.Tracks,
			ms(u.Computed), expires); err != nil {
			return err
		}
		if len(u.Buckets) == 0 {
			return nil
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO agg_buckets (store, sensor, hour_ms, start_ms, data) VALUES (?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, b := range u.Buckets {
			if _, err := stmt.ExecContext(ctx, u.Store, u.Sensor, hour, ms(b.Start), b.Data); err != nil {
				return fmt.Errorf("bucket %s: %w", b.Start.Format(time.RFC3339), err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: aggregates of %s at %s: %w", u.SensorKey, u.Hour.Format(time.RFC3339), err)
	}
	return nil
}

func deleteUnit(ctx context.Context, tx *sql.Tx, k backoffice.SensorKey, hour int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM agg_buckets WHERE store = ? AND sensor = ? AND hour_ms = ?`, k.Store, k.Sensor, hour); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM agg_units WHERE store = ? AND sensor = ? AND hour_ms = ?`, k.Store, k.Sensor, hour)
	return err
}

// DeleteAggregates implements backoffice.AggregateStore.
func (db *DB) DeleteAggregates(ctx context.Context, k backoffice.SensorKey, hour time.Time) error {
	if err := db.tx(ctx, func(tx *sql.Tx) error { return deleteUnit(ctx, tx, k, ms(hour)) }); err != nil {
		return fmt.Errorf("sqlite: delete aggregates of %s at %s: %w", k, hour.Format(time.RFC3339), err)
	}
	return nil
}

// AggregateBuckets implements backoffice.AggregateStore.
func (db *DB) AggregateBuckets(ctx context.Context, q backoffice.BucketQuery, fn func(backoffice.AggregateBucket) error) error {
	from, to := int64(math.MinInt64), int64(math.MaxInt64)
	if !q.From.IsZero() {
		from = ms(q.From)
	}
	if !q.To.IsZero() {
		to = ms(q.To)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT sensor, hour_ms, start_ms, data FROM agg_buckets
	WHERE store = ?1 AND start_ms >= ?2 AND start_ms < ?3 AND (?4 = '' OR sensor = ?4)
	ORDER BY start_ms, sensor, hour_ms`, q.Store, from, to, q.Sensor)
	if err != nil {
		return fmt.Errorf("sqlite: aggregate buckets: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b backoffice.AggregateBucket
		var hour, start int64
		if err := rows.Scan(&b.Sensor, &hour, &start, &b.Data); err != nil {
			return fmt.Errorf("sqlite: aggregate buckets: %w", err)
		}
		b.Hour, b.Start = fromMS(hour), fromMS(start)
		if err := fn(b); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: aggregate buckets: %w", err)
	}
	return nil
}

// NoiseKey implements backoffice.AggregateStore.
func (db *DB) NoiseKey(ctx context.Context, fresh []byte) ([]byte, error) {
	var key []byte
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO analytics_key (id, key) VALUES (1, ?) ON CONFLICT (id) DO NOTHING`, fresh); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT key FROM analytics_key WHERE id = 1`).Scan(&key)
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: noise key: %w", err)
	}
	return key, nil
}
