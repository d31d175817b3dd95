// Package aggregator keeps the analytics aggregates up to date with the stored tracks: a periodic job
// that finds the units (one sensor's tracks of one UTC hour, see backoffice/analytics) whose tracks or
// layout changed since they were computed, recomputes them from the raw tracks still kept, and leaves
// alone those whose tracks the purge has begun to delete, so that the aggregates outlive the tracks.
//
// Latency: a track is in the aggregates one Interval (1 minute by default) after the office stored it. A
// sensor publishes a track when it ends, or in segments every few minutes while it lasts, so a figure
// about a moment is complete a track's length plus an interval after it.
//
// Editing the layout (and restarting the office) changes its hash; every unit computed with another hash
// whose tracks are all still kept is recomputed at the next run, newest first. Units whose tracks were
// already purged keep the figures of the layout they were computed with (their hash says which).
package aggregator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/backoffice/analytics"
)

// DefaultInterval is how often the job runs.
const DefaultInterval = time.Minute

// Store is what the job needs of the office's store.
type Store interface {
	Sensors(ctx context.Context) ([]backoffice.Sensor, error)
	Tracks(ctx context.Context, q backoffice.TrackQuery, fn func(backoffice.Track) error) error
	PurgeRuns(ctx context.Context, limit int) ([]backoffice.PurgeRun, error)
	backoffice.AggregateStore
}

// Job recomputes the aggregates that are out of date.
type Job struct {
	Store Store
	// Layouts are the stores' layouts (at most one per store).
	Layouts []analytics.Layout
	// AggregateMaxDays is the office's own limit on keeping aggregates (0: the notices decide).
	AggregateMaxDays int
	// StartResolution is what the office rounds minimised tracks' starts down to (see analytics.Join).
	StartResolution time.Duration
	// PurgeMargin is the purge's margin (backoffice.Retention.Margin): units that the next purge will
	// delete are not computed again.
	PurgeMargin time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives the job's log; nil discards.
	Logger *slog.Logger

	m *metrics
}

type metrics struct {
	runs, failures     prometheus.Counter
	units, deleted     prometheus.Counter
	tracks, skipped    prometheus.Counter
	last, lastDuration prometheus.Gauge
}

