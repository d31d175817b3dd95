package backoffice

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/agent/minimise"
)

// SensorKey names a sensor: the two names in its topics, ashiato/v1/<store>/<sensor>/….
type SensorKey struct {
	Store, Sensor string
}

func (k SensorKey) String() string { return k.Store + "/" + k.Sensor }

// Point is one sample of a stored track: milliseconds since the track's Start, and the position in the
// track's space (metres on the floor, or fractions of the image).
type Point struct {
	T    int64
	X, Y float64
}

// Track is one stored track segment: one row of the tracks table.
type Track struct {
	Store, Sensor string
	// ID is the sensor's random track id (hex), the same in every segment of one track.
	ID    string
	Seg   int
	Final bool
	// Space is event.SpaceImage or event.SpaceFloor; W and H are the image size in pixels.
	Space string
	W, H  int
	// Start is when the first point was seen, rounded down to Minimisation.StartResolution when the
	// track was minimised. Points[0].T is always 0: times are relative to the first point, so the exact
	// second a track began is not kept.
	Start  time.Time
	Points []Point
	// Minimised reports whether the minimisation rules were applied at the door.
	Minimised bool
	// Expires is when the retention promised for this track when it was received ends (see
	// Retention.Expires). The track is deleted then at the latest, or earlier if the sensor's notice or
	// the office's limit becomes shorter.
	Expires time.Time
}

// Key is the track's idempotency key.
func (t *Track) Key() (SensorKey, string, int) { return SensorKey{t.Store, t.Sensor}, t.ID, t.Seg }

// Duration is the time from the first to the last point.
func (t *Track) Duration() time.Duration {
	if len(t.Points) == 0 {
		return 0
	}
	return time.Duration(t.Points[len(t.Points)-1].T) * time.Millisecond
}

// Entry and Exit are the first and the last point.
func (t *Track) Entry() Point { return t.Points[0] }

// Exit is the last point.
func (t *Track) Exit() Point { return t.Points[len(t.Points)-1] }

// Dropped records a track the office did not store, without its points: one row of the dropped table.
// With it, stored plus dropped equals exactly what the sensors published.
type Dropped struct {
	Store, Sensor, ID string
	Seg               int
	Reason            DropReason
	// Day is the UTC day the track started, "2006-01-02".
	Day     string
	Expires time.Time
}

// DropReason says why a track was not stored.
type DropReason string

// Reasons for not storing a track: the minimisation rules, and retention.
const (
	DropDuration = DropReason(minimise.ReasonDuration) // shorter than the minimum duration
	DropExtent   = DropReason(minimise.ReasonExtent)   // never farther than the minimum extent from its start
	// DropExpired: the track was already older than its retention when it arrived (a sensor whose clock
	// is far behind, or a redelivery long after the fact).
	DropExpired DropReason = "expired"
)

// Batch is what one transaction writes.
type Batch struct {
	Sensors []SensorUpdate
	Tracks  []Track
	Dropped []Dropped
}

// Len is the number of rows the batch writes.
func (b *Batch) Len() int { return len(b.Sensors) + len(b.Tracks) + len(b.Dropped) }

// Reset empties b, keeping its capacity.
func (b *Batch) Reset() {
	clear(b.Tracks) // drop references to the points
	b.Sensors, b.Tracks, b.Dropped = b.Sensors[:0], b.Tracks[:0], b.Dropped[:0]
}

// WriteResult counts what Write did.
type WriteResult struct {
	Stored, StoredDuplicates   int // tracks inserted; tracks whose key was already kept
	Dropped, DroppedDuplicates int // dropped records inserted; already kept
	// DroppedBy counts the inserted dropped records by reason (nil when none).
	DroppedBy map[DropReason]int
}

// TrackQuery selects tracks of one sensor whose Start is in [From, To). Zero times are open ends.
type TrackQuery struct {
	Store, Sensor string
	From, To      time.Time
}

// Kept is what the store holds for one sensor.
type Kept struct {
	SensorKey
	Tracks, Dropped int
	// Oldest and Newest are the earliest and latest Start of the kept tracks (zero without tracks).
	Oldest, Newest time.Time
}

// Minimisation is what the office does to a track at the door. The zero value stores tracks as received.
type Minimisation struct {
	minimise.Rules
	// StartResolution is what a track's start time is rounded down to (1 minute by default); 0 keeps it
	// to the millisecond.
	StartResolution time.Duration
}

// DefaultStartResolution is the default Minimisation.StartResolution.
const DefaultStartResolution = time.Minute

// DefaultMinimisation returns the rules on by default.
func DefaultMinimisation() Minimisation {
	return Minimisation{Rules: minimise.Default(), StartResolution: DefaultStartResolution}
}

// MaxFloorMetres bounds floor coordinates: no shop is 100 km wide, and beyond it a value is a fault.
const MaxFloorMetres = 100_000

// NewTrack turns a validated track message from store/sensor into a Track, minimised by m, or says why
// it was dropped. It returns an error for a message the schema cannot rule out but that is still not a
// track: points out of time order, coordinates not finite or out of range, a sensor name that differs
// from the topic's. The caller sets Expires.
func NewTrack(k SensorKey, ev event.Track, m Minimisation) (Track, DropReason, error) {
	if err := check(k, ev); err != nil {
		return Track{}, "", err
	}
	out, reason := m.Rules.Apply(ev)
	if reason != "" {
		return Track{}, DropReason(reason), nil
	}
	first := time.UnixMilli(out.Points[0].T).UTC()
	start := first
	if m.StartResolution > 0 {
		start = first.Truncate(m.StartResolution)
	}
	tr := Track{
		Store: k.Store, Sensor: k.Sensor, ID: ev.ID, Seg: ev.Seg, Final: ev.Final, Space: ev.Space, W: ev.W, H: ev.H,
		Start: start, Points: make([]Point, len(out.Points)), Minimised: m != Minimisation{},
	}
	for i, p := range out.Points {
		tr.Points[i] = Point{T: p.T - out.Points[0].T, X: p.X, Y: p.Y}
	}
	return tr, "", nil
}

// StartDay is the UTC day of a track message's first point, as Dropped.Day wants it.
func StartDay(ev event.Track) string {
	if len(ev.Points) == 0 {
		return ""
	}
	return time.UnixMilli(ev.Points[0].T).UTC().Format(time.DateOnly)
}

func check(k SensorKey, ev event.Track) error {
	if ev.Sensor != k.Sensor {
		return fmt.Errorf("track: sensor %q in the message, %q in the topic", ev.Sensor, k.Sensor)
	}
	if len(ev.Points) == 0 {
		return errors.New("track: no points")
	}
	for i, p := range ev.Points {
		if i > 0 && p.T < ev.Points[i-1].T {
			return fmt.Errorf("track: point %d is earlier than point %d", i, i-1)
		}
		for _, v := range []float64{p.X, p.Y} {
			if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > MaxFloorMetres {
				return fmt.Errorf("track: point %d coordinate out of range", i)
			}
		}
	}
	if d := ev.Points[len(ev.Points)-1].T - ev.Points[0].T; d > maxSpanMillis {
		return fmt.Errorf("track: spans %d ms, more than a day", d)
	}
	return nil
}

// maxSpanMillis bounds one message: a sensor sends a long track in segments of minutes.
const maxSpanMillis = 24 * 60 * 60 * 1000
