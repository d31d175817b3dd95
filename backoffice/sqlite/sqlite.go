// Package sqlite is the back office's default Store: one SQLite database file in a data directory, through
// modernc.org/sqlite (pure Go, so the office builds with CGO_ENABLED=0).
//
// # Files and settings
//
// The data directory (created 0700) holds office.db (created 0600) and, while the office runs, SQLite's
// office.db-wal and office.db-shm, which inherit the file's permissions. Every connection is opened with
//
//	journal_mode=WAL        readers never block the collector's writes
//	synchronous=FULL        a commit is on disk before Write returns, so acknowledging a message after
//	                        it is safe even against a power cut
//	secure_delete=ON        deleted rows are overwritten with zeros in their pages
//	auto_vacuum=INCREMENTAL set before the first table exists; a database created without it is refused
//	temp_store=MEMORY       sorts and temporary tables never reach a file
//	busy_timeout=10000      waits, rather than fails, while another connection holds a lock
//
// # Deletion that cannot be undone
//
// Purge deletes in one transaction; secure_delete zeroes the deleted cells and the freed pages. That is not
// enough on its own: a B-tree rebalance can leave a stale copy of a cell in the unused gap of a page that
// stays in use, which secure_delete never revisits (the forensic test found a deleted track id there in
// about one run in forty). So when a purge deleted anything, it then runs VACUUM, which writes every page
// anew (its temporary copy is in memory: temp_store=MEMORY); then PRAGMA incremental_vacuum, checked to
// leave no free page; then PRAGMA wal_checkpoint(TRUNCATE), which copies the rewritten pages over the old
// ones in office.db and truncates the WAL, where older copies of deleted rows may sit, to zero bytes. The
// checkpoint is checked: it must not report that a reader blocked it (it is retried, each try waiting up
// to busy_timeout), and the WAL must be empty afterwards; otherwise Purge reports ErasurePending and the
// next purge tries again. The test plants marker bytes in tracks, purges them and searches every file of
// the data directory for them; with these settings off it finds them all.
//
// VACUUM costs time and memory in proportion to the database (see the README for measured figures), which
// is why the purge runs daily by default.
//
// What this does not cover: copies the operator makes (backups, file-system snapshots, replicas) and
// blocks the file system or an SSD's wear levelling keeps after a file shrinks. Keep backups inside the
// retention window, and put the data directory on an encrypted file system.
//
// # Migrations
//
// The schema is a numbered list of SQL files (migrations/NNNN_name.sql), embedded in the binary. Open applies
// the ones not yet recorded in schema_migrations, each in its own transaction, in order, and refuses a
// database whose schema is newer than the program.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"modernc.org/sqlite"

	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/backoffice/internal/migrate"
)

// FileName is the database file's name in the data directory.
const FileName = "office.db"

// Options configure Open. The zero value of each field means its default.
type Options struct {
	// Now is the clock for the store's own bookkeeping (migration times); nil means time.Now.
	Now func() time.Time
	// Logger receives what the store does (migrations, erasure); nil discards.
	Logger *slog.Logger
}

// DB is a Store on one SQLite file. Writes go through one connection; reads use a small pool of their own.
type DB struct {
	path    string
	now     func() time.Time
	log     *slog.Logger
	w, r    *sql.DB
	erasure bool // make deletions unrecoverable (false only in the forensic test's control run)
}

var _ backoffice.Store = (*DB)(nil)

// settings are the connection parameters of the office's database; see the package documentation.
const settings = "_busy_timeout=10000&_auto_vacuum=INCREMENTAL&_journal_mode=WAL&_synchronous=FULL" +
	"&_pragma=secure_delete(1)&_pragma=temp_store(MEMORY)&_txlock=immediate"

// Open opens (creating if needed) the database in dir and brings its schema up to date.
func Open(ctx context.Context, dir string, o Options) (*DB, error) {
	return open(ctx, dir, o, settings, true)
}

func open(ctx context.Context, dir string, o Options, dsnSettings string, erase bool) (*DB, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: data directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	// Create the file ourselves, so that it (and the -wal and -shm files, which copy its mode) is private.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	f.Close()
	db := &DB{path: path, now: o.Now, log: o.Logger, erasure: erase}
	dsn := "file:" + path + "?" + dsnSettings
	if db.w, err = openPool(dsn, 1); err != nil {
		return nil, err
	}
	if db.r, err = openPool(dsn+"&_query_only=1", 4); err != nil {
		db.w.Close()
		return nil, err
	}
	if err := db.init(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func openPool(dsn string, n int) (*sql.DB, error) {
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(0)
	return db, nil
}

// init checks the file's settings and applies the migrations.
func (db *DB) init(ctx context.Context) error {
	if db.erasure {
		var av, sd int
		if err := db.w.QueryRowContext(ctx, "PRAGMA auto_vacuum").Scan(&av); err != nil {
			return fmt.Errorf("sqlite: %s: %w", db.path, err)
		}
		if av != 2 {
			return fmt.Errorf("sqlite: %s was created without auto_vacuum=INCREMENTAL (it is %d), so deleted "+
				"tracks could stay in free pages; convert it once with: sqlite3 %s 'PRAGMA auto_vacuum=INCREMENTAL; VACUUM;'",
				db.path, av, db.path)
		}
		if err := db.w.QueryRowContext(ctx, "PRAGMA secure_delete").Scan(&sd); err != nil || sd != 1 {
			return fmt.Errorf("sqlite: secure_delete is not on (%d, %v)", sd, err)
		}
	}
	return db.migrate(ctx)
}

//go:embed migrations/*.sql
var migrations embed.FS

// loadMigrations returns the schema files embedded in the program, in order.
func loadMigrations() ([]migrate.Migration, error) {
	return migrate.Load(migrations, "migrations", "sqlite")
}

// SchemaVersion is the newest schema this program knows.
func SchemaVersion() int {
	ms, err := loadMigrations()
	if err != nil {
		panic("BUG: " + err.Error())
	}
	return len(ms)
}

func (db *DB) migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("sqlite: migrations table: %w", err)
	}
	var have int
	if err := db.w.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&have); err != nil {
		return fmt.Errorf("sqlite: schema version: %w", err)
	}
	if have > len(ms) {
		return fmt.Errorf("sqlite: %s has schema version %d, newer than this program's %d: run a newer ashiato-office",
			db.path, have, len(ms))
	}
	for _, m := range ms[have:] {
		err := db.tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?, ?, ?)",
				m.Version, m.Name, db.now().UnixMilli())
			return err
		})
		if err != nil {
			return fmt.Errorf("sqlite: migration %s: %w", m.Name, err)
		}
		db.log.Info("database schema migrated", "version", m.Version, "name", m.Name)
	}
	return nil
}

// tx runs f in a write transaction and commits it, or rolls it back when f fails.
func (db *DB) tx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Path is the database file.
func (db *DB) Path() string { return db.path }

// Ping checks that the database can be read.
func (db *DB) Ping(ctx context.Context) error {
	var n int
	if err := db.r.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	return nil
}

// Close closes both connection pools. SQLite checkpoints and removes the WAL when the last connection
// closes.
func (db *DB) Close() error {
	var errs []error
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	if db.w != nil {
		errs = append(errs, db.w.Close())
	}
	return errors.Join(errs...)
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func nullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}

// Erases reports whether Purge makes deleted rows unrecoverable from the files (always, except in the
// forensic test's control run): the privacy policy page states it.
func (db *DB) Erases() bool { return db.erasure }
