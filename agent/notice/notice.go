// Package notice holds the public privacy notice that the panel, the poster and the retained MQTT notice
// topic are all rendered from, so a sign cannot disagree with what the device does.
//
// The fields follow the Japanese camera-image guidebook (カメラ画像利活用ガイドブック): operator, purpose,
// what is captured and derived, area, retention, third parties, contact, and a link to the details. The
// panel and the poster are the first layer of an EDPB Guidelines 3/2019 layered notice; PolicyURL is the
// second.
package notice

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
)

// Notice is the [notice] section of the configuration, in Japanese (…JA) and English (…EN).
//
// Collected, NeverCollected and RawImage describe what the device does by design; an empty value means
// the documented default (see WithDefaults). Every other field is required.
type Notice struct {
	OperatorJA string `toml:"operator_ja" json:"operator_ja"` // who runs the camera (個人情報取扱事業者)
	OperatorEN string `toml:"operator_en" json:"operator_en"`
	PurposeJA  string `toml:"purpose_ja" json:"purpose_ja"` // a concrete purpose, not "marketing"
	PurposeEN  string `toml:"purpose_en" json:"purpose_en"`
	// CollectedJA is what is derived and kept; "" means "移動の座標のみ".
	CollectedJA string `toml:"collected_ja" json:"collected_ja"`
	// CollectedEN; "" means "movement coordinates only".
	CollectedEN string `toml:"collected_en" json:"collected_en"`
	// NeverCollectedJA is what is never kept; "" means "映像・顔・個人を特定する情報".
	NeverCollectedJA string `toml:"never_collected_ja" json:"never_collected_ja"`
	// NeverCollectedEN; "" means "images, faces, identity".
	NeverCollectedEN string `toml:"never_collected_en" json:"never_collected_en"`
	// RawImageJA says how camera frames are handled; "" means "映像はメモリ上で直ちに消去し、保存・送信しません".
	RawImageJA string `toml:"raw_image_ja" json:"raw_image_ja"`
	// RawImageEN; "" means "deleted in memory immediately, never stored or sent".
	RawImageEN string `toml:"raw_image_en" json:"raw_image_en"`
	AreaJA     string `toml:"area_ja" json:"area_ja"` // the area filmed, e.g. "店内通路"
	AreaEN     string `toml:"area_en" json:"area_en"`
	// RetentionDays is how many days the back office keeps movement paths (tracks) after they were
	// recorded. It is required (at least 1, at most MaxRetentionDays). The back office deletes each
	// sensor's tracks once they are older than this, so the wording on every sign (RetentionJA,
	// RetentionEN) is derived from it rather than written as free text.
	RetentionDays int `toml:"retention_days" json:"retention_days"`
	// AggregateRetentionDays is how many days aggregates that hold no track ids (counts per 15 minutes,
	// heatmaps, dwell statistics) are kept. 0 means they are kept no longer than the tracks
	// (RetentionDays); otherwise it must be at least RetentionDays and at most MaxRetentionDays.
	AggregateRetentionDays int    `toml:"aggregate_retention_days" json:"aggregate_retention_days"`
	ThirdPartiesJA         string `toml:"third_parties_ja" json:"third_parties_ja"` // "なし" or who receives data
	ThirdPartiesEN         string `toml:"third_parties_en" json:"third_parties_en"`
	ContactJA              string `toml:"contact_ja" json:"contact_ja"` // the inquiry desk
	ContactEN              string `toml:"contact_en" json:"contact_en"`
	// PolicyURL is the full policy (the second layer), an http or https URL. It is drawn as a QR code, so
	// keep it short: up to 42 bytes fits QR version 3 at level M.
	PolicyURL string `toml:"policy_url" json:"policy_url"`

	// How consent works here, for the public page and the poster. Both are optional, and left out of the
	// JSON (and so of Hash) when empty, so a notice written before they existed keeps its hash.
	//
	// UnmeasuredJA names the areas no sensor measures (e.g. "トイレ・授乳室・従業員通路"); "" means the
	// notice does not say.
	UnmeasuredJA string `toml:"unmeasured_ja" json:"unmeasured_ja,omitempty"`
	UnmeasuredEN string `toml:"unmeasured_en" json:"unmeasured_en,omitempty"`
	// ObjectionJA says what a shopper who objects can do (e.g. "お申し出いただければ、センサーを一時停止するか
	// 計測しない範囲を追加します"); "" means the public page's standard wording (tell the contact, who can pause
	// a sensor or add a privacy zone).
	ObjectionJA string `toml:"objection_ja" json:"objection_ja,omitempty"`
	ObjectionEN string `toml:"objection_en" json:"objection_en,omitempty"`
}

