// Package poster lays out the printed privacy sign for the shop entrance from the same notice as the panel
// and the MQTT notice topic, and writes it as a print-quality vector PDF (A4 or A3, portrait) or as a PNG
// preview of the same layout.
//
// The sign leads with what is happening (カメラで人の流れを計測しています / People-flow measurement in
// progress) and how to see it live (the red light), then gives the purpose, what is and is not recorded,
// how camera images are handled, and the facts of the camera-image guidebook (area, retention, third
// parties, operator, contact), bilingual, with a QR code to the full policy (the second layer of an
// EDPB 3/2019 layered notice) and the notice hash in the footer, which also appears in the sensor's MQTT
// status so anyone can check that a printed sign matches the device. A blue hexagon marks the
// technology as "de-identified on device", after the DTPR signage taxonomy.
//
// Text is set in IPAex Gothic (ipaexg.ttf beside this file, IPA Font License v1.0, LICENSE.ipaexfont):
// in the PDF as real text in an embedded subset of the outline font, so it prints sharp at any size and
// can be searched, copied and read aloud. Shapes and the QR code are vector paths.
//
// Layout is pure and in millimetres; WritePDF and RenderPNG draw the same Page. The office's per-sensor
// download calls WritePDF with the notice that sensor publishes.
package poster

import (
	_ "embed"
	"fmt"
	"image/color"
	"math"
	"sync"

	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"rsc.io/qr"

	"github.com/ashiato/ashiato/agent/font"
	"github.com/ashiato/ashiato/agent/notice"
)

//go:embed ipaexg.ttf
var ttf []byte

// FontName is the name of the embedded font in the PDF.
const FontName = "IPAexGothic"

// Paper is a portrait sheet in millimetres.
type Paper struct {
	Name string
	W, H float64
}

// The supported sheets. A3 is A4 scaled by √2, and so is everything on it.
var (
	A4 = Paper{"A4", 210, 297}
	A3 = Paper{"A3", 297, 420}
)

// Colours of the sheet: ink, the blue of the technology mark and headline band, the red of the capture
// light, and the pale fill of the boxes.
var (
	Ink   = color.RGBA{0x1a, 0x1a, 0x1a, 0xff}
	Blue  = color.RGBA{0x1f, 0x5f, 0xbf, 0xff}
	Red   = color.RGBA{0xd0, 0x21, 0x21, 0xff}
	Pale  = color.RGBA{0xec, 0xf1, 0xf8, 0xff}
	White = color.RGBA{0xff, 0xff, 0xff, 0xff}
)

// Pt is a point on the sheet in millimetres from the top-left corner.
type Pt struct{ X, Y float64 }

// Rect is a rectangle in millimetres.
type Rect struct{ X, Y, W, H float64 }

// Overlaps reports whether r and s share any area.
func (r Rect) Overlaps(s Rect) bool {
	return r.X < s.X+s.W && s.X < r.X+r.W && r.Y < s.Y+s.H && s.Y < r.Y+r.H
}

// Text is one line of text: its baseline starts at X, Y; Size is in points.
type Text struct {
	Key   string // the block it belongs to (see Page.Blocks)
	X, Y  float64
	Size  float64
	S     string
	Color color.RGBA
	Bold  bool // drawn with a thin outline as well, for the headline
}

// Shape is a filled polygon.
type Shape struct {
	Poly []Pt
	Fill color.RGBA
}

// Page is a laid-out sheet.
type Page struct {
	Paper  Paper
	Texts  []Text
	Shapes []Shape // drawn before the text, in order
	// QR is the code's square including its quiet zone of QuietZone modules; Code is nil if the policy URL
	// cannot be encoded.
	QR   Rect
	Code *qr.Code
	// Blocks maps each element to its rectangle: the notice fields by their TOML key without the language
	// suffix ("operator", "purpose", …, "retention", "aggregate_retention", "policy_url"), and "headline",
	// "state", "mark", "qr", "footer".
	Blocks map[string]Rect
	// Scale is how much the text was shrunk to fit (1 means the design sizes).
	Scale float64
}

