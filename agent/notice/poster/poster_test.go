package poster

import (
	"image"
	"reflect"
	"strings"
	"testing"

	"github.com/ashiato/ashiato/agent/notice"
)

func mm(px int) float64 { return float64(px) / DPI * 25.4 }

func TestQRSizeAndModules(t *testing.T) {
	n := notice.Default()
	img := Render(n)
	blocks, code := Layout(n)
	var qrR image.Rectangle
	for _, b := range blocks {
		if b.Key == "qr" {
			qrR = b.Rect
		}
	}
	if code == nil || qrR.Empty() {
		t.Fatal("no QR block")
	}
	if mm(qrR.Dx()) < 45 || mm(qrR.Dx()) > 55 || qrR.Dx() != qrR.Dy() {
		t.Errorf("QR is %v = %.1f mm, want a square of about 50 mm and at least 20 mm", qrR, mm(qrR.Dx()))
	}
	s := qrR.Dx() / (code.Size + 2*quietZone)
	for y := qrR.Min.Y; y < qrR.Max.Y; y++ {
		for x := qrR.Min.X; x < qrR.Max.X; x++ {
			mx, my := (x-qrR.Min.X)/s-quietZone, (y-qrR.Min.Y)/s-quietZone
			want := code.Black(mx, my) // false in the quiet zone
			if got := img.ColorIndexAt(x, y) == 1; got != want {
				t.Fatalf("QR pixel (%d,%d) module (%d,%d) = %v, want %v", x, y, mx, my, got, want)
			}
		}
	}
	// A longer URL gives more modules and a smaller scale, never under 2 cm.
	for _, l := range []int{21, 25, 29, 33, 37} {
		if px := QRScale(l) * (l + 2*quietZone); mm(px) < 20 {
			t.Errorf("%d modules: %.1f mm", l, mm(px))
		}
	}
}

func TestLayoutInsidePageNoOverlap(t *testing.T) {
	blocks, _ := Layout(notice.Default())
	page := image.Rect(0, 0, Width, Height)
	for i, a := range blocks {
		if !a.Rect.In(page) || a.Rect.Empty() {
			t.Errorf("%s: %v outside the page or empty", a.Key, a.Rect)
		}
		for _, b := range blocks[i+1:] {
			if a.Rect.Overlaps(b.Rect) {
				t.Errorf("%s %v overlaps %s %v", a.Key, a.Rect, b.Key, b.Rect)
			}
		}
		for _, l := range a.Lines {
			for _, r := range l.Text {
				if !l.Face.Has(r) {
					t.Errorf("%s: %q in %q has no glyph", a.Key, r, l.Text)
				}
			}
			end := l.At.X + l.Face.Measure(l.Text)*l.Scale
			if end > a.Rect.Max.X || l.At.Y+l.Face.Height()*l.Scale > a.Rect.Max.Y+l.Face.Height()*l.Scale/2 {
				t.Errorf("%s: line %q runs out of its block %v", a.Key, l.Text, a.Rect)
			}
		}
	}
}

// TestEveryFieldIsDrawn changes each notice field in turn and checks that pixels change inside that
// field's block and nowhere else except the footer (which shows the notice hash).
func TestEveryFieldIsDrawn(t *testing.T) {
	base := notice.Default()
	img0 := Render(base)
	blocks, _ := Layout(base)
	rect := map[string]image.Rectangle{}
	for _, b := range blocks {
		rect[b.Key] = rect[b.Key].Union(b.Rect)
	}
	typ := reflect.TypeFor[notice.Notice]()
	for i := 0; i < typ.NumField(); i++ {
		tag := typ.Field(i).Tag.Get("toml")
		key := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(tag, "_ja"), "_en"), "_days")
		n := base
		v := reflect.ValueOf(&n).Elem().Field(i)
		switch {
		case v.Kind() == reflect.Int:
			v.SetInt(v.Int() + 1) // same number of digits in the demo notice
		case tag == "policy_url":
			v.SetString("https://example.org/other")
		default:
			v.SetString(sameShape(v.String()))
		}
		img := Render(n)
		inside, outside := 0, 0
		for y := 0; y < Height; y++ {
			for x := 0; x < Width; x++ {
				if img.ColorIndexAt(x, y) == img0.ColorIndexAt(x, y) {
					continue
				}
				p := image.Pt(x, y)
				switch {
				case p.In(rect[key]) || (key == "policy_url" && p.In(rect["qr"])):
					inside++
				case p.In(rect["footer"]):
				default:
					outside++
				}
			}
		}
		if inside == 0 || outside != 0 {
			t.Errorf("%s: %d pixels changed in its block %v, %d elsewhere", tag, inside, rect[key], outside)
		}
	}
}

// sameShape replaces letters, digits and kanji/kana with other glyphs of the same width, keeping spaces and
// punctuation, so the text wraps exactly as before and only its own pixels change.
func sameShape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			b.WriteRune('X')
		case r >= 0x3041 && r <= 0x30f6 || r >= 0x4e00 && r <= 0x9fff:
			b.WriteRune('〓')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestOnlyTheMarkIsBlue(t *testing.T) {
	img := Render(notice.Default())
	blocks, _ := Layout(notice.Default())
	var mark image.Rectangle
	for _, b := range blocks {
		if b.Key == "mark" {
			mark = b.Rect
		}
	}
	blue, white := 0, 0
	for y := 0; y < Height; y++ {
		for x := 0; x < Width; x++ {
			switch img.ColorIndexAt(x, y) {
			case 2:
				if !image.Pt(x, y).In(mark) {
					t.Fatalf("blue pixel (%d,%d) outside the mark %v", x, y, mark)
				}
				blue++
			case 0:
				if image.Pt(x, y).In(mark) {
					white++
				}
			}
		}
	}
	// A regular hexagon fills 3√3/8 ≈ 65 % of its w × (√3/2)w box; the white label takes a little.
	area := float64(mark.Dx()*mark.Dx()) * 3 * 1.7320508 / 8
	if float64(blue) < 0.8*area || float64(blue) > 1.02*area {
		t.Errorf("mark has %d blue pixels, want about %.0f", blue, area)
	}
	if white == 0 {
		t.Error("mark has no white label")
	}
}
