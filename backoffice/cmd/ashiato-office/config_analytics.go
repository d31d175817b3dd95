package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ashiato/ashiato/agent/notice"
	"github.com/ashiato/ashiato/backoffice/aggregator"
	"github.com/ashiato/ashiato/backoffice/analytics"
)

// Analytics configures the aggregates and what is published of them.
type Analytics struct {
	// Interval is how often the aggregates are brought up to date; "" means "1m".
	Interval Duration `toml:"interval"`
	// Timezone is the IANA zone whose hours and days the figures are given in; "" means the machine's.
	Timezone string `toml:"timezone"`
	// K is the suppression threshold of public outputs; 0 means analytics.DefaultK (5).
	K int `toml:"k"`
	// Noise adds Laplace noise of scale 1/Epsilon to published counts; Epsilon 0 means
	// analytics.DefaultEpsilon (1.0).
	Noise   bool    `toml:"noise"`
	Epsilon float64 `toml:"epsilon"`
}

// LayoutConf is one store's layout, as written in [[layout]] (see analytics.Layout for the meaning).
type LayoutConf struct {
	Store   string     `toml:"store"`
	Space   string     `toml:"space"`
	Sensors []string   `toml:"sensors"`
	Cell    float64    `toml:"cell"`
	Plan    *PlanConf  `toml:"plan"`
	Lines   []LineConf `toml:"line"`
	Zones   []ZoneConf `toml:"zone"`
	Queues  []ZoneConf `toml:"queue"`
}

// PlanConf is [layout.plan].
type PlanConf struct {
	Image  string     `toml:"image"`
	Scale  float64    `toml:"scale"`
	Origin [2]float64 `toml:"origin"`
	FlipY  bool       `toml:"flip_y"`
}

// LineConf is [[layout.line]].
type LineConf struct {
	Name       string     `toml:"name"`
	A          [2]float64 `toml:"a"`
	B          [2]float64 `toml:"b"`
	Entrance   bool       `toml:"entrance"`
	Hysteresis float64    `toml:"hysteresis"`
}

// ZoneConf is [[layout.zone]] and [[layout.queue]].
type ZoneConf struct {
	Name     string       `toml:"name"`
	Polygon  [][2]float64 `toml:"polygon"`
	MinVisit Duration     `toml:"min_visit"`
	Debounce Duration     `toml:"debounce"`
}

func xy(p [2]float64) analytics.XY { return analytics.XY{X: p[0], Y: p[1]} }

// Layout converts the configured layout; a relative plan.image is taken relative to dir.
func (lc LayoutConf) Layout(dir string) analytics.Layout {
	l := analytics.Layout{Store: lc.Store, Space: lc.Space, Sensors: lc.Sensors, Cell: lc.Cell}
	if p := lc.Plan; p != nil {
		img := p.Image
		if img != "" && !filepath.IsAbs(img) {
			img = filepath.Join(dir, img)
		}
		l.Plan = &analytics.Plan{Image: img, Scale: p.Scale, OriginX: p.Origin[0], OriginY: p.Origin[1], FlipY: p.FlipY}
	}
	for _, ln := range lc.Lines {
		l.Lines = append(l.Lines, analytics.Line{Name: ln.Name, A: xy(ln.A), B: xy(ln.B), Entrance: ln.Entrance, Hysteresis: ln.Hysteresis})
	}
	zones := func(zs []ZoneConf) []analytics.Zone {
		var out []analytics.Zone
		for _, z := range zs {
			az := analytics.Zone{Name: z.Name, MinVisit: z.MinVisit.D(), Debounce: z.Debounce.D()}
			for _, p := range z.Polygon {
				az.Polygon = append(az.Polygon, xy(p))
			}
			out = append(out, az)
		}
		return out
	}
	l.Zones, l.Queues = zones(lc.Zones), zones(lc.Queues)
	return l
}

// Layouts returns the configured layouts.
func (c *Config) Layouts() []analytics.Layout {
	var out []analytics.Layout
	for _, lc := range c.LayoutConfs {
		out = append(out, lc.Layout(c.dir))
	}
	return out
}

