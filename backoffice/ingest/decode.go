package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/schemas"
)

// Malformed reasons, the reason label of ashiato_office_messages_malformed_total.
const (
	BadSize    = "too_large" // over Options.MaxPayload
	BadTopic   = "topic"     // not ashiato/v1/<store>/<sensor>/<status|privacy|tracks|stats|notice>
	BadJSON    = "json"      // not one JSON object
	BadVersion = "version"   // "v" missing or not 1
	BadSchema  = "schema"    // fails the topic's JSON Schema
	BadTrack   = "track"     // valid JSON, but not a track (points out of order, coordinates out of range, …)
)

// MalformedReasons lists the reasons, for metrics that report zero too.
var MalformedReasons = []string{BadSize, BadTopic, BadJSON, BadVersion, BadSchema, BadTrack}

// decoded is what one message contributes to a batch: at most one sensor update and one track or dropped
// record, or the reason it is malformed.
type decoded struct {
	leaf      string
	sensor    *backoffice.SensorUpdate
	track     *backoffice.Track
	dropped   *backoffice.Dropped
	malformed string
	err       error // what exactly, for the log; never holds payload bytes
	stale     bool  // a status, privacy or notice older than the sensor's current one: skipped
	// notice is a notice held back until this status named its hash (decoder.freshNotice), applied after it.
	notice *backoffice.SensorUpdate
}

// decoder turns messages into batch rows. It is used by one goroutine.
type decoder struct {
	validator *schemas.Validator
	maxSize   int
	min       backoffice.Minimisation
	retention backoffice.Retention
	// promises holds each sensor's retention_days, from the store at start and from every notice since.
	promises map[backoffice.SensorKey]int
	// order holds what orders each sensor's state messages, from the store at start and from every
	// message applied since.
	order map[backoffice.SensorKey]*order
}

var subscribedLeaves = map[string]bool{
	event.LeafTracks: true, event.LeafStatus: true, event.LeafPrivacy: true, event.LeafStats: true, event.LeafNotice: true,
}

func bad(leaf, reason string, err error) decoded {
	return decoded{leaf: leaf, malformed: reason, err: err}
}

// order is where a sensor's state messages stand: the (started, birth) of its newest status and when it
// was applied, the notice hash that status names, the since of its newest privacy and when it was
// applied, and a notice held back until a status names its hash. Zero means unknown.
type order struct {
	started    int64
	birth      uint64
	statusAt   time.Time
	noticeHash string
	since      int64
	privacyAt  time.Time
	held       *decoded // a notice whose hash no status had named yet
}

// ReorderAfter is how long a sensor's newest status or privacy must have gone without a successor before
// an older one sent live is believed (see decoder.freshStatus). A running sensor re-publishes both every
// status_interval (10 s by default), so a minute without one means that the process that sent the newest
// is gone.
const ReorderAfter = time.Minute

// newer reports whether status (started, birth) is not older than o's.
func (o *order) newer(started int64, birth uint64) bool {
	return started > o.started || (started == o.started && birth >= o.birth)
}

// load seeds the order of a sensor from what the store holds.
func (d *decoder) load(s backoffice.Sensor) {
	o := d.orderOf(s.SensorKey)
	var st event.Status
	if json.Unmarshal(s.Status, &st) == nil {
		o.started, o.birth, o.statusAt = st.Started, st.Birth, s.StatusAt
		if st.Attestation != nil {
			o.noticeHash = st.Attestation.NoticeHash
		}
	}
	var p event.Privacy
	if json.Unmarshal(s.Privacy, &p) == nil {
		o.since, o.privacyAt = p.Since, s.PrivacyAt
	}
}

// orderOf returns the order of key, a zero one if it is new.
func (d *decoder) orderOf(key backoffice.SensorKey) *order {
	if d.order == nil {
		d.order = map[backoffice.SensorKey]*order{}
	}
	o := d.order[key]
	if o == nil {
		o = &order{}
		d.order[key] = o
	}
	return o
}

// delivery is how a message reached the office: Retained, a copy the broker keeps and replays on
// subscribing; Duplicate, sent again after a broker restart or reconnect (MQTT DUP flag). Either way it
// is not the sensor speaking now.
type delivery struct {
	Retained, Duplicate bool
}

