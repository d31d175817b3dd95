// Package watch looks at every sensor's state at a fixed period and tells the operator what needs attention:
// a notice that is not the expected one (or none), a privacy fault, warnings in the status, or a sensor
// silent for too long (backoffice.Watch.Flags). A flag that appears is logged as a warning, one that
// clears is logged too, and ashiato_office_sensor_flagged{store,sensor,flag} is 1 while it is set.
package watch

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ashiato/ashiato/backoffice"
)

// Watcher checks the sensors of a store.
type Watcher struct {
	Store backoffice.Store
	Watch backoffice.Watch
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives the flags; nil discards.
	Logger *slog.Logger

	flagged *prometheus.GaugeVec
	last    map[backoffice.SensorKey][]backoffice.Flag
}

// Register registers the watcher's metric with reg.
func (w *Watcher) Register(reg prometheus.Registerer) error {
	w.flagged = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "ashiato_office_sensor_flagged",
		Help: "1 while a sensor has this flag: no_notice, notice_mismatch, privacy_fault, status_warnings, offline."},
		[]string{"store", "sensor", "flag"})
	return reg.Register(w.flagged)
}

// Check looks at every sensor once and returns the flags of those that have any.
func (w *Watcher) Check(ctx context.Context) (map[backoffice.SensorKey][]backoffice.Flag, error) {
	sensors, err := w.Store.Sensors(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	if w.Now != nil {
		now = w.Now()
	}
	log := w.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if w.last == nil {
		w.last = map[backoffice.SensorKey][]backoffice.Flag{}
	}
	out := map[backoffice.SensorKey][]backoffice.Flag{}
	for _, s := range sensors {
		flags := w.Watch.Flags(s, now)
		prev := w.last[s.SensorKey]
		for _, f := range flags {
			if !slices.Contains(prev, f) {
				log.Warn("sensor needs attention", "sensor", s.SensorKey.String(), "flag", string(f))
			}
		}
		for _, f := range prev {
			if !slices.Contains(flags, f) {
				log.Info("sensor flag cleared", "sensor", s.SensorKey.String(), "flag", string(f))
			}
		}
		if w.flagged != nil {
			for _, f := range backoffice.AllFlags {
				if slices.Contains(flags, f) {
					w.flagged.WithLabelValues(s.Store, s.Sensor, string(f)).Set(1)
				} else {
					w.flagged.DeleteLabelValues(s.Store, s.Sensor, string(f))
				}
			}
		}
		w.last[s.SensorKey] = flags
		if len(flags) > 0 {
			out[s.SensorKey] = flags
		}
	}
	return out, nil
}

// Run checks every period until ctx ends.
func (w *Watcher) Run(ctx context.Context, period time.Duration) error {
	for {
		if _, err := w.Check(ctx); err != nil && ctx.Err() == nil && w.Logger != nil {
			w.Logger.Error("cannot read the sensors", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(period):
		}
	}
}
