package http

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/agent/notice"
	"github.com/ashiato/ashiato/backoffice"
)

// Sensor states as pages show them: the privacy states, and Unknown for a sensor not heard from recently
// or whose connection the broker reported lost.
const (
	StateUnknown = "unknown"
)

// LiveState is what a page may say about a sensor's capture at now: its privacy state while the office
// hears from it, and StateUnknown (since the last message) once it has been silent for longer than
// staleAfter or the broker has reported its connection lost. A stale "paused" or "stopped" is never
// shown as current: the camera may have started again since. since is when the state began.
func LiveState(s backoffice.Sensor, now time.Time, staleAfter time.Duration) (state string, since time.Time) {
	if s.LastSeen.IsZero() || now.Sub(s.LastSeen) > staleAfter || s.State == event.StateOffline || s.PrivacyState == "" {
		return StateUnknown, s.LastSeen
	}
	since = s.PrivacyAt
	var p event.Privacy
	if json.Unmarshal(s.Privacy, &p) == nil && p.Since > 0 {
		since = time.UnixMilli(p.Since)
	}
	return s.PrivacyState, since
}

// lang is the language of a page: "ja" or "en".
type lang struct {
	Code string
	loc  *time.Location
}

// pickLang chooses the page's language: ?lang= first, then Accept-Language (the highest q among ja and
// en), then Japanese.
func pickLang(r *http.Request, loc *time.Location) lang {
	switch r.URL.Query().Get("lang") {
	case "ja", "en":
		return lang{r.URL.Query().Get("lang"), loc}
	}
	best, bestQ := "ja", -1.0
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			fmt.Sscanf(v, "%g", &q)
		}
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if (base == "ja" || base == "en") && q > bestQ {
			best, bestQ = base, q
		}
	}
	return lang{best, loc}
}

// Other is the other language's code, for the switch.
func (l lang) Other() string {
	if l.Code == "ja" {
		return "en"
	}
	return "ja"
}

// T returns the text of key in l.
func (l lang) T(key string) string {
	m, ok := messages[key]
	if !ok {
		return "?" + key
	}
	if l.Code == "en" {
		return m[1]
	}
	return m[0]
}

// Pick returns ja or en.
func (l lang) Pick(ja, en string) string {
	if l.Code == "en" {
		return en
	}
	return ja
}

// Time formats t in the office's time zone; the zero time is "—".
func (l lang) Time(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(l.loc).Format("2006-01-02 15:04")
}

// Clock formats t as a time of day with seconds.
func (l lang) Clock(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(l.loc).Format("15:04:05")
}

// Since is "2030-03-04 10:00 から" or "since 2030-03-04 10:00".
func (l lang) Since(t time.Time) string {
	if l.Code == "en" {
		return "since " + l.Time(t)
	}
	return l.Time(t) + " から"
}

// UnknownSince says that nothing was heard from a sensor since t.
func (l lang) UnknownSince(t time.Time) string {
	if t.IsZero() {
		return l.Pick("センサーから受信したことがありません", "nothing ever received from the sensor")
	}
	if l.Code == "en" {
		return "nothing received from the sensor since " + l.Time(t)
	}
	return l.Time(t) + " 以降、センサーから受信していません"
}

// Dur is a duration in words: "24時間" or "24 h", "1分" or "1 min".
func (l lang) Dur(d time.Duration) string {
	switch {
	case d > 0 && d%time.Hour == 0:
		return fmt.Sprintf("%d%s", d/time.Hour, l.Pick("時間", " h"))
	case d > 0 && d%time.Minute == 0:
		return fmt.Sprintf("%d%s", d/time.Minute, l.Pick("分", " min"))
	}
	return d.String()
}

// Days is "90日" or "90 days".
func (l lang) Days(n int) string {
	if l.Code == "en" {
		if n == 1 {
			return "1 day"
		}
		return fmt.Sprintf("%d days", n)
	}
	return fmt.Sprintf("%d日", n)
}

// State is the label of a live state.
func (l lang) State(state string) string { return l.T("state_" + state) }

