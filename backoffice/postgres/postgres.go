// Package postgres is the back office's Store on a PostgreSQL server (15 or later), through pgx v5: the
// store of a chain of shops, which several collectors share.
//
// # Partitions
//
// tracks and dropped are partitioned by LIST on class, then by RANGE on day (see migrations/0001_tracks.sql).
// A track's day is the calendar day of its start in the office's one time zone (analytics.timezone), and
// its class the whole days from the start of that day to its Expires, at least 1. Both come from the track
// itself, so a redelivery lands in the same leaf; the primary key is (store, sensor, track, seg, day, class).
// A dropped record knows only the UTC day its track started, so its days are UTC days.
//
// Leaves are created ahead of time (today and the next AheadDays days of every class in use, at Open and at
// every purge) and on demand for a row that arrives early or late.
//
// # Ingest
//
// Write takes a transaction-scoped advisory lock per sensor of the batch, in the order of the lock keys,
// so two collectors writing the same sensors serialise instead of deadlocking; copies the batch into
// temporary stage tables with COPY; and inserts from them with INSERT … ON CONFLICT DO NOTHING, skipping
// keys already stored in the other table or in another class of the same day. One transaction per batch.
//
// # Retention
//
// Purge never deletes track or dropped rows. Under a session advisory lock (two collectors' purges do
// not race), it:
//
//   - detaches every leaf whose first day plus its class is not after the purge's horizon with ALTER TABLE
//     … DETACH PARTITION … CONCURRENTLY (outside a transaction: writers and readers of other leaves go on),
//     then, in one transaction with the purge log, drops it. A leaf goes as a whole when its earliest
//     promise ends, so its tracks are deleted up to one day (plus the purge margin) before their own
//     promise ends, and never after it. A sensor promising fewer days than another has leaves of its own
//     class, so a short promise is never held to a long one's schedule;
//   - rewrites a leaf that still holds rows that must already go (a notice or the office's limit became
//     shorter after they were stored): under an exclusive lock of the class, the rows to keep are copied
//     out, the leaf is truncated (TRUNCATE gives it new files; the old ones are truncated at commit and
//     unlinked at the next checkpoint) and the kept rows copied back;
//   - deletes the aggregates as the SQLite store does (they hold no track ids);
//   - asks for a CHECKPOINT (a superuser or a member of pg_checkpoint may), so the old files are unlinked
//     now rather than at the next timed checkpoint.
//
// What this does not cover: the deleted rows stay in pg_wal until its segments are recycled and
// overwritten, in WAL archives, in base backups and on replicas (see the README for what an operator must
// do, and for the measured delay), and in blocks the file system frees.
//
// # Migrations
//
// The schema is a numbered list of SQL files (migrations/NNNN_name.sql), embedded in the binary. Open applies
// the ones not yet recorded in schema_migrations, each in its own transaction, under an advisory lock (two
// collectors may start at once), and refuses a database whose schema is newer than the program.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/backoffice/internal/migrate"
)

// Options configure Open. The zero value of each field means its default.
type Options struct {
	// Password is the database password; "" means the one libpq's rules find (the DSN, PGPASSWORD,
	// PGPASSFILE or ~/.pgpass). It is never logged.
	Password string
	// Location is the office's time zone: a track's day, and so its partition, is the day of its start
	// there. nil means UTC.
	Location *time.Location
	// AheadDays is how many days after today get their partitions ahead of time; 0 means DefaultAheadDays.
	AheadDays int
	// MaxConns bounds the connection pool; 0 means DefaultMaxConns.
	MaxConns int
	// Now is the clock of the store's own bookkeeping (migration times, which days are "today"); nil means
	// time.Now.
	Now func() time.Time
	// Logger receives what the store does (migrations, partitions, erasure); nil discards.
	Logger *slog.Logger
}

// Defaults of Options.
const (
	DefaultAheadDays = 2
	DefaultMaxConns  = 8
)

// DB is a Store on a PostgreSQL database.
type DB struct {
	pool  *pgxpool.Pool
	loc   *time.Location
	ahead int
	now   func() time.Time
	log   *slog.Logger
	where string // host:port/database, for messages (no password)

	mu       sync.Mutex
	leaves   map[leafKey]bool // leaves known to exist
	inserted map[leafKey]int  // rows this store staged for each leaf, for analyzeNew
}

var (
	_ backoffice.Store          = (*DB)(nil)
	_ backoffice.AggregateStore = (*DB)(nil)
	_ backoffice.InquiryStore   = (*DB)(nil)
)