// Defaults for the fields that describe the device's own behaviour.
const (
	DefaultCollectedJA      = "移動の座標のみ"
	DefaultCollectedEN      = "movement coordinates only"
	DefaultNeverCollectedJA = "映像・顔・個人を特定する情報"
	DefaultNeverCollectedEN = "images, faces, identity"
	DefaultRawImageJA       = "映像はメモリ上で直ちに消去し、保存・送信しません"
	DefaultRawImageEN       = "deleted in memory immediately, never stored or sent"
)

// MaxRetentionDays bounds RetentionDays and AggregateRetentionDays: ten years. A notice promising longer
// is almost certainly a typing error.
const MaxRetentionDays = 3650

// MaxURLLen bounds PolicyURL so that its QR code stays scannable on the 250×122 panel.
const MaxURLLen = 80

// Default returns a complete notice for a demonstration store. Its operator says plainly that it is a
// demo, so it cannot pass for a real store's notice.
func Default() Notice {
	return Notice{
		OperatorJA:             "デモ店舗（見本の表示です）",
		OperatorEN:             "Demo Store (sample notice)",
		PurposeJA:              "店内の混雑把握と売場配置の改善",
		PurposeEN:              "Measuring crowding to improve the store layout",
		AreaJA:                 "店内通路（入口からレジ前まで）",
		AreaEN:                 "Store aisles, entrance to checkout",
		RetentionDays:          90,
		AggregateRetentionDays: 730,
		ThirdPartiesJA:         "提供しません",
		ThirdPartiesEN:         "None",
		ContactJA:              "店舗スタッフ privacy@example.com",
		ContactEN:              "Store staff, privacy@example.com",
		PolicyURL:              "https://example.com/p/demo",
	}.WithDefaults()
}

// RetentionJA is the retention of tracks in Japanese, e.g. "90日".
func (n Notice) RetentionJA() string { return daysJA(n.RetentionDays) }

// RetentionEN is the retention of tracks in English, e.g. "90 days".
func (n Notice) RetentionEN() string { return daysEN(n.RetentionDays) }

// AggregateDays is how long aggregates are kept: AggregateRetentionDays, or RetentionDays when that is 0.
func (n Notice) AggregateDays() int {
	if n.AggregateRetentionDays == 0 {
		return n.RetentionDays
	}
	return n.AggregateRetentionDays
}

// AggregateRetentionJA is the retention of aggregates (統計) in Japanese, e.g. "730日".
func (n Notice) AggregateRetentionJA() string { return daysJA(n.AggregateDays()) }

// AggregateRetentionEN is the retention of aggregates in English, e.g. "730 days".
func (n Notice) AggregateRetentionEN() string { return daysEN(n.AggregateDays()) }

func daysJA(d int) string { return fmt.Sprintf("%d日", d) }

func daysEN(d int) string {
	if d == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", d)
}

// WithDefaults returns n with the empty device-behaviour fields set to their defaults.
func (n Notice) WithDefaults() Notice {
	def := func(s *string, d string) {
		if strings.TrimSpace(*s) == "" {
			*s = d
		}
	}
	def(&n.CollectedJA, DefaultCollectedJA)
	def(&n.CollectedEN, DefaultCollectedEN)
	def(&n.NeverCollectedJA, DefaultNeverCollectedJA)
	def(&n.NeverCollectedEN, DefaultNeverCollectedEN)
	def(&n.RawImageJA, DefaultRawImageJA)
	def(&n.RawImageEN, DefaultRawImageEN)
	return n
}