// QuietZone is the white margin around the QR code, in modules.
const QuietZone = 4

var (
	parseOnce sync.Once
	parsed    *sfnt.Font
	parseErr  error
	advMu     sync.Mutex
	advCache  = map[rune]float64{}
)

func sfntFont() (*sfnt.Font, error) {
	parseOnce.Do(func() { parsed, parseErr = sfnt.Parse(ttf) })
	return parsed, parseErr
}

// advance is r's advance width in ems; runes without a glyph measure as the .notdef glyph does.
func advance(r rune) float64 {
	advMu.Lock()
	defer advMu.Unlock()
	if a, ok := advCache[r]; ok {
		return a
	}
	f, err := sfntFont()
	if err != nil {
		panic("BUG: poster: the embedded font does not parse: " + err.Error())
	}
	var buf sfnt.Buffer
	upem := f.UnitsPerEm()
	gi, _ := f.GlyphIndex(&buf, r)
	adv, err := f.GlyphAdvance(&buf, gi, fixed.I(int(upem)), 0)
	a := 0.0
	if err == nil {
		a = float64(adv) / 64 / float64(upem)
	}
	advCache[r] = a
	return a
}

// Has reports whether the embedded font has a glyph for r.
func Has(r rune) bool {
	f, err := sfntFont()
	if err != nil {
		return false
	}
	var buf sfnt.Buffer
	gi, err := f.GlyphIndex(&buf, r)
	return err == nil && gi != 0
}

const mmPerPt = 25.4 / 72

// Measure is the width of s in millimetres at size points.
func Measure(s string, size float64) float64 {
	w := 0.0
	for _, r := range s {
		w += advance(r)
	}
	return w * size * mmPerPt
}

// wrap breaks s into lines of at most width millimetres at size points, by the panel's rules (phrase
// boundaries and kinsoku).
func wrap(s string, size, width float64) []string {
	return font.WrapFunc(s, width, func(r rune) float64 { return advance(r) * size * mmPerPt })
}

// field is one notice field with its labels.
type field struct{ key, labelJA, labelEN, ja, en string }

func fields(n notice.Notice) map[string]field {
	fs := map[string]field{}
	for _, f := range []field{
		{"operator", "運営者", "Operator", n.OperatorJA, n.OperatorEN},
		{"purpose", "利用目的", "Purpose", n.PurposeJA, n.PurposeEN},
		{"collected", "取得する情報", "We record", n.CollectedJA, n.CollectedEN},
		{"never_collected", "取得しない情報", "We never record", n.NeverCollectedJA, n.NeverCollectedEN},
		{"raw_image", "カメラ映像", "Camera images", n.RawImageJA, n.RawImageEN},
		{"area", "計測範囲", "Area", n.AreaJA, n.AreaEN},
		{"retention", "移動データの保存期間", "Paths kept for", n.RetentionJA(), n.RetentionEN()},
		{"aggregate_retention", "統計の保存期間", "Statistics kept for", n.AggregateRetentionJA(), n.AggregateRetentionEN()},
		{"third_parties", "第三者提供", "Third parties", n.ThirdPartiesJA, n.ThirdPartiesEN},
		{"contact", "お問い合わせ", "Contact", n.ContactJA, n.ContactEN},
	} {
		fs[f.key] = f
	}
	return fs
}

// The fixed wording of the sheet.
const (
	HeadlineJA = "カメラで人の流れを計測しています"
	HeadlineEN = "People-flow measurement in progress"
	StateJA    = "カメラの赤いランプが点灯している間だけ計測しています。横の表示板に今の状態が出ます。"
	StateEN    = "The camera measures only while its red light is on. The screen beside it shows the current state."
	MarkJA1    = "端末内で"
	MarkJA2    = "匿名化"
	MarkEN1    = "De-identified"
	MarkEN2    = "on device"
	PolicyJA   = "詳しい説明はQRコードから"
	PolicyEN   = "Full privacy policy:"
	FooterJA   = "この掲示はセンサーの設定から作成されています。センサーが公開する値と照合できます。"
	FooterEN   = "Generated from the sensor's configuration. Notice hash:"
)

