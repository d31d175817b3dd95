// Package event is Ashiato's MQTT wire contract: topic names and the JSON messages published on them.
//
// It is the only code that spells topics or message fields. It imports only the standard library, so a
// back-office subscriber can import it without pulling in the agent.
package event

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Version is the message schema version carried in every payload's "v" field. A breaking change bumps it,
// and the topic root ("ashiato/v1/") with it.
const Version = 1

// Root is the first part of every topic.
const Root = "ashiato/v1"

// Topic leaves under a sensor's prefix.
const (
	LeafStatus  = "status"  // retained; Status
	LeafTracks  = "tracks"  // QoS 1; Track, one message per closed track or per segment of a long one
	LeafPrivacy = "privacy" // retained; Privacy
	LeafStats   = "stats"   // QoS 0, periodic; Stats
	LeafNotice  = "notice"  // retained; the public notice as JSON
	LeafPause   = "cmd/pause"
	LeafResume  = "cmd/resume"
	// LeafCommands is the filter, under a sensor's prefix, of every inbound command topic.
	LeafCommands = "cmd/#"
)

// Topics builds the topic names of one sensor.
type Topics struct {
	Store, Sensor string
}

// ValidName reports whether s may be used as a store or sensor name in a topic: 1 to 64 characters from
// [A-Za-z0-9_-].
func ValidName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
		default:
			return false
		}
	}
	return true
}

// Prefix is "ashiato/v1/<store>/<sensor>".
func (t Topics) Prefix() string { return Root + "/" + t.Store + "/" + t.Sensor }

// Topic is the full topic of a leaf such as LeafTracks.
func (t Topics) Topic(leaf string) string { return t.Prefix() + "/" + leaf }

// Leaf returns the part of topic after the sensor's prefix, and whether topic is under it.
func (t Topics) Leaf(topic string) (string, bool) {
	return strings.CutPrefix(topic, t.Prefix()+"/")
}

// Status states.
const (
	StateOnline  = "online"
	StateOffline = "offline" // sent by the broker as the last will
	StateStopped = "stopped" // sent on a clean exit
)

// Status is the retained body of the status topic.
type Status struct {
	V     int    `json:"v"`
	State string `json:"state"` // online, offline or stopped
	// Birth counts the agent's connections to the broker since it started, and is the same in the
	// last will registered for that connection. Subscribers ignore an offline whose birth is older than
	// the newest online they have seen.
	Birth uint64 `json:"birth"`
	// Started is the Unix ms at which the agent process started, the same in every status and will it
	// sends; 0 (absent) from agents that do not send it. With Birth it orders a sensor's statuses across
	// restarts and broker nodes: (Started, Birth) grows with every connection, so a subscriber can tell a
	// stale retained status (a broker node that lost the sensor keeps its last one) from the current one.
	Started         int64  `json:"started,omitempty"`
	Sensor          string `json:"sensor"`
	Version         string `json:"version,omitempty"`     // firmware build version
	ConfigHash      string `json:"config_hash,omitempty"` // sha256 of the effective configuration
	Source          string `json:"source,omitempty"`      // synth, y4m or v4l2
	Capturing       bool   `json:"capturing"`             // frames are being captured right now
	RingLocked      bool   `json:"ring_locked"`           // the frame ring is mlock'ed
	Frames          uint64 `json:"frames"`
	FramesDropped   uint64 `json:"frames_dropped"`
	TracksClosed    uint64 `json:"tracks_closed"`
	TracksPublished uint64 `json:"tracks_published"`
	// Attestation holds the privacy attestation, when known.
	Attestation *Attestation `json:"attestation,omitempty"`
	// Warnings lists, in plain words, every way the sensor runs below its privacy design: no indicator
	// LED (development only), a frame ring not locked in RAM, a process that can still dump core, a
	// broken notice panel. Empty means none; back office should alert on any.
	Warnings []string `json:"warnings,omitempty"`
}

// Attestation is the privacy-relevant state of the process, for back-office alerting.
type Attestation struct {
	RingLocked        bool   `json:"ring_locked"`
	Dumpable          int    `json:"dumpable"`   // PR_GET_DUMPABLE; 0 is what we want
	CoreLimit         uint64 `json:"core_limit"` // RLIMIT_CORE soft limit in bytes; 0 is what we want
	PrivacyZones      int    `json:"privacy_zones"`
	Indicator         string `json:"indicator"` // gpio, ledclass, virtual or none
	IndicatorOK       bool   `json:"indicator_ok"`
	PanelOK           bool   `json:"panel_ok"`
	PanelLastRefresh  int64  `json:"panel_last_refresh,omitempty"` // Unix ms; 0 means never
	NoticeHash        string `json:"notice_hash,omitempty"`
	RequireLockedRing bool   `json:"require_locked_ring"`
	// Minimised says tracks are minimised before they are published (package agent/minimise):
	// coordinates coarsened, at most 2 points a second, short and small tracks withheld.
	Minimised bool `json:"minimised"`
}

// Point is one sample of a path: frame index since capture started, Unix milliseconds, and the foot point
// in the track's space. It is encoded as the JSON array [f, t, x, y].
type Point struct {
	F    uint64
	T    int64
	X, Y float64
}

