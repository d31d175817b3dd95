package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ashiato/ashiato/backoffice"
)

const hourMS = int64(time.Hour / time.Millisecond)

// TrackHours implements backoffice.AggregateStore.
func (db *DB) TrackHours(ctx context.Context, k backoffice.SensorKey) ([]backoffice.HourCount, error) {
	// % keeps the sign of the dividend: shift so that negative times round down too.
	rows, err := db.pool.Query(ctx, `SELECT start_ms - (((start_ms % $1) + $1) % $1) AS hour_ms, count(*)
	FROM tracks WHERE store = $2 AND sensor = $3 GROUP BY hour_ms ORDER BY hour_ms`, hourMS, k.Store, k.Sensor)
	if err != nil {
		return nil, fmt.Errorf("postgres: track hours: %w", err)
	}
	var out []backoffice.HourCount
	var h, n int64
	if _, err := pgx.ForEachRow(rows, []any{&h, &n}, func() error {
		out = append(out, backoffice.HourCount{Hour: fromMS(h), Segments: int(n)})
		return nil
	}); err != nil {
		return nil, fmt.Errorf("postgres: track hours: %w", err)
	}
	return out, nil
}

// AggregateUnits implements backoffice.AggregateStore.
func (db *DB) AggregateUnits(ctx context.Context, k backoffice.SensorKey) ([]backoffice.AggregateUnit, error) {
	rows, err := db.pool.Query(ctx, `SELECT hour_ms, layout_hash, digest, tracks, computed_ms, expires_ms
	FROM agg_units WHERE store = $1 AND sensor = $2 ORDER BY hour_ms`, k.Store, k.Sensor)
	if err != nil {
		return nil, fmt.Errorf("postgres: aggregate units: %w", err)
	}
	var out []backoffice.AggregateUnit
	var hour, computed, expires int64
	var tracks int32
	u := backoffice.AggregateUnit{SensorKey: k}
	if _, err := pgx.ForEachRow(rows, []any{&hour, &u.LayoutHash, &u.Digest, &tracks, &computed, &expires}, func() error {
		u.Hour, u.Computed, u.Expires, u.Tracks = fromMS(hour), fromMS(computed), fromMS(expires), int(tracks)
		out = append(out, u)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("postgres: aggregate units: %w", err)
	}
	return out, nil
}

// PutAggregates implements backoffice.AggregateStore.
func (db *DB) PutAggregates(ctx context.Context, u backoffice.AggregateUnit) error {
	hour := ms(u.Hour)
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		expires := ms(u.Expires)
		var old int64
		switch err := tx.QueryRow(ctx, `SELECT expires_ms FROM agg_units WHERE store = $1 AND sensor = $2 AND hour_ms = $3 FOR UPDATE`,
			u.Store, u.Sensor, hour).Scan(&old); {
		case err == nil:
			expires = min(expires, old)
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		if err := deleteUnit(ctx, tx, u.SensorKey, hour); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO agg_units (store, sensor, hour_ms, layout_hash, digest, tracks,
		computed_ms, expires_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, u.Store, u.Sensor, hour, u.LayoutHash, u.Digest, u.Tracks,
			ms(u.Computed), expires); err != nil {
			return err
		}
		if len(u.Buckets) == 0 {
			return nil
		}
		rows := make([][]any, len(u.Buckets))
		for i, b := range u.Buckets {
			rows[i] = []any{u.Store, u.Sensor, hour, ms(b.Start), b.Data}
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"agg_buckets"}, []string{"store", "sensor", "hour_ms", "start_ms", "data"},
			pgx.CopyFromRows(rows))
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: aggregates of %s at %s: %w", u.SensorKey, u.Hour.Format(time.RFC3339), err)
	}
	return nil
}

func deleteUnit(ctx context.Context, tx pgx.Tx, k backoffice.SensorKey, hour int64) error {
	if _, err := tx.Exec(ctx, `DELETE FROM agg_buckets WHERE store = $1 AND sensor = $2 AND hour_ms = $3`, k.Store, k.Sensor, hour); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `DELETE FROM agg_units WHERE store = $1 AND sensor = $2 AND hour_ms = $3`, k.Store, k.Sensor, hour)
	return err
}

// DeleteAggregates implements backoffice.AggregateStore.
func (db *DB) DeleteAggregates(ctx context.Context, k backoffice.SensorKey, hour time.Time) error {
	if err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error { return deleteUnit(ctx, tx, k, ms(hour)) }); err != nil {
		return fmt.Errorf("postgres: delete aggregates of %s at %s: %w", k, hour.Format(time.RFC3339), err)
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
	rows, err := db.pool.Query(ctx, `SELECT sensor, hour_ms, start_ms, data FROM agg_buckets
	WHERE store = $1 AND start_ms >= $2 AND start_ms < $3 AND ($4 = '' OR sensor = $4)
	ORDER BY start_ms, sensor COLLATE "C", hour_ms`, q.Store, from, to, q.Sensor)
	if err != nil {
		return fmt.Errorf("postgres: aggregate buckets: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b backoffice.AggregateBucket
		var hour, start int64
		if err := rows.Scan(&b.Sensor, &hour, &start, &b.Data); err != nil {
			return fmt.Errorf("postgres: aggregate buckets: %w", err)
		}
		b.Hour, b.Start = fromMS(hour), fromMS(start)
		if err := fn(b); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: aggregate buckets: %w", err)
	}
	return nil
}

// NoiseKey implements backoffice.AggregateStore.
func (db *DB) NoiseKey(ctx context.Context, fresh []byte) ([]byte, error) {
	var key []byte
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO analytics_key (id, key) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`, fresh); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT key FROM analytics_key WHERE id = 1`).Scan(&key)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: noise key: %w", err)
	}
	return key, nil
}
