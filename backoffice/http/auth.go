package http

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Account is one operator who may log in to the dashboard.
type Account struct {
	Name string
	// Hash is the bcrypt hash of the password (HashPassword; `ashiato-office hash-password`).
	Hash string
}

// BcryptCost is the work factor of new password hashes: about 50-100 ms per check on a Raspberry Pi 4 class
// CPU at cost 12 is the usual advice; 11 keeps a login on a Pi 3 under half a second.
const BcryptCost = 11

// HashPassword returns the bcrypt hash of password for an Account.
func HashPassword(password string) (string, error) {
	if len(password) < 10 {
		return "", errors.New("a password needs at least 10 characters")
	}
	if len(password) > 72 {
		return "", errors.New("bcrypt uses at most 72 bytes of a password; choose a shorter one")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), BcryptCost)
	return string(h), err
}

// CheckHash reports whether h is a bcrypt hash this package can check, for validating configurations.
func CheckHash(h string) error {
	if _, err := bcrypt.Cost([]byte(h)); err != nil {
		return fmt.Errorf("not a bcrypt hash (make one with `ashiato-office hash-password`): %w", err)
	}
	return nil
}

// Limit is a rate limit: at most Max events per Per.
type Limit struct {
	Max int
	Per time.Duration
}

// limiter counts events per key in a sliding window. It forgets keys whose events are all older than the
// window, so its memory is bounded by the keys active in one window.
type limiter struct {
	l      Limit
	mu     sync.Mutex
	events map[string][]time.Time
}

func newLimiter(l Limit) *limiter { return &limiter{l: l, events: map[string][]time.Time{}} }

// blocked reports whether key has used up its events at now, and when it may try again.
func (l *limiter) blocked(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ev := l.recent(key, now)
	if len(ev) < l.l.Max {
		return false, 0
	}
	return true, ev[0].Add(l.l.Per).Sub(now)
}

// add records an event of key at now.
func (l *limiter) add(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events[key] = append(l.recent(key, now), now)
	if len(l.events) > 1000 {
		for k := range l.events {
			l.recent(k, now)
		}
	}
}

// recent drops the events of key older than the window and returns the rest. l.mu is held.
func (l *limiter) recent(key string, now time.Time) []time.Time {
	ev := l.events[key]
	i := 0
	for i < len(ev) && now.Sub(ev[i]) >= l.l.Per {
		i++
	}
	ev = ev[i:]
	if len(ev) == 0 {
		delete(l.events, key)
		return nil
	}
	l.events[key] = ev
	return ev
}

// clientAddr is the address a request came from, without the port. The office does not trust
// X-Forwarded-For: behind a reverse proxy every client shares the proxy's limit.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// session is one logged-in operator.
type session struct {
	user    string
	csrf    string
	expires time.Time
}

// auth keeps the accounts and the sessions. Sessions live in memory: a restart of the office logs every
// operator out, and no session token is ever written to disk.
type auth struct {
	accounts map[string]string
	dummy    []byte // a hash to check unknown names against, so they take as long as known ones
	ttl      time.Duration
	secure   bool
	now      func() time.Time
	failures *limiter

	mu       sync.Mutex
	sessions map[string]*session // by sha256 of the token
}

func newAuth(accounts []Account, ttl time.Duration, l Limit, secure bool, now func() time.Time) *auth {
	a := &auth{accounts: map[string]string{}, ttl: ttl, secure: secure, now: now, failures: newLimiter(l),
		sessions: map[string]*session{}}
	for _, acc := range accounts {
		a.accounts[acc.Name] = acc.Hash
	}
	a.dummy, _ = bcrypt.GenerateFromPassword([]byte("not a password of anyone"), BcryptCost)
	return a
}

// cookie is the session cookie's name: with the __Host- prefix under TLS, which browsers accept only
// when Secure, for the whole site and without a Domain.
func (a *auth) cookie() string {
	if a.secure {
		return "__Host-ashiato_session"
	}
	return "ashiato_session"
}

func token() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func tokenKey(t string) string {
	sum := sha256.Sum256([]byte(t))
	return string(sum[:])
}

// ErrLoginLimited is returned by login while too many logins failed from one address or for one name.
var ErrLoginLimited = errors.New("too many failed logins; try again later")

// login checks name and password from addr. On success it returns a new session token.
func (a *auth) login(name, password, addr string) (string, time.Duration, error) {
	now := a.now()
	for _, key := range []string{"addr:" + addr, "name:" + name} {
		if blocked, retry := a.failures.blocked(key, now); blocked {
			return "", retry, ErrLoginLimited
		}
	}
	hash, ok := a.accounts[name]
	h := []byte(hash)
	if !ok {
		h = a.dummy
	}
	if err := bcrypt.CompareHashAndPassword(h, []byte(password)); err != nil || !ok {
		a.failures.add("addr:"+addr, now)
		a.failures.add("name:"+name, now)
		return "", 0, errors.New("unknown name or wrong password")
	}
	t := token()
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, s := range a.sessions {
		if now.After(s.expires) {
			delete(a.sessions, k)
		}
	}
	a.sessions[tokenKey(t)] = &session{user: name, csrf: token(), expires: now.Add(a.ttl)}
	return t, 0, nil
}

