package http_test

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/command"
	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/backoffice"
	officehttp "github.com/ashiato/ashiato/backoffice/http"
)

// publicRoutes is every route open without a login. A new public route must be added here on purpose;
// every other route must refuse a request without a session.
var publicRoutes = []string{
	"GET /healthz", "GET /metrics", "GET /static/", "GET /{$}", "GET /login", "POST /login",
	"GET /p/{store}", "GET /p/{store}/privacy", "GET /p/{store}/events", "POST /p/{store}/inquiry",
	"GET /signage/{store}",
}

var wildcard = regexp.MustCompile(`\{[a-z]+\}`)

// concrete turns a route pattern into a request path.
func concrete(pattern string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	path = strings.ReplaceAll(path, "{$}", "")
	path = wildcard.ReplaceAllStringFunc(path, func(w string) string {
		return map[string]string{"{store}": "shop", "{sensor}": "s1", "{id}": "1"}[w]
	})
	return method, path
}

func TestRouteTable(t *testing.T) {
	r := newRig(t, withAnalytics)
	r.sensor(backoffice.SensorKey{Store: "shop", Sensor: "s1"}, event.PrivacyCapturing, "", 0)
	var public []string
	operator := 0
	for _, rt := range r.srv.Routes() {
		if rt.Access == officehttp.AccessPublic {
			public = append(public, rt.Pattern)
			continue
		}
		operator++
		method, path := concrete(rt.Pattern)
		for _, accept := range []string{"text/html", "application/json", "text/event-stream"} {
			req := httptest.NewRequest(method, path, strings.NewReader("csrf=x&reason=r"))
			req.Header.Set("Accept", accept)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(&http.Cookie{Name: "ashiato_session", Value: "forged"})
			rec := httptest.NewRecorder()
			r.h.ServeHTTP(rec, req)
			switch {
			case rec.Code == http.StatusUnauthorized:
			case rec.Code == http.StatusSeeOther && method == http.MethodGet && accept == "text/html" &&
				strings.HasPrefix(rec.Header().Get("Location"), "/login?next="):
			default:
				t.Errorf("%s without a session (Accept %s): %d %s, want 401 or a redirect to /login", rt.Pattern, accept, rec.Code,
					rec.Header().Get("Location"))
			}
		}
	}
	if operator < 12 {
		t.Errorf("only %d operator routes: the table is not what this test expects", operator)
	}
	slices.Sort(public)
	want := slices.Clone(publicRoutes)
	slices.Sort(want)
	if !slices.Equal(public, want) {
		t.Errorf("public routes %v, want exactly %v: a route open without login must be added to the test on purpose", public, want)
	}

	// With a session, every state-changing operator route still needs the CSRF token.
	c := r.loggedIn()
	for _, rt := range r.srv.Routes() {
		method, path := concrete(rt.Pattern)
		if rt.Access == officehttp.AccessPublic || method == http.MethodGet {
			continue
		}
		if rec := c.do(method, path, url.Values{"csrf": {"wrong"}}); rec.Code != http.StatusForbidden {
			t.Errorf("%s with a session and a wrong CSRF token: %d, want 403", rt.Pattern, rec.Code)
		}
	}
}

func TestLogin(t *testing.T) {
	r := newRig(t, nil)
	c := r.client()
	if rec := c.do(http.MethodGet, "/dashboard", nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("dashboard before login: %d", rec.Code)
	}
	if rec := c.login(user, "wrong password"); rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "wrong password") {
		t.Errorf("wrong password: %d", rec.Code)
	}
	if rec := c.login("nobody", password); rec.Code != http.StatusUnauthorized {
		t.Errorf("unknown name: %d", rec.Code)
	}
	rec := c.login(user, password)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/dashboard" {
		t.Fatalf("login: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	ck := c.cookies["ashiato_session"]
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Secure {
		t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict, not Secure over plain HTTP", ck)
	}
	page := c.do(http.MethodGet, "/dashboard", nil)
	if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), user) {
		t.Fatalf("dashboard after login: %d", page.Code)
	}
	// A login cannot be bounced to another site.
	c2 := r.client()
	p := c2.do(http.MethodGet, "/login", nil)
	rec = c2.do(http.MethodPost, "/login", url.Values{"csrf": {csrf(t, p.Body.String())}, "name": {user}, "password": {password},
		"next": {"//evil.example/x"}})
	if loc := rec.Header().Get("Location"); loc != "/dashboard" {
		t.Errorf("next=//evil.example: redirected to %q", loc)
	}
	// Logout ends the session on the server, not just in the browser.
	stolen := *c.cookies["ashiato_session"]
	if rec := c.do(http.MethodPost, "/logout", url.Values{"csrf": {csrf(t, page.Body.String())}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("logout: %d", rec.Code)
	}
	c3 := r.client()
	c3.cookies[stolen.Name] = &stolen
	if rec := c3.do(http.MethodGet, "/dashboard", nil); rec.Code != http.StatusSeeOther {
		t.Errorf("the session still works after logout: %d", rec.Code)
	}
	// Sessions expire.
	c4 := r.loggedIn()
	r.advance(officehttp.DefaultSessionTTL + time.Second)
	if rec := c4.do(http.MethodGet, "/dashboard", nil); rec.Code != http.StatusSeeOther {
		t.Errorf("an expired session still works: %d", rec.Code)
	}
}

