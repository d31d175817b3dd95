package backoffice

import (
	"time"
)

// Retention is the office's side of the retention rule. Each sensor's tracks are kept for the days its
// notice promises (notice.retention_days), or for the office's own MaxDays if that is shorter: the
// shopper's promise always wins.
//
//   - An office limit longer than a sensor's promise is clamped to the promise, and the purge job says so
//     loudly (a warning on every run, and a metric). The office cannot refuse to start over it, because
//     it learns the promises from the sensors over MQTT after it has started.
//   - A sensor whose notice never arrived has promised nothing the office knows of; its tracks are kept
//     for UnknownNoticeDays, the shortest any notice may promise, and it is flagged (FlagNoNotice).
//   - A track keeps the promise in force when it arrived (Track.Expires): a notice that later promises
//     longer does not extend it, and one that promises shorter shortens it.
//
// Age is counted from the track's Start (rounded down, so never later than the truth) or from when it was
// received, whichever is earlier, so a sensor clock running ahead cannot stretch the promise.
type Retention struct {
	// MaxDays is the office's own limit; 0 means none (each notice decides).
	MaxDays int
	// Margin makes the purge delete what will expire before the next scheduled purge: with purges every
	// Margin, no track outlives its promise by even one interval. The scheduled job sets it to its
	// interval.
	Margin time.Duration
	// AggregateMaxDays is the office's own limit on keeping aggregates (see AggregateDays); 0 means none.
	AggregateMaxDays int
}

// UnknownNoticeDays is how long the tracks of a sensor whose notice was never received are kept: one
// day, the shortest retention any notice may promise.
const UnknownNoticeDays = 1

// day is the unit of every retention promise: 24 hours, whatever the calendar (a DST day is not shorter).
const day = 24 * time.Hour

// Days returns how many days tracks are kept under a notice promising promise days (0: no notice), and
// whether the office's own limit is longer than the promise (and so was clamped to it).
func (r Retention) Days(promise int) (days int, clamped bool) {
	if promise <= 0 {
		promise = UnknownNoticeDays
	}
	if r.MaxDays > 0 && r.MaxDays < promise {
		return r.MaxDays, false
	}
	return promise, r.MaxDays > promise
}

// Expires is when a track that started at start and was received at received, from a sensor promising
// promise days, must be gone. received is rounded down to the same resolution as start was.
func (r Retention) Expires(start, received time.Time, promise int, res time.Duration) time.Time {
	if res > 0 {
		received = received.Truncate(res)
	}
	from := start
	if received.Before(from) {
		from = received
	}
	days, _ := r.Days(promise)
	return from.Add(time.Duration(days) * day).UTC()
}

// SensorLimit is the retention applied to one sensor by one purge.
type SensorLimit struct {
	SensorKey
	Days int
	// Cutoff: tracks that started before it are deleted (now + margin − days).
	Cutoff time.Time
	// Clamped reports that the office's MaxDays is longer than the sensor's promise.
	Clamped bool
	// NoNotice reports that no notice was received: Days is UnknownNoticeDays.
	NoNotice bool
	// AggregateDays is the retention of the sensor's aggregates (see AggregateDays), and AggregateCutoff
	// the start of the oldest unit hour kept: units of earlier hours are deleted.
	AggregateDays   int
	AggregateCutoff time.Time
}

// PurgeRequest says what one purge deletes: for each sensor in Limits, every track and dropped record
// that started before its Cutoff and every aggregate unit of an hour before its AggregateCutoff, and,
// whatever the sensor, every row and unit whose Expires is not after Horizon.
type PurgeRequest struct {
	// Now is when the purge runs (the purge log's time).
	Now time.Time
	// Horizon is Now plus the margin.
	Horizon time.Time
	Limits  []SensorLimit
	// DryRun counts what would be deleted and changes nothing.
	DryRun bool
}

// Plan builds the purge request at now for the sensors the store knows.
func (r Retention) Plan(now time.Time, sensors []Sensor) PurgeRequest {
	req := PurgeRequest{Now: now.UTC(), Horizon: now.Add(r.Margin).UTC()}
	for _, s := range sensors {
		days, clamped := r.Days(s.RetentionDays)
		aggDays, _ := AggregateDays(s.RetentionDays, s.AggregateRetentionDays, r.AggregateMaxDays)
		req.Limits = append(req.Limits, SensorLimit{
			SensorKey: s.SensorKey, Days: days, Clamped: clamped, NoNotice: s.RetentionDays <= 0,
			Cutoff:        req.Horizon.Add(-time.Duration(days) * day),
			AggregateDays: aggDays, AggregateCutoff: req.Horizon.Add(-time.Duration(aggDays) * day),
		})
	}
	return req
}

// Purged is what one purge removed for one sensor.
type Purged struct {
	SensorKey
	Days    int
	Cutoff  time.Time
	Tracks  int
	Dropped int
	// Oldest and Newest are the earliest and latest Start of the deleted tracks (zero when none).
	Oldest, Newest time.Time
	// AggregateDays and AggregateCutoff are the aggregate retention applied; AggregateHours the number of
	// aggregate units (one sensor's aggregates of one hour) deleted.
	AggregateDays   int
	AggregateCutoff time.Time
	AggregateHours  int
}

// PurgeReport is the result of one purge.
type PurgeReport struct {
	At      time.Time
	DryRun  bool
	Sensors []Purged // sensors with something removed, sorted
	// Erasure says, in words, what the store did to make the deletion unrecoverable from its files, and
	// Erased whether it completed.
	Erasure string
	Erased  bool
}

// AggregateHours is the number of aggregate units removed.
func (p PurgeReport) AggregateHours() (n int) {
	for _, s := range p.Sensors {
		n += s.AggregateHours
	}
	return n
}

// Total is the number of tracks and dropped records removed.
func (p PurgeReport) Total() (tracks, dropped int) {
	for _, s := range p.Sensors {
		tracks += s.Tracks
		dropped += s.Dropped
	}
	return tracks, dropped
}

// PurgeRun is one logged purge: the purge log the public pages show. It holds no track data.
type PurgeRun struct {
	PurgeReport
	ID int64
}
