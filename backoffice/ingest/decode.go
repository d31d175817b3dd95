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

// order is where a sensor's state messages stand: the (started, birth) of its newest status, the notice
// hash that status names, and the since of its newest privacy. Zero means unknown.
type order struct {
	started    int64
	birth      uint64
	noticeHash string
	since      int64
}

// newer reports whether status (started, birth) is not older than o's.
func (o *order) newer(started int64, birth uint64) bool {
	return started > o.started || (started == o.started && birth >= o.birth)
}

// load seeds the order of a sensor from what the store holds.
func (d *decoder) load(s backoffice.Sensor) {
	o := &order{}
	var st event.Status
	if json.Unmarshal(s.Status, &st) == nil {
		o.started, o.birth = st.Started, st.Birth
		if st.Attestation != nil {
			o.noticeHash = st.Attestation.NoticeHash
		}
	}
	var p event.Privacy
	if json.Unmarshal(s.Privacy, &p) == nil {
		o.since = p.Since
	}
	d.orderOf(s.SensorKey)
	d.order[s.SensorKey] = o
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

// freshStatus reports whether status s of key, received with the retain flag retained, is to be applied,
// and if so makes it the sensor's newest. A broker node that lost the sensor (it crashed, or the sensor
// failed over to another node) keeps the retained status of the connection it had, which grows stale while
// the sensor goes on elsewhere with the next birth, or restarts (a later started). The rule:
//   - statuses from agents that do not send started are applied (the store still ignores an offline will
//     whose birth is lower than the stored one);
//   - a status whose (started, birth) is not lower than the newest applied is applied;
//   - a lower one is skipped, except a live online or stopped (not a retained copy, not a will) from
//     another process than the newest: the sensor is speaking now, and its clock went back across a
//     restart (a board without a real-time clock that started before its time was set).
func (d *decoder) freshStatus(key backoffice.SensorKey, s event.Status, retained bool) bool {
	o := d.orderOf(key)
	ok := s.Started == 0 || o.started == 0 || o.newer(s.Started, s.Birth) ||
		(!retained && s.State != event.StateOffline && s.Started != o.started)
	if !ok {
		return false
	}
	if s.Started != o.started {
		o.noticeHash = ""
	}
	if s.State != event.StateOffline || o.newer(s.Started, s.Birth) {
		o.started, o.birth = s.Started, s.Birth
	}
	if s.Attestation != nil && s.Attestation.NoticeHash != "" {
		o.noticeHash = s.Attestation.NoticeHash
	}
	return true
}

// freshPrivacy reports whether privacy p is to be applied: live, or a retained copy not older (by since)
// than the newest applied. A live one always is, even older: the sensor speaks now (its clock may have
// been set back).
func (d *decoder) freshPrivacy(key backoffice.SensorKey, p event.Privacy, retained bool) bool {
	o := d.orderOf(key)
	if retained && p.Since < o.since {
		return false
	}
	o.since = p.Since
	return true
}

// freshNotice reports whether a notice with hash is to be applied: live, or a retained copy whose hash is
// the one the sensor's newest status names (or that status names none). A notice is fixed for the life of
// an agent process and its hash is in every status, so a retained notice with another hash is a stale copy
// from a node that lost the sensor.
func (d *decoder) freshNotice(key backoffice.SensorKey, hash string, retained bool) bool {
	o := d.orderOf(key)
	return !retained || o.noticeHash == "" || o.noticeHash == hash
}

var subscribedLeaves = map[string]bool{
	event.LeafTracks: true, event.LeafStatus: true, event.LeafPrivacy: true, event.LeafStats: true, event.LeafNotice: true,
}

func bad(leaf, reason string, err error) decoded {
	return decoded{leaf: leaf, malformed: reason, err: err}
}

// decode checks one message received at now and turns it into rows. retained is the message's retain flag
// (a copy the broker replays, not the sensor speaking now).
func (d *decoder) decode(topic string, payload []byte, retained bool, now time.Time) decoded {
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
	u := &backoffice.SensorUpdate{SensorKey: key, At: now.UTC(), Live: !retained, Payload: json.RawMessage(p)}
	switch leaf {
	case event.LeafTracks:
		return d.track(key, p, now, u)
	case event.LeafStatus:
		var s event.Status
		if err := json.Unmarshal(p, &s); err != nil {
			return bad(leaf, BadSchema, errors.New("status does not decode"))
		}
		if !d.freshStatus(key, s, retained) {
			return decoded{leaf: leaf, stale: true}
		}
		u.Kind, u.State, u.Birth = backoffice.UpdateStatus, s.State, s.Birth
		u.Live = u.Live && s.State != event.StateOffline // the will is the broker speaking
	case event.LeafPrivacy:
		var s event.Privacy
		if err := json.Unmarshal(p, &s); err != nil {
			return bad(leaf, BadSchema, errors.New("privacy does not decode"))
		}
		if !d.freshPrivacy(key, s, retained) {
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
		if !d.freshNotice(key, n.Hash, retained) {
			return decoded{leaf: leaf, stale: true}
		}
		u.Kind, u.NoticeHash, u.RetentionDays, u.AggregateRetentionDays = backoffice.UpdateNotice, n.Hash, n.RetentionDays, n.AggregateRetentionDays
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
