package analytics

import (
	"context"
	"io"
	"time"
)

// Queries is what the pages ask of the analytics: the operator dashboard (everything) and the public pages
// (PublicFootfall, and WriteCSV with Public set). *Service implements it over any
// backoffice.AggregateStore, so every store serves it. Every method is safe for concurrent use; none
// calls time.Now (the live view takes now).
//
// Times: a Range is [From, To); From and To are rounded outwards to whole 15-minute buckets. A day is a
// calendar day in the Service's location (Options.Location), 23 or 25 hours long across a
// daylight-saving change. Results hold no track ids, ever.
type Queries interface {
	// Stores lists the stores that have a layout, sorted.
	Stores() []string
	// Layout returns the layout of store, with its defaults applied, and its hash.
	Layout(store string) (Layout, string, bool)

	// Live is the store's occupancy now: the people in view of its sensors, from their latest stats.
	Live(ctx context.Context, store string, now time.Time) (Live, error)
	// Footfall is the store's footfall by hour for the local day containing day, with the same weekday
	// a week earlier.
	Footfall(ctx context.Context, store string, day time.Time) (Footfall, error)
	// Series is the store's figures per Step over r: line counts, footfall, occupancy.
	Series(ctx context.Context, r Range) ([]Interval, error)
	// Heatmap is the store's heatmap over r.
	Heatmap(ctx context.Context, r Range) (Heatmap, error)
	// Zones is the visits and dwell of every zone of the layout over r, in layout order.
	Zones(ctx context.Context, r Range) ([]ZoneStats, error)
	// Queues is the length and waiting time of every queue of the layout over r, in layout order.
	Queues(ctx context.Context, r Range) ([]QueueStats, error)
	// OD is the origin–destination matrix between the zones over r.
	OD(ctx context.Context, r Range) (OD, error)

	// PublicFootfall is the store's footfall by hour for the local day containing day, as a public page
	// may show it: every hour with fewer than K distinct tracks suppressed, and noise added when the
	// noise mode is on.
	PublicFootfall(ctx context.Context, store string, day time.Time) (PublicFootfall, error)

	// WriteCSV writes the aggregates of e.Range per e.Step as CSV (see the package documentation for
	// the columns); the public variant holds only counts of distinct tracks, k-suppressed (and noised).
	WriteCSV(ctx context.Context, w io.Writer, e Export) error
}

// Step is the resolution of a series: a bucket, an hour or a day.
type Step int

// Steps. Hours and days are those of the Service's location.
const (
	StepBucket Step = iota // 15 minutes
	StepHour
	StepDay
)

// ParseStep reads "15m", "hour" or "day".
func ParseStep(s string) (Step, bool) {
	switch s {
	case "15m", "bucket":
		return StepBucket, true
	case "hour", "1h":
		return StepHour, true
	case "day", "24h":
		return StepDay, true
	}
	return 0, false
}

func (s Step) String() string {
	switch s {
	case StepHour:
		return "hour"
	case StepDay:
		return "day"
	}
	return "15m"
}

// Range selects a store's aggregates over [From, To), per Step where a method returns a series.
type Range struct {
	Store    string
	From, To time.Time
	Step     Step
}

// Live is a store's occupancy now.
type Live struct {
	Store string
	At    time.Time // the now it was computed for
	// InView is the number of people in view of the store's sensors, from each sensor's latest stats
	// (sensors whose views overlap count a person twice). Only sensors with fresh stats count.
	InView  int
	Sensors []SensorLive
	// NetToday is the people who came in minus those who went out through the entrance lines since the
	// local midnight, from the aggregates (which lag the tracks by up to the aggregation interval and
	// a track's length); nil without entrance lines.
	NetToday *int
}

// SensorLive is one sensor's contribution to Live.
type SensorLive struct {
	Sensor string
	InView int
	// At is when its stats were received; Fresh reports that it is recent enough (LiveMaxAge) to count.
	At    time.Time
	Fresh bool
}

// Interval is a store's figures over one interval of a series.
type Interval struct {
	Start, End time.Time
	// Entries is the footfall: tracks that came in through an entrance line, each counted once, in the
	// interval of its first entry.
	Entries int
	// Lines holds each line's crossings, in layout order.
	Lines []LineCount
	// Arrivals is the tracks that appeared in view in the interval.
	Arrivals int
	// Occupancy is the mean number of people in view over the interval (person-seconds / seconds), and
	// Peak the most seen at once (sampled every 10 s).
	Occupancy float64
	Peak      int
}

