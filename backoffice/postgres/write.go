package postgres

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ashiato/ashiato/backoffice"
)

// A staged track is stored unless its key is already kept as a track of the same day (in any class: a
// redelivery judged under another promise), or as a dropped record of a UTC day that can be its day, or
// staged earlier in the same batch. ON CONFLICT covers a key of the same class written by another
// transaction that committed after this one's snapshot; the sensor locks make that case rare.
const insertTracks = `
INSERT INTO tracks (store, sensor, track, seg, day, class, final, space, w, h, start_ms, duration_ms, n_points,
                    entry_x, entry_y, exit_x, exit_y, minimised, expires_ms, points)
SELECT store, sensor, track, seg, day, class, final, space, w, h, start_ms, duration_ms, n_points,
       entry_x, entry_y, exit_x, exit_y, minimised, expires_ms, points
FROM (SELECT DISTINCT ON (store, sensor, track, seg) * FROM stage_tracks ORDER BY store, sensor, track, seg, ord) s
WHERE NOT EXISTS (SELECT 1 FROM tracks t WHERE t.store = s.store AND t.sensor = s.sensor AND t.track = s.track
                  AND t.seg = s.seg AND t.day = s.day)
  AND NOT EXISTS (SELECT 1 FROM dropped d WHERE d.store = s.store AND d.sensor = s.sensor AND d.track = s.track
                  AND d.seg = s.seg AND d.day BETWEEN s.day - 1 AND s.day + 1)
ON CONFLICT DO NOTHING`

const insertDropped = `
INSERT INTO dropped (store, sensor, track, seg, day, class, reason, expires_ms)
SELECT store, sensor, track, seg, day, class, reason, expires_ms
FROM (SELECT DISTINCT ON (store, sensor, track, seg) * FROM stage_dropped ORDER BY store, sensor, track, seg, ord) s
WHERE NOT EXISTS (SELECT 1 FROM dropped d WHERE d.store = s.store AND d.sensor = s.sensor AND d.track = s.track
                  AND d.seg = s.seg AND d.day = s.day)
  AND NOT EXISTS (SELECT 1 FROM tracks t WHERE t.store = s.store AND t.sensor = s.sensor AND t.track = s.track
                  AND t.seg = s.seg AND t.day BETWEEN s.day - 1 AND s.day + 1)
ON CONFLICT DO NOTHING
RETURNING reason`

const (
	ensureSensor = `INSERT INTO sensors (store, sensor, first_seen_ms, last_seen_ms) VALUES ($1, $2, $3, $3)
ON CONFLICT (store, sensor) DO NOTHING`
	seenSensor = `INSERT INTO sensors (store, sensor, first_seen_ms, last_seen_ms) VALUES ($1, $2, $3, $3)
ON CONFLICT (store, sensor) DO UPDATE SET last_seen_ms = greatest(sensors.last_seen_ms, excluded.last_seen_ms)`
	// The offline will of an older connection (lower birth) must not overwrite a newer online.
	updateStatus = `UPDATE sensors SET status = $3, state = $4, birth = $5, status_ms = $6
WHERE store = $1 AND sensor = $2 AND NOT ($4 = 'offline' AND birth IS NOT NULL AND $5 < birth)`
	updatePrivacy = `UPDATE sensors SET privacy = $3, privacy_state = $4, privacy_ms = $5 WHERE store = $1 AND sensor = $2`
	updateStats   = `UPDATE sensors SET stats = $3, stats_ms = $4 WHERE store = $1 AND sensor = $2`
	updateNotice  = `UPDATE sensors SET notice = $3, notice_hash = $4, notice_ms = $5, retention_days = $6,
	aggregate_retention_days = $7 WHERE store = $1 AND sensor = $2`
)

var trackColumns = []string{"ord", "store", "sensor", "track", "seg", "day", "class", "final", "space", "w", "h",
	"start_ms", "duration_ms", "n_points", "entry_x", "entry_y", "exit_x", "exit_y", "minimised", "expires_ms", "points"}

var droppedColumns = []string{"ord", "store", "sensor", "track", "seg", "day", "class", "reason", "expires_ms"}

// staged is a batch turned into COPY rows, with the leaves they need.
type staged struct {
	tracks, dropped [][]any
	leaves          []leafKey
	locks           []int32
}

