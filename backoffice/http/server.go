package http

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/backoffice/analytics"
)

// Commander sends a command to a sensor through the office's MQTT connection: QoS 1, never retained. It
// returns once the broker has acknowledged it, or with the error that kept it from doing so.
type Commander interface {
	Publish(ctx context.Context, topic string, payload []byte) error
}

// Options configure a Server. Store is required; every other zero value means "off" or the documented
// default.
type Options struct {
	Health   Health
	Gatherer prometheus.Gatherer

	Store backoffice.Store
	// Inquiries stores the inquiry desk; nil turns the desk off (the default).
	Inquiries backoffice.InquiryStore
	// Commands sends pause and resume; nil hides the buttons.
	Commands Commander
	// Analytics answers the dashboard's charts, the CSV export and the public footfall; nil leaves them
	// out.
	Analytics analytics.Queries

	// Watch is the office's sensor watch (notice hashes expected, offline delay): the dashboard shows its
	// flags.
	Watch backoffice.Watch
	// Retention is the office's retention rule and PurgeInterval how often the purge runs: the
	// retention page and the privacy policy state them.
	Retention     backoffice.Retention
	PurgeInterval time.Duration

	// Accounts are the operators who may log in; none means nobody can (the dashboard answers 401).
	Accounts []Account
	// SessionTTL is how long a login lasts; 0 means DefaultSessionTTL.
	SessionTTL time.Duration
	// Login limits failed logins per client address and per account name; zero means DefaultLoginLimit.
	Login Limit

	// Public configures the pages without login.
	Public Public
	// Inquiry configures the inquiry desk (used only when Inquiries is set).
	Inquiry InquiryDesk
	// Security is what the office really does to protect the data, for the privacy policy page.
	Security Security

	// LiveInterval is how often a live stream looks for changes; 0 means DefaultLiveInterval.
	LiveInterval time.Duration
	// Location is the time zone pages show times in; nil means time.Local.
	Location *time.Location
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives logins, commands and errors; nil discards.
	Logger *slog.Logger
}

// Public configures the public pages.
type Public struct {
	// StaleAfter: a sensor not heard from for longer is shown as "unknown since" its last message, never
	// with its last state. 0 means DefaultStaleAfter.
	StaleAfter time.Duration
	// Footfall shows today's footfall on /p/<store>, k-suppressed (and noised in the analytics' noise
	// mode), from Analytics.PublicFootfall.
	Footfall bool
}

// InquiryDesk configures the inquiry desk.
type InquiryDesk struct {
	// RetentionDays is how long an inquiry is kept; 0 means DefaultInquiryDays.
	RetentionDays int
	// MaxMessage is the longest message accepted, in characters; 0 means DefaultMaxMessage.
	MaxMessage int
	// Limit bounds submissions per client address; zero means DefaultInquiryLimit.
	Limit Limit
}

// Security is what protects the data, as configured and as the office really runs, for the privacy policy.
// main fills it from the configuration and the running store; the page states nothing else.
type Security struct {
	// HTTPS: the office serves HTTPS (http.tls_cert_file).
	HTTPS bool
	// MQTTTLS: the office reaches the broker over TLS; MQTTClientCert: with a client certificate.
	MQTTTLS, MQTTClientCert bool
	// DatabaseEncrypted: the data directory is on an encrypted block device (dm-crypt), as detected at
	// start; false means the office found no such encryption.
	DatabaseEncrypted bool
	// Store is the database that keeps the data: "sqlite" (a file on the office's own server) or "postgres"
	// (a PostgreSQL server; deletion drops whole day partitions).
	Store string
	// SecureErase: the store makes deleted rows unrecoverable from its files after each purge, and checks
	// it (SQLite: secure_delete on, VACUUM, incremental_vacuum, WAL truncated).
	SecureErase bool
	// Minimisation is what is removed from tracks when they arrive.
	Minimisation backoffice.Minimisation
}

// MinOn reports whether tracks are minimised on arrival.
func (s Security) MinOn() bool { return s.Minimisation != backoffice.Minimisation{} }

// MaxRate is the most points per second a stored track keeps (0: all).
func (s Security) MaxRate() float64 {
	if s.Minimisation.MinInterval <= 0 {
		return 0
	}
	return float64(time.Second) / float64(s.Minimisation.MinInterval)
}

