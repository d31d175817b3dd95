package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/ashiato/ashiato/backoffice"
)

// A track is stored unless its key is already in tracks (ON CONFLICT) or in dropped (NOT EXISTS), so that a
// redelivery judged differently (the rules changed in between) still counts once.
const insertTrack = `
INSERT INTO tracks (store, sensor, track, seg, final, space, w, h, start_ms, duration_ms, n_points,
                    entry_x, entry_y, exit_x, exit_y, minimised, expires_ms, points)
SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18
WHERE NOT EXISTS (SELECT 1 FROM dropped WHERE store = ?1 AND sensor = ?2 AND track = ?3 AND seg = ?4)
ON CONFLICT (store, sensor, track, seg) DO NOTHING`

const insertDropped = `
INSERT INTO dropped (store, sensor, track, seg, reason, day, expires_ms)
SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7
WHERE NOT EXISTS (SELECT 1 FROM tracks WHERE store = ?1 AND sensor = ?2 AND track = ?3 AND seg = ?4)
ON CONFLICT (store, sensor, track, seg) DO NOTHING`

// ensureSensor creates the sensor's row; seen moves last_seen forward.
const (
	ensureSensor = `INSERT INTO sensors (store, sensor, first_seen_ms, last_seen_ms) VALUES (?1, ?2, ?3, ?3)
ON CONFLICT (store, sensor) DO NOTHING`
	seenSensor = `INSERT INTO sensors (store, sensor, first_seen_ms, last_seen_ms) VALUES (?1, ?2, ?3, ?3)
ON CONFLICT (store, sensor) DO UPDATE SET last_seen_ms = max(last_seen_ms, excluded.last_seen_ms)`
)

// The offline will of an older connection (lower birth) must not overwrite a newer online.
const updateStatus = `UPDATE sensors SET status = ?3, state = ?4, birth = ?5, status_ms = ?6
WHERE store = ?1 AND sensor = ?2 AND NOT (?4 = 'offline' AND birth IS NOT NULL AND ?5 < birth)`

const (
	updatePrivacy = `UPDATE sensors SET privacy = ?3, privacy_state = ?4, privacy_ms = ?5 WHERE store = ?1 AND sensor = ?2`
	updateStats   = `UPDATE sensors SET stats = ?3, stats_ms = ?4 WHERE store = ?1 AND sensor = ?2`
	updateNotice  = `UPDATE sensors SET notice = ?3, notice_hash = ?4, notice_ms = ?5, retention_days = ?6,
	aggregate_retention_days = ?7 WHERE store = ?1 AND sensor = ?2`
)

// Write implements backoffice.Store.
func (db *DB) Write(ctx context.Context, b *backoffice.Batch) (backoffice.WriteResult, error) {
	var res backoffice.WriteResult
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res = backoffice.WriteResult{}
		for i := range b.Sensors {
			if err := applySensor(ctx, tx, &b.Sensors[i]); err != nil {
				return err
			}
		}
		if len(b.Tracks) > 0 {
			stmt, err := tx.PrepareContext(ctx, insertTrack)
			if err != nil {
				return err
			}
			defer stmt.Close()
			for i := range b.Tracks {
				n, err := writeTrack(ctx, stmt, &b.Tracks[i])
				if err != nil {
					return err
				}
				res.Stored += n
				res.StoredDuplicates += 1 - n
			}
		}
		if len(b.Dropped) > 0 {
			stmt, err := tx.PrepareContext(ctx, insertDropped)
			if err != nil {
				return err
			}
			defer stmt.Close()
			for _, d := range b.Dropped {
				r, err := stmt.ExecContext(ctx, d.Store, d.Sensor, d.ID, d.Seg, string(d.Reason), d.Day, ms(d.Expires))
				if err != nil {
					return fmt.Errorf("dropped %s/%s/%s/%d: %w", d.Store, d.Sensor, d.ID, d.Seg, err)
				}
				n := affected(r)
				res.Dropped += n
				res.DroppedDuplicates += 1 - n
				if n > 0 {
					if res.DroppedBy == nil {
						res.DroppedBy = map[backoffice.DropReason]int{}
					}
					res.DroppedBy[d.Reason]++
				}
			}
		}
		return nil
	})
	if err != nil {
		return backoffice.WriteResult{}, fmt.Errorf("sqlite: write: %w", err)
	}
	return res, nil
}

func writeTrack(ctx context.Context, stmt *sql.Stmt, t *backoffice.Track) (int, error) {
	if len(t.Points) == 0 {
		return 0, fmt.Errorf("track %s/%s/%s/%d has no points", t.Store, t.Sensor, t.ID, t.Seg)
	}
	blob, err := backoffice.EncodePoints(t.Space, t.Points)
	if err != nil {
		return 0, fmt.Errorf("track %s/%s/%s/%d: %w", t.Store, t.Sensor, t.ID, t.Seg, err)
	}
	in, out := t.Entry(), t.Exit()
	r, err := stmt.ExecContext(ctx, t.Store, t.Sensor, t.ID, t.Seg, t.Final, t.Space, t.W, t.H, ms(t.Start),
		t.Duration().Milliseconds(), len(t.Points), in.X, in.Y, out.X, out.Y, t.Minimised, ms(t.Expires), blob)
	if err != nil {
		return 0, fmt.Errorf("track %s/%s/%s/%d: %w", t.Store, t.Sensor, t.ID, t.Seg, err)
	}
	return affected(r), nil
}

func affected(r sql.Result) int {
	n, err := r.RowsAffected()
	if err != nil || n <= 0 {
		return 0
	}
	return 1
}

func applySensor(ctx context.Context, tx *sql.Tx, u *backoffice.SensorUpdate) error {
	at := ms(u.At)
	ensure := ensureSensor
	if u.Live {
		ensure = seenSensor
	}
	if _, err := tx.ExecContext(ctx, ensure, u.Store, u.Sensor, at); err != nil {
		return fmt.Errorf("sensor %s: %w", u.SensorKey, err)
	}
	var err error
	payload := string(u.Payload)
	switch u.Kind {
	case backoffice.UpdateSeen:
	case backoffice.UpdateStatus:
		_, err = tx.ExecContext(ctx, updateStatus, u.Store, u.Sensor, payload, u.State, int64(u.Birth), at)
	case backoffice.UpdatePrivacy:
		_, err = tx.ExecContext(ctx, updatePrivacy, u.Store, u.Sensor, payload, u.State, at)
	case backoffice.UpdateStats:
		_, err = tx.ExecContext(ctx, updateStats, u.Store, u.Sensor, payload, at)
	case backoffice.UpdateNotice:
		_, err = tx.ExecContext(ctx, updateNotice, u.Store, u.Sensor, payload, u.NoticeHash, at, u.RetentionDays,
			u.AggregateRetentionDays)
	default:
		err = fmt.Errorf("unknown update kind %d", u.Kind)
	}
	if err != nil {
		return fmt.Errorf("sensor %s: %w", u.SensorKey, err)
	}
	return nil
}