// Design sizes in points on A4; the A3 sheet scales them by √2. HeadlineSize sets the Japanese headline
// 11.3 mm tall: at 1.5 m it subtends 26 minutes of arc, five times the 5′ of a 20/20 letter.
const (
	HeadlineSize = 32.0
	margin       = 14.0
	qrTarget     = 46.0 // mm, quiet zone included; never under 20 mm
)

// Layout lays out the sheet for n (defaults applied) on paper. When long texts do not fit, every text
// size is shrunk in steps (Page.Scale) until they do; an error says that even the smallest did not.
func Layout(n notice.Notice, paper Paper) (Page, error) {
	n = n.WithDefaults()
	k := paper.W / A4.W
	// The design sizes are a minimum for short texts: the sheet is filled by growing them up to a quarter.
	for scale := 1.4; scale >= 0.6; scale -= 0.05 {
		p, ok := layoutA4(n, scale)
		if ok {
			return p.scaled(paper, k), nil
		}
	}
	return Page{}, fmt.Errorf("poster: the notice's texts are too long for one %s sheet even at 60 %% size", paper.Name)
}

// scaled maps an A4 page onto paper, k times larger.
func (p Page) scaled(paper Paper, k float64) Page {
	p.Paper = paper
	for i := range p.Texts {
		t := &p.Texts[i]
		t.X, t.Y, t.Size = t.X*k, t.Y*k, t.Size*k
	}
	for i := range p.Shapes {
		for j := range p.Shapes[i].Poly {
			p.Shapes[i].Poly[j].X *= k
			p.Shapes[i].Poly[j].Y *= k
		}
	}
	sr := func(r Rect) Rect { return Rect{r.X * k, r.Y * k, r.W * k, r.H * k} }
	p.QR = sr(p.QR)
	for key, r := range p.Blocks {
		p.Blocks[key] = sr(r)
	}
	return p
}

// builder collects the page's elements.
type builder struct {
	p     Page
	scale float64
}

// text adds s wrapped to width at size (scaled) from baseline y, and returns the baseline after the last
// line plus one line gap. The block of key grows to cover it.
func (b *builder) text(key, s string, x, y, width, size float64, c color.RGBA, bold bool) float64 {
	size *= b.scale
	lead := size * mmPerPt * 1.35
	top := y - size*mmPerPt*0.88
	for _, line := range wrap(s, size, width) {
		b.p.Texts = append(b.p.Texts, Text{key, x, y, size, line, c, bold})
		b.grow(key, Rect{x, top, Measure(line, size), y + size*mmPerPt*0.12 - top})
		y += lead
	}
	return y
}

func (b *builder) grow(key string, r Rect) {
	old, ok := b.p.Blocks[key]
	if !ok {
		b.p.Blocks[key] = r
		return
	}
	x0, y0 := math.Min(old.X, r.X), math.Min(old.Y, r.Y)
	x1, y1 := math.Max(old.X+old.W, r.X+r.W), math.Max(old.Y+old.H, r.Y+r.H)
	b.p.Blocks[key] = Rect{x0, y0, x1 - x0, y1 - y0}
}

func (b *builder) rect(r Rect, c color.RGBA) {
	b.p.Shapes = append(b.p.Shapes, Shape{[]Pt{{r.X, r.Y}, {r.X + r.W, r.Y}, {r.X + r.W, r.Y + r.H}, {r.X, r.Y + r.H}}, c})
}