// Defaults of Options.
const (
	DefaultSessionTTL   = 12 * time.Hour
	DefaultStaleAfter   = time.Minute // six status messages missed (sensors send one every 10 s)
	DefaultLiveInterval = time.Second
	DefaultInquiryDays  = 30
	DefaultMaxMessage   = 1000
)

// Defaults of the rate limits.
var (
	DefaultLoginLimit   = Limit{Max: 5, Per: 15 * time.Minute}
	DefaultInquiryLimit = Limit{Max: 3, Per: time.Hour}
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Server serves the office's pages: the operator dashboard (login required), the public pages and the
// signage, their live streams, /healthz and /metrics.
type Server struct {
	o      Options
	log    *slog.Logger
	pages  *pages
	auth   *auth
	live   *snapshots
	secret []byte // signs the tokens of forms that have no session (login, inquiry)

	inquiryLimit *limiter
	rates        trackRates

	mu      sync.Mutex
	pending map[backoffice.SensorKey]pendingCommand
}

// New returns a server for o.
func New(o Options) (*Server, error) {
	if o.Store == nil {
		return nil, errors.New("http: a store is required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Gatherer == nil {
		o.Gatherer = prometheus.NewRegistry()
	}
	if o.LiveInterval <= 0 {
		o.LiveInterval = DefaultLiveInterval
	}
	if o.Public.StaleAfter <= 0 {
		o.Public.StaleAfter = DefaultStaleAfter
	}
	if o.Inquiry.RetentionDays <= 0 {
		o.Inquiry.RetentionDays = DefaultInquiryDays
	}
	if o.Inquiry.MaxMessage <= 0 {
		o.Inquiry.MaxMessage = DefaultMaxMessage
	}
	if o.Inquiry.Limit.Max <= 0 {
		o.Inquiry.Limit = DefaultInquiryLimit
	}
	if o.Login.Max <= 0 {
		o.Login = DefaultLoginLimit
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = DefaultSessionTTL
	}
	p, err := loadPages()
	if err != nil {
		return nil, err
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	s := &Server{o: o, log: o.Logger, pages: p, secret: secret, pending: map[backoffice.SensorKey]pendingCommand{},
		inquiryLimit: newLimiter(o.Inquiry.Limit)}
	s.auth = newAuth(o.Accounts, o.SessionTTL, o.Login, o.Security.HTTPS, o.Now)
	s.live = &snapshots{store: o.Store, every: o.LiveInterval}
	return s, nil
}

// Access says who may use a route.
type Access int

const (
	// AccessOperator routes need a logged-in operator. It is the zero value, so a route that says nothing
	// is closed.
	AccessOperator Access = iota
	// AccessPublic routes are open to anyone: the public pages, the signage, their streams, the assets,
	// the login, /healthz and /metrics.
	AccessPublic
)

// Route is one entry of the route table.
type Route struct {
	Pattern string // a net/http ServeMux pattern with its method
	Access  Access
	handler http.HandlerFunc
}

// Routes is the route table: every route the server answers, and who may use it. Operator routes are
// wrapped in the login check (and, unless GET, the CSRF check) by Handler, from this table alone.
func (s *Server) Routes() []Route {
	r := []Route{
		{"GET /healthz", AccessPublic, s.healthz},
		{"GET /metrics", AccessPublic, promhttp.HandlerFor(s.o.Gatherer, promhttp.HandlerOpts{}).ServeHTTP},
		{"GET /static/", AccessPublic, s.static},
		{"GET /{$}", AccessPublic, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/dashboard", http.StatusSeeOther) }},
		{"GET /login", AccessPublic, s.loginPage},
		{"POST /login", AccessPublic, s.loginPost},

		{"GET /p/{store}", AccessPublic, s.publicPage},
		{"GET /p/{store}/privacy", AccessPublic, s.privacyPage},
		{"GET /p/{store}/events", AccessPublic, s.publicEvents},
		{"POST /p/{store}/inquiry", AccessPublic, s.inquiryPost},
		{"GET /signage/{store}", AccessPublic, s.signagePage},

		{"POST /logout", AccessOperator, s.logout},
		{"GET /dashboard", AccessOperator, s.dashboard},
		{"GET /dashboard/events", AccessOperator, s.dashboardEvents},
		{"GET /dashboard/store/{store}", AccessOperator, s.storePage},
		{"GET /dashboard/retention", AccessOperator, s.retentionPage},
		{"GET /dashboard/inquiries", AccessOperator, s.inquiriesPage},
		{"POST /dashboard/inquiries/{id}/answered", AccessOperator, s.inquiryAnswered},
		{"POST /dashboard/sensor/{store}/{sensor}/pause", AccessOperator, s.pauseSensor},
		{"POST /dashboard/sensor/{store}/{sensor}/resume", AccessOperator, s.resumeSensor},
		{"GET /dashboard/sensor/{store}/{sensor}/poster.pdf", AccessOperator, s.posterPDF},
	}
	return append(r, s.analyticsRoutes()...)
}

// Handler returns the server's handler: the route table behind the cross-origin check and the security
// headers.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.Routes() {
		h := rt.handler
		if rt.Access != AccessPublic {
			h = s.auth.require(h)
		}
		mux.Handle(rt.Pattern, h)
	}
	cop := http.NewCrossOriginProtection()
	return headers(cop.Handler(mux))
}

// headers sets the headers every answer carries: no sniffing, no framing (except the signage, which a
// signage player may embed), scripts and connections only from this origin, no caching of live pages.
func headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		frame := "'none'"
		if strings.HasPrefix(r.URL.Path, "/signage/") {
			frame = "*"
		} else {
			hd.Set("X-Frame-Options", "DENY")
		}
		hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "+
			"img-src 'self' data: blob:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors "+frame)
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			hd.Set("Cache-Control", "no-store")
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) static(w http.ResponseWriter, r *http.Request) {
	sub, _ := fs.Sub(staticFS, "static")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	http.StripPrefix("/static/", http.FileServerFS(sub)).ServeHTTP(w, r)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	healthz(s.o.Health, w, r)
}

