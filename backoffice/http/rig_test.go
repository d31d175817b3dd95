package http_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/agent/notice"
	"github.com/ashiato/ashiato/backoffice"
	officehttp "github.com/ashiato/ashiato/backoffice/http"
	"github.com/ashiato/ashiato/backoffice/sqlite"
)

// The test rig: a real SQLite store, the server over it with a clock the test sets, a recording commander,
// and one operator account.
const (
	user     = "operator"
	password = "correct horse battery"
)

var (
	t0       = time.Date(2030, 3, 4, 10, 0, 0, 0, time.UTC)
	hashOnce sync.Once
	hash     string
)

type rig struct {
	t     *testing.T
	db    *sqlite.DB
	srv   *officehttp.Server
	h     http.Handler
	clock atomic.Int64
	cmds  *recorder
}

// recorder is a Commander that records what it is asked to publish.
type recorder struct {
	mu   sync.Mutex
	sent []string
	err  error
}

func (r *recorder) Publish(_ context.Context, topic string, payload []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.sent = append(r.sent, topic+" "+string(payload))
	return nil
}

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.sent...)
}

func newRig(t *testing.T, mod func(*officehttp.Options)) *rig {
	t.Helper()
	db, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	hashOnce.Do(func() {
		if hash, err = officehttp.HashPassword(password); err != nil {
			t.Fatal(err)
		}
	})
	r := &rig{t: t, db: db, cmds: &recorder{}}
	r.clock.Store(t0.UnixMilli())
	o := officehttp.Options{Store: db, Commands: r.cmds, Accounts: []officehttp.Account{{Name: user, Hash: hash}},
		Now: r.now, Location: time.UTC, PurgeInterval: 24 * time.Hour, LiveInterval: time.Millisecond,
		Watch: backoffice.Watch{ExpectNotice: map[backoffice.SensorKey]string{}}}
	if mod != nil {
		mod(&o)
	}
	if r.srv, err = officehttp.New(o); err != nil {
		t.Fatal(err)
	}
	r.h = r.srv.Handler()
	return r
}

func (r *rig) now() time.Time { return time.UnixMilli(r.clock.Load()).UTC() }

func (r *rig) advance(d time.Duration) { r.clock.Add(d.Milliseconds()) }

// sensor writes what sensor k of the store has published at the rig's now: an online status, its privacy
// state (with reason), a notice and stats with inView people in view.
func (r *rig) sensor(k backoffice.SensorKey, state, reason string, inView int) {
	r.t.Helper()
	now := r.now()
	n := notice.Default()
	st := r.json(event.Status{V: 1, State: event.StateOnline, Birth: 1, Sensor: k.Sensor, Capturing: state == event.PrivacyCapturing})
	pr := r.json(event.Privacy{V: 1, State: state, Reason: reason, Since: now.UnixMilli()})
	stats := r.json(event.Stats{V: 1, FPS: 9.5, Frames: 1000, FramesDropped: 10, InView: inView, OutboxDepth: 2})
	b := &backoffice.Batch{Sensors: []backoffice.SensorUpdate{
		{Kind: backoffice.UpdateStatus, SensorKey: k, At: now, Live: true, Payload: st, State: event.StateOnline, Birth: 1},
		{Kind: backoffice.UpdatePrivacy, SensorKey: k, At: now, Live: true, Payload: pr, State: state},
		{Kind: backoffice.UpdateNotice, SensorKey: k, At: now, Live: true, Payload: n.JSON(1), NoticeHash: n.Hash(),
			RetentionDays: n.RetentionDays, AggregateRetentionDays: n.AggregateRetentionDays},
		{Kind: backoffice.UpdateStats, SensorKey: k, At: now, Live: true, Payload: stats},
	}}
	if _, err := r.db.Write(context.Background(), b); err != nil {
		r.t.Fatal(err)
	}
	r.srv.ForgetLive()
}

// json encodes a payload, failing the test if it cannot.
func (r *rig) json(v any) []byte {
	r.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

// privacy writes only a new privacy state of k at the rig's now.
func (r *rig) privacy(k backoffice.SensorKey, state, reason string) {
	r.t.Helper()
	pr := r.json(event.Privacy{V: 1, State: state, Reason: reason, Since: r.now().UnixMilli()})
	if _, err := r.db.Write(context.Background(), &backoffice.Batch{Sensors: []backoffice.SensorUpdate{
		{Kind: backoffice.UpdatePrivacy, SensorKey: k, At: r.now(), Live: true, Payload: pr, State: state}}}); err != nil {
		r.t.Fatal(err)
	}
	r.srv.ForgetLive()
}

// stats writes only new stats of k, with inView people in view, at the rig's now.
func (r *rig) stats(k backoffice.SensorKey, inView int) {
	r.t.Helper()
	st := r.json(event.Stats{V: 1, FPS: 10, Frames: 2000, FramesDropped: 12, InView: inView, OutboxDepth: 0})
	if _, err := r.db.Write(context.Background(), &backoffice.Batch{Sensors: []backoffice.SensorUpdate{
		{Kind: backoffice.UpdateStats, SensorKey: k, At: r.now(), Live: true, Payload: st}}}); err != nil {
		r.t.Fatal(err)
	}
	r.srv.ForgetLive()
}

// client is a browser: it keeps cookies and sends Accept: text/html for GETs.
type client struct {
	r       *rig
	cookies map[string]*http.Cookie
	addr    string
	lang    string
}

func (r *rig) client() *client {
	return &client{r: r, cookies: map[string]*http.Cookie{}, addr: "192.0.2.10:5000"}
}

func (c *client) do(method, path string, form url.Values) *httptest.ResponseRecorder {
	c.r.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	req.RemoteAddr = c.addr
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if method == http.MethodGet {
		req.Header.Set("Accept", "text/html,application/xhtml+xml")
	}
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	c.r.h.ServeHTTP(rec, req)
	for _, ck := range rec.Result().Cookies() {
		if ck.MaxAge < 0 {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck
		}
	}
	return rec
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the CSRF token of the form on page.
func csrf(t *testing.T, page string) string {
	t.Helper()
	m := csrfRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token on the page:\n%.2000s", page)
	}
	return m[1]
}

// login logs c in as name with pw and returns the answer to the POST.
func (c *client) login(name, pw string) *httptest.ResponseRecorder {
	c.r.t.Helper()
	page := c.do(http.MethodGet, "/login", nil)
	return c.do(http.MethodPost, "/login", url.Values{"csrf": {csrf(c.r.t, page.Body.String())}, "name": {name}, "password": {pw},
		"next": {"/dashboard"}})
}

// loggedIn returns a client logged in as the rig's operator.
func (r *rig) loggedIn() *client {
	r.t.Helper()
	c := r.client()
	if rec := c.login(user, password); rec.Code != http.StatusSeeOther {
		r.t.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	return c
}