func (v delivery) live() bool { return !v.Retained && !v.Duplicate }

// freshStatus reports whether status s of key, delivered as v at now, is to be applied, and if so makes it
// the sensor's newest. A broker node that lost the sensor (it crashed, or the sensor failed over to
// another node) keeps the retained status of the connection it had, and may send again what it had in
// flight, while the sensor goes on elsewhere with the next birth, or restarts with a later started. So:
//   - statuses from agents that do not send started are applied (the store still ignores an offline will
//     whose birth is lower than the stored one);
//   - a status whose (started, birth) is not lower than the newest applied is applied;
//   - a lower one is skipped, unless it is sent live (not retained, not redelivered, not a will) and the
//     newest had no successor for ReorderAfter: the sensor speaks now, and the process that sent the
//     newest is gone; its clock went back across a restart (a board without a real-time clock that
//     started before its time was set).
func (d *decoder) freshStatus(key backoffice.SensorKey, s event.Status, v delivery, now time.Time) bool {
	o := d.orderOf(key)
	ok := s.Started == 0 || o.started == 0 || o.newer(s.Started, s.Birth) ||
		(v.live() && s.State != event.StateOffline && now.Sub(o.statusAt) >= ReorderAfter)
	if !ok {
		return false
	}
	if s.Started != o.started {
		o.noticeHash = ""
		if s.Started < o.started { // the clock went back: order privacy from the new process on
			o.since = 0
		}
	}
	if s.State != event.StateOffline || o.newer(s.Started, s.Birth) {
		o.started, o.birth, o.statusAt = s.Started, s.Birth, now
	}
	if s.Attestation != nil && s.Attestation.NoticeHash != "" {
		o.noticeHash = s.Attestation.NoticeHash
	}
	return true
}

// freshPrivacy reports whether privacy p, delivered as v at now, is to be applied: one whose since is not
// older than the newest applied is; an older one only when sent live after the newest had no successor
// for ReorderAfter (see freshStatus).
func (d *decoder) freshPrivacy(key backoffice.SensorKey, p event.Privacy, v delivery, now time.Time) bool {
	o := d.orderOf(key)
	if p.Since < o.since && !(v.live() && now.Sub(o.privacyAt) >= ReorderAfter) {
		return false
	}
	o.since, o.privacyAt = p.Since, now
	return true
}

// freshNotice reports whether a notice with hash is to be applied: one whose hash is the one the sensor's
// newest status names, or when that status names none. A notice is fixed for the life of an agent process
// and its hash is in every status, so a notice with another hash is a stale copy from a node that lost the
// sensor, or comes from a process whose status has not been applied yet: it is held, and applied with the
// first status that names its hash (heldNotice).
func (d *decoder) freshNotice(key backoffice.SensorKey, hash string, dec decoded) bool {
	o := d.orderOf(key)
	if o.noticeHash == "" || o.noticeHash == hash {
		o.held = nil
		return true
	}
	o.held = &dec
	return false
}

// heldNotice returns the notice held for key if the sensor's newest status names its hash, and forgets it.
func (d *decoder) heldNotice(key backoffice.SensorKey) *backoffice.SensorUpdate {
	o := d.orderOf(key)
	if o.held == nil || o.held.sensor.NoticeHash != o.noticeHash {
		return nil
	}
	u := o.held.sensor
	d.promises[key] = u.RetentionDays
	o.held = nil
	return u
}