// MarshalJSON encodes p as [f,t,x,y] with x and y rounded to 5 decimals.
func (p Point) MarshalJSON() ([]byte, error) {
	if math.IsNaN(p.X) || math.IsInf(p.X, 0) || math.IsNaN(p.Y) || math.IsInf(p.Y, 0) {
		return nil, fmt.Errorf("event: point %d has a non-finite coordinate", p.F)
	}
	b := make([]byte, 0, 48)
	b = append(b, '[')
	b = strconv.AppendUint(b, p.F, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, p.T, 10)
	b = append(b, ',')
	b = strconv.AppendFloat(b, round5(p.X), 'f', -1, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, round5(p.Y), 'f', -1, 64)
	return append(b, ']'), nil
}

func round5(v float64) float64 { return math.Round(v*1e5) / 1e5 }

// UnmarshalJSON decodes [f,t,x,y].
func (p *Point) UnmarshalJSON(b []byte) error {
	var a []json.Number
	if err := json.Unmarshal(b, &a); err != nil {
		return fmt.Errorf("event: point: %w", err)
	}
	if len(a) != 4 {
		return fmt.Errorf("event: point has %d elements, want 4", len(a))
	}
	f, err := strconv.ParseUint(string(a[0]), 10, 64)
	if err != nil {
		return fmt.Errorf("event: point frame: %w", err)
	}
	t, err := strconv.ParseInt(string(a[1]), 10, 64)
	if err != nil {
		return fmt.Errorf("event: point time: %w", err)
	}
	x, err := a[2].Float64()
	if err != nil {
		return fmt.Errorf("event: point x: %w", err)
	}
	y, err := a[3].Float64()
	if err != nil {
		return fmt.Errorf("event: point y: %w", err)
	}
	*p = Point{F: f, T: t, X: x, Y: y}
	return nil
}

// Spaces of track coordinates.
const (
	SpaceImage = "image" // x, y normalised to [0,1] of the image width and height
	SpaceFloor = "floor" // x, y in metres on the floor plane, from the configured homography
)

// Track is one closed track (or one segment of a long track) on the tracks topic.
type Track struct {
	V      int    `json:"v"`
	Sensor string `json:"sensor"`
	// ID is random, never reused, and the same in every segment and redelivery of one track.
	ID     string  `json:"track"`
	Space  string  `json:"space"`
	W      int     `json:"w"` // image width in pixels
	H      int     `json:"h"` // image height in pixels
	Points []Point `json:"points"`
	// Seg is the 0-based segment number of a track sent in parts; Final is true on its last part. A track
	// sent whole has seg 0 and final true.
	Seg   int  `json:"seg"`
	Final bool `json:"final"`
}

// Privacy states.
const (
	PrivacyCapturing = "capturing"
	PrivacyPaused    = "paused"
	PrivacyStopped   = "stopped"
	PrivacyFault     = "fault"
)

// Privacy is the retained body of the privacy topic.
type Privacy struct {
	V     int    `json:"v"`
	State string `json:"state"`
	// Cause is why capture is not on, decided by the sensor itself: "button", "command", "schedule",
	// "source-end", "shutdown", "indicator-fault", "camera-stalled", "camera-gone" or "camera-fault";
	// absent while capturing. Software should read this, not Reason.
	Cause string `json:"cause,omitempty"`
	// Reason is the text shown to shoppers on the panel: the cause in Japanese, and for a remote pause
	// the note it came with, in brackets after 遠隔操作 ("遠隔操作（清掃中）").
	Reason string `json:"reason,omitempty"`
	Since  int64  `json:"since"` // Unix ms when this state began
	// ForSeconds is how long the state has lasted when the message was sent.
	ForSeconds float64 `json:"for_s"`
	// Until is, for a pause, the Unix ms when capture resumes by itself; 0 means not set.
	Until int64 `json:"until,omitempty"`
}

// Stats is the periodic body of the stats topic.
type Stats struct {
	V               int     `json:"v"`
	FPS             float64 `json:"fps"`
	Frames          uint64  `json:"frames"`
	FramesDropped   uint64  `json:"frames_dropped"`
	RingFill        int     `json:"ring_fill"`
	RingSlots       int     `json:"ring_slots"`
	InView          int     `json:"in_view"`
	OutboxDepth     int     `json:"outbox_depth"`
	OutboxBytes     int     `json:"outbox_bytes"`
	Reconnects      uint64  `json:"reconnects"`
	TracksClosed    uint64  `json:"tracks_closed"`
	TracksPublished uint64  `json:"tracks_published"`
	TracksDropped   uint64  `json:"tracks_dropped"`
	CommandsRejects uint64  `json:"commands_rejected"`
	// TracksWithheld counts closed tracks not published because minimisation drops them (too short or
	// too small to be a path).
	TracksWithheld uint64  `json:"tracks_withheld"`
	CameraRestarts uint64  `json:"camera_restarts"` // attempts to restart capture after it failed
	UptimeSeconds  float64 `json:"uptime_s"`
}

// Line is one message as written by the stdout sink: one JSON object per line.
type Line struct {
	Topic   string          `json:"topic"`
	Payload json.RawMessage `json:"payload"`
	QoS     byte            `json:"qos"`
	Retain  bool            `json:"retain"`
}
