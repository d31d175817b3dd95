// Package config is the agent's one configuration file: a strictly decoded TOML document with a documented
// default for every option.
//
// Every public notice (panel, poster, MQTT notice topic) is rendered from the same Config that drives
// capture, so a sign can never disagree with what the device does.
package config

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ashiato/ashiato/agent/control"
	"github.com/ashiato/ashiato/agent/control/schedule"
	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/agent/floor"
	"github.com/ashiato/ashiato/agent/minimise"
	"github.com/ashiato/ashiato/agent/notice"
	"github.com/ashiato/ashiato/agent/publish"
	"github.com/ashiato/ashiato/agent/ring"
	"github.com/ashiato/ashiato/agent/tracker"
	"github.com/ashiato/ashiato/internal/roiview"
)

// Duration is a time.Duration written in TOML as a string such as "2s" or "5m".
type Duration time.Duration

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("not a duration (want e.g. \"2s\" or \"5m\"): %q", b)
	}
	*d = Duration(v)
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Config is the whole configuration. The zero value of every field means its documented default, which
// WithDefaults fills in.
type Config struct {
	Sensor   Sensor   `toml:"sensor"`
	Capture  Capture  `toml:"capture"`
	Tracker  Tracker  `toml:"tracker"`
	MQTT     MQTT     `toml:"mqtt"`
	Privacy  Privacy  `toml:"privacy"`
	Board    Board    `toml:"board"`
	Panel    Panel    `toml:"panel"`
	Pause    Pause    `toml:"pause"`
	Schedule Schedule `toml:"schedule"`
	// Calibration maps the image to the floor; absent means tracks are published in image space.
	Calibration Calibration `toml:"calibration"`
	// Notice is the public notice shown on the panel, the poster and the notice topic. Absent means the
	// demo notice, which is allowed only for replayed and synthetic sources.
	Notice *notice.Notice `toml:"notice"`
}

// EffectiveNotice is the notice every sign is rendered from: the configured one with its defaults, or the
// demo notice when none is configured.
func (c *Config) EffectiveNotice() notice.Notice {
	if c.Notice == nil {
		return notice.Default().WithDefaults()
	}
	return c.Notice.WithDefaults()
}

// Sensor names this unit in topics.
type Sensor struct {
	Store string `toml:"store"` // "" means "demo-store"; [A-Za-z0-9_-]{1,64}
	ID    string `toml:"id"`    // "" means "sensor-1"; [A-Za-z0-9_-]{1,64}
}

// Capture selects the frame source.
type Capture struct {
	// Source is "synth" (or "synth:frames=600,seed=1,…"), "y4m:PATH", "y4m:-" (stdin), "v4l2:/dev/videoN",
	// "v4l2:/dev/v4l/by-id/…" or "v4l2:auto". "" means "synth".
	Source string `toml:"source"`
	// Pace is "realtime" or "asap" for replayed and synthetic sources; "" means realtime.
	Pace string `toml:"pace"`
	// Width, Height and FPS are what a V4L2 camera is asked for; 0 means the driver's default
	// (drivers/v4l2: 640, 480 and 10).
	Width  int     `toml:"width"`
	Height int     `toml:"height"`
	FPS    float64 `toml:"fps"`
	// RingSlots is the number of frame slots in the locked ring, ring.MinSlots to ring.MaxSlots; 0 means
	// ring.DefaultSlots.
	RingSlots int `toml:"ring_slots"`
	// StallTimeout is how long a live camera may deliver nothing before capture counts as stopped; 0 means
	// the driver's default (drivers/v4l2: 3s).
	StallTimeout Duration `toml:"stall_timeout"`
}

