// Package retention is the purge job: it plans a purge from the sensors' notices and the office's own limit
// (backoffice.Retention), has the store delete and erase, logs the result and counts it. The scheduled job
// (Run) and the one-off `ashiato-office purge` run the same Once.
package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ashiato/ashiato/backoffice"
)

// DefaultInterval is how often the scheduled purge runs. Each purge rewrites the database (see package
// backoffice/sqlite), so it runs daily; with Margin equal to the interval, a track is deleted up to a day
// before its promise ends, never after.
const DefaultInterval = 24 * time.Hour

// Job runs purges against a store.
type Job struct {
	Store     backoffice.Store
	Retention backoffice.Retention
	// Inquiries, when set, has its expired inquiries (the inquiry desk's) deleted by every purge, with the
	// same margin as tracks; nil means the desk is off.
	Inquiries backoffice.InquiryStore
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives the job's log; nil discards.
	Logger *slog.Logger

	m       *metrics
	purging atomic.Int64 // when the scheduled purge under way began (Unix ns); 0 means none
}

// MaxPurge is how long a scheduled purge may run before Alive takes it as hung. A purge rewrites the
// database (secure delete, incremental vacuum): tens of seconds for a large file, far below this.
const MaxPurge = time.Hour

type metrics struct {
	runs, failures prometheus.Counter
	rows           *prometheus.CounterVec
	clamped        prometheus.Gauge
	last           prometheus.Gauge
}

// Register registers the job's metrics with reg.
func (j *Job) Register(reg prometheus.Registerer) error {
	j.m = &metrics{
		runs: prometheus.NewCounter(prometheus.CounterOpts{Name: "ashiato_office_purge_runs_total",
			Help: "Purges run (scheduled or by command)."}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "ashiato_office_purge_failures_total",
			Help: "Purges that failed, or whose erasure is pending (retried at the next purge)."}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ashiato_office_purge_rows_total",
			Help: "Rows deleted by purges, by table."}, []string{"table"}),
		clamped: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ashiato_office_retention_clamped_sensors",
			Help: "Sensors whose notice promises less than the office's retention.max_days (the notice wins)."}),
		last: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ashiato_office_purge_last_success_timestamp_seconds",
			Help: "When the last purge completed, erasure included."}),
	}
	j.m.rows.WithLabelValues("tracks")
	j.m.rows.WithLabelValues("dropped")
	var errs []error
	for _, c := range []prometheus.Collector{j.m.runs, j.m.failures, j.m.rows, j.m.clamped, j.m.last} {
		errs = append(errs, reg.Register(c))
	}
	return errors.Join(errs...)
}

func (j *Job) log() *slog.Logger {
	if j.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return j.Logger
}

func (j *Job) now() time.Time {
	if j.Now == nil {
		return time.Now()
	}
	return j.Now()
}

// Once runs one purge as if at now. It warns, for every sensor, when the office's own limit is longer than
// what the sensor's notice promises, and when a sensor's notice is unknown.
func (j *Job) Once(ctx context.Context, now time.Time, dryRun bool) (backoffice.PurgeReport, error) {
	sensors, err := j.Store.Sensors(ctx)
	if err != nil {
		return backoffice.PurgeReport{}, fmt.Errorf("retention: %w", err)
	}
	req := j.Retention.Plan(now, sensors)
	req.DryRun = dryRun
	clamped := 0
	for _, l := range req.Limits {
		switch {
		case l.NoNotice:
			j.log().Warn("no notice received from this sensor: its tracks are kept for the shortest retention",
				"sensor", l.SensorKey.String(), "days", l.Days)
		case l.Clamped:
			clamped++
			j.log().Warn("RETENTION CLAMPED: retention.max_days is longer than this sensor's notice promises shoppers; "+
				"its tracks are deleted after the notice's days. Lower retention.max_days or fix the notice.",
				"sensor", l.SensorKey.String(), "max_days", j.Retention.MaxDays, "notice_days", l.Days)
		}
	}
	var inqErr error
	if j.Inquiries != nil && !dryRun {
		n, err := j.Inquiries.PurgeInquiries(ctx, req.Horizon)
		if j.m != nil {
			j.m.rows.WithLabelValues("inquiries").Add(float64(n))
		}
		if err != nil {
			inqErr = fmt.Errorf("retention: inquiries: %w", err)
			j.log().Error("purging the inquiry desk failed", "err", err, "deleted", n)
		} else if n > 0 {
			j.log().Info("inquiries purged", "deleted", n)
		}
	}
	rep, err := j.Store.Purge(ctx, req)
	err = errors.Join(err, inqErr)
	if j.m != nil && !dryRun {
		j.m.runs.Inc()
		j.m.clamped.Set(float64(clamped))
		tracks, dropped := rep.Total()
		j.m.rows.WithLabelValues("tracks").Add(float64(tracks))
		j.m.rows.WithLabelValues("dropped").Add(float64(dropped))
		if err != nil {
			j.m.failures.Inc()
		} else {
			j.m.last.Set(float64(j.now().Unix()))
		}
	}
	tracks, dropped := rep.Total()
	if err != nil {
		j.log().Error("purge failed", "err", err, "tracks", tracks, "dropped", dropped)
		return rep, fmt.Errorf("retention: %w", err)
	}
	j.log().Info("purge done", "dry_run", dryRun, "tracks", tracks, "dropped", dropped, "erasure", rep.Erasure)
	return rep, nil
}

// Run purges now and then every interval until ctx ends. A failed purge is logged, counted and retried
// after RetryAfter; it does not stop the office.
func (j *Job) Run(ctx context.Context, interval time.Duration) error {
	for {
		wait := interval
		j.purging.Store(time.Now().UnixNano())
		_, err := j.Once(ctx, j.now(), false)
		j.purging.Store(0)
		if err != nil && ctx.Err() == nil {
			wait = min(RetryAfter, interval)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// Alive reports whether the scheduled job is making progress: it waits for its next purge, or it is in a
// purge that began less than MaxPurge ago.
func (j *Job) Alive() bool {
	began := j.purging.Load()
	return began == 0 || time.Since(time.Unix(0, began)) < MaxPurge
}

// RetryAfter is how soon a failed purge is retried.
const RetryAfter = 5 * time.Minute