// session returns the live session of r, or nil.
func (a *auth) session(r *http.Request) *session {
	c, err := r.Cookie(a.cookie())
	if err != nil || c.Value == "" {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.sessions[tokenKey(c.Value)]
	if s == nil {
		return nil
	}
	if a.now().After(s.expires) {
		delete(a.sessions, tokenKey(c.Value))
		return nil
	}
	return s
}

func (a *auth) logout(r *http.Request) {
	if c, err := r.Cookie(a.cookie()); err == nil {
		a.mu.Lock()
		delete(a.sessions, tokenKey(c.Value))
		a.mu.Unlock()
	}
}

func (a *auth) setCookie(w http.ResponseWriter, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: a.cookie(), Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: a.secure, SameSite: http.SameSiteStrictMode})
}

type ctxKey struct{}

// require lets r through only with a live session, and, for methods other than GET and HEAD, only with
// the session's CSRF token in the form field "csrf" or the X-CSRF-Token header. Without a session, a
// browser asking for a page is sent to the login page; anything else gets 401.
func (a *auth) require(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := a.session(r)
		if s == nil {
			if r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html") {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			w.Header().Set("WWW-Authenticate", `Cookie realm="ashiato-office"`)
			http.Error(w, "login required", http.StatusUnauthorized)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			got := r.Header.Get("X-CSRF-Token")
			if got == "" {
				got = r.PostFormValue("csrf")
			}
			if subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) != 1 {
				http.Error(w, "missing or wrong CSRF token: reload the page and try again", http.StatusForbidden)
				return
			}
		}
		h(w, r.WithContext(withSession(r.Context(), s)))
	}
}

// formToken is the CSRF token of a form shown without a session (login, inquiry): an HMAC of a random
// value kept in an HttpOnly cookie, so that only a page this office served to this browser can post it.
func (s *Server) formToken(w http.ResponseWriter, r *http.Request) string {
	v := ""
	if c, err := r.Cookie("ashiato_form"); err == nil && len(c.Value) == 43 {
		v = c.Value
	} else {
		v = token()
		http.SetCookie(w, &http.Cookie{Name: "ashiato_form", Value: v, Path: "/", HttpOnly: true,
			Secure: s.o.Security.HTTPS, SameSite: http.SameSiteStrictMode})
	}
	return s.sign(v)
}

func (s *Server) sign(v string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(v))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkFormToken reports whether r carries the form token matching its cookie.
func (s *Server) checkFormToken(r *http.Request) bool {
	c, err := r.Cookie("ashiato_form")
	if err != nil {
		return false
	}
	return hmac.Equal([]byte(r.PostFormValue("csrf")), []byte(s.sign(c.Value)))
}

// safeNext returns next if it is a path on this site, else /dashboard.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/") && !strings.HasPrefix(next, "//") && !strings.HasPrefix(next, "/\\") &&
		!strings.ContainsAny(next, "\r\n") {
		return next
	}
	return "/dashboard"
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "login.html", map[string]any{"CSRF": s.formToken(w, r),
		"Next": safeNext(r.URL.Query().Get("next")), "Error": "", "NoAccounts": len(s.o.Accounts) == 0})
}

func (s *Server) loginPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	next := safeNext(r.PostFormValue("next"))
	fail := func(code int, msg string) {
		s.render(w, r, code, "login.html", map[string]any{"CSRF": s.formToken(w, r), "Next": next, "Error": msg,
			"NoAccounts": len(s.o.Accounts) == 0})
	}
	if !s.checkFormToken(r) {
		fail(http.StatusForbidden, "The form expired. Please try again. / フォームの有効期限が切れました。もう一度お試しください。")
		return
	}
	name := r.PostFormValue("name")
	t, retry, err := s.auth.login(name, r.PostFormValue("password"), clientAddr(r))
	switch {
	case errors.Is(err, ErrLoginLimited):
		s.log.Warn("login refused: rate limit", "name", name, "addr", clientAddr(r))
		w.Header().Set("Retry-After", fmt.Sprint(int(retry.Seconds())+1))
		fail(http.StatusTooManyRequests, fmt.Sprintf("Too many failed logins. Try again in %s. / ログインの失敗が続いたため、%s後に再度お試しください。",
			retry.Round(time.Second), retry.Round(time.Second)))
		return
	case err != nil:
		s.log.Warn("login failed", "name", name, "addr", clientAddr(r))
		fail(http.StatusUnauthorized, "Unknown name or wrong password. / 名前またはパスワードが違います。")
		return
	}
	s.log.Info("login", "name", name, "addr", clientAddr(r))
	s.auth.setCookie(w, t, int(s.o.SessionTTL.Seconds()))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	s.auth.logout(r)
	s.auth.setCookie(w, "", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
