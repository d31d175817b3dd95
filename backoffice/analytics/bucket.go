package analytics

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"
)

// BucketSize is the aggregates' resolution; SampleEvery the spacing of the occupancy and queue-length
// samples within a bucket.
const (
	BucketSize       = 15 * time.Minute
	SampleEvery      = 10 * time.Second
	SamplesPerBucket = int(BucketSize / SampleEvery)
)

// Bucket is the aggregates of one 15-minute bucket. Every field adds up: the bucket of several tracks,
// units or sensors is the sum of theirs (Add). Counts of distinct tracks ("Tracks", Arrivals, Entries, heat
// Visits) count each track once per key over its whole path, in the bucket where it first qualified, so
// that they add up over buckets too, never counting a track twice.
type Bucket struct {
	Start time.Time
	// Arrivals: tracks whose first point is in the bucket.
	Arrivals int
	// Presence: person-seconds in view within the bucket.
	Presence float64
	// Samples[i]: people in view at Start + i·SampleEvery (nil when none at any).
	Samples []int
	// Entries: tracks whose first "in" crossing of an entrance line is in the bucket.
	Entries int
	Lines   map[string]*LineAgg
	Zones   map[string]*ZoneAgg
	Queues  map[string]*ZoneAgg
	OD      map[ODPair]int
	Heat    map[Cell]*HeatAgg
}

// LineAgg is a line's crossings in a bucket: In and Out, and Tracks, the tracks whose first crossing of the
// line (either way) is in the bucket.
type LineAgg struct {
	In, Out, Tracks int
}

// ZoneAgg is a zone's or queue's figures in a bucket.
type ZoneAgg struct {
	// Visits began in the bucket; Tracks had their first visit begin in it.
	Visits, Tracks int
	// Seconds: time within counted visits that falls in the bucket.
	Seconds float64
	// Dwell is the histogram of the durations of the visits that began in the bucket, and DwellSum their
	// total in seconds.
	Dwell    Hist
	DwellSum float64
	// Samples (queues only): people in the area at Start + i·SampleEvery (nil when none at any).
	Samples []int
}

// ODPair is an origin and a destination zone.
type ODPair struct{ From, To string }

// Cell is a heatmap cell: (X, Y) covers [X·c, (X+1)·c) × [Y·c, (Y+1)·c) for the layout's cell size c.
type Cell struct{ X, Y int }

// HeatAgg is a cell's figures in a bucket: the tracks that first entered it then, and the seconds spent in it.
type HeatAgg struct {
	Visits  int
	Seconds float64
}

// NewBucket returns an empty bucket starting at start.
func NewBucket(start time.Time) *Bucket {
	return &Bucket{Start: start, Lines: map[string]*LineAgg{}, Zones: map[string]*ZoneAgg{},
		Queues: map[string]*ZoneAgg{}, OD: map[ODPair]int{}, Heat: map[Cell]*HeatAgg{}}
}

func (b *Bucket) line(name string) *LineAgg {
	if b.Lines[name] == nil {
		b.Lines[name] = &LineAgg{}
	}
	return b.Lines[name]
}

func zoneIn(m map[string]*ZoneAgg, name string) *ZoneAgg {
	if m[name] == nil {
		m[name] = &ZoneAgg{Dwell: Hist{}}
	}
	return m[name]
}

func (b *Bucket) cell(c Cell) *HeatAgg {
	if b.Heat[c] == nil {
		b.Heat[c] = &HeatAgg{}
	}
	return b.Heat[c]
}

// Add adds o's figures to b. Samples are added index by index: b and o must be the same bucket (of other
// tracks, units or sensors).
func (b *Bucket) Add(o *Bucket) {
	b.Arrivals += o.Arrivals
	b.Presence += o.Presence
	b.Samples = addSamples(b.Samples, o.Samples)
	b.Entries += o.Entries
	for k, v := range o.Lines {
		l := b.line(k)
		l.In, l.Out, l.Tracks = l.In+v.In, l.Out+v.Out, l.Tracks+v.Tracks
	}
	addZones(b.Zones, o.Zones)
	addZones(b.Queues, o.Queues)
	for k, v := range o.OD {
		b.OD[k] += v
	}
	for k, v := range o.Heat {
		c := b.cell(k)
		c.Visits += v.Visits
		c.Seconds += v.Seconds
	}
}

func addZones(dst, src map[string]*ZoneAgg) {
	for k, v := range src {
		z := zoneIn(dst, k)
		z.Visits += v.Visits
		z.Tracks += v.Tracks
		z.Seconds += v.Seconds
		z.DwellSum += v.DwellSum
		z.Dwell.Add(v.Dwell)
		z.Samples = addSamples(z.Samples, v.Samples)
	}
}