// Tracker tunes the tracker. Zero values mean the tracker's defaults (see tracker.Config).
type Tracker struct {
	// ProcWidth is the processing width frames are downscaled to; 0 means the tracker's (384).
	ProcWidth int `toml:"proc_width"`
	// MaxCoast is how long a lost track is kept; 0 means the tracker's (2s).
	MaxCoast Duration `toml:"max_coast"`
	// MinHits is how many detections confirm a track; 0 means the tracker's (3).
	MinHits int `toml:"min_hits"`
	// ROI is a polygon in normalised image coordinates where tracks may start; empty means everywhere.
	ROI [][2]float64 `toml:"roi"`
	// Shadows turns on the shadow label: foreground that is darker than the background but keeps its
	// texture is dropped, so a cast shadow does not drag the foot point. Off by default: on footage
	// without hard shadows it also eats some people's pixels (PETS dev MOTA 78.8 → 75.8). Turn it on for
	// a camera with hard shadows on a patterned floor.
	Shadows bool `toml:"shadows"`
	// EdgeInView is how much of a person at the left or right edge of the picture must be in view, as a
	// share of their width, before their track gets foot points; 0 means 0.5 (tracker.DefaultEdgeInView).
	EdgeInView float64 `toml:"edge_in_view"`
	// PrivacyZones are polygons in normalised image coordinates whose pixels are zeroed in the ring slot
	// before anything reads them.
	PrivacyZones [][][2]float64 `toml:"privacy_zones"`
}

// MQTT says where messages go.
type MQTT struct {
	// Broker is "tcp://HOST:PORT", "tls://HOST:PORT" (also mqtt://, ssl://, mqtts://: publish.CheckBroker),
	// "embedded" (an in-process broker on loopback) or "stdout" (JSON lines, no broker). "" means
	// "embedded", unless Brokers is set.
	Broker string `toml:"broker"`
	// Brokers are independent broker nodes (not a cluster), each a URL as in Broker, for high
	// availability: the agent is connected to one at a time and, when that connection is lost, tries the
	// next at once, announcing itself and resending its outbox there (publish.Config.Brokers). The back
	// office subscribes to every node. Set Broker or Brokers, not both; Nodes gives the effective list.
	Brokers []string `toml:"brokers"`
	// EmbeddedListen is the loopback address of the embedded broker; "" means "127.0.0.1:1883".
	EmbeddedListen string `toml:"embedded_listen"`
	// ClientID is the MQTT client id; "" means the publisher's default, event.Topics.Identity()
	// ("<store>/<sensor>"), the sensor's username under the shipped broker configuration.
	ClientID string `toml:"client_id"`
	// UsernameFile and PasswordFile hold credentials; the environment variables ASHIATO_MQTT_USERNAME and
	// ASHIATO_MQTT_PASSWORD take precedence. Empty means none.
	UsernameFile string `toml:"username_file"`
	PasswordFile string `toml:"password_file"`
	// CAFile, CertFile, KeyFile and ServerName configure tls:// brokers.
	CAFile     string `toml:"ca_file"`
	CertFile   string `toml:"cert_file"`
	KeyFile    string `toml:"key_file"`
	ServerName string `toml:"server_name"`
	// OutboxMessages and OutboxBytes cap the RAM outbox of closed tracks; 0 means the publisher's defaults
	// (10000 and 16 MiB).
	OutboxMessages int `toml:"outbox_messages"`
	OutboxBytes    int `toml:"outbox_bytes"`
	// StatusInterval is how often the retained status is refreshed; 0 means 10s.
	StatusInterval Duration `toml:"status_interval"`
	// StatsInterval is how often stats are published; 0 means StatusInterval.
	StatsInterval Duration `toml:"stats_interval"`
	// SegmentTime is how long a track may stay open before what it has so far is published as a segment
	// (same track id, "final": false); 0 means 5m.
	SegmentTime Duration `toml:"segment_time"`
}

// Privacy holds the settings that protect shoppers. No MQTT command can change them.
type Privacy struct {
	// RequireLockedMemory refuses to start when the frame ring cannot be mlock'ed. Unset means true for
	// live cameras and false for replayed and synthetic sources, which film nobody.
	RequireLockedMemory *bool `toml:"require_locked_memory"`
	// Indicator is "gpio" (a GPIO LED; capture refuses to start without it) or "none" (development only;
	// loudly marked in status). Replayed and synthetic sources always use a virtual indicator that logs.
	// "" means "gpio".
	Indicator string `toml:"indicator"`
	// Minimise reduces every track before it leaves the sensor, with the same rules and defaults as the
	// back office (package minimise).
	Minimise Minimise `toml:"minimise"`
}

