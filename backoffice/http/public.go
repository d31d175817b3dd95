package http

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ashiato/ashiato/agent/command"
	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/backoffice/analytics"
)

// publicData is what /p/<store>, its privacy policy and the signage show. It holds no track data: only the
// sensors' published state and notices, the purge log, and (optionally) k-anonymous footfall.
type publicData struct {
	L        lang
	Store    string
	Sensors  []sensorView
	Notices  []noticeGroup
	Purge    purgeSummary
	Footfall *analytics.PublicFootfall
	// Live is the URL of the page's event stream; StaleMS how long without a message means stale.
	Live    string
	StaleMS int64
	Now     time.Time
	// The inquiry desk.
	Inquiry      bool
	InquiryDays  int
	MaxMessage   int
	CSRF         string
	Thanks       bool
	InquiryError string
	Message      string
	// The privacy policy's facts.
	Security      Security
	Accounts      int
	PurgeInterval time.Duration
	MaxDays       int
	Path          string // this page's path, for the language switch
}

// purgeSummary is the last purge run and what it removed from one store.
type purgeSummary struct {
	Done           bool
	At             time.Time
	Erased         bool
	Erasure        string
	Tracks         int
	Dropped        int
	Oldest, Newest time.Time
}

func (s *Server) purgeSummary(ctx context.Context, store string) (purgeSummary, error) {
	runs, err := s.o.Store.PurgeRuns(ctx, 1)
	if err != nil || len(runs) == 0 {
		return purgeSummary{}, err
	}
	run := runs[0]
	p := purgeSummary{Done: true, At: run.At, Erased: run.Erased, Erasure: run.Erasure}
	for _, x := range run.Sensors {
		if x.Store != store {
			continue
		}
		p.Tracks += x.Tracks
		p.Dropped += x.Dropped
		if !x.Oldest.IsZero() && (p.Oldest.IsZero() || x.Oldest.Before(p.Oldest)) {
			p.Oldest = x.Oldest
		}
		if x.Newest.After(p.Newest) {
			p.Newest = x.Newest
		}
	}
	return p, nil
}

// publicData gathers what the public pages of store show (only the sensors unless full: that is what the
// live streams send); ok is false for a store the office has never heard of.
func (s *Server) publicData(ctx context.Context, r *http.Request, store string, full bool) (publicData, bool, error) {
	d := publicData{L: pickLang(r, s.o.Location), Store: store, Now: s.o.Now(), Security: s.o.Security,
		Accounts: len(s.o.Accounts), PurgeInterval: s.o.PurgeInterval, MaxDays: s.o.Retention.MaxDays,
		Inquiry: s.o.Inquiries != nil, InquiryDays: s.o.Inquiry.RetentionDays, MaxMessage: s.o.Inquiry.MaxMessage,
		StaleMS: s.staleMS(), Path: r.URL.Path}
	if !event.ValidName(store) {
		return d, false, nil
	}
	sensors, ok, err := s.storeSensors(ctx, store)
	if err != nil || !ok {
		return d, ok, err
	}
	for _, x := range sensors {
		d.Sensors = append(d.Sensors, s.sensorView(x, d.Now))
	}
	d.Notices = notices(d.Sensors)
	if !full {
		return d, true, nil
	}
	if d.Purge, err = s.purgeSummary(ctx, store); err != nil {
		return d, true, err
	}
	if s.o.Public.Footfall && s.o.Analytics != nil {
		f, err := s.o.Analytics.PublicFootfall(ctx, store, d.Now)
		switch {
		case errors.Is(err, analytics.ErrNoLayout):
		case err != nil:
			s.log.Warn("public footfall", "store", store, "err", err)
		case f.Available:
			d.Footfall = &f
		}
	}
	return d, true, nil
}

// staleMS is how long a page waits without any message before it says its data is stale: three live
// intervals, and at least ten seconds.
func (s *Server) staleMS() int64 {
	return max(3*s.o.LiveInterval, 10*time.Second).Milliseconds()
}

func (s *Server) publicPage(w http.ResponseWriter, r *http.Request) {
	s.publicView(w, r, "public.html")
}

func (s *Server) privacyPage(w http.ResponseWriter, r *http.Request) {
	s.publicView(w, r, "privacy.html")
}

func (s *Server) signagePage(w http.ResponseWriter, r *http.Request) {
	s.publicView(w, r, "signage.html")
}

func (s *Server) publicView(w http.ResponseWriter, r *http.Request, page string) {
	store := r.PathValue("store")
	d, ok, err := s.publicData(r.Context(), r, store, true)
	if err != nil {
		s.httpError(w, r, http.StatusInternalServerError, err)
		return
	}
	if !ok {
		http.Error(w, "no such store / 該当する店舗はありません", http.StatusNotFound)
		return
	}
	view := "public"
	if page == "signage.html" {
		// The signage shows Japanese first with English under it, whatever the player's browser says.
		view, d.L = "signage", lang{"ja", s.o.Location}
	}
	d.Live = fmt.Sprintf("/p/%s/events?view=%s&lang=%s", store, view, d.L.Code)
	if d.Inquiry {
		d.CSRF = s.formToken(w, r)
		d.Thanks = r.URL.Query().Get("sent") == "1"
	}
	s.render(w, r, http.StatusOK, page, d)
}