func addSamples(dst, src []int) []int {
	if src == nil {
		return dst
	}
	if dst == nil {
		dst = make([]int, SamplesPerBucket)
	}
	for i, v := range src {
		dst[i] += v
	}
	return dst
}

// Empty reports whether nothing was recorded in b.
func (b *Bucket) Empty() bool {
	return b.Arrivals == 0 && b.Presence == 0 && b.Samples == nil && b.Entries == 0 && len(b.Lines) == 0 &&
		len(b.Zones) == 0 && len(b.Queues) == 0 && len(b.OD) == 0 && len(b.Heat) == 0
}

// Hist is a histogram of durations over fixed bins (see binOf): bin index → count.
type Hist map[int]int

// Add adds o's counts to h.
func (h Hist) Add(o Hist) {
	for k, v := range o {
		h[k] += v
	}
}

// Observe counts one duration of secs seconds.
func (h Hist) Observe(secs float64) { h[binOf(secs)]++ }

// Bins: 1 s wide below 2 min, 5 s below 10 min, 30 s below 1 h, 5 min below 4 h, then one open bin.
var binEdges = []struct{ from, width float64 }{{0, 1}, {120, 5}, {600, 30}, {3600, 300}, {14400, 0}}

func binOf(secs float64) int {
	secs = max(0, secs)
	base := 0
	for i, e := range binEdges[:len(binEdges)-1] {
		next := binEdges[i+1].from
		if secs < next {
			return base + int((secs-e.from)/e.width)
		}
		base += int((next - e.from) / e.width)
	}
	return base
}

// binRange returns the bin's lower and upper edges in seconds (equal for the open last bin).
func binRange(bin int) (lo, hi float64) {
	base := 0
	for i, e := range binEdges[:len(binEdges)-1] {
		n := int((binEdges[i+1].from - e.from) / e.width)
		if bin < base+n {
			lo = e.from + float64(bin-base)*e.width
			return lo, lo + e.width
		}
		base += n
	}
	last := binEdges[len(binEdges)-1].from
	return last, last
}

// Count is the number of durations in h.
func (h Hist) Count() (n int) {
	for _, v := range h {
		n += v
	}
	return n
}

// Quantile returns the q-quantile (0 < q ≤ 1) of the durations in h by nearest rank, as the middle of the
// bin that holds it (the lower edge for the open last bin), and 0 for an empty histogram.
func (h Hist) Quantile(q float64) time.Duration {
	n := h.Count()
	if n == 0 {
		return 0
	}
	rank := max(1, int(math.Ceil(q*float64(n))))
	bins := make([]int, 0, len(h))
	for k := range h {
		bins = append(bins, k)
	}
	slices.Sort(bins)
	seen := 0
	for _, b := range bins {
		seen += h[b]
		if seen >= rank {
			lo, hi := binRange(b)
			return time.Duration((lo + hi) / 2 * float64(time.Second))
		}
	}
	panic("unreachable")
}

// FormatVersion is the version of the bucket encoding and of the analysis: a program whose analysis
// changes bumps it, and the aggregates still computable from kept tracks are recomputed (it is part of
// the layout hash).
const FormatVersion = 1

// wireBucket is the stored form of a Bucket: JSON with short keys; heat cells, histograms and OD pairs as
// flat arrays. Seconds are stored in tenths.
type wireBucket struct {
	V        int                  `json:"v"`
	Arrivals int                  `json:"a,omitempty"`
	Presence int64                `json:"p,omitempty"`
	Samples  []int                `json:"s,omitempty"`
	Entries  int                  `json:"e,omitempty"`
	Lines    map[string][3]int    `json:"l,omitempty"` // in, out, tracks
	Zones    map[string]*wireZone `json:"z,omitempty"`
	Queues   map[string]*wireZone `json:"q,omitempty"`
	OD       []wireOD             `json:"od,omitempty"`
	Heat     []int64              `json:"h,omitempty"` // x, y, visits, deciseconds, …
}

type wireZone struct {
	Visits  int   `json:"v,omitempty"`
	Tracks  int   `json:"t,omitempty"`
	Seconds int64 `json:"s,omitempty"`
	Dwell   []int `json:"d,omitempty"` // bin, count, …
	Sum     int64 `json:"ds,omitempty"`
	Samples []int `json:"n,omitempty"`
}

type wireOD struct {
	From   string `json:"f"`
	To     string `json:"t"`
	Tracks int    `json:"n"`
}

func deci(s float64) int64 { return int64(math.Round(s * 10)) }

