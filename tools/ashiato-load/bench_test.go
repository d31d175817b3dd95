package main

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/backoffice/postgres"
	"github.com/ashiato/ashiato/backoffice/sqlite"
	"github.com/ashiato/ashiato/internal/mosquittotest"
	"github.com/ashiato/ashiato/internal/pgtest"
)

// chainTracksPerDay is the chain the figures are for: 3,000 stores with 4 sensors each, about 3,000
// tracks a sensor a day.
const chainTracksPerDay = 36e6

// benchStore is a store under benchmark.
type benchStore struct {
	name       string
	collectors []int // collector counts to run it with
	// open returns an empty store, and a function that measures the bytes its tracks take on disk, tables
	// and indexes together, once the benchmark has written them.
	open func(b *testing.B) (backoffice.Store, func() int64)
}

var benchStores = []benchStore{
	{name: "sqlite", collectors: []int{1}, open: openSQLite},
	{name: "postgres", collectors: []int{1, 2}, open: openPostgres},
}

// openPostgres starts a PostgreSQL server of the benchmark's own (internal/pgtest: PostgreSQL's default
// settings, fsync and synchronous_commit on).
func openPostgres(b *testing.B) (backoffice.Store, func() int64) {
	ctx := context.Background()
	c := pgtest.Start(b, pgtest.Options{})
	name := c.NewDatabase(b)
	db, err := postgres.Open(ctx, c.DSN(name), postgres.Options{Password: c.Password()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db, func() int64 {
		// Every leaf partition of tracks, with its indexes and TOAST.
		var n int64
		err := c.Connect(b, name).QueryRow(ctx, `SELECT coalesce(sum(pg_total_relation_size(relid)), 0)
			FROM pg_partition_tree('tracks') WHERE isleaf`).Scan(&n)
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
}

func openSQLite(b *testing.B) (backoffice.Store, func() int64) {
	dir := b.TempDir()
	db, err := sqlite.Open(context.Background(), dir, sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db, func() int64 {
		// dbstat gives every page of every table and index; the WAL is checkpointed into the file first.
		r, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName))
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		var n int64
		if _, err := r.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			b.Fatal(err)
		}
		err = r.QueryRow(`SELECT sum(pgsize) FROM dbstat WHERE name IN
			(SELECT name FROM sqlite_schema WHERE tbl_name = 'tracks')`).Scan(&n)
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
}

// BenchmarkLoad measures the office's collector end to end with the generator: real Mosquitto, the
// ingest collector(s) in this process (with fixed client ids in one share group when there are two),
// the store, b.N tracks.
//
//   - max: tracks only, published as fast as the broker takes them: the sustained rate is tracks/s,
//     from the first publish to the last commit.
//   - chain: the mix of a 3,000-store chain, 12,000 sensors each refreshing its status and stats every
//     10 s (2,400 messages/s) with tracks at the chain's daily average (417/s): the lag of a track from
//     its publication to its commit, p50 and p99.
//   - tracks-avg: the same tracks without the status and stats refreshes.
//
// Every sub-benchmark also reports the bytes a stored track takes (tables and indexes) and what the
// chain's 36 M tracks a day take. Run with a fixed count: -benchtime 20000x.
func BenchmarkLoad(b *testing.B) {
	modes := []struct {
		name string
		c    Config
	}{
		{"max", Config{Sensors: 400, Rate: 0}},
		{"chain", Config{Sensors: 12000, Rate: chainTracksPerDay / 86400, StatusEvery: 10 * time.Second}},
		{"tracks-avg", Config{Sensors: 12000, Rate: chainTracksPerDay / 86400}},
	}
	for _, s := range benchStores {
		for _, n := range s.collectors {
			for _, m := range modes {
				b.Run(fmt.Sprintf("%s/collectors=%d/%s", s.name, n, m.name), func(b *testing.B) {
					benchLoad(b, s, n, m.c)
				})
			}
		}
	}
}

func benchLoad(b *testing.B, s benchStore, collectors int, c Config) {
	broker := mosquittotest.Start(b, mosquittotest.Options{})
	db, size := s.open(b)
	store := newTimedStore(db)
	cols := startCollectors(b, broker.URL(), store, collectors)
	l := newLedger()
	c.Broker, c.Tracks, c.QoS, c.Published, c.Seed = broker.URL(), b.N, 1, l.add, 1
	// The tracks start once every collector has taken in the sensors' notice, privacy and status (and
	// the probe's status): the lags are those of a running office, not of its start.
	c.Started = func() {
		deadline := time.Now().Add(5 * time.Minute)
		for _, reg := range cols.regs {
			for counter(b, reg, "ashiato_office_messages_total", "", "") < float64(3*c.Sensors+1) {
				if time.Now().After(deadline) {
					b.Fatal("the collectors did not take in the sensors' retained messages in 5 min")
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		b.ResetTimer()
	}
	res, err := Run(context.Background(), c)
	if err != nil {
		b.Fatal(err)
	}
	waitCommitted(b, store, b.N, 10*time.Minute)
	b.StopTimer()
	cols.stop()
	if res.Acked != b.N {
		b.Fatalf("%d of %d tracks acknowledged", res.Acked, b.N)
	}
	lags := store.lags(l)
	first, last := time.Time{}, time.Time{}
	l.mu.Lock()
	for _, at := range l.sent {
		if first.IsZero() || at.Before(first) {
			first = at
		}
	}
	l.mu.Unlock()
	store.mu.Lock()
	for _, at := range store.at {
		if at.After(last) {
			last = at
		}
	}
	store.mu.Unlock()
	elapsed := last.Sub(first).Seconds()
	b.ReportMetric(float64(b.N)/elapsed, "tracks/s")
	b.ReportMetric(float64(b.N+res.Refresh)/elapsed, "msgs/s")
	b.ReportMetric(float64(quantile(lags, 0.5).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(quantile(lags, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(res.Bytes)/float64(b.N), "B-json/track")
	bytes := size()
	b.ReportMetric(float64(bytes)/float64(b.N), "B-stored/track")
	b.ReportMetric(float64(bytes)/float64(b.N)*chainTracksPerDay/1e9, "GB/chain-day")
	b.ReportMetric(float64(res.Behind.Microseconds())/1000, "behind-ms") // the generator itself late
	// How the collectors committed: the mean time of a batch's transaction and the rows in it.
	n, secs := histogram(b, cols.regs, "ashiato_office_batch_seconds")
	_, rows := histogram(b, cols.regs, "ashiato_office_batch_rows")
	if n > 0 {
		b.ReportMetric(secs/float64(n)*1000, "batch-ms")
		b.ReportMetric(rows/float64(n), "rows/batch")
	}
	b.ReportMetric(0, "ns/op")
}