// Minimise is [privacy.minimise]: coordinates coarsened, points thinned, tracks too short or too small
// withheld, before anything is published. The rule keys are those of the back office's [minimise]; each
// zero value means the rule's default (see minimise.Settings).
type Minimise struct {
	// Enabled turns minimisation on or off. Unset means on for live cameras and off for replayed and
	// synthetic sources, so that scoring a replay frame by frame sees every point.
	Enabled        *bool    `toml:"enabled"`
	FloorStep      float64  `toml:"floor_step"`       // metres (0.1)
	ImageStep      float64  `toml:"image_step"`       // fraction of the frame (0.001)
	MaxRate        float64  `toml:"max_rate"`         // points per second at most (2)
	MinDuration    Duration `toml:"min_duration"`     // shorter whole tracks are withheld ("2s")
	MinExtentFloor float64  `toml:"min_extent_floor"` // metres from its start a floor track must reach (1.0)
	MinExtentImage float64  `toml:"min_extent_image"` // the same for image tracks, fraction of the frame (0.05)
}

func (m Minimise) settings() minimise.Settings {
	return minimise.Settings{FloorStep: m.FloorStep, ImageStep: m.ImageStep, MaxRate: m.MaxRate,
		MinDuration: m.MinDuration.D(), MinExtentFloor: m.MinExtentFloor, MinExtentImage: m.MinExtentImage}
}

// Minimisation returns the rules tracks are minimised with before they are published, and false when
// minimisation is off.
func (c *Config) Minimisation() (minimise.Rules, bool) {
	on := c.Live()
	if e := c.Privacy.Minimise.Enabled; e != nil {
		on = *e
	}
	if !on {
		return minimise.Rules{}, false
	}
	return c.Privacy.Minimise.settings().Rules(), true
}

// Board picks the hardware profile. Only live cameras use it.
type Board struct {
	// Name is "" or "auto" (a Raspberry Pi from the device tree, else generic), rpizero2w, rpi3b, rpi4b,
	// rpi5, or generic (any Linux machine without a Pi header; "none" means the same).
	Name string `toml:"name"`
	// LEDClass is the capture LED as a Linux LED-class device: a name in /sys/class/leds or its
	// directory; "" means a GPIO LED (led_pin).
	LEDClass  string `toml:"led_class"`
	LEDPin    string `toml:"led_pin"`    // "" means the profile's default (GPIO26 on a Pi); also gpiochipN/OFFSET
	ButtonPin string `toml:"button_pin"` // "" means the profile's default (GPIO16); "none" disables it
	Panel     string `toml:"panel"`      // "" means the profile's default; none, waveshare213v4, inky-ssd1608(-red)
	ActiveLow bool   `toml:"active_low_led"`
}

// Panel controls the public notice display.
type Panel struct {
	// PNG, if set, is a path where the agent also writes the current panel image (the demo does).
	PNG string `toml:"png"`
}

// Pause sets how long a pause lasts. A pause comes from the button or an MQTT cmd/pause.
type Pause struct {
	// DefaultDuration is how long a pause lasts when the command gives no "for" (and for the button);
	// 0 means control.DefaultPause (15m).
	DefaultDuration Duration `toml:"default_duration"`
	// MaxDuration caps every pause, including a command's "for"; 0 means command.MaxPause (24h), which is
	// also the most.
	MaxDuration Duration `toml:"max_duration"`
}

