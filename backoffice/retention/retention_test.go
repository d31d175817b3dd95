package retention_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/backoffice/retention"
	"github.com/ashiato/ashiato/backoffice/sqlite"
)

func TestOnceClampsLoudlyAndLogs(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2030, 3, 4, 10, 0, 0, 0, time.UTC)
	a := backoffice.SensorKey{Store: "s", Sensor: "a"}
	b := backoffice.SensorKey{Store: "s", Sensor: "b"}
	tr := backoffice.Track{Store: "s", Sensor: "a", ID: "aa", Final: true, Space: "floor", W: 1, H: 1,
		Start: now.Add(-40 * 24 * time.Hour), Expires: now.Add(50 * 24 * time.Hour), Points: []backoffice.Point{{T: 0, X: 1, Y: 1}}}
	if _, err := db.Write(ctx, &backoffice.Batch{Sensors: []backoffice.SensorUpdate{
		{Kind: backoffice.UpdateNotice, SensorKey: a, At: now, RetentionDays: 30, NoticeHash: "h"},
		{Kind: backoffice.UpdateSeen, SensorKey: b, At: now},
	}, Tracks: []backoffice.Track{tr}}); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	j := &retention.Job{Store: db, Retention: backoffice.Retention{MaxDays: 365}, Logger: slog.New(slog.NewTextHandler(&log, nil))}
	reg := prometheus.NewRegistry()
	if err := j.Register(reg); err != nil {
		t.Fatal(err)
	}
	// A dry run deletes nothing and counts no run.
	rep, err := j.Once(ctx, now, true)
	if tracks, _ := rep.Total(); err != nil || tracks != 1 {
		t.Fatalf("dry run: %d, %v", tracks, err)
	}
	rep, err = j.Once(ctx, now, false)
	if tracks, _ := rep.Total(); err != nil || tracks != 1 || !rep.Erased {
		t.Fatalf("purge: %+v, %v", rep, err)
	}
	for _, want := range []string{"RETENTION CLAMPED", "sensor=s/a", "notice_days=30", "no notice received", "sensor=s/b"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
	mfs, _ := reg.Gather()
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			got[mf.GetName()] += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	if got["ashiato_office_purge_runs_total"] != 1 || got["ashiato_office_purge_rows_total"] != 1 ||
		got["ashiato_office_retention_clamped_sensors"] != 1 {
		t.Errorf("metrics: %v", got)
	}
}

// The purge also empties the inquiry desk of what has expired (or will before the next purge).
func TestOncePurgesInquiries(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2030, 3, 4, 10, 0, 0, 0, time.UTC)
	for _, exp := range []time.Duration{-time.Hour, 12 * time.Hour, 48 * time.Hour} {
		if _, err := db.AddInquiry(ctx, backoffice.Inquiry{Store: "s", Message: "m", Received: now.Add(-24 * time.Hour), Expires: now.Add(exp)}); err != nil {
			t.Fatal(err)
		}
	}
	j := &retention.Job{Store: db, Inquiries: db, Retention: backoffice.Retention{Margin: 24 * time.Hour}}
	if _, err := j.Once(ctx, now, true); err != nil {
		t.Fatal(err)
	}
	if qs, _ := db.Inquiries(ctx, ""); len(qs) != 3 {
		t.Fatalf("a dry run deleted inquiries: %d left", len(qs))
	}
	if _, err := j.Once(ctx, now, false); err != nil {
		t.Fatal(err)
	}
	if qs, _ := db.Inquiries(ctx, ""); len(qs) != 1 || !qs[0].Expires.Equal(now.Add(48*time.Hour)) {
		t.Errorf("left after the purge: %+v, want only the one expiring after the next purge", qs)
	}
}

// stuckPurge is a store with no sensors whose Purge waits for release.
type stuckPurge struct {
	backoffice.Store
	release chan struct{}
}

func (s stuckPurge) Sensors(context.Context) ([]backoffice.Sensor, error) { return nil, nil }

func (s stuckPurge) Purge(ctx context.Context, req backoffice.PurgeRequest) (backoffice.PurgeReport, error) {
	<-s.release
	return backoffice.PurgeReport{}, nil
}

// TestAliveWhileScheduled: the scheduled job is alive while it waits and during a purge up to MaxPurge; a
// purge that runs longer is taken as hung until it returns.
func TestAliveWhileScheduled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := stuckPurge{release: make(chan struct{})}
		j := &retention.Job{Store: s}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- j.Run(ctx, 24*time.Hour) }()
		synctest.Wait() // the first purge is under way
		if !j.Alive() {
			t.Fatal("a purge that just began is not alive")
		}
		time.Sleep(retention.MaxPurge - time.Second)
		if !j.Alive() {
			t.Fatal("a purge within MaxPurge is not alive")
		}
		time.Sleep(2 * time.Second)
		if j.Alive() {
			t.Fatal("a purge running longer than MaxPurge is alive")
		}
		s.release <- struct{}{}
		synctest.Wait() // waiting for the next purge
		if !j.Alive() {
			t.Fatal("a job waiting for its next purge is not alive")
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}