func (db *DB) stage(b *backoffice.Batch) (*staged, error) {
	s := &staged{}
	keys := map[backoffice.SensorKey]bool{}
	for _, u := range b.Sensors {
		keys[u.SensorKey] = true
	}
	for i := range b.Tracks {
		t := &b.Tracks[i]
		if len(t.Points) == 0 {
			return nil, fmt.Errorf("track %s/%s/%s/%d has no points", t.Store, t.Sensor, t.ID, t.Seg)
		}
		blob, err := backoffice.EncodePoints(t.Space, t.Points)
		if err != nil {
			return nil, fmt.Errorf("track %s/%s/%s/%d: %w", t.Store, t.Sensor, t.ID, t.Seg, err)
		}
		d := calendarDay(t.Start, db.loc)
		k := leafKey{kind: kindTracks, class: classOf(dayStart(d, db.loc), t.Expires), day: d}
		in, out := t.Entry(), t.Exit()
		s.tracks = append(s.tracks, []any{int32(i), t.Store, t.Sensor, t.ID, int32(t.Seg), d, int32(k.class), t.Final,
			t.Space, int32(t.W), int32(t.H), ms(t.Start), t.Duration().Milliseconds(), int32(len(t.Points)),
			in.X, in.Y, out.X, out.Y, t.Minimised, ms(t.Expires), blob})
		s.leaves = append(s.leaves, k)
		keys[backoffice.SensorKey{Store: t.Store, Sensor: t.Sensor}] = true
	}
	for i, r := range b.Dropped {
		d, err := time.Parse(time.DateOnly, r.Day)
		if err != nil {
			return nil, fmt.Errorf("dropped %s/%s/%s/%d: day %q is not YYYY-MM-DD", r.Store, r.Sensor, r.ID, r.Seg, r.Day)
		}
		k := leafKey{kind: kindDropped, class: classOf(d, r.Expires), day: d}
		s.dropped = append(s.dropped, []any{int32(i), r.Store, r.Sensor, r.ID, int32(r.Seg), d, int32(k.class),
			string(r.Reason), ms(r.Expires)})
		s.leaves = append(s.leaves, k)
		keys[backoffice.SensorKey{Store: r.Store, Sensor: r.Sensor}] = true
	}
	for k := range keys {
		s.locks = append(s.locks, sensorLock(k))
	}
	slices.Sort(s.locks)
	s.locks = slices.Compact(s.locks)
	return s, nil
}

// sensorLock is the second key of the advisory lock of sensor k.
func sensorLock(k backoffice.SensorKey) int32 {
	h := fnv.New32a()
	h.Write([]byte(k.Store))
	h.Write([]byte{'/'})
	h.Write([]byte(k.Sensor))
	return int32(h.Sum32())
}

// Write implements backoffice.Store.
func (db *DB) Write(ctx context.Context, b *backoffice.Batch) (backoffice.WriteResult, error) {
	s, err := db.stage(b)
	if err != nil {
		return backoffice.WriteResult{}, fmt.Errorf("postgres: write: %w", err)
	}
	var res backoffice.WriteResult
	for try := 0; ; try++ {
		if err = db.ensure(ctx, s.leaves); err == nil {
			res, err = db.write(ctx, b, s)
		}
		if !isNoPartition(err) || try == 1 {
			break
		}
		db.forget() // a purge dropped a leaf this batch needs: create it again
	}
	if err != nil {
		return backoffice.WriteResult{}, fmt.Errorf("postgres: write: %w", err)
	}
	db.analyzeNew(ctx, s.leaves)
	return res, nil
}

