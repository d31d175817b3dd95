package backoffice

import (
	"context"
	"time"
)

// AggregateStore keeps the analytics aggregates: what backoffice/analytics computed from the tracks, in
// 15-minute buckets, without any track id. It is a separate interface from Store so that a store can be
// written and tested in steps; the office needs both, and storetest.Run checks both.
//
// Aggregates are computed per unit: the tracks of one sensor whose first kept segment started in one UTC
// hour. A unit is replaced whole when its tracks or the store's layout change, so writing it again is
// idempotent. Its buckets may lie after the hour (a track that started at 10:55 contributes to 11:00 too);
// a query sums the buckets of every unit. The bucket data is opaque here (analytics encodes it); the store
// only keeps and returns it.
//
// Aggregates are purged by Store.Purge, under the sensor's aggregate retention (SensorLimit.AggregateDays),
// with the same erasure as tracks.
type AggregateStore interface {
	// TrackHours counts the kept track segments of sensor k per UTC hour of their Start, sorted by hour.
	// Hours without segments are left out.
	TrackHours(ctx context.Context, k SensorKey) ([]HourCount, error)

	// AggregateUnits returns the units kept for sensor k, without their buckets, sorted by hour.
	AggregateUnits(ctx context.Context, k SensorKey) ([]AggregateUnit, error)

	// PutAggregates replaces the unit (store, sensor, hour) and all its buckets with u, in one
	// transaction. The stored Expires is the earlier of u.Expires and that of the unit it replaces, so
	// that recomputing never extends a promise. A unit with no buckets is kept (it records that the
	// hour was computed and found empty).
	PutAggregates(ctx context.Context, u AggregateUnit) error

	// DeleteAggregates removes the unit (store, sensor, hour) and its buckets; removing a unit that does
	// not exist is not an error.
	DeleteAggregates(ctx context.Context, k SensorKey, hour time.Time) error

	// AggregateBuckets calls fn for every bucket of q, in order of Start (then sensor, then unit hour),
	// stopping at fn's first error.
	AggregateBuckets(ctx context.Context, q BucketQuery, fn func(AggregateBucket) error) error

	// NoiseKey returns the office's secret key for the noise of published counts: the one stored, or, when
	// none is stored yet, fresh (which it stores first). The same key is returned for the life of the
	// store, so noise cannot be averaged away by asking again.
	NoiseKey(ctx context.Context, fresh []byte) ([]byte, error)
}

// HourCount is the number of track segments whose Start lies in one UTC hour.
type HourCount struct {
	Hour     time.Time
	Segments int
}

// AggregateUnit is the aggregates computed from the tracks of one sensor whose first kept segment started in
// one UTC hour.
type AggregateUnit struct {
	SensorKey
	// Hour is the unit's UTC hour (a multiple of an hour since the epoch).
	Hour time.Time
	// LayoutHash identifies the layout the aggregates were computed with.
	LayoutHash string
	// Digest identifies the tracks they were computed from (analytics decides what it is); a unit whose
	// tracks' digest has changed is recomputed.
	Digest string
	// Tracks is the number of tracks the unit holds.
	Tracks int
	// Computed is when the unit was computed.
	Computed time.Time
	// Expires is when the unit must be gone: the end of the aggregate retention promised when it was
	// computed. The unit is deleted then at the latest, or earlier if the promise becomes shorter.
	Expires time.Time
	// Buckets are the unit's buckets, in order of Start; empty when read by AggregateUnits.
	Buckets []AggregateBucket
}

// AggregateBucket is one 15-minute bucket of one unit.
type AggregateBucket struct {
	// Sensor and Hour name the unit the bucket belongs to (set when read; ignored in PutAggregates).
	Sensor string
	Hour   time.Time
	// Start is the bucket's start, a multiple of 15 minutes since the epoch.
	Start time.Time
	// Data is the encoded aggregates (backoffice/analytics defines the format).
	Data []byte
}

// BucketQuery selects the buckets of one store with Start in [From, To), of one sensor or, when Sensor is
// "", of every sensor. Zero times are open ends.
type BucketQuery struct {
	Store, Sensor string
	From, To      time.Time
}

// AggregateDays is how long the aggregates of a sensor whose notice promises promise days for tracks and
// aggregate days for aggregates are kept, given the office's own aggregate limit maxDays (0: none).
// aggregate is the notice's aggregate_retention_days, where 0 means as long as tracks; a sensor with no
// notice keeps aggregates no longer than its tracks (UnknownNoticeDays).
func AggregateDays(promise, aggregate, maxDays int) (days int, clamped bool) {
	if promise <= 0 {
		promise = UnknownNoticeDays
		aggregate = 0
	}
	if aggregate <= 0 {
		aggregate = promise
	}
	if maxDays > 0 && maxDays < aggregate {
		return maxDays, false
	}
	return aggregate, maxDays > aggregate
}

// AggregateExpires is when the aggregates of a unit starting at hour must be gone under a retention of days.
func AggregateExpires(hour time.Time, days int) time.Time {
	return hour.Add(time.Duration(days) * day).UTC()
}
