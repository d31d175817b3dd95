package postgres

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// The two partitioned tables.
const (
	kindTracks  = "tracks"
	kindDropped = "dropped"
)

// day is one retention day: 24 hours, whatever the calendar, as backoffice.Retention counts them.
const day = 24 * time.Hour

// maxClass bounds a row's class: no notice promises 27 years.
const maxClass = 9999

// leafKey names one leaf: a table of kind holding the rows of one class and one day.
type leafKey struct {
	kind  string
	class int
	// day is the calendar day, as midnight UTC of that date (whatever the zone it is a day of).
	day time.Time
}

func (k leafKey) name() string {
	return fmt.Sprintf("%s_d%s", k.parent(), k.day.Format("20060102"))
}

func (k leafKey) parent() string { return fmt.Sprintf("%s_c%04d", k.kind, k.class) }

var leafName = regexp.MustCompile(`^(tracks|dropped)_c([0-9]{4})_d([0-9]{8})$`)

// parseLeaf reads a leaf's name back into its key.
func parseLeaf(name string) (leafKey, bool) {
	m := leafName.FindStringSubmatch(name)
	if m == nil {
		return leafKey{}, false
	}
	class, _ := strconv.Atoi(m[2])
	d, err := time.Parse("20060102", m[3])
	if err != nil {
		return leafKey{}, false
	}
	return leafKey{kind: m[1], class: class, day: d}, true
}

// calendarDay is the date of t in loc, as midnight UTC of that date.
func calendarDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// dayStart is the instant the calendar day d begins in loc (its midnight there; on a day that begins with
// a DST change, the first instant of the day).
func dayStart(d time.Time, loc *time.Location) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
}

// zone is the time zone of kind's days: the office's for tracks, UTC for dropped records (they know only
// the UTC day of their track).
func (db *DB) zone(kind string) *time.Location {
	if kind == kindDropped {
		return time.UTC
	}
	return db.loc
}

// classOf is the class of a row of day (starting at start) that expires at expires: the whole days from
// start to expires, at least 1.
func classOf(start, expires time.Time) int {
	c := int(expires.Sub(start) / day)
	return max(1, min(c, maxClass))
}

// due reports whether leaf k's earliest promise has ended by horizon: every row in it expires at or after
// the start of its day plus its class.
func (db *DB) due(k leafKey, horizon time.Time) bool {
	return !dayStart(k.day, db.zone(k.kind)).Add(time.Duration(k.class) * day).After(horizon)
}

