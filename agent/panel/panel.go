// Package panel renders the notice and the capture state into the 1-bit image that the e-ink panel shows.
//
// The screen is the first layer of the layered notice: a state bar (撮影中 / 一時停止中 / 停止中 / 異常発生中
// with the time since, and the time of this update so a stale screen is visible), the purpose, what is and
// is not kept, the retention, the contact, an English line where space allows, and a QR code to the policy.
package panel

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"time"

	"rsc.io/qr"

	"github.com/ashiato/ashiato/agent/font"
	"github.com/ashiato/ashiato/agent/notice"
)

// Modes of State, the same strings as event.Privacy states.
const (
	ModeCapturing = "capturing"
	ModePaused    = "paused"
	ModeStopped   = "stopped"
	ModeFault     = "fault"
)

// State is what the panel says about capture.
type State struct {
	Mode   string    // ModeCapturing, ModePaused, ModeStopped or ModeFault; anything else shows 状態不明
	Reason string    // why, e.g. "営業時間外"; "" shows none
	Since  time.Time // when Mode began; zero omits "…から"
	Now    time.Time // when this image is made, shown as "更新 HH:MM"; zero shows "更新 --:--"
}

// Size is the landscape resolution of both supported panels (Waveshare 2.13" V4, Inky pHAT SSD1608).
var Size = image.Point{250, 122}

// Palette is the palette of every rendered image: index 0 white, index 1 black.
var Palette = color.Palette{color.White, color.Black}

const (
	barH     = 17 // state bar height
	lineH    = 13 // body line pitch (12 px face + 1)
	margin   = 2
	maxScale = 3
)

// Layout is where Render puts things; tests and the driver may use it.
type Layout struct {
	Bar  image.Rectangle // the state bar
	QR   image.Rectangle // the QR code including its quiet zone; empty if the URL cannot be encoded
	Text image.Rectangle // the body text column
	// Scale is the QR module size in pixels and Modules the number of modules on a side (without the quiet
	// zone).
	Scale, Modules int
	Code           *qr.Code
}

// qrCode encodes url at level M, or at level L when that allows a larger module scale in avail pixels.
func qrCode(url string, avail int) (*qr.Code, int) {
	var best *qr.Code
	bestScale := 0
	for _, lvl := range []qr.Level{qr.M, qr.L} {
		c, err := qr.Encode(url, lvl)
		if err != nil {
			continue
		}
		s := min(avail/(c.Size+2*QuietZone), maxScale)
		if s > bestScale {
			best, bestScale = c, s
		}
	}
	return best, bestScale
}

// LayoutFor computes the layout of a size-pixel screen for n; a zero size means Size.
func LayoutFor(n notice.Notice, size image.Point) Layout {
	if size.X <= 0 || size.Y <= 0 {
		size = Size
	}
	l := Layout{Bar: image.Rect(0, 0, size.X, barH)}
	body := image.Rect(0, barH, size.X, size.Y)
	code, scale := qrCode(n.PolicyURL, min(body.Dy(), body.Dx()/2))
	if code != nil && scale > 0 {
		box := (code.Size + 2*QuietZone) * scale
		y := body.Min.Y + (body.Dy()-box)/2
		l.QR = image.Rect(size.X-box, y, size.X, y+box)
		l.Scale, l.Modules, l.Code = scale, code.Size, code
	}
	right := size.X
	if !l.QR.Empty() {
		right = l.QR.Min.X
	}
	l.Text = image.Rect(margin, body.Min.Y+1, right, size.Y)
	return l
}

// label is the Japanese state word for a mode.
func label(mode string) string {
	switch mode {
	case ModeCapturing:
		return "撮影中"
	case ModePaused:
		return "一時停止中"
	case ModeStopped:
		return "停止中"
	case ModeFault:
		return "異常発生中"
	}
	return "状態不明"
}

func hhmm(t, now time.Time) string {
	if !now.IsZero() {
		t = t.In(now.Location())
		if y, m, d := t.Date(); !(y == now.Year() && m == now.Month() && d == now.Day()) {
			return fmt.Sprintf("%d/%d %02d:%02d", m, d, t.Hour(), t.Minute())
		}
	}
	return fmt.Sprintf("%02d:%02d", t.Hour(), t.Minute())
}

// item is one block of body text: its lines are wrapped to the column and cut to max lines.
type item struct {
	text     string
	max      int
	optional bool // dropped first when the column is full
}

// english is the state word in English, shown beside the Japanese one for shoppers who read no Japanese.
func english(mode string) string {
	switch mode {
	case ModeCapturing:
		return "Recording"
	case ModePaused:
		return "Paused"
	case ModeStopped:
		return "Stopped"
	case ModeFault:
		return "Fault"
	}
	return "Unknown"
}

// BarText is the state bar's fixed words: the state in Japanese and in English, and the time of this
// update ("更新 14:32", or "更新 --:--" without a time).
func BarText(s State) [3]string {
	upd := "更新 --:--"
	if !s.Now.IsZero() {
		upd = "更新 " + hhmm(s.Now, s.Now)
	}
	return [3]string{label(s.Mode), english(s.Mode), upd}
}

// bodyItems lists the body text of n and s, top to bottom.
func bodyItems(n notice.Notice, s State) []item {
	n = n.WithDefaults()
	var items []item
	if s.Reason != "" {
		items = append(items, item{text: "理由：" + s.Reason, max: 1})
	}
	kept := "取得：" + n.CollectedJA
	en := "Collects " + n.CollectedEN + "."
	if n.CollectedJA == notice.DefaultCollectedJA && n.RawImageJA == notice.DefaultRawImageJA {
		kept = "座標のみ・映像は保存しません"
		en = "No video. Paths only."
	}
	items = append(items,
		item{text: "目的：" + n.PurposeJA, max: 2},
		item{text: kept, max: 2},
		item{text: "保存期間：" + n.RetentionJA(), max: 1},
		item{text: "問合せ：" + n.ContactJA, max: 2},
	)
	if s.Mode == ModeCapturing {
		// What is kept, in English; while paused or stopped nothing is.
		items = append(items, item{text: en, max: 1, optional: true})
	}
	return items
}

