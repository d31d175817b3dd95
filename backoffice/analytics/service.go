package analytics

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/backoffice"
)

// Defaults of Options.
const (
	// DefaultK is the suppression threshold of public outputs: fewer distinct tracks than this and a
	// value is not published.
	DefaultK = 5
	// DefaultEpsilon is the privacy parameter of the noise mode: each published count gets Laplace noise
	// of scale 1/ε (a standard deviation of √2/ε ≈ 1.4).
	DefaultEpsilon = 1.0
	// DefaultLiveMaxAge is how old a sensor's stats may be and still count in the live occupancy: three
	// stats periods of the agent's default 10 s, plus delivery.
	DefaultLiveMaxAge = 45 * time.Second
)

// Options configure a Service. The zero value of each field means its default.
type Options struct {
	// Location is where days and hours are counted; nil means UTC.
	Location *time.Location
	// K is the suppression threshold of public outputs (DefaultK); it must be at least 2.
	K int
	// Noise adds Laplace noise of scale 1/Epsilon to every published count (DefaultEpsilon).
	Noise   bool
	Epsilon float64
	// LiveMaxAge is how old a sensor's stats may be and still count in Live (DefaultLiveMaxAge).
	LiveMaxAge time.Duration
	// Rand is where the noise key comes from when the store has none; nil means crypto/rand.
	Rand io.Reader
}

// SensorLister lists the sensors a store knows (backoffice.Store does).
type SensorLister interface {
	Sensors(ctx context.Context) ([]backoffice.Sensor, error)
}

// Service answers Queries from the aggregates in a store.
type Service struct {
	st      backoffice.AggregateStore
	sensors SensorLister
	layouts map[string]Layout // with defaults
	hashes  map[string]string
	o       Options

	mu  sync.Mutex
	key []byte // the noise key, loaded at first use
}

var _ Queries = (*Service)(nil)