// ensure creates the leaves of keys that do not exist yet (with their class's table when needed), under a
// session advisory lock, so that two collectors do not create the same table at once. Each CREATE is a
// transaction of its own: creating a partition takes an ACCESS EXCLUSIVE lock on its parent, and a
// transaction that held one parent's lock while it waited for another's (tracks and dropped, or two
// classes) would deadlock with a batch or a reader that holds those parents in the other order.
func (db *DB) ensure(ctx context.Context, keys []leafKey) error {
	db.mu.Lock()
	var missing []leafKey
	for _, k := range keys {
		if !db.leaves[k] && !slices.Contains(missing, k) {
			missing = append(missing, k)
		}
	}
	db.mu.Unlock()
	if len(missing) == 0 {
		return nil
	}
	slices.SortFunc(missing, func(a, b leafKey) int { return compareLeaves(a, b) })
	err := func() error {
		conn, err := db.pool.Acquire(ctx)
		if err != nil {
			return err
		}
		defer conn.Release()
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1, $2)", lockSpace, lockPartition); err != nil {
			return err
		}
		defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1, $2)", lockSpace, lockPartition)
		var attached []string
		if err := queryStrings(ctx, conn, &attached, `SELECT c.relname::text FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY($1)`, leafNames(missing)); err != nil {
			return err
		}
		for _, k := range missing {
			if slices.Contains(attached, k.name()) {
				continue
			}
			if _, err := conn.Exec(ctx, fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s PARTITION OF %s FOR VALUES IN (%d) PARTITION BY RANGE (day)`,
				k.parent(), k.kind, k.class)); err != nil {
				return fmt.Errorf("%s: %w", k.parent(), err)
			}
			if _, err := conn.Exec(ctx, fmt.Sprintf(`CREATE TABLE %s PARTITION OF %s FOR VALUES FROM ('%s') TO ('%s')`,
				k.name(), k.parent(), k.day.Format(time.DateOnly), k.day.AddDate(0, 0, 1).Format(time.DateOnly))); err != nil {
				return fmt.Errorf("%s: %w", k.name(), err)
			}
			db.log.Debug("partition created", "table", k.name())
		}
		return nil
	}()
	if err != nil {
		return fmt.Errorf("postgres: partitions: %w", err)
	}
	db.mu.Lock()
	for _, k := range missing {
		db.leaves[k] = true
	}
	db.mu.Unlock()
	return nil
}

func leafNames(ks []leafKey) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.name()
	}
	return out
}

func compareLeaves(a, b leafKey) int {
	if a.kind != b.kind {
		if a.kind < b.kind {
			return -1
		}
		return 1
	}
	if a.class != b.class {
		return a.class - b.class
	}
	return a.day.Compare(b.day)
}

// forget drops the cache of existing leaves (after a purge dropped some, or an insert found one missing).
func (db *DB) forget() {
	db.mu.Lock()
	clear(db.leaves)
	clear(db.inserted)
	db.mu.Unlock()
}

// createAhead creates the leaves of today and the next AheadDays days for every class in use: those that
// have tables, and those of the retention the sensors' notices promise (1 for a sensor without one).
func (db *DB) createAhead(ctx context.Context) error {
	var classes []int
	rows, err := db.pool.Query(ctx, `SELECT DISTINCT substring(c.relname from '_c([0-9]+)$')::int FROM pg_class c
	JOIN pg_inherits i ON i.inhrelid = c.oid JOIN pg_class p ON p.oid = i.inhparent
	WHERE p.relname IN ('tracks', 'dropped') AND c.relnamespace = current_schema()::regnamespace
	UNION SELECT DISTINCT greatest(coalesce(retention_days, 1), 1) FROM sensors`)
	if err != nil {
		return fmt.Errorf("postgres: partitions ahead: %w", err)
	}
	classes, err = pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return fmt.Errorf("postgres: partitions ahead: %w", err)
	}
	now := db.now()
	var keys []leafKey
	for _, c := range classes {
		c = max(1, min(c, maxClass))
		for _, kind := range []string{kindTracks, kindDropped} {
			today := calendarDay(now, db.zone(kind))
			for i := 0; i <= db.ahead; i++ {
				keys = append(keys, leafKey{kind: kind, class: c, day: today.AddDate(0, 0, i)})
			}
		}
	}
	return db.ensure(ctx, keys)
}

// leaf is one existing leaf.
type leaf struct {
	leafKey
	// detached: the leaf is no longer (or is being no longer) a partition: a purge detached it and stopped
	// before dropping it.
	detached, pending bool
}

// listLeaves returns every leaf of both tables, attached, being detached or detached, sorted.
func (db *DB) listLeaves(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}) ([]leaf, error) {
	rows, err := q.Query(ctx, `SELECT c.relname::text, NOT c.relispartition, coalesce(i.inhdetachpending, false)
	FROM pg_class c LEFT JOIN pg_inherits i ON i.inhrelid = c.oid
	WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'
	AND c.relname ~ '^(tracks|dropped)_c[0-9]{4}_d[0-9]{8}$'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []leaf
	for rows.Next() {
		var name string
		var l leaf
		if err := rows.Scan(&name, &l.detached, &l.pending); err != nil {
			return nil, err
		}
		k, ok := parseLeaf(name)
		if !ok {
			continue
		}
		l.leafKey = k
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b leaf) int { return compareLeaves(a.leafKey, b.leafKey) })
	return out, nil
}

func queryStrings(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, dst *[]string, sql string, args ...any) error {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	*dst, err = pgx.CollectRows(rows, pgx.RowTo[string])
	return err
}
