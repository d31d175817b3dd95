package main

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/schemas"
)

// Verdicts of filter.handle.
type verdict int

const (
	show      verdict = iota // print it
	duplicate                // a track (id, seg) already shown: an at-least-once redelivery
	stale                    // an offline will older than the newest online of its sensor
	invalid                  // fails its schema (or, without validation, is not JSON)
)

// filter is what a subscriber does with each message before using it: schema validation, deduplication of
// tracks by id and segment, and dropping stale offline wills. It is not safe for concurrent use.
type filter struct {
	v      *schemas.Validator // nil: no validation
	tracks map[trackKey]bool
	// online is the birth of the most recently received "online" of each sensor. A restarted agent counts
	// births from 1 again, so "newest" means most recently received, not highest.
	online map[event.Topics]uint64
}

type trackKey struct {
	sensor event.Topics
	id     string
	seg    int
}

func newFilter(v *schemas.Validator) *filter {
	return &filter{v: v, tracks: map[trackKey]bool{}, online: map[event.Topics]uint64{}}
}

// handle classifies one message; err says why it is invalid.
func (f *filter) handle(topic string, payload []byte) (verdict, error) {
	if f.v != nil {
		if err := f.v.Validate(topic, payload); err != nil && !errors.Is(err, schemas.ErrNoSchema) {
			return invalid, err
		}
	}
	sensor, leaf, ok := schemas.SplitTopic(topic)
	if !ok {
		return show, nil
	}
	switch leaf {
	case event.LeafTracks:
		var tr struct {
			ID  string `json:"track"`
			Seg int    `json:"seg"`
		}
		if err := json.Unmarshal(payload, &tr); err != nil {
			return invalid, fmt.Errorf("track: %v", err)
		}
		k := trackKey{sensor, tr.ID, tr.Seg}
		if f.tracks[k] {
			return duplicate, nil
		}
		f.tracks[k] = true
	case event.LeafStatus:
		var st struct {
			State string `json:"state"`
			Birth uint64 `json:"birth"`
		}
		if err := json.Unmarshal(payload, &st); err != nil {
			return invalid, fmt.Errorf("status: %v", err)
		}
		switch st.State {
		case event.StateOnline:
			f.online[sensor] = st.Birth
		case event.StateOffline:
			if b, ok := f.online[sensor]; ok && st.Birth < b {
				return stale, nil
			}
		}
	}
	return show, nil
}