// validateAnalytics checks [analytics], [[layout]] and retention.aggregate_max_days.
func (c *Config) validateAnalytics() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	a := c.Analytics
	if i := a.Interval; i < 0 || (i > 0 && (i.D() < time.Second || i.D() > time.Hour)) {
		bad("analytics.interval", "must be between 1s and 1h")
	}
	if a.Timezone != "" {
		if _, err := time.LoadLocation(a.Timezone); err != nil {
			bad("analytics.timezone", "%q is not a time zone (want an IANA name such as Asia/Tokyo)", a.Timezone)
		}
	}
	if a.K != 0 && (a.K < 2 || a.K > 1000) {
		bad("analytics.k", "%d, want 2 to 1000 (or 0 for %d)", a.K, analytics.DefaultK)
	}
	if e := a.Epsilon; e < 0 || math.IsNaN(e) || e > 10 || (!a.Noise && e != 0) {
		bad("analytics.epsilon", "%g, want 0 (for %g) to 10, with noise = true", e, analytics.DefaultEpsilon)
	}
	if d := c.Retention.AggregateMaxDays; d < 0 || d > notice.MaxRetentionDays {
		bad("retention.aggregate_max_days", "%d, want 0 (the notices decide) to %d", d, notice.MaxRetentionDays)
	}
	stores := map[string]bool{}
	for i, lc := range c.LayoutConfs {
		key := fmt.Sprintf("layout[%d]", i)
		if stores[lc.Store] {
			bad(key+".store", "%q already has a layout (one per store)", lc.Store)
		}
		stores[lc.Store] = true
		l := lc.Layout(c.dir)
		if err := l.Validate(); err != nil {
			for _, e := range unjoin(err) {
				errs = append(errs, fmt.Errorf("%s.%w", key, e))
			}
		}
		if p := l.Plan; p != nil && p.Image != "" {
			switch strings.ToLower(filepath.Ext(p.Image)) {
			case ".png", ".svg":
				if _, err := os.Stat(p.Image); err != nil {
					bad(key+".plan.image", "%v", err)
				}
			default:
				bad(key+".plan.image", "%q is not a .png or .svg file", p.Image)
			}
		}
	}
	return errs
}

// unjoin splits an errors.Join into its errors.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// AnalyticsInterval is how often the aggregates are brought up to date.
func (c *Config) AnalyticsInterval() time.Duration {
	if c.Analytics.Interval > 0 {
		return c.Analytics.Interval.D()
	}
	return aggregator.DefaultInterval
}

// Location is the zone of the figures' hours and days, and of the times the pages show: one zone, so
// that an hour on a chart and a time beside it agree.
func (c *Config) Location() *time.Location {
	if c.Analytics.Timezone == "" {
		return time.Local
	}
	loc, err := time.LoadLocation(c.Analytics.Timezone)
	if err != nil { // validated
		return time.Local
	}
	return loc
}

// AnalyticsOptions are the options of the query Service.
func (c *Config) AnalyticsOptions() analytics.Options {
	return analytics.Options{Location: c.Location(), K: c.Analytics.K, Noise: c.Analytics.Noise, Epsilon: c.Analytics.Epsilon}
}

// AnalyticsStore is what the analytics read and write.
type AnalyticsStore interface {
	aggregator.Store
}

// Aggregator returns the job that keeps the aggregates of st up to date.
func (c *Config) Aggregator(st AnalyticsStore) *aggregator.Job {
	return &aggregator.Job{Store: st, Layouts: c.Layouts(), AggregateMaxDays: c.Retention.AggregateMaxDays,
		StartResolution: c.Minimisation().StartResolution, PurgeMargin: c.Interval()}
}

// AnalyticsService returns the query API of the pages over st.
func (c *Config) AnalyticsService(st AnalyticsStore) (*analytics.Service, error) {
	return analytics.NewService(st, st, c.Layouts(), c.AnalyticsOptions())
}