// BodyLines returns the body text lines as Render draws them, for tests and accessibility checks.
func BodyLines(n notice.Notice, s State, size image.Point) []string {
	l := LayoutFor(n, size)
	f := font.Face12()
	width := l.Text.Dx() - margin
	maxLines := (l.Text.Dy() + lineH - f.Height()) / lineH // the last line needs no leading
	type block struct {
		lines    []string
		optional bool
	}
	var blocks []block
	for _, it := range bodyItems(n, s) {
		ls := f.Wrap(it.text, width)
		if len(ls) > it.max {
			ls = ls[:it.max]
			ls[it.max-1] = ellipsis(f, ls[it.max-1], width)
		}
		if it.optional && len(ls) > 1 {
			continue // an optional line is shown whole or not at all
		}
		blocks = append(blocks, block{ls, it.optional})
	}
	total := func() int {
		t := 0
		for _, b := range blocks {
			t += len(b.lines)
		}
		return t
	}
	for i := len(blocks) - 1; i >= 0 && total() > maxLines; i-- {
		if blocks[i].optional {
			blocks = append(blocks[:i], blocks[i+1:]...)
		}
	}
	var out []string
	for _, b := range blocks {
		out = append(out, b.lines...)
	}
	if len(out) > maxLines {
		out = out[:maxLines]
	}
	return out
}

// ellipsis shortens s with a trailing "…" so that it fits width.
func ellipsis(f *font.Face, s string, width int) string {
	rs := []rune(s)
	for len(rs) > 0 && f.Measure(string(rs))+f.Advance('…') > width {
		rs = rs[:len(rs)-1]
	}
	return string(rs) + "…"
}

// Render draws the panel image for n in state s. It is pure: the same inputs give the same pixels. A zero
// size means Size. The result uses Palette (index 0 white, 1 black) and is owned by the caller.
func Render(n notice.Notice, s State, size image.Point) *image.Paletted {
	if size.X <= 0 || size.Y <= 0 {
		size = Size
	}
	img := image.NewPaletted(image.Rectangle{Max: size}, Palette)
	l := LayoutFor(n, size)
	f12, f16 := font.Face12(), font.Face16()

	// State bar: inverted while capturing, outlined otherwise, so the two read differently at a glance.
	ink := color.Color(color.Black)
	if s.Mode == ModeCapturing || s.Mode == ModeFault {
		FillRect(img, l.Bar, 1)
		ink = color.White
	} else {
		FillRect(img, image.Rect(l.Bar.Min.X, l.Bar.Max.Y-2, l.Bar.Max.X, l.Bar.Max.Y), 1)
	}
	upd := BarText(s)
	updX := l.Bar.Max.X - margin - f12.Measure(upd[2])
	x := f16.Draw(img, margin, l.Bar.Min.Y+1, upd[0], ink)
	x = f12.Draw(img, x+3, l.Bar.Min.Y+3, upd[1], ink)
	// Since when: "14:05から", shortened to "14:05" if the bar is full (a date makes it longer).
	if !s.Since.IsZero() {
		since := hhmm(s.Since, s.Now)
		if x+4+f12.Measure(since+"から")+4 <= updX {
			since += "から"
		}
		if x+4+f12.Measure(since)+4 <= updX {
			f12.Draw(img, x+4, l.Bar.Min.Y+3, since, ink)
		}
	}
	f12.Draw(img, updX, l.Bar.Min.Y+3, upd[2], ink)

	// Body text.
	y := l.Text.Min.Y
	for _, line := range BodyLines(n, s, size) {
		f12.Draw(img, l.Text.Min.X, y, line, color.Black)
		y += lineH
	}

	// QR code last, so nothing can overwrite its quiet zone.
	if l.Code != nil {
		FillRect(img, l.QR, 0)
		DrawQR(img, l.QR.Min, l.Code, l.Scale)
	}
	return img
}

// QuietZone is the white margin, in modules, that DrawQR leaves around a QR code.
const QuietZone = 4

// FillRect sets the pixels of r that lie inside img to palette index idx.
func FillRect(img *image.Paletted, r image.Rectangle, idx uint8) {
	r = r.Intersect(img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetColorIndex(x, y, idx)
		}
	}
}

// DrawQR draws code's dark modules as scale×scale squares of palette index 1, with the top-left corner of
// its quiet zone (QuietZone modules wide, so the code takes (code.Size+2·QuietZone)·scale pixels a side)
// at at. It sets only the dark modules: the quiet zone and light modules keep the pixels already there, so
// the caller clears that square first unless it is already index 0. Pixels outside img are skipped.
func DrawQR(img *image.Paletted, at image.Point, code *qr.Code, scale int) {
	for my := 0; my < code.Size; my++ {
		for mx := 0; mx < code.Size; mx++ {
			if code.Black(mx, my) {
				x := at.X + (mx+QuietZone)*scale
				y := at.Y + (my+QuietZone)*scale
				FillRect(img, image.Rect(x, y, x+scale, y+scale), 1)
			}
		}
	}
}

// WritePNG writes img to path as a PNG, replacing the file. A 2-colour paletted image is written at 1 bit
// per pixel.
func WritePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("panel: %w", err)
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("panel: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("panel: write %s: %w", path, err)
	}
	return nil
}