// messages are the fixed texts of the public pages and the signage, in Japanese and English.
var messages = map[string][2]string{
	"state_capturing":  {"計測中", "Measuring"},
	"state_paused":     {"一時停止中", "Paused"},
	"state_stopped":    {"停止中", "Stopped"},
	"state_fault":      {"異常のため停止中", "Stopped by a fault"},
	"state_unknown":    {"状態不明", "State unknown"},
	"since":            {"から", "since"},
	"unknown_since":    {"以降、センサーから受信していません", "nothing received from the sensor since"},
	"until":            {"再開予定", "resumes"},
	"title_public":     {"カメラによる人流計測について", "About the people-flow camera"},
	"notice":           {"掲示内容", "The notice"},
	"operator":         {"運営者", "Operator"},
	"purpose":          {"利用目的", "Purpose"},
	"collected":        {"取得する情報", "What we record"},
	"never_collected":  {"取得しない情報", "What we never record"},
	"raw_image":        {"カメラ映像", "Camera images"},
	"area":             {"計測範囲", "Area"},
	"retention":        {"移動データの保存期間", "Paths kept for"},
	"agg_retention":    {"統計の保存期間", "Statistics kept for"},
	"third_parties":    {"第三者提供", "Third parties"},
	"contact":          {"お問い合わせ窓口", "Contact"},
	"policy_url":       {"詳しい説明", "Full policy"},
	"sensors":          {"センサーの状態", "The sensors now"},
	"sensor":           {"センサー", "Sensor"},
	"state":            {"状態", "State"},
	"no_sensors":       {"この店舗のセンサーの情報はまだありません。", "The office has not heard from any sensor of this store yet."},
	"deletion":         {"削除の記録", "Deletion"},
	"last_purge":       {"最後の削除", "Last deletion"},
	"purge_removed":    {"削除した移動データ", "Paths deleted"},
	"purge_none":       {"まだ削除は行われていません。", "Nothing has been deleted yet."},
	"purge_schedule":   {"削除の頻度", "Deletion runs"},
	"hash":             {"掲示の照合番号（ハッシュ）", "Notice hash"},
	"hash_howto":       {"店内のポスター下部に印字された番号と、この番号が一致すれば、ポスターは今センサーが公開している内容と同じです。一致しない場合はお問い合わせ窓口にお知らせください。", "If the number printed at the foot of the poster in the store is the same as this one, the poster says what the sensor publishes now. If it is not, please tell the contact."},
	"hash_unverified":  {"（センサーが送った内容からこの番号を再計算できませんでした）", "(the office could not recompute this hash from what the sensor sent)"},
	"footfall":         {"本日の来店数（概数）", "Visitors today (approximate)"},
	"footfall_note":    {"少人数の時間帯は個人が推測されないよう表示しません。", "Hours with few visitors are not shown, so that no one can be singled out."},
	"privacy_policy":   {"プライバシーポリシー", "Privacy policy"},
	"consent":          {"同意と申し出について", "How consent works here"},
	"consent_shown":    {"計測範囲に入る前に、この掲示を入口などに表示しています。", "This notice is shown before you enter the measured area."},
	"unmeasured":       {"計測しない場所", "Areas not measured"},
	"unmeasured_none":  {"掲示に記載がありません。お問い合わせ窓口でご確認ください。", "The notice does not say; please ask the contact."},
	"objection":        {"計測を望まない場合", "If you object"},
	"objection_std":    {"お問い合わせ窓口にお申し出ください。センサーを一時停止するか、計測しない範囲（プライバシーゾーン）を追加して対応します。", "Please tell the contact: they can pause a sensor or add an area it does not measure (a privacy zone)."},
	"inquiry":          {"お問い合わせフォーム", "Send a question"},
	"inquiry_msg":      {"お問い合わせ内容", "Your message"},
	"inquiry_reply":    {"返信先（任意）", "Reply address (optional)"},
	"inquiry_consent":  {"返信のためにのみ、このアドレスを使うことに同意します。お問い合わせは%sで削除します。", "I agree that this address is used only to reply to me. Inquiries are deleted after %s."},
	"inquiry_send":     {"送信", "Send"},
	"inquiry_thanks":   {"お問い合わせを受け付けました。", "Thank you: your message has been received."},
	"inquiry_limits":   {"%d文字まで。氏名などは書かないでください。", "Up to %d characters. Please do not include your name."},
	"stale":            {"この表示は次の時刻から更新されていません：", "This display has not been updated since"},
	"signage_head":     {"このエリアではカメラで人の流れを計測しています", "People-flow measurement in this area"},
	"signage_retained": {"保存期間", "Kept for"},
	"signage_paths":    {"移動データ", "paths"},
	"signage_stats":    {"統計", "statistics"},
	"signage_more":     {"詳しくは", "Details"},
	"live_note":        {"センサーの状態は自動で更新されます。", "The sensors' state updates by itself."},
	"lang_switch":      {"English", "日本語"},
}

// sensorView is one sensor as the pages show it.
type sensorView struct {
	backoffice.Sensor
	Live      string    // LiveState
	LiveSince time.Time // when the live state began, or the last message when unknown
	Reason    string
	Until     time.Time
	Stats     event.Stats
	StatsOK   bool
	Status    event.Status
	Flags     []backoffice.Flag
	// Notice is the sensor's notice, and NoticeOK whether the office recomputed the sensor's hash from it.
	Notice    notice.Notice
	HasNotice bool
	NoticeOK  bool
	// Match is "match", "mismatch", "unchecked" (no hash configured) or "none" (no notice received).
	Match   string
	Expect  string
	Pending *pendingCommand
}

