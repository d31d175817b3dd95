package http

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ashiato/ashiato/backoffice/analytics"
)

// storeCharts is what the store page shows of the analytics: today's footfall by hour against the same
// weekday a week earlier, the heatmap of a day or one hour of it, zone dwell, queues and the OD matrix.
// The charts' data goes into the page as JSON (not executed: the page's own script reads it).
type storeCharts struct {
	Day      time.Time
	Hour     int // -1: the whole day
	Footfall analytics.Footfall
	Heatmap  analytics.Heatmap
	Zones    []analytics.ZoneStats
	Queues   []analytics.QueueStats
	OD       analytics.OD
	// FootfallJSON and HeatJSON feed dashboard.js.
	FootfallJSON any
	HeatJSON     any
	Err          string
	NoLayout     bool
}

// dayParam reads ?day=YYYY-MM-DD in loc; absent or bad means the day of now.
func dayParam(r *http.Request, now time.Time, loc *time.Location) time.Time {
	if d, err := time.ParseInLocation("2006-01-02", r.URL.Query().Get("day"), loc); err == nil {
		return d
	}
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// charts gathers the store page's analytics for store.
func (s *Server) charts(r *http.Request, store string) *storeCharts {
	q := s.o.Analytics
	if q == nil {
		return nil
	}
	ctx := r.Context()
	c := &storeCharts{Day: dayParam(r, s.o.Now(), s.o.Location), Hour: -1}
	if _, _, ok := q.Layout(store); !ok {
		c.NoLayout = true
		return c
	}
	from, to := c.Day, c.Day.AddDate(0, 0, 1)
	if h, err := strconv.Atoi(r.URL.Query().Get("hour")); err == nil && h >= 0 && h < 24 {
		c.Hour = h
		from = time.Date(c.Day.Year(), c.Day.Month(), c.Day.Day(), h, 0, 0, 0, s.o.Location)
		to = from.Add(time.Hour)
	}
	rng := analytics.Range{Store: store, From: from, To: to, Step: analytics.StepHour}
	var err error
	fail := func(what string, e error) {
		if e != nil && c.Err == "" {
			c.Err = what + ": " + e.Error()
		}
	}
	c.Footfall, err = q.Footfall(ctx, store, c.Day)
	fail("footfall", err)
	c.Heatmap, err = q.Heatmap(ctx, rng)
	fail("heatmap", err)
	zr := analytics.Range{Store: store, From: c.Day, To: c.Day.AddDate(0, 0, 1), Step: analytics.StepDay}
	c.Zones, err = q.Zones(ctx, zr)
	fail("zones", err)
	c.Queues, err = q.Queues(ctx, zr)
	fail("queues", err)
	c.OD, err = q.OD(ctx, zr)
	fail("OD", err)

	type point struct {
		T       int64 `json:"t"` // Unix seconds of the hour (of today, for both series)
		Today   *int  `json:"today"`
		LastWk  *int  `json:"last_week"`
		InToday int   `json:"in"`
	}
	var pts []point
	for i, h := range c.Footfall.Hours {
		e := h.Entries
		p := point{T: h.Start.Unix(), Today: &e, InToday: h.In}
		if i < len(c.Footfall.LastWeek) {
			lw := c.Footfall.LastWeek[i].Entries
			p.LastWk = &lw
		}
		pts = append(pts, p)
	}
	c.FootfallJSON = pts
	plan := ""
	if c.Heatmap.Plan != nil {
		plan = "/dashboard/store/" + store + "/plan"
	}
	c.HeatJSON = map[string]any{"cell": c.Heatmap.Cell, "plan": c.Heatmap.Plan, "planURL": plan, "space": c.Heatmap.Space,
		"cells": c.Heatmap.Cells, "maxVisits": c.Heatmap.MaxVisits, "maxSeconds": c.Heatmap.MaxSeconds}
	return c
}

// exportCSV streams the store's aggregates as CSV: ?from=&to= (days, inclusive; default today), ?step=
// (15m, hour, day; default hour), ?public=1 for the k-anonymous publishable variant.
func (s *Server) exportCSV(w http.ResponseWriter, r *http.Request) {
	store := r.PathValue("store")
	if _, _, ok := s.o.Analytics.Layout(store); !ok {
		http.Error(w, "this store has no layout: nothing to export", http.StatusNotFound)
		return
	}
	from := dayParam(r, s.o.Now(), s.o.Location)
	if d, err := time.ParseInLocation("2006-01-02", r.URL.Query().Get("from"), s.o.Location); err == nil {
		from = d
	}
	to := from
	if d, err := time.ParseInLocation("2006-01-02", r.URL.Query().Get("to"), s.o.Location); err == nil {
		to = d
	}
	to = to.AddDate(0, 0, 1)
	step, ok := analytics.ParseStep(r.URL.Query().Get("step"))
	if !ok {
		step = analytics.StepHour
	}
	if !to.After(from) || to.Sub(from) > analytics.MaxRange {
		http.Error(w, "from must be before to, and the range at most a year", http.StatusBadRequest)
		return
	}
	public := r.URL.Query().Get("public") == "1"
	kind := "operator"
	if public {
		kind = "public"
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s-%s-%s.csv"`, store, from.Format("20060102"),
		to.AddDate(0, 0, -1).Format("20060102"), kind))
	err := s.o.Analytics.WriteCSV(r.Context(), w, analytics.Export{Range: analytics.Range{Store: store, From: from, To: to, Step: step},
		Public: public})
	if err != nil {
		s.log.Error("csv export", "store", store, "err", err)
	}
	s.log.Info("csv export", "store", store, "by", sessionOf(r).user, "public", public, "from", from, "to", to)
}

// planImage serves the floor plan configured for the store's layout (SVG or PNG), and nothing else.
func (s *Server) planImage(w http.ResponseWriter, r *http.Request) {
	l, _, ok := s.o.Analytics.Layout(r.PathValue("store"))
	if !ok || l.Plan == nil || l.Plan.Image == "" {
		http.Error(w, "no floor plan", http.StatusNotFound)
		return
	}
	ct := map[string]string{".svg": "image/svg+xml", ".png": "image/png"}[strings.ToLower(filepath.Ext(l.Plan.Image))]
	if ct == "" {
		http.Error(w, "the floor plan must be SVG or PNG", http.StatusNotFound)
		return
	}
	b, err := os.ReadFile(l.Plan.Image)
	if err != nil {
		s.httpError(w, r, http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	w.Write(b)
}

// analyticsRoutes are the routes that exist only with analytics.
func (s *Server) analyticsRoutes() []Route {
	if s.o.Analytics == nil {
		return nil
	}
	return []Route{
		{"GET /dashboard/store/{store}/export.csv", AccessOperator, s.exportCSV},
		{"GET /dashboard/store/{store}/plan", AccessOperator, s.planImage},
	}
}