// Schedule holds the opening hours. Outside them capture is stopped (営業時間外).
type Schedule struct {
	// Timezone is an IANA zone name such as "Asia/Tokyo"; "" means the system's local zone.
	Timezone string `toml:"timezone"`
	// Hours lists the opening hours, e.g. ["mon-fri 10:00-20:00", "sat,sun 10:00-18:00"]: days (mon … sun,
	// lists and ranges) and HH:MM-HH:MM ranges (several separated by commas; none may cross midnight, so
	// split such a range at 24:00). Empty means always open. See package agent/control/schedule.
	Hours []string `toml:"hours"`
}

// TrackerConfig is the tracker's configuration; zero fields mean the tracker's defaults.
func (t Tracker) TrackerConfig() tracker.Config {
	return tracker.Config{ProcWidth: t.ProcWidth, MaxCoast: t.MaxCoast.D(), MinHits: t.MinHits, ROI: t.ROI,
		Shadows: t.Shadows, EdgeInView: t.EdgeInView}
}

// View is what `ashiato hwcheck -roi` and `tools/preview -roi` draw over a frame: the area of interest,
// the privacy zones and the tracker's edge bands for this configuration.
func (t Tracker) View() roiview.Layers {
	tc := t.TrackerConfig()
	edge := tc.EdgeInView
	if edge == 0 {
		edge = tracker.DefaultEdgeInView
	}
	return roiview.Layers{ROI: t.ROI, PrivacyZones: t.PrivacyZones, EdgeInView: edge,
		Inner: func(w, h int) image.Rectangle { return tracker.EdgeBand(tc, w, h) }}
}

// Parse returns the parsed schedule; nil means always open.
func (s Schedule) Parse() (*schedule.Schedule, error) { return schedule.Parse(s.Timezone, s.Hours) }

// Calibration maps the image to the floor plane, so that tracks are published in metres
// ("space":"floor"). Give either Image and Floor, or Matrix; neither means no calibration, and tracks stay
// in image space. Only the resulting matrix is used: no reference image is kept anywhere.
type Calibration struct {
	// Image lists four or more points in normalised image coordinates ([0,1] of the width and height,
	// like privacy zones, so a calibration holds at any capture size), of which at least four have no
	// three on a line.
	Image [][2]float64 `toml:"image"`
	// Floor lists the same points, in the same order, measured on the floor in metres, in any fixed
	// right-angled frame (e.g. x along the entrance wall, y into the shop). The pairs must agree within
	// MaxCalibrationRMS.
	Floor [][2]float64 `toml:"floor"`
	// Matrix is the homography itself, nine numbers in row-major order, from normalised image coordinates
	// to metres, signed so that w > 0 on the floor side of the horizon (see package agent/floor).
	Matrix []float64 `toml:"matrix"`
}

// MaxCalibrationRMS is the largest disagreement, in metres RMS, between the calibration's measured floor
// points and where the fitted homography puts their image points.
const MaxCalibrationRMS = 0.25

// Homography returns the image-to-floor homography (from normalised image coordinates to metres), and
// false when c is empty. The error is the first problem Validate would report.
func (c Calibration) Homography() (floor.Homography, bool, error) {
	if c.empty() {
		return floor.Homography{}, false, nil
	}
	h, errs := c.check()
	if len(errs) > 0 {
		return floor.Homography{}, false, errs[0]
	}
	return h, true, nil
}

func (c Calibration) empty() bool {
	return len(c.Image) == 0 && len(c.Floor) == 0 && len(c.Matrix) == 0
}

// check validates a non-empty calibration and returns its homography, or one error per problem.
func (c Calibration) check() (floor.Homography, []error) {
	if len(c.Matrix) > 0 {
		h, err := c.checkMatrix()
		if err != nil {
			return floor.Homography{}, []error{err}
		}
		return h, nil
	}
	if errs := c.checkPairs(); len(errs) > 0 {
		return floor.Homography{}, errs
	}
	h, err := c.fit()
	if err != nil {
		return floor.Homography{}, []error{err}
	}
	return h, nil
}

// calErr is an error about the calibration key key.
func calErr(key, format string, args ...any) error {
	return fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...))
}