// publicEvents is the live stream of /p/<store> (view=public) and /signage/<store> (view=signage).
func (s *Server) publicEvents(w http.ResponseWriter, r *http.Request) {
	store := r.PathValue("store")
	frag := map[string]string{"public": "public-live", "signage": "signage-live"}[r.URL.Query().Get("view")]
	if frag == "" {
		http.Error(w, "view must be public or signage", http.StatusBadRequest)
		return
	}
	if _, ok, err := s.publicData(r.Context(), r, store, false); err != nil || !ok {
		http.Error(w, "no such store", http.StatusNotFound)
		return
	}
	s.stream(w, r, func(ctx context.Context) (map[string]string, error) {
		d, _, err := s.publicData(ctx, r, store, false)
		if err != nil {
			return nil, err
		}
		html, err := s.pages.fragment(frag, d)
		return map[string]string{"live": html}, err
	})
}

// inquiryPost takes a message from the inquiry desk's form: CSRF-checked, rate-limited per address, size-
// limited, and stored with the desk's own short retention. It asks for nothing but the message and,
// optionally, a reply address with consent.
func (s *Server) inquiryPost(w http.ResponseWriter, r *http.Request) {
	if s.o.Inquiries == nil {
		http.Error(w, "the inquiry desk is off / お問い合わせフォームは利用できません", http.StatusNotFound)
		return
	}
	store := r.PathValue("store")
	r.Body = http.MaxBytesReader(w, r.Body, int64(s.o.Inquiry.MaxMessage*4+2048))
	if err := r.ParseForm(); err != nil {
		http.Error(w, "the message is too long / 内容が長すぎます", http.StatusRequestEntityTooLarge)
		return
	}
	d, ok, err := s.publicData(r.Context(), r, store, true)
	if err != nil {
		s.httpError(w, r, http.StatusInternalServerError, err)
		return
	}
	if !ok {
		http.Error(w, "no such store / 該当する店舗はありません", http.StatusNotFound)
		return
	}
	again := func(code int, msg string) {
		d.Live = fmt.Sprintf("/p/%s/events?view=public&lang=%s", store, d.L.Code)
		d.CSRF, d.InquiryError, d.Message = s.formToken(w, r), msg, r.PostFormValue("message")
		s.render(w, r, code, "public.html", d)
	}
	if !s.checkFormToken(r) {
		again(http.StatusForbidden, d.L.Pick("フォームの有効期限が切れました。もう一度送信してください。", "The form expired; please send it again."))
		return
	}
	now := s.o.Now()
	addr := clientAddr(r)
	if blocked, _ := s.inquiryLimit.blocked(addr, now); blocked {
		again(http.StatusTooManyRequests, d.L.Pick("送信が多すぎます。しばらくしてからお試しください。", "Too many messages; please try again later."))
		return
	}
	q, err := s.inquiry(store, r.PostFormValue("message"), r.PostFormValue("reply_to"), r.PostFormValue("consent") == "yes", now)
	if err != nil {
		again(http.StatusBadRequest, d.L.Pick("送信できませんでした：", "Not sent: ")+err.Error())
		return
	}
	s.inquiryLimit.add(addr, now)
	if _, err := s.o.Inquiries.AddInquiry(r.Context(), q); err != nil {
		s.httpError(w, r, http.StatusInternalServerError, err)
		return
	}
	s.log.Info("inquiry received", "store", store, "bytes", len(q.Message), "reply", q.ReplyTo != "")
	http.Redirect(w, r, fmt.Sprintf("/p/%s?lang=%s&sent=1#inquiry", store, d.L.Code), http.StatusSeeOther)
}

// inquiry checks a submitted form and returns the inquiry to store.
func (s *Server) inquiry(store, msg, reply string, consent bool, now time.Time) (backoffice.Inquiry, error) {
	msg = strings.TrimSpace(strings.ReplaceAll(msg, "\r\n", "\n"))
	reply = strings.TrimSpace(reply)
	switch {
	case msg == "":
		return backoffice.Inquiry{}, errors.New("empty message / 内容が空です")
	case utf8.RuneCountInString(msg) > s.o.Inquiry.MaxMessage:
		return backoffice.Inquiry{}, fmt.Errorf("longer than %d characters / %d文字を超えています", s.o.Inquiry.MaxMessage, s.o.Inquiry.MaxMessage)
	case !utf8.ValidString(msg) || strings.ContainsFunc(msg, func(r rune) bool { return r != '\n' && !command.Printable(r) }):
		return backoffice.Inquiry{}, errors.New("the message contains control characters / 制御文字が含まれています")
	}
	if reply != "" {
		if !consent {
			return backoffice.Inquiry{}, errors.New("a reply address needs your consent / 返信先の利用への同意が必要です")
		}
		a, err := mail.ParseAddress(reply)
		if err != nil || a.Name != "" || len(reply) > 254 {
			return backoffice.Inquiry{}, errors.New("not an e-mail address / メールアドレスの形式ではありません")
		}
		reply = a.Address
	}
	return backoffice.Inquiry{Store: store, Received: now, Message: msg, ReplyTo: reply,
		Expires: now.Add(time.Duration(s.o.Inquiry.RetentionDays) * 24 * time.Hour)}, nil
}