// analyzeNew runs ANALYZE on a leaf each time the rows this store wrote to it pass 1 000, 4 000, 16 000
// and 64 000. A day's leaf begins empty, and until autovacuum first analyzes it (a minute or more) the
// planner knows nothing of it: it then probes the duplicate check through the (store, sensor, start_ms)
// index instead of the primary key, which costs time in proportion to the sensor's rows that day (found
// with one sensor writing 5 000 tracks in 15 seconds). Later, autovacuum's own analyses suffice.
func (db *DB) analyzeNew(ctx context.Context, leaves []leafKey) {
	db.mu.Lock()
	counts := map[leafKey]int{}
	for _, k := range leaves {
		counts[k]++
	}
	var due []leafKey
	for k, n := range counts {
		before := db.inserted[k]
		db.inserted[k] = before + n
		for _, mark := range []int{1000, 4000, 16000, 64000} {
			if before < mark && before+n >= mark {
				due = append(due, k)
				break
			}
		}
	}
	db.mu.Unlock()
	for _, k := range due {
		if _, err := db.pool.Exec(ctx, "ANALYZE "+k.name()); err != nil {
			db.log.Debug("analyze", "table", k.name(), "err", err)
		}
	}
}

func (db *DB) write(ctx context.Context, b *backoffice.Batch, s *staged) (backoffice.WriteResult, error) {
	var res backoffice.WriteResult
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		res = backoffice.WriteResult{}
		// One lock per sensor, taken in the order of the keys (unnest keeps the array's order), so two
		// collectors with overlapping batches wait for each other instead of deadlocking.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, k) FROM unnest($2::int4[]) AS k", sensorSpace, s.locks); err != nil {
			return fmt.Errorf("sensor locks: %w", err)
		}
		if err := applySensors(ctx, tx, b.Sensors); err != nil {
			return err
		}
		if len(s.tracks) > 0 {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"stage_tracks"}, trackColumns, pgx.CopyFromRows(s.tracks)); err != nil {
				return fmt.Errorf("stage tracks: %w", err)
			}
			tag, err := tx.Exec(ctx, insertTracks)
			if err != nil {
				return fmt.Errorf("tracks: %w", err)
			}
			res.Stored = int(tag.RowsAffected())
			res.StoredDuplicates = len(s.tracks) - res.Stored
		}
		if len(s.dropped) > 0 {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"stage_dropped"}, droppedColumns, pgx.CopyFromRows(s.dropped)); err != nil {
				return fmt.Errorf("stage dropped: %w", err)
			}
			rows, err := tx.Query(ctx, insertDropped)
			if err != nil {
				return fmt.Errorf("dropped: %w", err)
			}
			reasons, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return fmt.Errorf("dropped: %w", err)
			}
			res.Dropped = len(reasons)
			res.DroppedDuplicates = len(s.dropped) - res.Dropped
			for _, r := range reasons {
				if res.DroppedBy == nil {
					res.DroppedBy = map[backoffice.DropReason]int{}
				}
				res.DroppedBy[backoffice.DropReason(r)]++
			}
		}
		return nil
	})
	return res, err
}

// applySensors applies the updates in order, sent to the server in one round trip (a pipeline).
func applySensors(ctx context.Context, tx pgx.Tx, us []backoffice.SensorUpdate) error {
	if len(us) == 0 {
		return nil
	}
	var q pgx.Batch
	var keys []backoffice.SensorKey
	for i := range us {
		u := &us[i]
		at := ms(u.At)
		ensure := ensureSensor
		if u.Live {
			ensure = seenSensor
		}
		q.Queue(ensure, u.Store, u.Sensor, at)
		keys = append(keys, u.SensorKey)
		payload := string(u.Payload)
		switch u.Kind {
		case backoffice.UpdateSeen:
			continue
		case backoffice.UpdateStatus:
			q.Queue(updateStatus, u.Store, u.Sensor, payload, u.State, int64(u.Birth), at)
		case backoffice.UpdatePrivacy:
			q.Queue(updatePrivacy, u.Store, u.Sensor, payload, u.State, at)
		case backoffice.UpdateStats:
			q.Queue(updateStats, u.Store, u.Sensor, payload, at)
		case backoffice.UpdateNotice:
			q.Queue(updateNotice, u.Store, u.Sensor, payload, u.NoticeHash, at, u.RetentionDays, u.AggregateRetentionDays)
		default:
			return fmt.Errorf("sensor %s: unknown update kind %d", u.SensorKey, u.Kind)
		}
		keys = append(keys, u.SensorKey)
	}
	res := tx.SendBatch(ctx, &q)
	for _, k := range keys {
		if _, err := res.Exec(); err != nil {
			res.Close()
			return fmt.Errorf("sensor %s: %w", k, err)
		}
	}
	return res.Close()
}