// Encode returns b's stored form (Start is not part of it: the store keeps it).
func (b *Bucket) Encode() []byte {
	w := wireBucket{V: FormatVersion, Arrivals: b.Arrivals, Presence: deci(b.Presence), Samples: b.Samples, Entries: b.Entries}
	if len(b.Lines) > 0 {
		w.Lines = map[string][3]int{}
		for k, v := range b.Lines {
			w.Lines[k] = [3]int{v.In, v.Out, v.Tracks}
		}
	}
	w.Zones, w.Queues = encodeZones(b.Zones), encodeZones(b.Queues)
	for k, v := range b.OD {
		w.OD = append(w.OD, wireOD{k.From, k.To, v})
	}
	slices.SortFunc(w.OD, func(a, b wireOD) int {
		if a.From != b.From {
			return cmpString(a.From, b.From)
		}
		return cmpString(a.To, b.To)
	})
	cells := make([]Cell, 0, len(b.Heat))
	for c := range b.Heat {
		cells = append(cells, c)
	}
	slices.SortFunc(cells, cmpCell)
	for _, c := range cells {
		h := b.Heat[c]
		w.Heat = append(w.Heat, int64(c.X), int64(c.Y), int64(h.Visits), deci(h.Seconds))
	}
	out, err := json.Marshal(w)
	if err != nil {
		panic("BUG: bucket does not marshal: " + err.Error())
	}
	return out
}

func encodeZones(m map[string]*ZoneAgg) map[string]*wireZone {
	if len(m) == 0 {
		return nil
	}
	out := map[string]*wireZone{}
	for k, z := range m {
		wz := &wireZone{Visits: z.Visits, Tracks: z.Tracks, Seconds: deci(z.Seconds), Sum: deci(z.DwellSum), Samples: z.Samples}
		bins := make([]int, 0, len(z.Dwell))
		for b := range z.Dwell {
			bins = append(bins, b)
		}
		slices.Sort(bins)
		for _, b := range bins {
			wz.Dwell = append(wz.Dwell, b, z.Dwell[b])
		}
		out[k] = wz
	}
	return out
}

// DecodeBucket decodes a stored bucket starting at start. It never panics, whatever data holds.
func DecodeBucket(start time.Time, data []byte) (*Bucket, error) {
	var w wireBucket
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("analytics: bucket %s: %w", start.Format(time.RFC3339), err)
	}
	bad := func(what string) (*Bucket, error) {
		return nil, fmt.Errorf("analytics: bucket %s: bad %s", start.Format(time.RFC3339), what)
	}
	if w.V != FormatVersion {
		return bad(fmt.Sprintf("version %d", w.V))
	}
	b := NewBucket(start)
	b.Arrivals, b.Presence, b.Entries = w.Arrivals, float64(w.Presence)/10, w.Entries
	if w.Samples != nil {
		if len(w.Samples) != SamplesPerBucket {
			return bad("samples")
		}
		b.Samples = w.Samples
	}
	for k, v := range w.Lines {
		b.Lines[k] = &LineAgg{In: v[0], Out: v[1], Tracks: v[2]}
	}
	var err error
	if b.Zones, err = decodeZones(w.Zones); err != nil {
		return bad("zone")
	}
	if b.Queues, err = decodeZones(w.Queues); err != nil {
		return bad("queue")
	}
	for _, od := range w.OD {
		b.OD[ODPair{od.From, od.To}] += od.Tracks
	}
	if len(w.Heat)%4 != 0 {
		return bad("heat")
	}
	for i := 0; i < len(w.Heat); i += 4 {
		x, y := w.Heat[i], w.Heat[i+1]
		if x < math.MinInt32 || x > math.MaxInt32 || y < math.MinInt32 || y > math.MaxInt32 {
			return bad("heat cell")
		}
		c := b.cell(Cell{int(x), int(y)})
		c.Visits += int(w.Heat[i+2])
		c.Seconds += float64(w.Heat[i+3]) / 10
	}
	return b, nil
}

func decodeZones(m map[string]*wireZone) (map[string]*ZoneAgg, error) {
	out := map[string]*ZoneAgg{}
	for k, wz := range m {
		if wz == nil || len(wz.Dwell)%2 != 0 || (wz.Samples != nil && len(wz.Samples) != SamplesPerBucket) {
			return nil, fmt.Errorf("zone %q", k)
		}
		z := &ZoneAgg{Visits: wz.Visits, Tracks: wz.Tracks, Seconds: float64(wz.Seconds) / 10,
			DwellSum: float64(wz.Sum) / 10, Dwell: Hist{}, Samples: wz.Samples}
		for i := 0; i < len(wz.Dwell); i += 2 {
			z.Dwell[wz.Dwell[i]] += wz.Dwell[i+1]
		}
		out[k] = z
	}
	return out, nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpCell(a, b Cell) int {
	if a.Y != b.Y {
		return a.Y - b.Y
	}
	return a.X - b.X
}