// httpError answers with a plain-text error and logs server-side failures.
func (s *Server) httpError(w http.ResponseWriter, r *http.Request, code int, err error) {
	if code >= 500 {
		s.log.Error("http", "path", r.URL.Path, "err", err)
		http.Error(w, "the office could not answer: "+http.StatusText(code)+" (see its log)", code)
		return
	}
	http.Error(w, err.Error(), code)
}

// storeSensors returns the sensors of store from the live snapshot, and whether the store is known.
func (s *Server) storeSensors(ctx context.Context, store string) ([]backoffice.Sensor, bool, error) {
	all, err := s.live.get(ctx)
	if err != nil {
		return nil, false, err
	}
	var out []backoffice.Sensor
	for _, x := range all {
		if x.Store == store {
			out = append(out, x)
		}
	}
	return out, len(out) > 0, nil
}

// stores lists the stores the office has heard of, sorted.
func stores(sensors []backoffice.Sensor) []string {
	var out []string
	for _, x := range sensors {
		if !slices.Contains(out, x.Store) {
			out = append(out, x.Store)
		}
	}
	slices.Sort(out)
	return out
}

// snapshots caches the store's sensor list for one live interval, so that every stream and page shares one
// query per interval. The interval is measured on the monotonic clock: it is about load, not about the
// data's time.
type snapshots struct {
	store backoffice.Store
	every time.Duration

	mu      sync.Mutex
	at      time.Time
	sensors []backoffice.Sensor
}

func (c *snapshots) get(ctx context.Context) ([]backoffice.Sensor, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if c.sensors != nil && now.Sub(c.at) < c.every {
		return c.sensors, nil
	}
	ss, err := c.store.Sensors(ctx)
	if err != nil {
		return nil, fmt.Errorf("sensors: %w", err)
	}
	if ss == nil {
		ss = []backoffice.Sensor{}
	}
	c.sensors, c.at = ss, now
	return ss, nil
}

// invalidate makes the next get read the store (after a command, so its result shows at once).
func (c *snapshots) invalidate() {
	c.mu.Lock()
	c.sensors = nil
	c.mu.Unlock()
}