// NewService returns a Service over st for the given layouts (at most one per store).
func NewService(st backoffice.AggregateStore, sensors SensorLister, layouts []Layout, o Options) (*Service, error) {
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.K == 0 {
		o.K = DefaultK
	}
	if o.Epsilon == 0 {
		o.Epsilon = DefaultEpsilon
	}
	if o.LiveMaxAge == 0 {
		o.LiveMaxAge = DefaultLiveMaxAge
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.K < 2 || o.Epsilon < 0 || o.LiveMaxAge < 0 {
		return nil, fmt.Errorf("analytics: k must be at least 2 (%d), epsilon and the live age positive", o.K)
	}
	s := &Service{st: st, sensors: sensors, layouts: map[string]Layout{}, hashes: map[string]string{}, o: o}
	for _, l := range layouts {
		if err := l.Validate(); err != nil {
			return nil, fmt.Errorf("analytics: layout of %s: %w", l.Store, err)
		}
		if _, dup := s.layouts[l.Store]; dup {
			return nil, fmt.Errorf("analytics: two layouts for store %s", l.Store)
		}
		s.layouts[l.Store] = l.WithDefaults()
		s.hashes[l.Store] = l.Hash()
	}
	return s, nil
}

// Stores implements Queries.
func (s *Service) Stores() []string {
	out := make([]string, 0, len(s.layouts))
	for k := range s.layouts {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Layout implements Queries.
func (s *Service) Layout(store string) (Layout, string, bool) {
	l, ok := s.layouts[store]
	return l, s.hashes[store], ok
}

// ErrNoLayout is returned for a store without a layout.
var ErrNoLayout = fmt.Errorf("analytics: no layout for this store")

func (s *Service) layout(store string) (*Layout, error) {
	l, ok := s.layouts[store]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNoLayout, store)
	}
	return &l, nil
}

// floorBucket rounds t down to a bucket boundary (buckets are aligned to the epoch, so to every zone whose
// offset is a multiple of 15 minutes).
func floorBucket(t time.Time) time.Time { return t.Truncate(BucketSize) }

func ceilBucket(t time.Time) time.Time {
	f := t.Truncate(BucketSize)
	if f.Before(t) {
		return f.Add(BucketSize)
	}
	return f
}

// buckets reads and sums the buckets of store in [from, to), by start, in order of start.
func (s *Service) buckets(ctx context.Context, store string, from, to time.Time) ([]*Bucket, error) {
	var out []*Bucket
	err := s.st.AggregateBuckets(ctx, backoffice.BucketQuery{Store: store, From: from, To: to}, func(ab backoffice.AggregateBucket) error {
		b, err := DecodeBucket(ab.Start.UTC(), ab.Data)
		if err != nil {
			return fmt.Errorf("%s/%s: %w", store, ab.Sensor, err)
		}
		if n := len(out); n > 0 && out[n-1].Start.Equal(b.Start) {
			out[n-1].Add(b)
		} else {
			out = append(out, b)
		}
		return nil
	})
	return out, err
}

// totals is a range's figures, rolled up from its buckets.
type totals struct {
	Bucket      // summed over the range, except Samples (nil)
	Peak    int // the largest sample of any bucket
	QPeak   map[string]int
	Seconds float64 // the range's length
}

// rollup sums the buckets of bs (in order of start) that start in [from, to).
func rollup(bs []*Bucket, from, to time.Time) *totals {
	t := &totals{Bucket: *NewBucket(from), QPeak: map[string]int{}, Seconds: to.Sub(from).Seconds()}
	i, _ := slices.BinarySearchFunc(bs, from, func(b *Bucket, t time.Time) int { return b.Start.Compare(t) })
	for _, b := range bs[i:] {
		if !b.Start.Before(to) {
			break
		}
		samples := b.Samples
		qs := map[string][]int{}
		for k, z := range b.Queues {
			qs[k] = z.Samples
		}
		t.Add(&Bucket{Arrivals: b.Arrivals, Presence: b.Presence, Entries: b.Entries, Lines: b.Lines, Zones: b.Zones,
			Queues: stripSamples(b.Queues), OD: b.OD, Heat: b.Heat})
		t.Peak = max(t.Peak, maxOf(samples))
		for k, v := range qs {
			t.QPeak[k] = max(t.QPeak[k], maxOf(v))
		}
	}
	return t
}

func stripSamples(m map[string]*ZoneAgg) map[string]*ZoneAgg {
	out := make(map[string]*ZoneAgg, len(m))
	for k, z := range m {
		c := *z
		c.Samples = nil
		out[k] = &c
	}
	return out
}

func maxOf(v []int) int {
	m := 0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

// steps splits [from, to) at the boundaries of step in loc.
func steps(from, to time.Time, step Step, loc *time.Location) [][2]time.Time {
	var out [][2]time.Time
	for t := from; t.Before(to); {
		next := nextBoundary(t, step, loc)
		if next.After(to) {
			next = to
		}
		out = append(out, [2]time.Time{t, next})
		t = next
	}
	return out
}

// nextBoundary returns the first boundary of step in loc after t.
func nextBoundary(t time.Time, step Step, loc *time.Location) time.Time {
	l := t.In(loc)
	var n time.Time
	switch step {
	case StepHour:
		n = time.Date(l.Year(), l.Month(), l.Day(), l.Hour()+1, 0, 0, 0, loc)
	case StepDay:
		n = time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, loc)
	default:
		n = floorBucket(t).Add(BucketSize)
	}
	if !n.After(t) { // a repeated local hour at the end of daylight saving time
		n = t.Add(time.Hour)
	}
	return n.UTC()
}

// day returns the local midnights that begin and end the day containing t.
func (s *Service) day(t time.Time) (time.Time, time.Time) {
	l := t.In(s.o.Location)
	d0 := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, s.o.Location)
	return d0, time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, s.o.Location)
}

// Live implements Queries.
func (s *Service) Live(ctx context.Context, store string, now time.Time) (Live, error) {
	l, err := s.layout(store)
	if err != nil {
		return Live{}, err
	}
	live := Live{Store: store, At: now}
	sensors, err := s.sensors.Sensors(ctx)
	if err != nil {
		return Live{}, fmt.Errorf("analytics: live: %w", err)
	}
	for _, sn := range sensors {
		if sn.Store != store || !l.Reads(sn.Sensor) {
			continue
		}
		sl := SensorLive{Sensor: sn.Sensor, At: sn.StatsAt}
		var st event.Stats
		if len(sn.Stats) > 0 && json.Unmarshal(sn.Stats, &st) == nil {
			sl.InView = st.InView
			sl.Fresh = !sn.StatsAt.IsZero() && now.Sub(sn.StatsAt) <= s.o.LiveMaxAge && sn.State != event.StateOffline
		}
		if sl.Fresh {
			live.InView += sl.InView
		}
		live.Sensors = append(live.Sensors, sl)
	}
	if hasEntrance(l) {
		d0, _ := s.day(now)
		bs, err := s.buckets(ctx, store, d0, ceilBucket(now.Add(time.Nanosecond)))
		if err != nil {
			return Live{}, fmt.Errorf("analytics: live: %w", err)
		}
		in, out := entranceCrossings(l, rollup(bs, d0, ceilBucket(now.Add(time.Nanosecond))))
		net := in - out
		live.NetToday = &net
	}
	return live, nil
}

func hasEntrance(l *Layout) bool {
	return slices.ContainsFunc(l.Lines, func(ln Line) bool { return ln.Entrance })
}

