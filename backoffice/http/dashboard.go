package http

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/ashiato/ashiato/agent/command"
	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/agent/notice/poster"
	"github.com/ashiato/ashiato/backoffice"
)

// storeView is one store on the dashboard.
type storeView struct {
	Name    string
	Sensors []sensorView
	// Occupancy is the people in view of the store's capturing sensors now, from their latest stats
	// (in_view, summed: sensors with overlapping views count a person twice); Measured says how many
	// sensors it comes from.
	Occupancy int
	Measured  int
}

// dashData is what the dashboard pages show.
type dashData struct {
	L        lang
	User     string
	CSRF     string
	Commands bool
	Stores   []storeView
	Store    *storeView
	Live     string
	StaleMS  int64
	Now      time.Time
	Nav      string
	Rates    map[backoffice.SensorKey]int
	Charts   bool
	Extra    any
}

func (s *Server) dashData(ctx context.Context, r *http.Request, nav string) (dashData, error) {
	d := dashData{L: lang{"en", s.o.Location}, Commands: s.o.Commands != nil, Now: s.o.Now(), StaleMS: s.staleMS(),
		Nav: nav, Live: "/dashboard/events", Charts: s.o.Analytics != nil}
	if se := sessionOf(r); se != nil {
		d.User, d.CSRF = se.user, se.csrf
	}
	all, err := s.live.get(ctx)
	if err != nil {
		return d, err
	}
	d.Rates = s.rates.get(ctx, s.o.Store, all, d.Now)
	for _, name := range stores(all) {
		sv := storeView{Name: name}
		for _, x := range all {
			if x.Store != name {
				continue
			}
			v := s.sensorView(x, d.Now)
			sv.Sensors = append(sv.Sensors, v)
			if v.Live == event.PrivacyCapturing && v.StatsOK && d.Now.Sub(x.StatsAt) <= s.o.Public.StaleAfter {
				sv.Occupancy += v.Stats.InView
				sv.Measured++
			}
		}
		d.Stores = append(d.Stores, sv)
	}
	return d, nil
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	d, err := s.dashData(r.Context(), r, "overview")
	if err != nil {
		s.httpError(w, r, http.StatusInternalServerError, err)
		return
	}
	s.render(w, r, http.StatusOK, "dashboard.html", d)
}

// dashboardEvents is the live stream of every dashboard page: each store's occupancy and sensor table.
func (s *Server) dashboardEvents(w http.ResponseWriter, r *http.Request) {
	s.stream(w, r, func(ctx context.Context) (map[string]string, error) {
		d, err := s.dashData(ctx, r, "")
		if err != nil {
			return nil, err
		}
		out := map[string]string{}
		for _, st := range d.Stores {
			data := map[string]any{"Page": d, "Item": st}
			rows, err := s.pages.fragment("sensor-rows", data)
			if err != nil {
				return nil, err
			}
			occ, err := s.pages.fragment("occupancy", data)
			if err != nil {
				return nil, err
			}
			out["sensors-"+st.Name], out["occupancy-"+st.Name] = rows, occ
		}
		return out, nil
	})
}

func (s *Server) storePage(w http.ResponseWriter, r *http.Request) {
	d, err := s.dashData(r.Context(), r, "store")
	if err != nil {
		s.httpError(w, r, http.StatusInternalServerError, err)
		return
	}
	name := r.PathValue("store")
	for i := range d.Stores {
		if d.Stores[i].Name == name {
			d.Store = &d.Stores[i]
		}
	}
	if d.Store == nil {
		http.Error(w, "no such store", http.StatusNotFound)
		return
	}
	if c := s.charts(r, name); c != nil {
		d.Extra = c
	}
	s.render(w, r, http.StatusOK, "store.html", d)
}

// retentionData is the retention page: the rule per sensor, what is kept, and the purge log.
type retentionData struct {
	Sensors   []retentionRow
	Runs      []backoffice.PurgeRun
	Interval  time.Duration
	NextPurge time.Time
	MaxDays   int
	Inquiries bool
	InqDays   int
	InqKept   int
	Security  Security
}