// checkMatrix validates a calibration given as a matrix and returns it.
func (c Calibration) checkMatrix() (floor.Homography, error) {
	if len(c.Image) > 0 || len(c.Floor) > 0 {
		return floor.Homography{}, calErr("calibration.matrix", "give either matrix or image and floor, not both")
	}
	if len(c.Matrix) != 9 {
		return floor.Homography{}, calErr("calibration.matrix", "has %d numbers, want 9 (a 3×3 matrix, row by row)", len(c.Matrix))
	}
	h := floor.Homography(c.Matrix)
	if err := h.Validate(); err != nil {
		return floor.Homography{}, calErr("calibration.matrix", "%s", strings.TrimPrefix(err.Error(), "floor: "))
	}
	maps := false
	for _, p := range [][2]float64{{0.5, 0.5}, {0, 0}, {1, 0}, {0, 1}, {1, 1}} {
		_, _, ok := h.Apply(p[0], p[1])
		maps = maps || ok
	}
	if !maps {
		return floor.Homography{}, calErr("calibration.matrix", "maps no part of the image to the floor (w ≤ 0 at its centre and corners; is the sign flipped?)")
	}
	return h, nil
}

// checkPairs validates the image and floor points of a calibration given as point pairs, one error per
// problem.
func (c Calibration) checkPairs() []error {
	if len(c.Image) == 0 || len(c.Floor) == 0 {
		return []error{calErr("calibration", "image and floor go together: give both, with the same points in the same order")}
	}
	var errs []error
	bad := func(key, format string, args ...any) { errs = append(errs, calErr(key, format, args...)) }
	if len(c.Image) < floor.MinPairs {
		bad("calibration.image", "needs at least %d points, has %d", floor.MinPairs, len(c.Image))
	}
	if len(c.Image) > floor.MaxPairs {
		bad("calibration.image", "has %d points, at most %d are accepted", len(c.Image), floor.MaxPairs)
	}
	if len(c.Floor) != len(c.Image) {
		bad("calibration.floor", "has %d points, but calibration.image has %d", len(c.Floor), len(c.Image))
	}
	for i, p := range c.Image {
		if !(p[0] >= 0 && p[0] <= 1 && p[1] >= 0 && p[1] <= 1) {
			bad("calibration.image", "point %d (%g, %g) is outside [0,1]", i, p[0], p[1])
		}
	}
	for i, p := range c.Floor {
		if math.IsNaN(p[0]) || math.IsInf(p[0], 0) || math.IsNaN(p[1]) || math.IsInf(p[1], 0) {
			bad("calibration.floor", "point %d (%g, %g) is not finite", i, p[0], p[1])
		}
	}
	return errs
}

// fit fits the homography to valid point pairs (checkPairs) and checks that they agree with it within
// MaxCalibrationRMS.
func (c Calibration) fit() (floor.Homography, error) {
	h, err := floor.Fit(c.Image, c.Floor)
	if err != nil {
		return floor.Homography{}, calErr("calibration", "%s", strings.TrimPrefix(err.Error(), "floor: "))
	}
	rms := h.RMS(c.Image, c.Floor)
	if rms <= MaxCalibrationRMS {
		return h, nil
	}
	es := h.Errors(c.Image, c.Floor)
	w := 0
	for i, e := range es {
		if e > es[w] {
			w = i
		}
	}
	X, Y, _ := h.Apply(c.Image[w][0], c.Image[w][1])
	return floor.Homography{}, calErr("calibration.floor", "the points disagree with one another by %.2f m RMS, more than %.2f m; the worst is "+
		"point %d, measured (%g, %g) but fitted at (%.2f, %.2f): re-measure it, or check the order of the points",
		rms, MaxCalibrationRMS, w, c.Floor[w][0], c.Floor[w][1], X, Y)
}

// Load reads and strictly decodes path, then validates it. All problems are returned together.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, b)
}