// circle adds a filled circle as a 48-gon.
func (b *builder) circle(c Pt, r float64, fill color.RGBA) {
	var poly []Pt
	for i := range 48 {
		a := 2 * math.Pi * float64(i) / 48
		poly = append(poly, Pt{c.X + r*math.Cos(a), c.Y + r*math.Sin(a)})
	}
	b.p.Shapes = append(b.p.Shapes, Shape{poly, fill})
}

// labelled adds a field: the Japanese and English label on one line, the Japanese value, the English
// value. It returns the y below it.
func (b *builder) labelled(f field, x, y, w, jaSize, enSize float64) float64 {
	lab := f.labelJA + "  " + f.labelEN
	y = b.text(f.key+"_label", lab, x, y, w, 9.5, Blue, false)
	y += 0.5
	y = b.text(f.key, f.ja, x, y+jaSize*b.scale*mmPerPt*0.3, w, jaSize, Ink, false)
	y = b.text(f.key, f.en, x, y, w, enSize, Ink, false)
	return y
}

// layoutA4 lays the sheet out on A4 with text sizes times scale; ok is false if it overflows.
func layoutA4(n notice.Notice, scale float64) (Page, bool) {
	b := &builder{p: Page{Paper: A4, Blocks: map[string]Rect{}, Scale: scale}, scale: scale}
	fs := fields(n)
	if !b.headlineBand() {
		return b.p, false
	}
	y := b.stateHint(band + 8)
	y = b.recorded(fs, y)
	y = b.facts(fs, y)
	if !b.contact(n, fs, y+2) {
		return b.p, false
	}
	b.footer(n)
	return b.p, true
}

// The headline band's height and the width of the de-identified mark on its right, in mm.
const band, markW = 66.0, 44.0

// inner is the width of the A4 sheet inside its margins, and footTop the top of its footer, in mm.
var inner, footTop = A4.W - 2*margin, A4.H - margin - 7

// headlineBand adds the headline band with the de-identified mark on the right. The headline has its
// own fixed sizes; only the body grows or shrinks. It reports false if the headline overflows the band.
func (b *builder) headlineBand() bool {
	W := A4.W
	b.rect(Rect{0, 0, W, band}, Blue)
	markC := Pt{W - margin - markW/2, band / 2}
	hex := Shape{Fill: White}
	for i := range 6 {
		a := math.Pi / 3 * float64(i)
		hex.Poly = append(hex.Poly, Pt{markC.X + markW/2*math.Cos(a), markC.Y + markW/2*math.Sin(a)})
	}
	b.p.Shapes = append(b.p.Shapes, hex)
	b.grow("mark", Rect{markC.X - markW/2, markC.Y - markW/2*math.Sqrt(3)/2, markW, markW * math.Sqrt(3) / 2})
	my := markC.Y - 8
	for _, m := range []struct {
		s    string
		size float64
	}{{MarkJA1, 12}, {MarkJA2, 12}, {MarkEN1, 8.5}, {MarkEN2, 8.5}} {
		w := Measure(m.s, m.size)
		b.p.Texts = append(b.p.Texts, Text{"mark", markC.X - w/2, my, m.size, m.s, Blue, true})
		my += m.size * mmPerPt * 1.3
	}
	headW := inner - markW - 6
	scale := b.scale
	b.scale = 1
	defer func() { b.scale = scale }()
	y := b.text("headline", HeadlineJA, margin, margin+HeadlineSize*scale*mmPerPt*0.8, headW, HeadlineSize, White, true)
	y = b.text("headline", HeadlineEN, margin, y+1, headW, 17, White, false)
	return y <= band
}

// stateHint adds the live-state hint, a lit red light and its words, at y, and returns the y below it.
func (b *builder) stateHint(y float64) float64 {
	W := A4.W
	led := Pt{margin + 7, y + 5}
	b.circle(led, 7, Pale)
	b.circle(led, 4, Red)
	tx := margin + 18
	y = b.text("state", StateJA, tx, y+3, W-margin-tx, 13, Ink, false)
	y = b.text("state", StateEN, tx, y, W-margin-tx, 10.5, Ink, false)
	return math.Max(y, led.Y+10) + 2
}

