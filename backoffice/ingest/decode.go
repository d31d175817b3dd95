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
}

// decoder turns messages into batch rows. It is used by one goroutine.
type decoder struct {
	validator *schemas.Validator
	maxSize   int
	min       backoffice.Minimisation
	retention backoffice.Retention
	// promises holds each sensor's retention_days, from the store at start and from every notice since.
	promises map[backoffice.SensorKey]int
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
		u.Kind, u.State, u.Birth = backoffice.UpdateStatus, s.State, s.Birth
		u.Live = u.Live && s.State != event.StateOffline // the will is the broker speaking
	case event.LeafPrivacy:
		var s event.Privacy
		if err := json.Unmarshal(p, &s); err != nil {
			return bad(leaf, BadSchema, errors.New("privacy does not decode"))
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