func TestLoginSecureCookieUnderTLS(t *testing.T) {
	r := newRig(t, func(o *officehttp.Options) { o.Security.HTTPS = true })
	c := r.client()
	if rec := c.login(user, password); rec.Code != http.StatusSeeOther {
		t.Fatalf("login: %d", rec.Code)
	}
	ck := c.cookies["__Host-ashiato_session"]
	if ck == nil || !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" {
		t.Errorf("session cookie under TLS %+v: want __Host-, Secure, HttpOnly, SameSite=Strict", ck)
	}
}

func TestLoginRateLimit(t *testing.T) {
	r := newRig(t, nil)
	c := r.client()
	for i := range officehttp.DefaultLoginLimit.Max {
		if rec := c.login(user, "guess "+string(rune('a'+i))); rec.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, rec.Code)
		}
	}
	rec := c.login(user, password)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("after %d failures, the right password: %d, want 429 with Retry-After", officehttp.DefaultLoginLimit.Max, rec.Code)
	}
	// The name is limited too, from any address.
	other := r.client()
	other.addr = "198.51.100.7:4000"
	if rec := other.login(user, password); rec.Code != http.StatusTooManyRequests {
		t.Errorf("the same name from another address: %d, want 429", rec.Code)
	}
	r.advance(officehttp.DefaultLoginLimit.Per)
	if rec := c.login(user, password); rec.Code != http.StatusSeeOther {
		t.Errorf("after the window: %d, want a login", rec.Code)
	}
}

func TestCrossOriginAndFormTokens(t *testing.T) {
	r := newRig(t, nil)
	c := r.client()
	// No form token: refused, even with the right password.
	if rec := c.do(http.MethodPost, "/login", url.Values{"name": {user}, "password": {password}}); rec.Code != http.StatusForbidden {
		t.Errorf("login without the form token: %d, want 403", rec.Code)
	}
	// A cross-site browser request is refused before it reaches a handler.
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader("name=x"))
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	rec := httptest.NewRecorder()
	r.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Errorf("cross-site POST: %d, want 403", rec.Code)
	}
	// Security headers.
	page := c.do(http.MethodGet, "/login", nil)
	if csp := page.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || page.Header().Get("X-Frame-Options") != "DENY" {
		t.Errorf("headers: %v", page.Header())
	}
}