// Open connects to the database of dsn (a postgres:// URL or key=value string, without a password),
// brings its schema up to date and creates the partitions of the coming days.
func Open(ctx context.Context, dsn string, o Options) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's message may quote the DSN; it holds no password when the configuration rules are kept.
		return nil, fmt.Errorf("postgres: dsn: %w", err)
	}
	if o.Password != "" {
		cfg.ConnConfig.Password = o.Password
	}
	if cfg.ConnConfig.RuntimeParams == nil {
		cfg.ConnConfig.RuntimeParams = map[string]string{}
	}
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = "ashiato-office"
	}
	cfg.MaxConns = int32(DefaultMaxConns)
	if o.MaxConns > 0 {
		cfg.MaxConns = int32(o.MaxConns)
	}
	cfg.AfterConnect = createStages
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.AheadDays <= 0 {
		o.AheadDays = DefaultAheadDays
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	db := &DB{loc: o.Location, ahead: o.AheadDays, now: o.Now, log: o.Logger, leaves: map[leafKey]bool{}, inserted: map[leafKey]int{},
		where: fmt.Sprintf("%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)}
	if db.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", db.where, err)
	}
	if err := db.pool.Ping(ctx); err != nil {
		db.pool.Close()
		return nil, fmt.Errorf("postgres: %s: %w", db.where, err)
	}
	if err := db.migrate(ctx, 0); err != nil {
		db.pool.Close()
		return nil, err
	}
	if err := db.createAhead(ctx); err != nil {
		db.pool.Close()
		return nil, err
	}
	return db, nil
}

// createStages makes the connection's temporary stage tables, into which Write copies a batch. Their rows
// are deleted at every commit.
func createStages(ctx context.Context, c *pgx.Conn) error {
	_, err := c.Exec(ctx, `
CREATE TEMP TABLE stage_tracks (
    ord integer, store text, sensor text, track text, seg integer, day date, class integer, final boolean,
    space text, w integer, h integer, start_ms bigint, duration_ms bigint, n_points integer,
    entry_x double precision, entry_y double precision, exit_x double precision, exit_y double precision,
    minimised boolean, expires_ms bigint, points bytea
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE stage_dropped (
    ord integer, store text, sensor text, track text, seg integer, day date, class integer, reason text,
    expires_ms bigint
) ON COMMIT DELETE ROWS`)
	if err != nil {
		return fmt.Errorf("postgres: stage tables: %w", err)
	}
	return nil
}

//go:embed migrations/*.sql
var migrations embed.FS

// loadMigrations returns the schema files embedded in the program, in order.
func loadMigrations() ([]migrate.Migration, error) {
	return migrate.Load(migrations, "migrations", "postgres")
}

// SchemaVersion is the newest schema this program knows.
func SchemaVersion() int {
	ms, err := loadMigrations()
	if err != nil {
		panic("BUG: " + err.Error())
	}
	return len(ms)
}

// Advisory lock keys: the first number of the two-key form names the purpose, so the store's locks do not
// collide with another application's in the same database.
const (
	lockSpace     = 0x61736869 // "ashi"
	lockMigrate   = 1
	lockPurge     = 2
	lockPartition = 3
	sensorSpace   = 0x73656e73 // "sens": the second key is a hash of the sensor
)

// migrate applies the migrations up to version upTo (0: all) under a session advisory lock.
func (db *DB) migrate(ctx context.Context, upTo int) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	if upTo > 0 {
		ms = ms[:upTo]
	}
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", db.where, err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1, $2)", lockSpace, lockMigrate); err != nil {
		return fmt.Errorf("postgres: migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1, $2)", lockSpace, lockMigrate)
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_ms bigint NOT NULL)`); err != nil {
		return fmt.Errorf("postgres: %s: migrations table: %w", db.where, err)
	}
	var have int
	if err := conn.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&have); err != nil {
		return fmt.Errorf("postgres: schema version: %w", err)
	}
	if all := SchemaVersion(); have > all {
		return fmt.Errorf("postgres: %s has schema version %d, newer than this program's %d: run a newer ashiato-office",
			db.where, have, all)
	}
	for _, m := range ms[min(have, len(ms)):] {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name, applied_ms) VALUES ($1, $2, $3)",
				m.Version, m.Name, db.now().UnixMilli())
			return err
		})
		if err != nil {
			return fmt.Errorf("postgres: migration %s: %w", m.Name, err)
		}
		db.log.Info("database schema migrated", "version", m.Version, "name", m.Name)
	}
	return nil
}

// Ping checks that the database can be read.
func (db *DB) Ping(ctx context.Context) error {
	var n int
	if err := db.pool.QueryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}

// Close closes the connection pool.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Erases reports whether Purge makes deleted rows unrecoverable from the database's files (it always
// does: whole partitions are dropped). The privacy policy page states it.
func (db *DB) Erases() bool { return true }

// Where is the server and database, host:port/database, for logs and pages (never the password).
func (db *DB) Where() string { return db.where }

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func nullMS(v *int64) time.Time {
	if v == nil {
		return time.Time{}
	}
	return fromMS(*v)
}

// isNoPartition reports a row for which no leaf exists (SQLSTATE 23514, "no partition of relation … found
// for row"): a leaf the purge dropped since it was last seen.
func isNoPartition(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23514" && strings.HasPrefix(pe.Message, "no partition of relation")
}

// CheckDSN reports what is wrong with dsn for Open: not a postgres:// URL or key=value string, or one that
// carries a password (it belongs in a file or the environment, not in a configuration file). The error
// does not quote dsn.
func CheckDSN(dsn string) error {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return errors.New("not a valid postgres:// URL")
		}
		if _, ok := u.User.Password(); ok {
			return errPasswordInDSN
		}
		if u.Query().Has("password") {
			return errPasswordInDSN
		}
	} else if strings.Contains(dsn, "password=") {
		return errPasswordInDSN
	}
	if _, err := pgconn.ParseConfig(dsn); err != nil {
		return fmt.Errorf("not a PostgreSQL connection string (want postgres://USER@HOST:PORT/DATABASE): %w", err)
	}
	return nil
}

var errPasswordInDSN = errors.New("a password in the DSN is refused: put it in store.password_file, or in PGPASSWORD or a PGPASSFILE")