// optional lists the TOML string keys that may be empty (they have defaults).
var optional = []string{"collected_ja", "collected_en", "never_collected_ja", "never_collected_en", "raw_image_ja", "raw_image_en",
	"unmeasured_ja", "unmeasured_en", "objection_ja", "objection_en"}

// Validate returns one error per problem, each naming the key, e.g. "notice.operator_ja: required". A nil
// result means the notice can be published.
func (n Notice) Validate() []error {
	var errs []error
	v := reflect.ValueOf(n)
	for _, f := range reflect.VisibleFields(v.Type()) {
		if f.Type.Kind() != reflect.String {
			continue // the day counts, checked below
		}
		key := f.Tag.Get("toml")
		s := v.FieldByIndex(f.Index).String()
		if strings.TrimSpace(s) == "" {
			if !slices.Contains(optional, key) {
				errs = append(errs, fmt.Errorf("notice.%s: required", key))
			}
			continue
		}
		if strings.ContainsAny(s, "\r\n\t") {
			errs = append(errs, fmt.Errorf("notice.%s: must be one line", key))
		}
	}
	switch {
	case n.RetentionDays == 0:
		errs = append(errs, errors.New("notice.retention_days: required (how many days tracks are kept, e.g. 90)"))
	case n.RetentionDays < 0 || n.RetentionDays > MaxRetentionDays:
		errs = append(errs, fmt.Errorf("notice.retention_days: %d, want 1 to %d", n.RetentionDays, MaxRetentionDays))
	}
	if a := n.AggregateRetentionDays; a != 0 && (a < max(n.RetentionDays, 1) || a > MaxRetentionDays) {
		errs = append(errs, fmt.Errorf("notice.aggregate_retention_days: %d, want 0 (as long as tracks) or %d to %d",
			a, max(n.RetentionDays, 1), MaxRetentionDays))
	}
	for _, pair := range [][3]string{{"unmeasured", n.UnmeasuredJA, n.UnmeasuredEN}, {"objection", n.ObjectionJA, n.ObjectionEN}} {
		if (strings.TrimSpace(pair[1]) == "") != (strings.TrimSpace(pair[2]) == "") {
			errs = append(errs, fmt.Errorf("notice.%s_ja and notice.%s_en: give both languages or neither", pair[0], pair[0]))
		}
	}
	if n.PolicyURL != "" {
		if err := checkURL(n.PolicyURL); err != nil {
			errs = append(errs, fmt.Errorf("notice.policy_url: %v", err))
		}
	}
	return errs
}

func checkURL(s string) error {
	if len(s) > MaxURLLen {
		return fmt.Errorf("%d bytes, at most %d fit a scannable QR code on the panel", len(s), MaxURLLen)
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URL: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("scheme %q, want http or https", u.Scheme)
	}
	if u.Host == "" {
		return fmt.Errorf("no host")
	}
	return nil
}

// canonical is the JSON of n with defaults applied: fields in declaration order, no HTML escaping.
func (n Notice) canonical() []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(n.WithDefaults()); err != nil {
		panic("BUG: notice: marshal: " + err.Error()) // only strings: cannot fail
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// Hash is the hex sha256 of the canonical JSON of n with defaults applied. Notices that render the same
// text have the same hash; it is what event.Attestation.NoticeHash carries.
func (n Notice) Hash() string {
	sum := sha256.Sum256(n.canonical())
	return hex.EncodeToString(sum[:])
}

// JSON is the retained payload of the notice topic: {"v": version, every field (defaults applied),
// "hash": Hash()}. The agent passes event.Version as version.
func (n Notice) JSON(version int) []byte {
	type payload struct {
		V int `json:"v"`
		Notice
		Hash string `json:"hash"`
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(payload{V: version, Notice: n.WithDefaults(), Hash: n.Hash()}); err != nil {
		panic("BUG: notice: marshal: " + err.Error())
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