func TestLiveState(t *testing.T) {
	stale := officehttp.DefaultStaleAfter
	priv := func(state string) backoffice.Sensor {
		return backoffice.Sensor{State: event.StateOnline, PrivacyState: state, PrivacyAt: t0.Add(-time.Hour),
			Privacy: []byte(`{"v":1,"state":"` + state + `","since":` + itoa(t0.Add(-2*time.Hour).UnixMilli()) + `}`), LastSeen: t0}
	}
	for _, tc := range []struct {
		name  string
		s     backoffice.Sensor
		now   time.Time
		state string
		since time.Time
	}{
		{"fresh capturing", priv(event.PrivacyCapturing), t0.Add(10 * time.Second), event.PrivacyCapturing, t0.Add(-2 * time.Hour)},
		{"fresh paused", priv(event.PrivacyPaused), t0.Add(stale), event.PrivacyPaused, t0.Add(-2 * time.Hour)},
		{"stale paused is not shown as paused", priv(event.PrivacyPaused), t0.Add(stale + time.Millisecond), officehttp.StateUnknown, t0},
		{"stale stopped is not shown as stopped", priv(event.PrivacyStopped), t0.Add(time.Hour), officehttp.StateUnknown, t0},
		{"connection lost (the will)", func() backoffice.Sensor { s := priv(event.PrivacyPaused); s.State = event.StateOffline; return s }(),
			t0.Add(time.Second), officehttp.StateUnknown, t0},
		{"never heard", backoffice.Sensor{}, t0, officehttp.StateUnknown, time.Time{}},
		{"no privacy message yet", backoffice.Sensor{State: event.StateOnline, LastSeen: t0}, t0, officehttp.StateUnknown, t0},
	} {
		state, since := officehttp.LiveState(tc.s, tc.now, stale)
		if state != tc.state || !since.Equal(tc.since) {
			t.Errorf("%s: %s since %v, want %s since %v", tc.name, state, since, tc.state, tc.since)
		}
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func TestPublicPage(t *testing.T) {
	r := newRig(t, nil)
	shop := backoffice.SensorKey{Store: "shop", Sensor: "entrance"}
	r.sensor(shop, event.PrivacyPaused, "staff meeting", 3)
	c := r.client()
	c.lang = "ja,en;q=0.8"
	page := c.do(http.MethodGet, "/p/shop", nil)
	body := page.Body.String()
	if page.Code != http.StatusOK {
		t.Fatalf("/p/shop: %d", page.Code)
	}
	for _, want := range []string{"一時停止中", "staff meeting", "デモ店舗", "90日", "730日", "店舗スタッフ privacy@example.com",
		`class="hash"`, "ポスター下部", "同意と申し出について", "お問い合わせ窓口にお申し出ください"} {
		if !strings.Contains(body, want) {
			t.Errorf("/p/shop lacks %q", want)
		}
	}
	if strings.Contains(body, `id="inquiry"`) {
		t.Error("the inquiry form shows although the desk is off")
	}
	c.lang = "en-GB,en;q=0.9,ja;q=0.5"
	if en := c.do(http.MethodGet, "/p/shop", nil).Body.String(); !strings.Contains(en, "Paused") || !strings.Contains(en, "Demo Store") {
		t.Error("Accept-Language en does not give the English page")
	}
	if ja := c.do(http.MethodGet, "/p/shop?lang=ja", nil).Body.String(); !strings.Contains(ja, "一時停止中") {
		t.Error("?lang=ja does not switch to Japanese")
	}
	// Silent for longer than StaleAfter: the last state is no longer shown as current.
	r.advance(officehttp.DefaultStaleAfter + time.Second)
	c.lang = "ja"
	stale := c.do(http.MethodGet, "/p/shop", nil).Body.String()
	if !strings.Contains(stale, "状態不明") || !strings.Contains(stale, "以降、センサーから受信していません") ||
		strings.Contains(stale, `<span class="label">一時停止中`) {
		t.Errorf("stale sensor: the page does not say unknown since:\n%s", stale)
	}
	if rec := c.do(http.MethodGet, "/p/nowhere", nil); rec.Code != http.StatusNotFound {
		t.Errorf("unknown store: %d", rec.Code)
	}
	if rec := c.do(http.MethodGet, "/p/..%2f..%2fetc", nil); rec.Code != http.StatusNotFound {
		t.Errorf("bad store name: %d", rec.Code)
	}
	sig := c.do(http.MethodGet, "/signage/shop", nil)
	if sig.Code != http.StatusOK || !strings.Contains(sig.Body.String(), "状態不明") || sig.Header().Get("X-Frame-Options") != "" {
		t.Errorf("signage: %d", sig.Code)
	}
}

func TestPrivacyPageStatesRealSettings(t *testing.T) {
	for _, https := range []bool{false, true} {
		r := newRig(t, func(o *officehttp.Options) {
			o.Security = officehttp.Security{HTTPS: https, Store: "sqlite", SecureErase: true, MQTTTLS: https,
				Minimisation: backoffice.DefaultMinimisation()}
		})
		r.sensor(backoffice.SensorKey{Store: "shop", Sensor: "a"}, event.PrivacyCapturing, "", 0)
		c := r.client()
		c.lang = "en"
		body := c.do(http.MethodGet, "/p/shop/privacy", nil).Body.String()
		plain := strings.Contains(body, "served without encryption")
		tls := strings.Contains(body, "served over HTTPS")
		if plain == https || tls != https {
			t.Errorf("HTTPS %v: the page says plain=%v tls=%v", https, plain, tls)
		}
		for _, want := range []string{"secure_delete", "rate-limited", "not encrypted (as far as the back office can tell)",
			"rounded to 0.1 m", "at most 2 points per second", "every 24 h", "rounded down to 1 min"} {
			if !strings.Contains(body, want) {
				t.Errorf("privacy page (HTTPS %v) lacks %q", https, want)
			}
		}
	}
}

func TestInquiryDesk(t *testing.T) {
	r := newRig(t, nil)
	r.sensor(backoffice.SensorKey{Store: "shop", Sensor: "a"}, event.PrivacyCapturing, "", 0)
	if rec := r.client().do(http.MethodPost, "/p/shop/inquiry", url.Values{"message": {"hi"}}); rec.Code != http.StatusNotFound {
		t.Errorf("desk off: %d, want 404", rec.Code)
	}

	desk := newRig(t, func(o *officehttp.Options) {
		o.Inquiries = o.Store.(backoffice.InquiryStore)
		o.Inquiry.MaxMessage = 50
	})
	desk.sensor(backoffice.SensorKey{Store: "shop", Sensor: "a"}, event.PrivacyCapturing, "", 0)
	c := desk.client()
	c.lang = "en"
	page := c.do(http.MethodGet, "/p/shop", nil).Body.String()
	tok := csrf(t, page)
	post := func(v url.Values) *httptest.ResponseRecorder { return c.do(http.MethodPost, "/p/shop/inquiry", v) }
	if rec := post(url.Values{"message": {"no token"}}); rec.Code != http.StatusForbidden {
		t.Errorf("without the form token: %d", rec.Code)
	}
	if rec := post(url.Values{"csrf": {tok}, "message": {strings.Repeat("あ", 51)}}); rec.Code != http.StatusBadRequest {
		t.Errorf("too long: %d", rec.Code)
	}
	if rec := post(url.Values{"csrf": {tok}, "message": {"hello"}, "reply_to": {"me@example.com"}}); rec.Code != http.StatusBadRequest {
		t.Errorf("reply address without consent: %d", rec.Code)
	}
	if rec := post(url.Values{"csrf": {tok}, "message": {"bidi \u202e trick"}}); rec.Code != http.StatusBadRequest {
		t.Errorf("control characters: %d", rec.Code)
	}
	rec := post(url.Values{"csrf": {tok}, "message": {"Is the camera recording?"}, "reply_to": {"me@example.com"}, "consent": {"yes"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("a good inquiry: %d %s", rec.Code, rec.Body)
	}
	qs, err := desk.db.Inquiries(t.Context(), "shop")
	if err != nil || len(qs) != 1 || qs[0].ReplyTo != "me@example.com" || !qs[0].Expires.Equal(t0.Add(30*24*time.Hour)) {
		t.Fatalf("stored: %+v %v", qs, err)
	}
	for i := 1; i < officehttp.DefaultInquiryLimit.Max; i++ {
		post(url.Values{"csrf": {tok}, "message": {"again"}})
	}
	if rec := post(url.Values{"csrf": {tok}, "message": {"one too many"}}); rec.Code != http.StatusTooManyRequests {
		t.Errorf("over the rate limit: %d", rec.Code)
	}
	// The dashboard lists it as open, then answered with the time to the first answer.
	op := desk.loggedIn()
	list := op.do(http.MethodGet, "/dashboard/inquiries", nil).Body.String()
	if !strings.Contains(list, "Is the camera recording?") || !strings.Contains(list, "3 open") {
		t.Fatalf("inquiries page:\n%s", list)
	}
	desk.advance(2 * time.Hour)
	id := qs[0].ID
	if rec := op.do(http.MethodPost, "/dashboard/inquiries/"+itoa(id)+"/answered", url.Values{"csrf": {csrf(t, list)}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("mark answered: %d", rec.Code)
	}
	if list := op.do(http.MethodGet, "/dashboard/inquiries", nil).Body.String(); !strings.Contains(list, "2 open, 1 answered; median time to first answer 2h0m0s") {
		t.Errorf("after the answer:\n%s", list)
	}
}

func TestCommandPayload(t *testing.T) {
	k := backoffice.SensorKey{Store: "shop", Sensor: "a"}
	topic, payload, err := officehttp.CommandPayload(k, command.Pause, 15*time.Minute, "清掃中")
	if err != nil || topic != "ashiato/v1/shop/a/cmd/pause" {
		t.Fatalf("%s %s %v", topic, payload, err)
	}
	got, err := command.Parse(event.Topics{Store: "shop", Sensor: "a"}, topic, payload, false)
	if err != nil || got.Kind != command.Pause || got.For != 15*time.Minute || got.Reason != "清掃中" {
		t.Errorf("the sensor reads %s as %+v, %v", payload, got, err)
	}
	if _, p, err := officehttp.CommandPayload(k, command.Resume, time.Hour, ""); err != nil || string(p) != `{"v":1}` {
		t.Errorf("resume: %s %v (a resume carries no duration)", p, err)
	}
	for _, bad := range []struct {
		d      time.Duration
		reason string
	}{{48 * time.Hour, ""}, {time.Hour, "bidi \u202e"}, {time.Hour, strings.Repeat("x", 65)}} {
		if _, _, err := officehttp.CommandPayload(k, command.Pause, bad.d, bad.reason); !errors.Is(err, command.ErrRejected) {
			t.Errorf("for %v reason %q: %v, want the sensor's rejection", bad.d, bad.reason, err)
		}
	}
}

func TestPauseFromDashboard(t *testing.T) {
	r := newRig(t, nil)
	k := backoffice.SensorKey{Store: "shop", Sensor: "a"}
	r.sensor(k, event.PrivacyCapturing, "", 2)
	c := r.loggedIn()
	page := c.do(http.MethodGet, "/dashboard", nil).Body.String()
	rec := c.do(http.MethodPost, "/dashboard/sensor/shop/a/pause", url.Values{"csrf": {csrf(t, page)}, "for": {"1h"}, "reason": {"inventory"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("pause: %d %s", rec.Code, rec.Body)
	}
	if sent := r.cmds.all(); len(sent) != 1 || sent[0] != `ashiato/v1/shop/a/cmd/pause {"v":1,"for":"1h0m0s","reason":"inventory"}` {
		t.Fatalf("published %q", sent)
	}
	if body := c.do(http.MethodGet, "/dashboard", nil).Body.String(); !strings.Contains(body, "waiting for the sensor") {
		t.Errorf("the dashboard does not show the command as waiting")
	}
	r.advance(time.Second)
	r.privacy(k, event.PrivacyPaused, "inventory")
	body := c.do(http.MethodGet, "/dashboard", nil).Body.String()
	if !strings.Contains(body, "pause by operator: done") || !strings.Contains(body, "state-paused") {
		t.Errorf("the dashboard does not show the pause done")
	}
	if rec := c.do(http.MethodPost, "/dashboard/sensor/shop/nope/pause", url.Values{"csrf": {csrf(t, page)}}); rec.Code != http.StatusNotFound {
		t.Errorf("unknown sensor: %d", rec.Code)
	}
	r.cmds.err = errors.New("broker gone")
	if rec := c.do(http.MethodPost, "/dashboard/sensor/shop/a/resume", url.Values{"csrf": {csrf(t, page)}}); rec.Code != http.StatusBadGateway {
		t.Errorf("broker gone: %d, want 502", rec.Code)
	}
	// The poster of a sensor is rendered from the notice it published.
	pdf := c.do(http.MethodGet, "/dashboard/sensor/shop/a/poster.pdf", nil)
	if pdf.Code != http.StatusOK || !strings.HasPrefix(pdf.Body.String(), "%PDF-") {
		t.Errorf("poster: %d %q", pdf.Code, pdf.Body.String()[:min(20, pdf.Body.Len())])
	}
}

func TestNoticeMismatchFlagged(t *testing.T) {
	k := backoffice.SensorKey{Store: "shop", Sensor: "a"}
	r := newRig(t, func(o *officehttp.Options) {
		o.Watch.ExpectNotice = map[backoffice.SensorKey]string{k: strings.Repeat("9f", 32)}
	})
	r.sensor(k, event.PrivacyCapturing, "", 0)
	body := r.loggedIn().do(http.MethodGet, "/dashboard", nil).Body.String()
	if !strings.Contains(body, `data-match="mismatch"`) || !strings.Contains(body, "notice_mismatch") {
		t.Errorf("a mismatching notice is not flagged")
	}
}

// TestLiveStream reads a page's event stream: the first message carries every live part, later ones only
// what changed, and a quiet interval sends a ping.
func TestLiveStream(t *testing.T) {
	r := newRig(t, func(o *officehttp.Options) { o.LiveInterval = 20 * time.Millisecond })
	k := backoffice.SensorKey{Store: "shop", Sensor: "a"}
	r.sensor(k, event.PrivacyCapturing, "", 0)
	srv := httptest.NewServer(r.h)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/p/shop/events?view=public&lang=ja", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	next := func() (event, data string) {
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = line[7:]
			case strings.HasPrefix(line, "data: "):
				data = line[6:]
			case line == "" && event != "":
				return event, data
			}
		}
		t.Fatalf("stream ended: %v", sc.Err())
		return "", ""
	}
	if ev, data := next(); ev != "message" || !strings.Contains(data, "計測中") {
		t.Fatalf("first: %s %s", ev, data)
	}
	if ev, _ := next(); ev != "ping" {
		t.Fatalf("nothing changed: %s, want ping", ev)
	}
	r.privacy(k, event.PrivacyPaused, "cleaning")
	for {
		ev, data := next()
		if ev == "message" {
			if !strings.Contains(data, "一時停止中") || !strings.Contains(data, "cleaning") {
				t.Fatalf("after the pause: %s", data)
			}
			break
		}
	}
}
