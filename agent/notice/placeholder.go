package notice

import (
	"fmt"
	"net/mail"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"unicode"
)

// Placeholders returns one error per field that still holds a recognisable placeholder, such as the
// example configuration's sample operator, its all-zero phone number and its example.com policy URL, or
// the demo notice. Such a notice may be shown for a replay or the synthetic scene, but a live camera must
// not tell shoppers it is run by "Sample Shop Co.": the configuration refuses it there.
//
// What counts as a placeholder (in any field, both languages):
//   - a domain reserved for documentation and tests (RFC 2606, RFC 6761: example.com, .net, .org, any
//     name with a label "example", and the .test, .invalid and .localhost top-level domains), in the
//     policy URL, a URL or an e-mail address;
//   - a phone number whose subscriber part is all zeros (03-0000-0000, 0120-000-000);
//   - a sample word: sample, example, placeholder, dummy, lorem ipsum, demo, TODO, TBD, XXX, サンプル,
//     見本, ダミー, デモ, 例, and the Japanese blanks 〇〇, ○○, ××, ＊＊.
func (n Notice) Placeholders() []error {
	var errs []error
	v := reflect.ValueOf(n)
	for _, f := range reflect.VisibleFields(v.Type()) {
		key := f.Tag.Get("toml")
		if why := placeholder(v.FieldByIndex(f.Index).String()); why != "" {
			errs = append(errs, fmt.Errorf("notice.%s: %s is a placeholder: write your own before a live camera shows "+
				"this notice to shoppers", key, why))
		}
	}
	return errs
}

var (
	// sampleWord matches a placeholder word on its own (ASCII words need word boundaries).
	sampleWord = regexp.MustCompile(`(?i)\b(sample|example|placeholder|dummy|lorem ipsum|demo|todo|tbd|xxx+)\b|` +
		`サンプル|見本|ダミー|デモ|例文|記入例|〇〇|○○|××|＊＊`)
	// zeroPhone matches a Japanese-style phone number whose subscriber part is all zeros.
	zeroPhone = regexp.MustCompile(`\b0\d{0,4}[-‐ー－ ]?0{3,4}[-‐ー－ ]?0{3,4}\b`)
	// emailLike finds e-mail addresses in free text.
	emailLike = regexp.MustCompile(`[^\s<>()（）、,]+@[^\s<>()（）、,]+`)
	// urlLike finds URLs in free text.
	urlLike = regexp.MustCompile(`https?://[^\s<>()（）、]+`)
)

// placeholder says why s looks like a placeholder ("" if it does not).
func placeholder(s string) string {
	for _, u := range urlLike.FindAllString(s, -1) {
		if p, err := url.Parse(u); err == nil && reservedDomain(p.Hostname()) {
			return fmt.Sprintf("%q (a reserved example domain)", u)
		}
	}
	for _, e := range emailLike.FindAllString(s, -1) {
		if a, err := mail.ParseAddress(strings.TrimRightFunc(e, unicode.IsPunct)); err == nil {
			if _, domain, ok := strings.Cut(a.Address, "@"); ok && reservedDomain(domain) {
				return fmt.Sprintf("%q (a reserved example domain)", a.Address)
			}
		}
	}
	if m := zeroPhone.FindString(s); m != "" {
		return fmt.Sprintf("%q (an all-zero phone number)", m)
	}
	if m := sampleWord.FindString(s); m != "" {
		return fmt.Sprintf("%q (the word %q)", s, m)
	}
	return ""
}

// reservedDomain reports whether host is reserved for documentation or testing (RFC 2606, RFC 6761).
func reservedDomain(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	labels := strings.Split(host, ".")
	for _, l := range labels {
		if l == "example" {
			return true
		}
	}
	switch labels[len(labels)-1] {
	case "test", "invalid", "localhost":
		return true
	}
	return false
}