// Parse strictly decodes a TOML document (name is used in messages) and validates it. It returns every
// problem at once, one error each, naming the key as the file writes it and, for decoding problems, its
// line: an unknown key, a value of the wrong type, a value out of range. No error quotes a value that
// could be a secret.
func Parse(name string, b []byte) (*Config, error) {
	var c Config
	d, err := decode(name, b, &c)
	if err != nil {
		return nil, err
	}
	if errs := d.validated(unjoin(c.Validate())); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &c, nil
}

// Decode is Parse without validation: it decodes the document just as strictly (an unknown key or a
// value of the wrong type is an error, all of them at once) but leaves checking the values to the
// caller's Validate. Tools that render a draft, such as the poster, use it; the agent uses Parse.
func Decode(name string, b []byte) (*Config, error) {
	var c Config
	d, err := decode(name, b, &c)
	if err != nil {
		return nil, err
	}
	if errs := d.validated(nil); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &c, nil
}

// SourceKind is the part of Capture.Source before the colon: synth, y4m or v4l2.
func (c *Config) SourceKind() string {
	k, _, _ := strings.Cut(c.WithDefaults().Capture.Source, ":")
	return k
}

// Live reports whether the source is a real camera, which binds the indicator invariant.
func (c *Config) Live() bool { return c.SourceKind() == "v4l2" }

// RequireLocked reports whether the agent must refuse to start with an unlocked ring.
func (c *Config) RequireLocked() bool {
	if c.Privacy.RequireLockedMemory != nil {
		return *c.Privacy.RequireLockedMemory
	}
	return c.Live()
}

// WithDefaults returns a copy of c with the defaults this package owns filled in: the sensor's names, the
// source and its pacing, the broker and the embedded broker's address, the status, stats and segment
// intervals, and the indicator. Every other option keeps its zero value, which the package that uses it
// reads as its own default (each field's comment names it), so that no default is written twice.
func (c Config) WithDefaults() Config {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	defD := func(d *Duration, v time.Duration) {
		if *d == 0 {
			*d = Duration(v)
		}
	}
	def(&c.Sensor.Store, "demo-store")
	def(&c.Sensor.ID, "sensor-1")
	def(&c.Capture.Source, "synth")
	def(&c.Capture.Pace, "realtime")
	if len(c.MQTT.Brokers) == 0 {
		def(&c.MQTT.Broker, "embedded")
	}
	def(&c.MQTT.EmbeddedListen, "127.0.0.1:1883")
	defD(&c.MQTT.SegmentTime, 5*time.Minute)
	defD(&c.MQTT.StatusInterval, 10*time.Second)
	defD(&c.MQTT.StatsInterval, c.MQTT.StatusInterval.D())
	def(&c.Privacy.Indicator, "gpio")
	return c
}

// Validate checks every option and returns one error per problem, joined, each starting with the key as
// the file writes it ("capture.ring_slots: …").
func (c *Config) Validate() error {
	var v problems
	c.Sensor.check(&v)
	c.Capture.check(&v)
	c.Tracker.check(&v)
	c.MQTT.check(&v)
	c.Privacy.check(&v)
	c.Board.check(&v)
	c.Pause.check(&v)
	c.Schedule.check(&v)
	if !c.Calibration.empty() {
		_, errs := c.Calibration.check()
		v.errs = append(v.errs, errs...)
	}
	if c.Notice != nil {
		v.errs = append(v.errs, c.Notice.Validate()...)
		if c.Live() {
			v.errs = append(v.errs, c.Notice.Placeholders()...)
		}
	} else if c.Live() {
		v.add("notice", "a live camera needs a [notice] section: shoppers must be told who films, why and whom to ask")
	}
	return errors.Join(v.errs...)
}

// problems collects validation errors.
type problems struct{ errs []error }