func (s *Server) sensorView(x backoffice.Sensor, now time.Time) sensorView {
	v := sensorView{Sensor: x, Flags: s.o.Watch.Flags(x, now)}
	v.Live, v.LiveSince = LiveState(x, now, s.o.Public.StaleAfter)
	var p event.Privacy
	if json.Unmarshal(x.Privacy, &p) == nil {
		v.Reason = p.Reason
		if p.Until > 0 {
			v.Until = time.UnixMilli(p.Until)
		}
	}
	v.StatsOK = json.Unmarshal(x.Stats, &v.Stats) == nil && len(x.Stats) > 0
	json.Unmarshal(x.Status, &v.Status)
	if len(x.Notice) > 0 && json.Unmarshal(x.Notice, &v.Notice) == nil {
		v.HasNotice = true
		v.NoticeOK = v.Notice.Hash() == x.NoticeHash
	}
	want, checked := s.o.Watch.ExpectNotice[x.SensorKey]
	v.Expect = want
	switch {
	case x.NoticeHash == "":
		v.Match = "none"
	case !checked:
		v.Match = "unchecked"
	case want == x.NoticeHash:
		v.Match = "match"
	default:
		v.Match = "mismatch"
	}
	s.mu.Lock()
	if pc, ok := s.pending[x.SensorKey]; ok {
		pc.settle(x)
		s.pending[x.SensorKey] = pc
		v.Pending = &pc
	}
	s.mu.Unlock()
	return v
}

// HasFlag reports whether the sensor has flag f.
func (v sensorView) HasFlag(f string) bool { return backoffice.HasFlag(v.Flags, backoffice.Flag(f)) }

// Online reports whether the sensor's connection is up and it was heard from within the watch's offline
// delay.
func (v sensorView) Online() bool {
	return v.State == event.StateOnline && !v.HasFlag(string(backoffice.FlagOffline))
}

// noticeGroup is one distinct notice and the sensors publishing it.
type noticeGroup struct {
	Notice  notice.Notice
	Hash    string
	OK      bool
	Sensors []string
}

// notices groups the sensors' notices by hash, in sensor order.
func notices(vs []sensorView) []noticeGroup {
	var out []noticeGroup
	for _, v := range vs {
		if !v.HasNotice {
			continue
		}
		found := false
		for i := range out {
			if out[i].Hash == v.NoticeHash {
				out[i].Sensors = append(out[i].Sensors, v.Sensor.Sensor)
				found = true
			}
		}
		if !found {
			out = append(out, noticeGroup{Notice: v.Notice.WithDefaults(), Hash: v.NoticeHash, OK: v.NoticeOK,
				Sensors: []string{v.Sensor.Sensor}})
		}
	}
	return out
}

// pages holds the parsed templates.
type pages struct{ t *template.Template }

func loadPages() (*pages, error) {
	t, err := template.New("").Funcs(template.FuncMap{
		"join": strings.Join,
		"dur": func(d time.Duration) string {
			if d <= 0 {
				return "—"
			}
			return d.Round(time.Minute).String()
		},
		"pct": func(a, b uint64) string {
			if b == 0 {
				return "0"
			}
			return fmt.Sprintf("%.1f", 100*float64(a)/float64(b))
		},
		"sprintf": fmt.Sprintf,
		"inc":     func(i int) int { return i + 1 },
		"hours": func() []int {
			h := make([]int, 24)
			for i := range h {
				h[i] = i
			}
			return h
		},
		"dict": func(page, item any) map[string]any { return map[string]any{"Page": page, "Item": item} },
		"totalTracks": func(r backoffice.PurgeReport) int {
			t, _ := r.Total()
			return t
		},
		"totalDropped": func(r backoffice.PurgeReport) int {
			_, d := r.Total()
			return d
		},
		"json": func(v any) (template.JS, error) {
			b, err := json.Marshal(v)
			return template.JS(b), err
		},
	}).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("http: templates: %w", err)
	}
	return &pages{t: t}, nil
}

// fragment renders the named template into a string (a live part of a page).
func (p *pages) fragment(name string, data any) (string, error) {
	var b bytes.Buffer
	if err := p.t.ExecuteTemplate(&b, name, data); err != nil {
		return "", err
	}
	return b.String(), nil
}

// render writes a whole page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, code int, name string, data any) {
	var b bytes.Buffer
	if err := s.pages.t.ExecuteTemplate(&b, name, data); err != nil {
		s.httpError(w, r, http.StatusInternalServerError, fmt.Errorf("template %s: %w", name, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	w.Write(b.Bytes())
}

func withSession(ctx context.Context, s *session) context.Context {
	return context.WithValue(ctx, ctxKey{}, s)
}

// sessionOf returns the session require put in r's context.
func sessionOf(r *http.Request) *session {
	s, _ := r.Context().Value(ctxKey{}).(*session)
	return s
}