// Register registers the job's metrics with reg.
func (j *Job) Register(reg prometheus.Registerer) error {
	j.m = &metrics{
		runs: prometheus.NewCounter(prometheus.CounterOpts{Name: "ashiato_office_analytics_runs_total",
			Help: "Runs of the analytics job."}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "ashiato_office_analytics_failures_total",
			Help: "Runs of the analytics job that failed (retried at the next run)."}),
		units: prometheus.NewCounter(prometheus.CounterOpts{Name: "ashiato_office_analytics_units_computed_total",
			Help: "Aggregate units (one sensor's tracks of one hour) computed."}),
		deleted: prometheus.NewCounter(prometheus.CounterOpts{Name: "ashiato_office_analytics_units_deleted_total",
			Help: "Aggregate units deleted because their sensor left the layout."}),
		tracks: prometheus.NewCounter(prometheus.CounterOpts{Name: "ashiato_office_analytics_tracks_total",
			Help: "Tracks analysed (a track recomputed counts again)."}),
		skipped: prometheus.NewCounter(prometheus.CounterOpts{Name: "ashiato_office_analytics_tracks_skipped_total",
			Help: "Tracks left out for being in another space (image or floor) than their store's layout."}),
		last: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ashiato_office_analytics_last_success_timestamp_seconds",
			Help: "When the analytics job last completed."}),
		lastDuration: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ashiato_office_analytics_last_run_seconds",
			Help: "How long the last run of the analytics job took."}),
	}
	var errs []error
	for _, c := range []prometheus.Collector{j.m.runs, j.m.failures, j.m.units, j.m.deleted, j.m.tracks, j.m.skipped, j.m.last, j.m.lastDuration} {
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

// Report says what one run did.
type Report struct {
	Units, Deleted, Tracks, Skipped int
	// Frozen counts the units out of date that were left alone because their tracks were purged.
	Frozen int
}

// Once brings every unit up to date.
func (j *Job) Once(ctx context.Context) (Report, error) {
	start := j.now()
	rep, err := j.once(ctx)
	if j.m != nil {
		j.m.runs.Inc()
		j.m.units.Add(float64(rep.Units))
		j.m.deleted.Add(float64(rep.Deleted))
		j.m.tracks.Add(float64(rep.Tracks))
		j.m.skipped.Add(float64(rep.Skipped))
		if err != nil {
			j.m.failures.Inc()
		} else {
			j.m.last.Set(float64(j.now().Unix()))
			j.m.lastDuration.Set(j.now().Sub(start).Seconds())
		}
	}
	if err != nil {
		return rep, fmt.Errorf("aggregator: %w", err)
	}
	if rep.Units > 0 || rep.Deleted > 0 {
		j.log().Debug("aggregates updated", "units", rep.Units, "deleted", rep.Deleted, "tracks", rep.Tracks,
			"skipped", rep.Skipped, "frozen", rep.Frozen)
	}
	return rep, nil
}

func (j *Job) once(ctx context.Context) (Report, error) {
	var rep Report
	layouts := map[string]*analytics.Layout{}
	hashes := map[string]string{}
	for _, l := range j.Layouts {
		d := l.WithDefaults()
		layouts[l.Store], hashes[l.Store] = &d, l.Hash()
	}
	sensors, err := j.Store.Sensors(ctx)
	if err != nil {
		return rep, err
	}
	purged, err := j.purgedUntil(ctx)
	if err != nil {
		return rep, err
	}
	for _, s := range sensors {
		l := layouts[s.Store]
		var err error
		if l == nil || !l.Reads(s.Sensor) {
			err = j.unread(ctx, s.SensorKey, purged[s.SensorKey], &rep)
		} else {
			days, _ := backoffice.AggregateDays(s.RetentionDays, s.AggregateRetentionDays, j.AggregateMaxDays)
			err = j.sensor(ctx, s.SensorKey, l, hashes[s.Store], days, purged[s.SensorKey], &rep)
		}
		if err != nil {
			return rep, fmt.Errorf("%s: %w", s.SensorKey, err)
		}
	}
	return rep, nil
}

// purgedUntil returns, per sensor, the latest Start of any track a purge deleted: the units whose window
// reaches back to it or earlier no longer have all their tracks.
func (j *Job) purgedUntil(ctx context.Context) (map[backoffice.SensorKey]time.Time, error) {
	runs, err := j.Store.PurgeRuns(ctx, 0)
	if err != nil {
		return nil, err
	}
	out := map[backoffice.SensorKey]time.Time{}
	for _, r := range runs {
		for _, p := range r.Sensors {
			if p.Tracks > 0 && p.Newest.After(out[p.SensorKey]) {
				out[p.SensorKey] = p.Newest
			}
		}
	}
	return out, nil
}

// frozen reports whether the unit of hour has lost tracks to a purge that deleted tracks up to purged.
func frozen(hour, purged time.Time) bool {
	from, _ := analytics.Window(hour)
	return !purged.IsZero() && !from.After(purged)
}

// sensor brings the units of one sensor up to date, newest first (the ones the dashboard shows).
func (j *Job) sensor(ctx context.Context, k backoffice.SensorKey, l *analytics.Layout, hash string, days int, purged time.Time,
	rep *Report) error {
	counts, err := j.Store.TrackHours(ctx, k)
	if err != nil {
		return err
	}
	units, err := j.Store.AggregateUnits(ctx, k)
	if err != nil {
		return err
	}
	have := map[time.Time]backoffice.AggregateUnit{}
	for _, u := range units {
		have[u.Hour.UTC()] = u
	}
	hours := make([]time.Time, 0, len(counts))
	kept := map[time.Time]bool{}
	for _, c := range counts {
		hours = append(hours, c.Hour.UTC())
		kept[c.Hour.UTC()] = true
	}
	slices.Reverse(hours)
	horizon := j.now().Add(j.PurgeMargin)
	for _, h := range hours {
		if !backoffice.AggregateExpires(h, days).After(horizon) {
			continue // the aggregate promise is over (an office limit shorter than the tracks' retention)
		}
		digest, _ := analytics.Digest(h, counts)
		if u, ok := have[h]; ok && u.LayoutHash == hash && u.Digest == digest {
			continue
		}
		if frozen(h, purged) {
			rep.Frozen++
			continue
		}
		if err := j.compute(ctx, k, l, hash, h, digest, days, rep); err != nil {
			return err
		}
	}
	// Units whose hour has no track left: purged (kept, frozen), or gone some other way (deleted).
	for _, u := range units {
		if kept[u.Hour.UTC()] {
			continue
		}
		if frozen(u.Hour, purged) {
			if u.LayoutHash != hash {
				rep.Frozen++
			}
			continue
		}
		if err := j.Store.DeleteAggregates(ctx, k, u.Hour); err != nil {
			return err
		}
		rep.Deleted++
	}
	return nil
}

// compute recomputes one unit from the tracks of its window.
func (j *Job) compute(ctx context.Context, k backoffice.SensorKey, l *analytics.Layout, hash string, hour time.Time, digest string,
	days int, rep *Report) error {
	from, to := analytics.Window(hour)
	var segs []backoffice.Track
	if err := j.Store.Tracks(ctx, backoffice.TrackQuery{Store: k.Store, Sensor: k.Sensor, From: from, To: to}, func(t backoffice.Track) error {
		segs = append(segs, t)
		return nil
	}); err != nil {
		return err
	}
	res := analytics.ComputeUnit(l, hour, segs, j.StartResolution)
	u := backoffice.AggregateUnit{SensorKey: k, Hour: hour, LayoutHash: hash, Digest: digest, Tracks: res.Tracks,
		Computed: j.now().UTC(), Expires: backoffice.AggregateExpires(hour, days)}
	for _, b := range res.Buckets {
		u.Buckets = append(u.Buckets, backoffice.AggregateBucket{Start: b.Start, Data: b.Encode()})
	}
	if err := j.Store.PutAggregates(ctx, u); err != nil {
		return err
	}
	rep.Units++
	rep.Tracks += res.Tracks
	rep.Skipped += res.Skipped
	return nil
}

// unread deletes the units of a sensor no layout reads any more, except those whose tracks were purged
// (they can no longer be recomputed, and keep what they were computed with).
func (j *Job) unread(ctx context.Context, k backoffice.SensorKey, purged time.Time, rep *Report) error {
	units, err := j.Store.AggregateUnits(ctx, k)
	if err != nil {
		return err
	}
	for _, u := range units {
		if frozen(u.Hour, purged) {
			continue
		}
		if err := j.Store.DeleteAggregates(ctx, k, u.Hour); err != nil {
			return err
		}
		rep.Deleted++
	}
	return nil
}

// Run runs the job now and then every interval until ctx ends. A failed run is logged, counted and
// retried at the next interval; it does not stop the office.
func (j *Job) Run(ctx context.Context, interval time.Duration) error {
	for {
		if _, err := j.Once(ctx); err != nil && ctx.Err() == nil {
			j.log().Error("analytics failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		}
	}
}
