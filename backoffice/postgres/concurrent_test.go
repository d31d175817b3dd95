package postgres_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/backoffice/postgres"
	"github.com/ashiato/ashiato/internal/pgtest"
)

// TestTwoCollectors has two stores on one database (two collectors) write overlapping batches at once:
// the same sensors in opposite orders, each track delivered to both (as with two brokers), while both run
// purges. No write fails (no deadlock), and every track is stored exactly once.
func TestTwoCollectors(t *testing.T) {
	c := pgtest.Start(t, pgtest.Options{})
	name := c.NewDatabase(t)
	open := func() *postgres.DB {
		db, err := postgres.Open(ctx, c.DSN(name), postgres.Options{Password: c.Password(), Location: time.UTC})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	dbs := []*postgres.DB{open(), open()}
	var sensors []backoffice.SensorKey
	for i := range 64 {
		sensors = append(sensors, backoffice.SensorKey{Store: "s", Sensor: fmt.Sprintf("n%d", i)})
	}
	now := time.Date(2030, 3, 4, 10, 0, 0, 0, time.UTC)
	const rounds = 30
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for w, db := range dbs {
		order := slices.Clone(sensors)
		if w == 1 {
			slices.Reverse(order)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				var b backoffice.Batch
				for _, k := range order {
					b.Sensors = append(b.Sensors, backoffice.SensorUpdate{Kind: backoffice.UpdateSeen, SensorKey: k, At: now, Live: true})
					b.Tracks = append(b.Tracks, mkTrack(k, fmt.Sprintf("t%03d", r), now.Add(time.Duration(r)*time.Minute), 30))
				}
				if _, err := db.Write(ctx, &b); err != nil {
					errs <- fmt.Errorf("collector %d, round %d: %w", w, r, err)
					return
				}
				if r%10 == 0 {
					ss, err := db.Sensors(ctx)
					if err == nil {
						_, err = db.Purge(ctx, backoffice.Retention{}.Plan(now, ss))
					}
					if err != nil {
						errs <- fmt.Errorf("collector %d, purge: %w", w, err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	kept, err := dbs[0].Kept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(kept) != len(sensors) {
		t.Fatalf("Kept: %+v", kept)
	}
	for _, k := range kept {
		if k.Tracks != rounds {
			t.Errorf("%s keeps %d tracks, want %d (each once)", k.SensorKey, k.Tracks, rounds)
		}
	}
}