type retentionRow struct {
	backoffice.SensorKey
	Promise, AggregateDays, Days int
	Clamped, NoNotice            bool
	Kept                         backoffice.Kept
}

func (s *Server) retentionPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d, err := s.dashData(ctx, r, "retention")
	if err != nil {
		s.httpError(w, r, http.StatusInternalServerError, err)
		return
	}
	kept, err := s.o.Store.Kept(ctx)
	if err != nil {
		s.httpError(w, r, http.StatusInternalServerError, err)
		return
	}
	runs, err := s.o.Store.PurgeRuns(ctx, 30)
	if err != nil {
		s.httpError(w, r, http.StatusInternalServerError, err)
		return
	}
	rd := retentionData{Runs: runs, Interval: s.o.PurgeInterval, MaxDays: s.o.Retention.MaxDays,
		Inquiries: s.o.Inquiries != nil, InqDays: s.o.Inquiry.RetentionDays, Security: s.o.Security}
	if len(runs) > 0 && s.o.PurgeInterval > 0 {
		rd.NextPurge = runs[0].At.Add(s.o.PurgeInterval)
	}
	for _, st := range d.Stores {
		for _, v := range st.Sensors {
			days, clamped := s.o.Retention.Days(v.RetentionDays)
			row := retentionRow{SensorKey: v.SensorKey, Promise: v.RetentionDays, AggregateDays: v.AggregateRetentionDays,
				Days: days, Clamped: clamped, NoNotice: v.RetentionDays <= 0}
			if row.AggregateDays == 0 {
				row.AggregateDays = v.RetentionDays
			}
			for _, k := range kept {
				if k.SensorKey == v.SensorKey {
					row.Kept = k
				}
			}
			rd.Sensors = append(rd.Sensors, row)
		}
	}
	if s.o.Inquiries != nil {
		qs, err := s.o.Inquiries.Inquiries(ctx, "")
		if err != nil {
			s.httpError(w, r, http.StatusInternalServerError, err)
			return
		}
		rd.InqKept = len(qs)
	}
	d.Extra = rd
	s.render(w, r, http.StatusOK, "retention.html", d)
}

// inquiriesData is the inquiry desk's page.
type inquiriesData struct {
	Enabled   bool
	Open      []backoffice.Inquiry
	Answered  []backoffice.Inquiry
	MedianAns time.Duration
	Days      int
}

func (s *Server) inquiriesPage(w http.ResponseWriter, r *http.Request) {
	d, err := s.dashData(r.Context(), r, "inquiries")
	if err != nil {
		s.httpError(w, r, http.StatusInternalServerError, err)
		return
	}
	id := inquiriesData{Enabled: s.o.Inquiries != nil, Days: s.o.Inquiry.RetentionDays}
	if id.Enabled {
		qs, err := s.o.Inquiries.Inquiries(r.Context(), "")
		if err != nil {
			s.httpError(w, r, http.StatusInternalServerError, err)
			return
		}
		var waits []time.Duration
		for _, q := range qs {
			if q.Answered.IsZero() {
				id.Open = append(id.Open, q)
			} else {
				id.Answered = append(id.Answered, q)
				waits = append(waits, q.FirstAnswer())
			}
		}
		if len(waits) > 0 {
			slices.Sort(waits)
			id.MedianAns = waits[len(waits)/2]
		}
	}
	d.Extra = id
	s.render(w, r, http.StatusOK, "inquiries.html", d)
}