// recorded adds, from y, the purpose (large), what is recorded and what never is (side by side on pale
// boxes) and the raw-image statement, and returns the y below them.
func (b *builder) recorded(fs map[string]field, y float64) float64 {
	y = b.labelled(fs["purpose"], margin, y+2, inner, 18, 12.5) + 2
	colW := (inner - 6) / 2
	boxTop := y
	var ys [2]float64
	for i, key := range []string{"collected", "never_collected"} {
		x := margin + float64(i)*(colW+6)
		ys[i] = b.labelled(fs[key], x+4, boxTop+8, colW-8, 14, 10.5)
	}
	boxH := math.Max(ys[0], ys[1]) - boxTop
	// The boxes go under the text: insert them before the text's shapes (none) by prepending.
	boxes := []Shape{}
	for i := range 2 {
		x := margin + float64(i)*(colW+6)
		bb := builder{}
		bb.rect(Rect{x, boxTop, colW, boxH}, Pale)
		boxes = append(boxes, bb.p.Shapes...)
	}
	b.p.Shapes = append(b.p.Shapes, boxes...)
	y = boxTop + boxH + 4
	return b.labelled(fs["raw_image"], margin, y+2, inner, 12.5, 10) + 1
}

// facts adds, from y, a rule and then the facts in two columns, label left and values right, and returns
// the y below them.
func (b *builder) facts(fs map[string]field, y float64) float64 {
	b.rect(Rect{margin, y, inner, 0.4}, Blue)
	y += 6
	const labW = 44.0
	for _, key := range []string{"area", "retention", "aggregate_retention", "third_parties", "operator"} {
		f := fs[key]
		ly := b.text(f.key+"_label", f.labelJA, margin, y, labW-2, 10, Blue, false)
		b.text(f.key+"_label", f.labelEN, margin, ly, labW-2, 8.5, Blue, false)
		vy := b.text(f.key, f.ja, margin+labW, y, inner-labW, 11.5, Ink, false)
		vy = b.text(f.key, f.en, margin+labW, vy, inner-labW, 9.5, Ink, false)
		y = math.Max(vy, ly+8.5*b.scale*mmPerPt*1.35) + 1
	}
	return y
}

// contact adds, from y, the contact and the QR code to the policy side by side. It reports false if they
// do not fit above the footer.
func (b *builder) contact(n notice.Notice, fs map[string]field, y float64) bool {
	W := A4.W
	code, _ := qr.Encode(n.PolicyURL, qr.M)
	qrSize := qrTarget
	if code != nil {
		qrSize = math.Min(qrTarget, footTop-2-y)
		if qrSize < 20 {
			return false
		}
		b.p.Code = code
		b.p.QR = Rect{W - margin - qrSize, y, qrSize, qrSize}
		b.p.Blocks["qr"] = b.p.QR
	}
	left := inner - qrSize - 6
	cy := b.labelled(fs["contact"], margin, y+3, left, 13, 10.5) + 2
	cy = b.text("policy_url", PolicyJA, margin, cy+2, left, 10.5, Ink, false)
	cy = b.text("policy_url", PolicyEN, margin, cy, left, 9.5, Ink, false)
	cy = b.text("policy_url", n.PolicyURL, margin, cy, left, 10.5, Blue, false)
	return math.Max(cy, y+qrSize) <= footTop
}

// footer adds where the sheet comes from, and the notice hash to check it against the sensor. Its sizes do
// not scale.
func (b *builder) footer(n notice.Notice) {
	fy := footTop + 3
	b.rect(Rect{margin, footTop, inner, 0.3}, Ink)
	scale := b.scale
	b.scale = 1
	defer func() { b.scale = scale }()
	fy = b.text("footer", FooterJA, margin, fy, inner, 7, Ink, false)
	b.text("footer", FooterEN+" "+n.Hash(), margin, fy, inner, 6.5, Ink, false)
}
