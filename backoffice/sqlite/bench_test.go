package sqlite_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/backoffice/sqlite"
	"github.com/ashiato/ashiato/backoffice/storetest"
)

// BenchmarkWrite is the store alone: batches of 100 minimised 2-minute tracks, one transaction each.
func BenchmarkWrite(b *testing.B) {
	db, err := sqlite.Open(context.Background(), b.TempDir(), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	k := backoffice.SensorKey{Store: "store-1", Sensor: "cam"}
	start := time.Now()
	b.ResetTimer()
	for n := range b.N {
		batch := backoffice.Batch{Sensors: []backoffice.SensorUpdate{{Kind: backoffice.UpdateSeen, SensorKey: k, At: start, Live: true}}}
		for i := range 100 {
			batch.Tracks = append(batch.Tracks, storetest.MinimisedTrack(k, n*100+i, start))
		}
		if _, err := db.Write(context.Background(), &batch); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "tracks/s")
}

// BenchmarkPurge is one daily purge of a store keeping 90 days of 1000 tracks a day (90 000 minimised
// 2-minute tracks): it deletes the oldest day and rewrites the database (VACUUM) so that nothing of it
// survives. The time is per purge; MB is the database's size.
func BenchmarkPurge(b *testing.B) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, b.TempDir(), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	k := backoffice.SensorKey{Store: "store-1", Sensor: "cam"}
	now := time.Date(2030, 3, 4, 12, 0, 0, 0, time.UTC)
	notice := backoffice.SensorUpdate{Kind: backoffice.UpdateNotice, SensorKey: k, At: now, RetentionDays: 90, NoticeHash: "h"}
	id := 0
	day := func(d int) {
		batch := backoffice.Batch{Sensors: []backoffice.SensorUpdate{notice}}
		for range 1000 {
			tr := storetest.MinimisedTrack(k, id, now.Add(-time.Duration(d)*24*time.Hour))
			tr.Expires = tr.Start.Add(90 * 24 * time.Hour)
			batch.Tracks = append(batch.Tracks, tr)
			id++
		}
		if _, err := db.Write(ctx, &batch); err != nil {
			b.Fatal(err)
		}
	}
	for d := range 90 {
		day(d + 1)
	}
	st, _ := os.Stat(db.Path())
	b.ResetTimer()
	for n := range b.N {
		b.StopTimer()
		day(90 - n) // the day that the purge at now+n days removes... kept full
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
	b.ReportMetric(float64(st.Size())/1e6, "MB")
	b.ReportMetric(float64(st.Size())/90000, "bytes/track")
}