func (s *Server) inquiryAnswered(w http.ResponseWriter, r *http.Request) {
	if s.o.Inquiries == nil {
		http.Error(w, "the inquiry desk is off", http.StatusNotFound)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.Error(w, "bad inquiry id", http.StatusBadRequest)
		return
	}
	if err := s.o.Inquiries.MarkAnswered(r.Context(), id, s.o.Now()); errors.Is(err, backoffice.ErrNotFound) {
		http.Error(w, "no such inquiry (it may have expired)", http.StatusNotFound)
		return
	} else if err != nil {
		s.httpError(w, r, http.StatusInternalServerError, err)
		return
	}
	s.log.Info("inquiry answered", "id", id, "by", sessionOf(r).user)
	http.Redirect(w, r, "/dashboard/inquiries", http.StatusSeeOther)
}

// pendingCommand is the last command sent to a sensor from the dashboard, until the sensor's privacy state
// shows its result.
type pendingCommand struct {
	Kind   string // pause or resume
	User   string
	Sent   time.Time
	Reason string
	Err    string
	// Done is when the sensor's privacy state first showed the result (zero while waiting).
	Done time.Time
}

// want is the privacy state the command leads to.
func (p pendingCommand) want() string {
	if p.Kind == command.Pause.String() {
		return event.PrivacyPaused
	}
	return event.PrivacyCapturing
}

// settle marks p done once x's privacy state, received after p was sent, is the one p asked for.
func (p *pendingCommand) settle(x backoffice.Sensor) {
	if !p.Done.IsZero() || p.Err != "" {
		return
	}
	if x.PrivacyState == p.want() && !x.PrivacyAt.Before(p.Sent) {
		p.Done = x.PrivacyAt
	}
}

// Waiting reports whether the result has not shown yet after long: the sensor may be offline.
func (p pendingCommand) Waiting(now time.Time) bool {
	return p.Done.IsZero() && p.Err == "" && now.Sub(p.Sent) > 30*time.Second
}

// CommandPayload is the body of cmd/pause or cmd/resume for sensor k: {"v":1} with "for" (pause only, 0
// means the sensor's default) and "reason" ("" leaves it out), checked with the sensor's own parser so
// that the office never sends what the sensor would reject.
func CommandPayload(k backoffice.SensorKey, kind command.Kind, d time.Duration, reason string) (topic string, payload []byte, err error) {
	body := struct {
		V      int    `json:"v"`
		For    string `json:"for,omitempty"`
		Reason string `json:"reason,omitempty"`
	}{V: event.Version, Reason: reason}
	leaf := event.LeafResume
	if kind == command.Pause {
		leaf = event.LeafPause
		if d > 0 {
			body.For = d.String()
		}
	}
	if !event.ValidName(k.Store) || !event.ValidName(k.Sensor) {
		return "", nil, fmt.Errorf("bad sensor name %q", k.String())
	}
	top := event.Topics{Store: k.Store, Sensor: k.Sensor}
	topic = top.Topic(leaf)
	var b []byte
	if b, err = json.Marshal(body); err != nil {
		return "", nil, err
	}
	if _, err := command.Parse(top, topic, b, false); err != nil {
		return "", nil, err
	}
	return topic, b, nil
}

func (s *Server) pauseSensor(w http.ResponseWriter, r *http.Request) {
	s.sendCommand(w, r, command.Pause)
}
func (s *Server) resumeSensor(w http.ResponseWriter, r *http.Request) {
	s.sendCommand(w, r, command.Resume)
}