// LineCount is one line's crossings over an interval.
type LineCount struct {
	Name    string
	In, Out int
	// Tracks is the distinct tracks that crossed, each counted in the interval of its first crossing.
	Tracks int
}

// Footfall is a store's footfall by hour for one local day and for the same weekday a week earlier.
type Footfall struct {
	Store    string
	Day      time.Time // local midnight
	Hours    []HourFootfall
	LastWeek []HourFootfall
	// Total and LastWeekTotal sum the hours.
	Total, LastWeekTotal HourFootfall
}

// HourFootfall is one hour's footfall: crossings of the entrance lines in and out, and entries (distinct
// tracks, see Interval.Entries).
type HourFootfall struct {
	Start            time.Time
	In, Out, Entries int
}

// Heatmap is where people were over a range: per grid cell, the tracks that entered it and the seconds
// spent in it.
type Heatmap struct {
	Store string
	From  time.Time
	To    time.Time
	Space string
	// Cell is the side of a cell in the layout's units; cell (X, Y) covers [X·Cell, (X+1)·Cell) ×
	// [Y·Cell, (Y+1)·Cell).
	Cell float64
	// Plan is the layout's floor plan, nil without one.
	Plan  *Plan
	Cells []HeatCell // only cells with something in them, sorted by Y then X
	// MaxVisits and MaxSeconds are the largest values of any cell (for a colour scale).
	MaxVisits  int
	MaxSeconds float64
}

// HeatCell is one cell of a heatmap.
type HeatCell struct {
	X, Y int
	// Visits is the distinct tracks that entered the cell (each once per range, in the bucket of its
	// first entry); Seconds the person-seconds spent in it.
	Visits  int
	Seconds float64
}

// ZoneStats is one zone's visits and dwell over a range.
type ZoneStats struct {
	Name string
	// Visits is the visits that began in the range (debounced, at least the zone's min_visit); Tracks the
	// distinct tracks that made them (each in the bucket of its first visit).
	Visits, Tracks int
	// Seconds is the time spent in the zone within the range, by every counted visit.
	Seconds float64
	// DwellP50 and DwellP90 are the median and 90th percentile of the visits' durations, and DwellTotal
	// their sum, over the visits that began in the range (0 without visits). Percentiles are read from a
	// histogram: exact to 1 s up to 2 min, 5 s to 10 min, 30 s to 1 h, 5 min to 4 h.
	DwellP50, DwellP90, DwellTotal time.Duration
}

// QueueStats is one queue's length and waiting time over a range.
type QueueStats struct {
	Name string
	// MeanLength is the mean number of people in the queue area (person-seconds / seconds); PeakLength
	// the most at once (sampled every 10 s).
	MeanLength float64
	PeakLength int
	// Waits is the waits (visits of the queue area of at least its min_visit) that began in the range,
	// Tracks the distinct tracks, WaitP50 and WaitP90 the median and 90th percentile of their durations.
	Waits, Tracks    int
	WaitP50, WaitP90 time.Duration
}

// OD is the origin–destination matrix between the zones over a range: per track, the zone of its first
// visit (origin) and of its last (destination), in the bucket the track appeared. A track that visited one
// zone only is on the diagonal; one that visited none is not counted.
type OD struct {
	Zones []string // the layout's zones, in order: the matrix's rows and columns
	// Tracks[i][j] is the tracks from Zones[i] to Zones[j].
	Tracks [][]int
	Total  int
}

// PublicFootfall is a store's footfall by hour as a public page may show it.
type PublicFootfall struct {
	Store string
	Day   time.Time
	Hours []PublicHour
	// K is the suppression threshold; Noise reports whether noise was added, with its Epsilon.
	K       int
	Noise   bool
	Epsilon float64
	// Available is false when the store has no entrance line (nothing to show).
	Available bool
}

// PublicHour is one hour of public footfall: Entries, or Suppressed (fewer than K distinct tracks).
type PublicHour struct {
	Start      time.Time
	Entries    int
	Suppressed bool
}

// Export selects a CSV export.
type Export struct {
	Range
	// Public makes the export publishable: only counts of distinct tracks, k-suppressed, noised in noise
	// mode.
	Public bool
}
