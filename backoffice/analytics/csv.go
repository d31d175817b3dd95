package analytics

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
)

// CSVHeader is the first line of every export.
var CSVHeader = []string{"store", "start", "end", "metric", "key", "value", "suppressed"}

// WriteCSV implements Queries: one row per interval of e.Step, metric and key (see the package
// documentation for the metrics). Times are RFC 3339 in the Service's location.
func (s *Service) WriteCSV(ctx context.Context, w io.Writer, e Export) error {
	l, from, to, err := s.rangeOf(e.Range)
	if err != nil {
		return err
	}
	bs, err := s.buckets(ctx, e.Store, from, to)
	if err != nil {
		return fmt.Errorf("analytics: csv: %w", err)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, st := range steps(from, to, e.Step, s.o.Location) {
		t := rollup(bs, st[0], st[1])
		rw := rowWriter{s: s, ctx: ctx, w: cw, store: e.Store, from: st[0], to: st[1], loc: s.o.Location}
		if e.Public {
			rw.public(l, t)
		} else {
			rw.operator(l, t)
		}
		if rw.err != nil {
			return rw.err
		}
	}
	cw.Flush()
	return cw.Error()
}

// rowWriter writes the rows of one interval, keeping the first error.
type rowWriter struct {
	s        *Service
	ctx      context.Context
	w        *csv.Writer
	store    string
	from, to time.Time
	loc      *time.Location
	err      error
}

func (r *rowWriter) row(metric, key, value string, suppressed bool) {
	if r.err != nil {
		return
	}
	r.err = r.w.Write([]string{r.store, r.from.In(r.loc).Format(time.RFC3339), r.to.In(r.loc).Format(time.RFC3339),
		metric, key, value, strconv.FormatBool(suppressed)})
}

func (r *rowWriter) int(metric, key string, v int) { r.row(metric, key, strconv.Itoa(v), false) }

func (r *rowWriter) num(metric, key string, v float64) {
	r.row(metric, key, strconv.FormatFloat(v, 'f', 1, 64), false)
}

func (r *rowWriter) secs(metric, key string, d time.Duration) { r.num(metric, key, d.Seconds()) }

// count writes a count of distinct tracks as the public may see it: suppressed (value empty), or its
// value, noised in noise mode. Keys that could be left out (cells, OD pairs) are, rather than marked:
// that a cell had anyone at all is itself not for the public.
func (r *rowWriter) count(metric, key string, tracks int, omitSuppressed bool) {
	if r.err != nil {
		return
	}
	v, ok, err := r.s.publish(r.ctx, tracks, r.store, metric, key, r.from, r.to)
	if err != nil {
		r.err = err
		return
	}
	switch {
	case ok:
		r.int(metric, key, v)
	case !omitSuppressed:
		r.row(metric, key, "", true)
	}
}

func (r *rowWriter) operator(l *Layout, t *totals) {
	if hasEntrance(l) {
		r.int("footfall", "", t.Entries)
	}
	r.int("arrivals", "", t.Arrivals)
	r.num("occupancy_mean", "", t.Presence/t.Seconds)
	r.int("occupancy_peak", "", t.Peak)
	for _, ln := range l.Lines {
		c := t.Lines[ln.Name]
		if c == nil {
			c = &LineAgg{}
		}
		r.int("line_in", ln.Name, c.In)
		r.int("line_out", ln.Name, c.Out)
		r.int("line_tracks", ln.Name, c.Tracks)
	}
	for _, z := range l.Zones {
		a := t.Zones[z.Name]
		if a == nil {
			a = &ZoneAgg{Dwell: Hist{}}
		}
		r.int("zone_visits", z.Name, a.Visits)
		r.int("zone_tracks", z.Name, a.Tracks)
		r.num("zone_seconds", z.Name, a.Seconds)
		r.secs("zone_dwell_p50_s", z.Name, a.Dwell.Quantile(0.5))
		r.secs("zone_dwell_p90_s", z.Name, a.Dwell.Quantile(0.9))
		r.num("zone_dwell_total_s", z.Name, a.DwellSum)
	}
	for _, q := range l.Queues {
		a := t.Queues[q.Name]
		if a == nil {
			a = &ZoneAgg{Dwell: Hist{}}
		}
		r.num("queue_length_mean", q.Name, a.Seconds/t.Seconds)
		r.int("queue_length_peak", q.Name, t.QPeak[q.Name])
		r.int("queue_waits", q.Name, a.Visits)
		r.int("queue_tracks", q.Name, a.Tracks)
		r.secs("queue_wait_p50_s", q.Name, a.Dwell.Quantile(0.5))
		r.secs("queue_wait_p90_s", q.Name, a.Dwell.Quantile(0.9))
	}
	od := odMatrix(l, t.OD, 0)
	for i, from := range od.Zones {
		for j, to := range od.Zones {
			if n := od.Tracks[i][j]; n > 0 {
				r.int("od", from+">"+to, n)
			}
		}
	}
	for _, c := range heatCells(t.Heat, 0) {
		key := strconv.Itoa(c.X) + ":" + strconv.Itoa(c.Y)
		r.int("heat_visits", key, c.Visits)
		r.num("heat_seconds", key, c.Seconds)
	}
}

// public writes only counts of distinct tracks: footfall, line and zone tracks, OD pairs and heat cell
// visits, each k-suppressed (and noised in noise mode).
func (r *rowWriter) public(l *Layout, t *totals) {
	if hasEntrance(l) {
		r.count("footfall", "", t.Entries, false)
	}
	for _, ln := range l.Lines {
		n := 0
		if c := t.Lines[ln.Name]; c != nil {
			n = c.Tracks
		}
		r.count("line_tracks", ln.Name, n, false)
	}
	for _, z := range l.Zones {
		n := 0
		if a := t.Zones[z.Name]; a != nil {
			n = a.Tracks
		}
		r.count("zone_tracks", z.Name, n, false)
	}
	od := odMatrix(l, t.OD, 0)
	for i, from := range od.Zones {
		for j, to := range od.Zones {
			r.count("od", from+">"+to, od.Tracks[i][j], true)
		}
	}
	for _, c := range heatCells(t.Heat, 0) {
		r.count("heat_visits", strconv.Itoa(c.X)+":"+strconv.Itoa(c.Y), c.Visits, true)
	}
}