// decode checks one message received at now and turns it into rows; v says how it was delivered.
func (d *decoder) decode(topic string, payload []byte, v delivery, now time.Time) decoded {
	if len(payload) > d.maxSize {
		return bad("", BadSize, fmt.Errorf("%d bytes, more than %d", len(payload), d.maxSize))
	}
	k, leaf, ok := schemas.SplitTopic(topic)
	if !ok || !subscribedLeaves[leaf] {
		return bad("", BadTopic, errors.New("not a sensor topic this office reads"))
	}
	key := backoffice.SensorKey{Store: k.Store, Sensor: k.Sensor}
	var head struct {
		V json.RawMessage `json:"v"`
	}
	p := bytes.TrimSpace(payload)
	if len(p) == 0 || p[0] != '{' || json.Unmarshal(p, &head) != nil {
		return bad(leaf, BadJSON, errors.New("payload is not a JSON object"))
	}
	if string(head.V) != "1" {
		return bad(leaf, BadVersion, errors.New(`"v" is not 1`))
	}
	if err := d.validator.Validate(topic, p); err != nil {
		// The validator's message quotes values from the payload: it is not logged.
		return bad(leaf, BadSchema, fmt.Errorf("payload does not match %s", schemas.ByLeaf[leaf]))
	}
	u := &backoffice.SensorUpdate{SensorKey: key, At: now.UTC(), Live: !v.Retained, Payload: json.RawMessage(p)}
	switch leaf {
	case event.LeafTracks:
		return d.track(key, p, now, u)
	case event.LeafStatus:
		var s event.Status
		if err := json.Unmarshal(p, &s); err != nil {
			return bad(leaf, BadSchema, errors.New("status does not decode"))
		}
		if !d.freshStatus(key, s, v, now) {
			return decoded{leaf: leaf, stale: true}
		}
		u.Kind, u.State, u.Birth = backoffice.UpdateStatus, s.State, s.Birth
		u.Live = u.Live && s.State != event.StateOffline // the will is the broker speaking
		return decoded{leaf: leaf, sensor: u, notice: d.heldNotice(key)}
	case event.LeafPrivacy:
		var s event.Privacy
		if err := json.Unmarshal(p, &s); err != nil {
			return bad(leaf, BadSchema, errors.New("privacy does not decode"))
		}
		if !d.freshPrivacy(key, s, v, now) {
			return decoded{leaf: leaf, stale: true}
		}
		u.Kind, u.State = backoffice.UpdatePrivacy, s.State
	case event.LeafStats:
		u.Kind = backoffice.UpdateStats
	case event.LeafNotice:
		var n struct {
			Hash                   string `json:"hash"`
			RetentionDays          int    `json:"retention_days"`
			AggregateRetentionDays int    `json:"aggregate_retention_days"`
		}
		if err := json.Unmarshal(p, &n); err != nil {
			return bad(leaf, BadSchema, errors.New("notice does not decode"))
		}
		u.Kind, u.NoticeHash, u.RetentionDays, u.AggregateRetentionDays = backoffice.UpdateNotice, n.Hash, n.RetentionDays, n.AggregateRetentionDays
		if !d.freshNotice(key, n.Hash, decoded{leaf: leaf, sensor: u}) {
			return decoded{leaf: leaf, stale: true}
		}
		d.promises[key] = n.RetentionDays
	}
	return decoded{leaf: leaf, sensor: u}
}

func (d *decoder) track(key backoffice.SensorKey, p []byte, now time.Time, u *backoffice.SensorUpdate) decoded {
	var ev event.Track
	if err := json.Unmarshal(p, &ev); err != nil {
		return bad(event.LeafTracks, BadSchema, errors.New("track does not decode"))
	}
	u.Kind, u.Payload = backoffice.UpdateSeen, nil
	u.Live = true // a track is never retained; a stale retained one still means the sensor once sent it
	tr, reason, err := backoffice.NewTrack(key, ev, d.min)
	if err != nil {
		return bad(event.LeafTracks, BadTrack, err)
	}
	promise := d.promises[key]
	start := tr.Start
	if reason != "" { // not rounded by NewTrack
		start = time.UnixMilli(ev.Points[0].T).UTC()
		if d.min.StartResolution > 0 {
			start = start.Truncate(d.min.StartResolution)
		}
	}
	expires := d.retention.Expires(start, now, promise, d.min.StartResolution)
	if reason == "" && !expires.After(now) {
		reason = backoffice.DropExpired
	}
	if reason != "" {
		return decoded{leaf: event.LeafTracks, sensor: u, dropped: &backoffice.Dropped{Store: key.Store, Sensor: key.Sensor,
			ID: ev.ID, Seg: ev.Seg, Reason: reason, Day: backoffice.StartDay(ev), Expires: expires}}
	}
	tr.Expires = expires
	return decoded{leaf: event.LeafTracks, sensor: u, track: &tr}
}