// sendCommand publishes a pause or resume for the sensor of the path and records it as pending; the
// dashboard's live stream shows the result when the sensor's privacy state changes.
func (s *Server) sendCommand(w http.ResponseWriter, r *http.Request, kind command.Kind) {
	if s.o.Commands == nil {
		http.Error(w, "commands are off: the office has no MQTT connection for them", http.StatusNotFound)
		return
	}
	k := backoffice.SensorKey{Store: r.PathValue("store"), Sensor: r.PathValue("sensor")}
	sensors, _, err := s.storeSensors(r.Context(), k.Store)
	if err != nil {
		s.httpError(w, r, http.StatusInternalServerError, err)
		return
	}
	var x *backoffice.Sensor
	for i := range sensors {
		if sensors[i].SensorKey == k {
			x = &sensors[i]
		}
	}
	if x == nil {
		http.Error(w, "no such sensor", http.StatusNotFound)
		return
	}
	var d time.Duration
	if v := r.PostFormValue("for"); v != "" && kind == command.Pause {
		if d, err = time.ParseDuration(v); err != nil {
			http.Error(w, "for: not a duration such as 15m", http.StatusBadRequest)
			return
		}
	}
	reason := r.PostFormValue("reason")
	topic, payload, err := CommandPayload(k, kind, d, reason)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	user := sessionOf(r).user
	pc := pendingCommand{Kind: kind.String(), User: user, Sent: s.o.Now(), Reason: reason}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	if err := s.o.Commands.Publish(ctx, topic, payload); err != nil {
		pc.Err = err.Error()
		s.log.Error("command not sent", "sensor", k.String(), "command", kind.String(), "by", user, "err", err)
	} else {
		s.log.Info("command sent", "sensor", k.String(), "command", kind.String(), "by", user, "reason", reason, "for", d)
		if x.PrivacyState == pc.want() {
			pc.Done = pc.Sent // already in that state: the sensor will not announce a change
		}
	}
	s.mu.Lock()
	s.pending[k] = pc
	s.mu.Unlock()
	s.live.invalidate()
	if pc.Err != "" {
		http.Error(w, "the command could not be sent: "+pc.Err, http.StatusBadGateway)
		return
	}
	http.Redirect(w, r, "/dashboard#sensor-"+k.Store+"-"+k.Sensor, http.StatusSeeOther)
}

// posterPDF renders the poster of a sensor from the notice it published, as the sensor would.
func (s *Server) posterPDF(w http.ResponseWriter, r *http.Request) {
	k := backoffice.SensorKey{Store: r.PathValue("store"), Sensor: r.PathValue("sensor")}
	sensors, _, err := s.storeSensors(r.Context(), k.Store)
	if err != nil {
		s.httpError(w, r, http.StatusInternalServerError, err)
		return
	}
	for _, x := range sensors {
		if x.SensorKey != k {
			continue
		}
		v := s.sensorView(x, s.o.Now())
		if !v.HasNotice {
			http.Error(w, "no notice received from this sensor yet", http.StatusNotFound)
			return
		}
		if !v.NoticeOK {
			http.Error(w, "the office cannot re-render this sensor's notice exactly (its hash differs from what the sensor sent, "+
				"probably a newer sensor version): print the poster on the sensor with `ashiato poster`", http.StatusConflict)
			return
		}
		paper := poster.A4
		if r.URL.Query().Get("paper") == "A3" {
			paper = poster.A3
		}
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="poster-%s-%s-%s.pdf"`, k.Store, k.Sensor, paper.Name))
		if err := poster.WritePDF(w, v.Notice, paper); err != nil {
			s.log.Error("poster", "sensor", k.String(), "err", err)
		}
		return
	}
	http.Error(w, "no such sensor", http.StatusNotFound)
}

// trackRates counts each sensor's tracks stored in the last hour, at most once a minute (it reads the
// tracks table).
type trackRates struct {
	mu  sync.Mutex
	at  time.Time
	per map[backoffice.SensorKey]int
}

func (t *trackRates) get(ctx context.Context, st backoffice.Store, sensors []backoffice.Sensor, now time.Time) map[backoffice.SensorKey]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.per != nil && now.Sub(t.at) < time.Minute && !now.Before(t.at) {
		return t.per
	}
	per := map[backoffice.SensorKey]int{}
	for _, x := range sensors {
		n := 0
		err := st.Tracks(ctx, backoffice.TrackQuery{Store: x.Store, Sensor: x.Sensor, From: now.Add(-time.Hour), To: now},
			func(tr backoffice.Track) error {
				if tr.Seg == 0 {
					n++
				}
				return nil
			})
		if err != nil {
			return t.per
		}
		per[x.SensorKey] = n
	}
	t.per, t.at = per, now
	return per
}
