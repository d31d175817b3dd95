// Package poster renders the printed A4 sign (150 dpi) from the same notice as the panel and the MQTT
// notice topic.
//
// The sign is bilingual and lists the camera-image guidebook's fields, carries a "de-identified on device"
// mark (a blue hexagon, after the DTPR signage; the only colour on the sheet) and a QR code to the policy,
// about 5 cm wide and never under 2 cm.
package poster

import (
	"image"
	"image/color"
	"math"

	"rsc.io/qr"

	"github.com/ashiato/ashiato/agent/font"
	"github.com/ashiato/ashiato/agent/notice"
	"github.com/ashiato/ashiato/agent/panel"
)

// Page size: A4 at 150 dpi.
const (
	DPI    = 150
	Width  = 1240
	Height = 1754
)

// Palette is the sheet's palette: white, black, and the blue of the technology mark.
var Palette = color.Palette{color.White, color.Black, Blue}

// Blue is the colour of the de-identified-on-device mark.
var Blue = color.RGBA{0x1f, 0x5f, 0xbf, 0xff}

const (
	margin     = 80
	labelW     = 300
	qrTargetMM = 50
	quietZone  = panel.QuietZone // the quiet zone panel.DrawQR leaves
	jaScale    = 2               // 16 px face ×2: 32 px ≈ 5.4 mm
	enScale    = 2               // 16 px face ×2 as well
)

// Block is one placed element of the sheet.
type Block struct {
	// Key names the element: a notice field's TOML key without the language suffix ("operator", …,
	// "policy_url"), or "title", "mark", "qr", "footer".
	Key   string
	Rect  image.Rectangle
	Lines []Line
}

// Line is one line of text at a position, drawn with a face at an integer scale.
type Line struct {
	Text  string
	At    image.Point
	Face  *font.Face
	Scale int
	Ink   color.Color
}

// field is one row of the table: Japanese label and value, English label and value.
type field struct{ key, labelJA, labelEN, ja, en string }

func fields(n notice.Notice) []field {
	return []field{
		{"operator", "運営者", "Operator", n.OperatorJA, n.OperatorEN},
		{"purpose", "利用目的", "Purpose", n.PurposeJA, n.PurposeEN},
		{"collected", "取得する情報", "We record", n.CollectedJA, n.CollectedEN},
		{"never_collected", "取得しない情報", "We never record", n.NeverCollectedJA, n.NeverCollectedEN},
		{"raw_image", "カメラ映像", "Camera images", n.RawImageJA, n.RawImageEN},
		{"area", "撮影範囲", "Area", n.AreaJA, n.AreaEN},
		{"retention", "保存期間", "Retention", n.RetentionJA(), n.RetentionEN()},
		{"aggregate_retention", "統計の保存期間", "Statistics kept", n.AggregateRetentionJA(), n.AggregateRetentionEN()},
		{"third_parties", "第三者提供", "Third parties", n.ThirdPartiesJA, n.ThirdPartiesEN},
		{"contact", "お問い合わせ", "Contact", n.ContactJA, n.ContactEN},
	}
}

// QRScale is the module size in pixels for a code of modules modules (without quiet zone): as close to
// 5 cm overall as whole pixels allow.
func QRScale(modules int) int {
	target := int(math.Round(qrTargetMM / 25.4 * DPI))
	return max(1, int(math.Round(float64(target)/float64(modules+2*quietZone))))
}