// add records a problem with key.
func (v *problems) add(key, format string, args ...any) {
	v.errs = append(v.errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
}

// inRange records a problem with key unless lo ≤ n ≤ hi; zero (the default) is always allowed.
func (v *problems) inRange(key string, n, lo, hi int) {
	if n != 0 && (n < lo || n > hi) {
		v.add(key, "%d is outside %d..%d", n, lo, hi)
	}
}

// atLeast records a problem with key unless d is zero (the default) or at least least.
func (v *problems) atLeast(key string, d Duration, least time.Duration) {
	if d < 0 || (d > 0 && d.D() < least) {
		v.add(key, "must be at least %s", least)
	}
}

func (s Sensor) check(v *problems) {
	for _, f := range [...]struct{ key, name string }{{"sensor.store", s.Store}, {"sensor.id", s.ID}} {
		if f.name != "" && !event.ValidName(f.name) {
			v.add(f.key, "%q must be 1-64 characters of A-Z a-z 0-9 _ -", f.name)
		}
	}
}

func (c Capture) check(v *problems) {
	if s := c.Source; s != "" {
		kind, arg, _ := strings.Cut(s, ":")
		switch kind {
		case "synth":
		case "y4m", "v4l2":
			if arg == "" {
				v.add("capture.source", "%q needs a path, e.g. %s:/dev/video0 or y4m:-", s, kind)
			}
		default:
			v.add("capture.source", "%q is not synth, y4m:PATH or v4l2:DEVICE", s)
		}
	}
	switch c.Pace {
	case "", "realtime", "asap":
	default:
		v.add("capture.pace", "%q is not realtime or asap", c.Pace)
	}
	v.inRange("capture.width", c.Width, 1, 4096)
	v.inRange("capture.height", c.Height, 1, 4096)
	if c.FPS < 0 || c.FPS > 120 {
		v.add("capture.fps", "%g is outside 0..120", c.FPS)
	}
	v.inRange("capture.ring_slots", c.RingSlots, ring.MinSlots, ring.MaxSlots)
	v.atLeast("capture.stall_timeout", c.StallTimeout, 0)
}

func (t Tracker) check(v *problems) {
	v.inRange("tracker.proc_width", t.ProcWidth, 64, 4096)
	v.atLeast("tracker.max_coast", t.MaxCoast, 0)
	v.inRange("tracker.min_hits", t.MinHits, 1, 100)
	if !(t.EdgeInView >= 0 && t.EdgeInView <= 1) {
		v.add("tracker.edge_in_view", "%g is outside 0..1", t.EdgeInView)
	}
	if len(t.ROI) > 0 {
		polygon(v, "tracker.roi", t.ROI)
	}
	for i, z := range t.PrivacyZones {
		polygon(v, fmt.Sprintf("tracker.privacy_zones[%d]", i), z)
	}
}

// polygon records the problems of a polygon in normalised image coordinates.
func polygon(v *problems, key string, p [][2]float64) {
	if len(p) < 3 {
		v.add(key, "a polygon needs at least 3 points, has %d", len(p))
	}
	for i, pt := range p {
		if !(pt[0] >= 0 && pt[0] <= 1 && pt[1] >= 0 && pt[1] <= 1) {
			v.add(key, "point %d (%g, %g) is outside [0,1]", i, pt[0], pt[1])
		}
	}
}

// Nodes are the brokers to publish to: Brokers, or Broker alone ("embedded" and "stdout" included).
func (m MQTT) Nodes() []string {
	if len(m.Brokers) > 0 {
		return m.Brokers
	}
	return []string{m.Broker}
}

func (m MQTT) check(v *problems) {
	if len(m.Brokers) > 0 && m.Broker != "" {
		v.add("mqtt.brokers", "set mqtt.broker or mqtt.brokers, not both (one node: broker; several: brokers)")
	}
	for i, b := range m.Brokers {
		if err := publish.CheckBroker(b); err != nil { // never quotes the URL: it may hold a password
			v.add("mqtt.brokers", "node %d: %s (embedded and stdout go in mqtt.broker)", i+1, strings.TrimPrefix(err.Error(), "publish: "))
		}
		if slices.Contains(m.Brokers[:i], b) {
			v.add("mqtt.brokers", "node %d is listed twice", i+1)
		}
	}
	switch m.Broker {
	case "", "embedded", "stdout":
	default:
		if err := publish.CheckBroker(m.Broker); err != nil { // never quotes the URL: it may hold a password
			v.add("mqtt.broker", "%s", strings.TrimPrefix(err.Error(), "publish: "))
		}
	}
	if len(m.ClientID) > 128 {
		v.add("mqtt.client_id", "longer than 128 characters")
	}
	if (m.CertFile == "") != (m.KeyFile == "") {
		v.add("mqtt.cert_file", "cert_file and key_file go together")
	}
	v.inRange("mqtt.outbox_messages", m.OutboxMessages, 1, math.MaxInt)
	v.inRange("mqtt.outbox_bytes", m.OutboxBytes, 1, math.MaxInt)
	v.atLeast("mqtt.segment_time", m.SegmentTime, 10*time.Second)
	v.atLeast("mqtt.status_interval", m.StatusInterval, time.Second)
	v.atLeast("mqtt.stats_interval", m.StatsInterval, time.Second)
}

func (p Privacy) check(v *problems) {
	switch p.Indicator {
	case "", "gpio", "none":
	default:
		v.add("privacy.indicator", "%q is not gpio or none", p.Indicator)
	}
	for _, err := range p.Minimise.settings().Check() {
		v.errs = append(v.errs, fmt.Errorf("privacy.minimise.%w", err))
	}
}

func (b Board) check(v *problems) {
	switch b.Panel {
	case "", "none", "waveshare213v4", "inky-ssd1608", "inky-ssd1608-red":
	default:
		v.add("board.panel", "%q is not none, waveshare213v4, inky-ssd1608 or inky-ssd1608-red", b.Panel)
	}
	switch b.Name {
	case "", "auto", "rpizero2w", "rpi3b", "rpi4b", "rpi5", "generic", "none":
	default:
		v.add("board.name", "%q is not auto, rpizero2w, rpi3b, rpi4b, rpi5 or generic", b.Name)
	}
}

func (p Pause) check(v *problems) {
	if err := control.CheckPauseLength(p.DefaultDuration.D()); err != nil {
		v.add("pause.default_duration", "%v", err)
	}
	if err := control.CheckPauseLength(p.MaxDuration.D()); err != nil {
		v.add("pause.max_duration", "%v", err)
	}
	if p.DefaultDuration > 0 && p.MaxDuration > 0 && p.DefaultDuration > p.MaxDuration {
		v.add("pause.default_duration", "%s is longer than pause.max_duration %s", p.DefaultDuration.D(), p.MaxDuration.D())
	}
}

func (s Schedule) check(v *problems) {
	if _, err := s.Parse(); err != nil {
		for _, e := range unjoin(err) {
			v.errs = append(v.errs, errors.New(strings.Replace(e.Error(), "schedule: ", "schedule.", 1)))
		}
	}
}

// unjoin splits an errors.Join error into its parts.
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// Hash is a short sha256 of the effective configuration (with defaults), for status attestation. It does
// not cover secrets, which live in files and the environment, not in Config.
func (c *Config) Hash() string {
	d := c.WithDefaults()
	b, _ := json.Marshal(d)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// Credentials returns the MQTT username and password: from ASHIATO_MQTT_USERNAME and ASHIATO_MQTT_PASSWORD
// if set, else from the configured files (trailing newlines trimmed). Either may be "". They must never be
// logged or published.
func (c *Config) Credentials() (user, pass string, err error) {
	read := func(env, file, key string) (string, error) {
		if v, ok := os.LookupEnv(env); ok {
			return v, nil
		}
		if file == "" {
			return "", nil
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("config: mqtt.%s: %w", key, err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	if user, err = read("ASHIATO_MQTT_USERNAME", c.MQTT.UsernameFile, "username_file"); err != nil {
		return "", "", err
	}
	if pass, err = read("ASHIATO_MQTT_PASSWORD", c.MQTT.PasswordFile, "password_file"); err != nil {
		return "", "", err
	}
	return user, pass, nil
}