func entranceCrossings(l *Layout, t *totals) (in, out int) {
	for _, ln := range l.Lines {
		if c := t.Lines[ln.Name]; ln.Entrance && c != nil {
			in += c.In
			out += c.Out
		}
	}
	return in, out
}

// Footfall implements Queries.
func (s *Service) Footfall(ctx context.Context, store string, day time.Time) (Footfall, error) {
	l, err := s.layout(store)
	if err != nil {
		return Footfall{}, err
	}
	d0, d1 := s.day(day)
	w0, w1 := s.day(d0.AddDate(0, 0, -7))
	f := Footfall{Store: store, Day: d0}
	for _, span := range []struct {
		from, to time.Time
		dst      *[]HourFootfall
		total    *HourFootfall
	}{{d0, d1, &f.Hours, &f.Total}, {w0, w1, &f.LastWeek, &f.LastWeekTotal}} {
		bs, err := s.buckets(ctx, store, span.from, span.to)
		if err != nil {
			return Footfall{}, fmt.Errorf("analytics: footfall: %w", err)
		}
		span.total.Start = span.from
		for _, h := range steps(span.from, span.to, StepHour, s.o.Location) {
			t := rollup(bs, h[0], h[1])
			in, out := entranceCrossings(l, t)
			hf := HourFootfall{Start: h[0], In: in, Out: out, Entries: t.Entries}
			*span.dst = append(*span.dst, hf)
			span.total.In += in
			span.total.Out += out
			span.total.Entries += hf.Entries
		}
	}
	return f, nil
}

// rangeOf validates r and rounds it outwards to whole buckets.
func (s *Service) rangeOf(r Range) (*Layout, time.Time, time.Time, error) {
	l, err := s.layout(r.Store)
	if err != nil {
		return nil, time.Time{}, time.Time{}, err
	}
	from, to := floorBucket(r.From).UTC(), ceilBucket(r.To).UTC()
	if !from.Before(to) {
		return nil, time.Time{}, time.Time{}, fmt.Errorf("analytics: empty range %s to %s", r.From, r.To)
	}
	if to.Sub(from) > MaxRange {
		return nil, time.Time{}, time.Time{}, fmt.Errorf("analytics: range of %s is longer than %s", to.Sub(from), MaxRange)
	}
	return l, from, to, nil
}

// MaxRange bounds one query: about a year and a week.
const MaxRange = 373 * 24 * time.Hour

// Series implements Queries.
func (s *Service) Series(ctx context.Context, r Range) ([]Interval, error) {
	l, from, to, err := s.rangeOf(r)
	if err != nil {
		return nil, err
	}
	bs, err := s.buckets(ctx, r.Store, from, to)
	if err != nil {
		return nil, fmt.Errorf("analytics: series: %w", err)
	}
	var out []Interval
	for _, st := range steps(from, to, r.Step, s.o.Location) {
		t := rollup(bs, st[0], st[1])
		iv := Interval{Start: st[0], End: st[1], Entries: t.Entries, Arrivals: t.Arrivals, Peak: t.Peak,
			Occupancy: t.Presence / t.Seconds}
		for _, ln := range l.Lines {
			lc := LineCount{Name: ln.Name}
			if c := t.Lines[ln.Name]; c != nil {
				lc.In, lc.Out, lc.Tracks = c.In, c.Out, c.Tracks
			}
			iv.Lines = append(iv.Lines, lc)
		}
		out = append(out, iv)
	}
	return out, nil
}

// Heatmap implements Queries.
func (s *Service) Heatmap(ctx context.Context, r Range) (Heatmap, error) {
	l, from, to, err := s.rangeOf(r)
	if err != nil {
		return Heatmap{}, err
	}
	bs, err := s.buckets(ctx, r.Store, from, to)
	if err != nil {
		return Heatmap{}, fmt.Errorf("analytics: heatmap: %w", err)
	}
	h := Heatmap{Store: r.Store, From: from, To: to, Space: l.Space, Cell: l.Cell, Plan: l.Plan}
	h.Cells = heatCells(rollup(bs, from, to).Heat, 0)
	for _, c := range h.Cells {
		h.MaxVisits, h.MaxSeconds = max(h.MaxVisits, c.Visits), max(h.MaxSeconds, c.Seconds)
	}
	return h, nil
}

