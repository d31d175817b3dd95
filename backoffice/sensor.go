package backoffice

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/ashiato/ashiato/agent/event"
)

// Sensor is what the office knows of one sensor: the last message of each retained topic and of stats,
// when each arrived, and when the sensor was last heard from.
type Sensor struct {
	SensorKey
	FirstSeen, LastSeen time.Time

	// Status is the last applied status message; State is its state (online, offline, stopped) and Birth
	// its birth number.
	Status   json.RawMessage
	State    string
	Birth    uint64
	StatusAt time.Time

	Privacy      json.RawMessage
	PrivacyState string // capturing, paused, stopped, fault
	PrivacyAt    time.Time

	Stats   json.RawMessage
	StatsAt time.Time

	// Notice is the last notice, NoticeHash its hash, and RetentionDays and AggregateRetentionDays the
	// promises it makes. RetentionDays is 0 while no notice has been received.
	Notice                 json.RawMessage
	NoticeHash             string
	NoticeAt               time.Time
	RetentionDays          int
	AggregateRetentionDays int
}

// UpdateKind says which part of a Sensor an update sets.
type UpdateKind int

// Kinds of SensorUpdate.
const (
	// UpdateSeen only records that the sensor was heard from (a track, for instance).
	UpdateSeen UpdateKind = iota
	// UpdateStatus sets Status, State, Birth and StatusAt, except that an offline status (the broker's
	// last will) whose birth is lower than the stored birth is ignored: it is the will of an older
	// connection, delivered late.
	UpdateStatus
	UpdatePrivacy // sets Privacy, PrivacyState and PrivacyAt
	UpdateStats   // sets Stats and StatsAt
	// UpdateNotice sets Notice, NoticeHash, NoticeAt, RetentionDays and AggregateRetentionDays.
	UpdateNotice
)

// SensorUpdate is one change to a sensor's state, from one message received at At. Every update creates
// the sensor if it is new (FirstSeen and LastSeen = At); a Live one also moves LastSeen forward.
type SensorUpdate struct {
	Kind UpdateKind
	SensorKey
	At time.Time
	// Live reports that the sensor itself sent the message just now: not a retained copy the broker
	// replays on subscribing, and not its last will.
	Live bool
	// Payload is the validated message (empty for UpdateSeen).
	Payload json.RawMessage
	// State is the status or privacy state; Birth the status's birth.
	State string
	Birth uint64
	// NoticeHash, RetentionDays and AggregateRetentionDays come from a notice.
	NoticeHash             string
	RetentionDays          int
	AggregateRetentionDays int
}

// Flag names something about a sensor that an operator must look at.
type Flag string

// Flags, in the order Flags returns them.
const (
	// FlagNoNotice: no notice received, so the office does not know what the sensor promises shoppers;
	// its tracks are kept for UnknownNoticeDays only.
	FlagNoNotice Flag = "no_notice"
	// FlagNoticeMismatch: the notice's hash is not the one the office configuration expects for it (the
	// signs in the shop may say something else than the sensor publishes).
	FlagNoticeMismatch Flag = "notice_mismatch"
	// FlagFault: the privacy state is fault.
	FlagFault Flag = "privacy_fault"
	// FlagWarnings: the sensor's status lists ways it runs below its privacy design.
	FlagWarnings Flag = "status_warnings"
	// FlagOffline: nothing heard from the sensor for longer than Watch.OfflineAfter.
	FlagOffline Flag = "offline"
)

// Watch is what the operator configured to be told about.
type Watch struct {
	// ExpectNotice maps a sensor to the notice hash it must publish (the hash printed in the footer of
	// the poster on the wall). A sensor missing here is not checked.
	ExpectNotice map[SensorKey]string
	// OfflineAfter is how long a sensor may be silent before it is flagged; sensors refresh their status
	// every 10 s. 0 means DefaultOfflineAfter.
	OfflineAfter time.Duration
}

// DefaultOfflineAfter is the default Watch.OfflineAfter.
const DefaultOfflineAfter = 5 * time.Minute

// Flags returns what is wrong with s at now, in the order of the Flag constants; nil means nothing.
func (w Watch) Flags(s Sensor, now time.Time) []Flag {
	var f []Flag
	if s.NoticeHash == "" {
		f = append(f, FlagNoNotice)
	} else if want, ok := w.ExpectNotice[s.SensorKey]; ok && want != s.NoticeHash {
		f = append(f, FlagNoticeMismatch)
	}
	if s.PrivacyState == event.PrivacyFault {
		f = append(f, FlagFault)
	}
	if len(s.Status) > 0 {
		var st event.Status
		if json.Unmarshal(s.Status, &st) == nil && len(st.Warnings) > 0 && st.State != event.StateOffline {
			f = append(f, FlagWarnings)
		}
	}
	after := w.OfflineAfter
	if after <= 0 {
		after = DefaultOfflineAfter
	}
	if now.Sub(s.LastSeen) > after {
		f = append(f, FlagOffline)
	}
	return f
}

// AllFlags lists every flag, for metrics that report zero too.
var AllFlags = []Flag{FlagNoNotice, FlagNoticeMismatch, FlagFault, FlagWarnings, FlagOffline}

// HasFlag reports whether f is in flags.
func HasFlag(flags []Flag, f Flag) bool { return slices.Contains(flags, f) }