// Layout places every element of the sheet for n (defaults applied). The qr Block's Rect includes the
// quiet zone. Code is nil if the policy URL cannot be encoded.
func Layout(n notice.Notice) (blocks []Block, code *qr.Code) {
	n = n.WithDefaults()
	f12, f16 := font.Face12(), font.Face16()
	black, white := color.Color(color.Black), color.Color(color.White)

	// Title, left of the mark.
	markW, markH := 260, 226
	markR := image.Rect(Width-margin-markW, margin, Width-margin, margin+markH)
	title := Block{Key: "title"}
	y := margin
	for _, s := range []struct {
		text  string
		face  *font.Face
		scale int
	}{{"カメラ作動中", f16, 5}, {"人の流れを座標だけで計測しています", f16, 2}, {"Camera in use: measuring foot traffic as coordinates only", f16, 2}} {
		for _, t := range s.face.Wrap(s.text, (markR.Min.X-margin-20)/s.scale) {
			title.Lines = append(title.Lines, Line{t, image.Pt(margin, y), s.face, s.scale, black})
			y += s.face.Height()*s.scale + 8
		}
	}
	title.Rect = image.Rect(margin, margin, markR.Min.X-20, y)
	blocks = append(blocks, title)

	mark := Block{Key: "mark", Rect: markR}
	my := markR.Min.Y + 38
	for _, s := range []struct {
		text  string
		face  *font.Face
		scale int
	}{{"端末内で", f16, 2}, {"匿名化", f16, 2}, {"De-identified", f12, 2}, {"on device", f12, 2}} {
		w := s.face.Measure(s.text) * s.scale
		mark.Lines = append(mark.Lines, Line{s.text, image.Pt(markR.Min.X+(markW-w)/2, my), s.face, s.scale, white})
		my += s.face.Height()*s.scale + 4
	}
	blocks = append(blocks, mark)

	// Field table.
	y = max(y, markR.Max.Y) + 30
	valX := margin + labelW
	valW := Width - margin - valX
	for _, f := range fields(n) {
		b := Block{Key: f.key}
		top := y
		b.Lines = append(b.Lines, Line{f.labelJA, image.Pt(margin, y), f16, jaScale, black})
		b.Lines = append(b.Lines, Line{f.labelEN, image.Pt(margin, y+f16.Height()*jaScale+4), f16, enScale, black})
		for _, t := range f16.Wrap(f.ja, valW/jaScale) {
			b.Lines = append(b.Lines, Line{t, image.Pt(valX, y), f16, jaScale, black})
			y += f16.Height()*jaScale + 4
		}
		for _, t := range f16.Wrap(f.en, valW/enScale) {
			b.Lines = append(b.Lines, Line{t, image.Pt(valX, y), f16, enScale, black})
			y += f16.Height()*enScale + 4
		}
		y = max(y, top+f16.Height()*(jaScale+enScale)+8) + 22
		b.Rect = image.Rect(margin, top, Width-margin, y-22)
		blocks = append(blocks, b)
	}

	// QR code with its caption and the URL in text.
	code, _ = qr.Encode(n.PolicyURL, qr.M)
	y += 10
	if code != nil {
		s := QRScale(code.Size)
		box := (code.Size + 2*quietZone) * s
		qrR := image.Rect(Width-margin-box, y, Width-margin, y+box)
		blocks = append(blocks, Block{Key: "qr", Rect: qrR})
		cap := Block{Key: "policy_url"}
		cy := y + quietZone*s
		for _, s := range []struct {
			text  string
			face  *font.Face
			scale int
		}{{"詳しくはQRコードから", f16, 2}, {"Full privacy policy:", f16, 2}, {n.PolicyURL, f16, 2}} {
			for _, t := range s.face.Wrap(s.text, (qrR.Min.X-margin-20)/s.scale) {
				cap.Lines = append(cap.Lines, Line{t, image.Pt(margin, cy), s.face, s.scale, black})
				cy += s.face.Height()*s.scale + 8
			}
		}
		cap.Rect = image.Rect(margin, y+quietZone*s, qrR.Min.X-20, cy)
		blocks = append(blocks, cap)
		y += box
	}

	foot := Block{Key: "footer"}
	fy := Height - margin + 10
	ft := "この掲示はセンサーの設定から自動生成されています。 notice " + n.Hash()[:12]
	foot.Lines = append(foot.Lines, Line{ft, image.Pt(margin, fy), f12, 2, black})
	foot.Rect = image.Rect(margin, fy, Width-margin, fy+f12.Height()*2)
	blocks = append(blocks, foot)
	return blocks, code
}

// Render draws the sheet for n. The result uses Palette and is owned by the caller.
func Render(n notice.Notice) *image.Paletted {
	img := image.NewPaletted(image.Rect(0, 0, Width, Height), Palette)
	blocks, code := Layout(n)
	for _, b := range blocks {
		switch b.Key {
		case "mark":
			hexagon(img, b.Rect, 2)
		case "qr":
			panel.DrawQR(img, b.Rect.Min, code, b.Rect.Dx()/(code.Size+2*quietZone))
		}
		for _, l := range b.Lines {
			l.Face.DrawScaled(img, l.At.X, l.At.Y, l.Scale, l.Text, l.Ink)
		}
	}
	// A thin rule between the title and the table.
	for _, b := range blocks {
		if b.Key == "operator" {
			panel.FillRect(img, image.Rect(margin, b.Rect.Min.Y-16, Width-margin, b.Rect.Min.Y-13), 1)
		}
	}
	return img
}

// hexagon fills a flat-topped regular hexagon inscribed in r's width with palette index idx.
func hexagon(img *image.Paletted, r image.Rectangle, idx uint8) {
	cx, cy := float64(r.Min.X+r.Max.X)/2, float64(r.Min.Y+r.Max.Y)/2
	rad := float64(r.Dx()) / 2
	h := rad * math.Sqrt(3) / 2
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			dx, dy := math.Abs(float64(x)+0.5-cx), math.Abs(float64(y)+0.5-cy)
			if dy <= h && dx <= rad-dy/math.Sqrt(3) {
				img.SetColorIndex(x, y, idx)
			}
		}
	}
}
