// Package backoffice is the domain of ashiato-office, the back office that receives the sensors' tracks,
// keeps them only as long as each sensor's notice promises, and deletes them irrecoverably.
//
// The layout follows the "standard package layout": this package holds the domain types (Track, Sensor,
// the purge plan and its report), the rules that need no database (minimising a track at the door, the
// retention a sensor's notice allows, the flags an operator must see) and the Store and AggregateStore
// interfaces. It imports
// only the standard library and the sensor's stdlib-only wire packages (agent/event, agent/minimise).
// One subpackage per dependency implements or uses it:
//
//	backoffice/sqlite     Store on SQLite (modernc.org/sqlite, pure Go), the default
//	backoffice/postgres   Store on PostgreSQL (pgx v5), for a chain: day partitions dropped whole
//	backoffice/storetest  the test suite every Store must pass
//	backoffice/internal/migrate  the numbering of both stores' versioned schema files
//	backoffice/ingest     the MQTT collector (paho): validate, minimise, batch, commit, then acknowledge
//	backoffice/retention  the purge job: the plan from the notices, run on a schedule or once
//	backoffice/watch      flags sensors an operator must look at
//	backoffice/analytics  the layout, the analysis of tracks into aggregates, and the query API of the
//	                      pages; pure Go over AggregateStore
//	backoffice/aggregator the job that keeps the aggregates up to date with the tracks
//	backoffice/http       the dashboard, the public pages and the signage, /healthz and /metrics
//	backoffice/cmd/ashiato-office  main: flags, the config file, and the wiring; nothing else
//
// Time is an input everywhere: nothing here calls time.Now, and the stores and jobs take a Now function.
package backoffice

import (
	"context"
	"errors"
)

// Store keeps tracks, dropped-track records, sensor state and the purge log. Implementations must pass
// storetest.Run. Methods are safe for concurrent use; Write and Purge may serialise with each other.
type Store interface {
	// Write commits the whole batch in one transaction, or nothing. Sensor updates are applied first, in
	// order, then tracks and dropped records. It is idempotent on (store, sensor, track, seg) across both
	// tables: a key already stored as a track or recorded as dropped is counted as a duplicate and
	// changes nothing. When Write returns nil, the batch is durable (it survives a crash of the process
	// and of the machine); only then may the caller acknowledge the messages it came from.
	Write(ctx context.Context, b *Batch) (WriteResult, error)

	// Sensors returns every sensor the store has heard of, sorted by store and id.
	Sensors(ctx context.Context) ([]Sensor, error)

	// Tracks calls fn for every kept track of q, in order of start time, stopping at fn's first error.
	Tracks(ctx context.Context, q TrackQuery, fn func(Track) error) error

	// Kept summarises what is kept per sensor (sensors with nothing kept are left out), sorted by store
	// and sensor.
	Kept(ctx context.Context) ([]Kept, error)

	// Purge deletes what req says has expired, logs one purge run (unless req.DryRun), and then makes the
	// deleted rows unrecoverable from the store's files. A nil error means the deletion is committed and
	// erased; an error wrapping ErrErasurePending means it is committed and logged, but the store could
	// not yet erase it from its files (report.Erasure says why), and the next purge retries.
	Purge(ctx context.Context, req PurgeRequest) (PurgeReport, error)

	// PurgeRuns returns the latest purge runs, newest first, at most limit (0 means all).
	PurgeRuns(ctx context.Context, limit int) ([]PurgeRun, error)

	// Ping checks that the store can be read.
	Ping(ctx context.Context) error

	// Close releases the store. Nothing may be called after it.
	Close() error
}

// ErrErasurePending is wrapped by Purge's error when rows were deleted but their bytes may still be in the
// store's files.
var ErrErasurePending = errors.New("deleted rows not yet erased from the files")