// heatCells lists the cells with at least minVisits visits (and something in them), sorted.
func heatCells(m map[Cell]*HeatAgg, minVisits int) []HeatCell {
	out := make([]HeatCell, 0, len(m))
	for c, v := range m {
		if (v.Visits > 0 || v.Seconds > 0) && v.Visits >= minVisits {
			out = append(out, HeatCell{X: c.X, Y: c.Y, Visits: v.Visits, Seconds: v.Seconds})
		}
	}
	slices.SortFunc(out, func(a, b HeatCell) int { return cmpCell(Cell{a.X, a.Y}, Cell{b.X, b.Y}) })
	return out
}

func dur(secs float64) time.Duration { return time.Duration(secs * float64(time.Second)) }

// Zones implements Queries.
func (s *Service) Zones(ctx context.Context, r Range) ([]ZoneStats, error) {
	l, from, to, err := s.rangeOf(r)
	if err != nil {
		return nil, err
	}
	bs, err := s.buckets(ctx, r.Store, from, to)
	if err != nil {
		return nil, fmt.Errorf("analytics: zones: %w", err)
	}
	t := rollup(bs, from, to)
	var out []ZoneStats
	for _, z := range l.Zones {
		zs := ZoneStats{Name: z.Name}
		if a := t.Zones[z.Name]; a != nil {
			zs.Visits, zs.Tracks, zs.Seconds = a.Visits, a.Tracks, a.Seconds
			zs.DwellP50, zs.DwellP90, zs.DwellTotal = a.Dwell.Quantile(0.5), a.Dwell.Quantile(0.9), dur(a.DwellSum)
		}
		out = append(out, zs)
	}
	return out, nil
}

// Queues implements Queries.
func (s *Service) Queues(ctx context.Context, r Range) ([]QueueStats, error) {
	l, from, to, err := s.rangeOf(r)
	if err != nil {
		return nil, err
	}
	bs, err := s.buckets(ctx, r.Store, from, to)
	if err != nil {
		return nil, fmt.Errorf("analytics: queues: %w", err)
	}
	t := rollup(bs, from, to)
	var out []QueueStats
	for _, q := range l.Queues {
		qs := QueueStats{Name: q.Name, PeakLength: t.QPeak[q.Name]}
		if a := t.Queues[q.Name]; a != nil {
			qs.MeanLength, qs.Waits, qs.Tracks = a.Seconds/t.Seconds, a.Visits, a.Tracks
			qs.WaitP50, qs.WaitP90 = a.Dwell.Quantile(0.5), a.Dwell.Quantile(0.9)
		}
		out = append(out, qs)
	}
	return out, nil
}

// OD implements Queries.
func (s *Service) OD(ctx context.Context, r Range) (OD, error) {
	l, from, to, err := s.rangeOf(r)
	if err != nil {
		return OD{}, err
	}
	bs, err := s.buckets(ctx, r.Store, from, to)
	if err != nil {
		return OD{}, fmt.Errorf("analytics: od: %w", err)
	}
	return odMatrix(l, rollup(bs, from, to).OD, 0), nil
}

// odMatrix builds the matrix of l's zones from pairs, leaving out pairs under minTracks and pairs of zones
// the layout no longer has.
func odMatrix(l *Layout, pairs map[ODPair]int, minTracks int) OD {
	od := OD{Tracks: make([][]int, len(l.Zones))}
	index := map[string]int{}
	for i, z := range l.Zones {
		od.Zones = append(od.Zones, z.Name)
		od.Tracks[i] = make([]int, len(l.Zones))
		index[z.Name] = i
	}
	for p, n := range pairs {
		i, ok1 := index[p.From]
		j, ok2 := index[p.To]
		if ok1 && ok2 && n >= minTracks {
			od.Tracks[i][j] += n
			od.Total += n
		}
	}
	return od
}

// PublicFootfall implements Queries.
func (s *Service) PublicFootfall(ctx context.Context, store string, day time.Time) (PublicFootfall, error) {
	l, err := s.layout(store)
	if err != nil {
		return PublicFootfall{}, err
	}
	d0, d1 := s.day(day)
	p := PublicFootfall{Store: store, Day: d0, K: s.o.K, Noise: s.o.Noise, Available: hasEntrance(l)}
	if s.o.Noise {
		p.Epsilon = s.o.Epsilon
	}
	if !p.Available {
		return p, nil
	}
	bs, err := s.buckets(ctx, store, d0, d1)
	if err != nil {
		return PublicFootfall{}, fmt.Errorf("analytics: public footfall: %w", err)
	}
	for _, h := range steps(d0, d1, StepHour, s.o.Location) {
		t := rollup(bs, h[0], h[1])
		v, ok, err := s.publish(ctx, t.Entries, store, "footfall", "", h[0], h[1])
		if err != nil {
			return PublicFootfall{}, err
		}
		p.Hours = append(p.Hours, PublicHour{Start: h[0], Entries: v, Suppressed: !ok})
	}
	return p, nil
}
