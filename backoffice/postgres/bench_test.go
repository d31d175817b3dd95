package postgres_test

import (
	"testing"
	"time"

	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/backoffice/postgres"
	"github.com/ashiato/ashiato/backoffice/storetest"
	"github.com/ashiato/ashiato/internal/pgtest"
)

func benchDB(b *testing.B) (*postgres.DB, *pgtest.Cluster, string) {
	c := pgtest.Start(b, pgtest.Options{})
	name := c.NewDatabase(b)
	db, err := postgres.Open(ctx, c.DSN(name), postgres.Options{Password: c.Password(), Location: time.UTC})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db, c, name
}

// BenchmarkWrite is the store alone: batches of 100 minimised 2-minute tracks, one transaction each, on a
// server on the same machine.
func BenchmarkWrite(b *testing.B) {
	db, _, _ := benchDB(b)
	k := backoffice.SensorKey{Store: "store-1", Sensor: "cam"}
	start := time.Now()
	b.ResetTimer()
	for n := range b.N {
		batch := backoffice.Batch{Sensors: []backoffice.SensorUpdate{{Kind: backoffice.UpdateSeen, SensorKey: k, At: start, Live: true}}}
		for i := range 100 {
			batch.Tracks = append(batch.Tracks, storetest.MinimisedTrack(k, n*100+i, start))
		}
		if _, err := db.Write(ctx, &batch); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "tracks/s")
}

// BenchmarkPurge is one daily purge of a store keeping 90 days of 1000 tracks a day (90 000 minimised
// 2-minute tracks): it detaches and drops the oldest day's partition. The time is per purge; bytes/track
// is the size of the tracks table (heap, TOAST and indexes of every partition) per track.
func BenchmarkPurge(b *testing.B) {
	db, c, name := benchDB(b)
	k := backoffice.SensorKey{Store: "store-1", Sensor: "cam"}
	now := time.Date(2030, 3, 4, 12, 0, 0, 0, time.UTC)
	notice := backoffice.SensorUpdate{Kind: backoffice.UpdateNotice, SensorKey: k, At: now, RetentionDays: 90, NoticeHash: "h"}
	id := 0
	day := func(d int) {
		batch := backoffice.Batch{Sensors: []backoffice.SensorUpdate{notice}}
		for range 1000 {
			batch.Tracks = append(batch.Tracks, storetest.MinimisedTrack(k, id, now.Add(-time.Duration(d)*24*time.Hour)))
			id++
		}
		if _, err := db.Write(ctx, &batch); err != nil {
			b.Fatal(err)
		}
	}
	for d := range 90 {
		day(d + 1)
	}
	var size int64
	if err := c.Connect(b, name).QueryRow(ctx, `SELECT sum(pg_total_relation_size(c.oid))::bigint FROM pg_class c
	WHERE c.relname LIKE 'tracks\_c%\_d%' AND c.relkind = 'r'`).Scan(&size); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for n := range b.N {
		b.StopTimer()
		day(90 - n)
		b.StartTimer()
		ss, err := db.Sensors(ctx)
		if err != nil {
			b.Fatal(err)
		}
		rep, err := db.Purge(ctx, backoffice.Retention{}.Plan(now.Add(time.Duration(n)*24*time.Hour), ss))
		if err != nil {
			b.Fatal(err)
		}
		if tr, _ := rep.Total(); tr == 0 {
			b.Fatal("nothing purged")
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(size)/1e6, "MB")
	b.ReportMetric(float64(size)/90000, "bytes/track")
}
