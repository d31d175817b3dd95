package panel

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/font"
	"github.com/ashiato/ashiato/agent/notice"
)

var update = flag.Bool("update", false, "rewrite the golden PNGs in testdata")

var jst = time.FixedZone("JST", 9*3600)

func at(h, m int) time.Time { return time.Date(2026, 11, 29, h, m, 0, 0, jst) }

var states = map[string]State{
	"capturing": {Mode: ModeCapturing, Since: at(14, 5), Now: at(14, 32)},
	"paused":    {Mode: ModePaused, Reason: "ボタン操作", Since: at(14, 20), Now: at(14, 32)},
	"stopped":   {Mode: ModeStopped, Reason: "営業時間外", Since: at(21, 0).AddDate(0, 0, -1), Now: at(8, 45)},
	"fault":     {Mode: ModeFault, Reason: "カメラ応答なし", Since: at(14, 30), Now: at(14, 32)},
}

func TestGolden(t *testing.T) {
	for name, s := range states {
		t.Run(name, func(t *testing.T) {
			img := Render(notice.Default(), s, Size)
			path := filepath.Join("testdata", name+".png")
			if *update {
				if err := WritePNG(path, img); err != nil {
					t.Fatal(err)
				}
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatalf("%v (run go test ./agent/panel -update)", err)
			}
			defer f.Close()
			want, err := png.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			if !want.Bounds().Eq(img.Bounds()) {
				t.Fatalf("golden is %v, render is %v", want.Bounds(), img.Bounds())
			}
			diff := 0
			for y := 0; y < img.Rect.Dy(); y++ {
				for x := 0; x < img.Rect.Dx(); x++ {
					r, _, _, _ := want.At(x, y).RGBA()
					if (r < 0x8000) != (img.ColorIndexAt(x, y) == 1) {
						diff++
					}
				}
			}
			if diff > 0 {
				got := filepath.Join(t.TempDir(), name+".png")
				WritePNG(got, img)
				t.Errorf("%d pixels differ from %s; new render in %s (-update to accept)", diff, path, got)
			}
		})
	}
}

func TestStructure(t *testing.T) {
	for name, s := range states {
		img := Render(notice.Default(), s, Size)
		if len(img.Palette) != 2 || img.Palette[0] != color.Color(color.White) || img.Palette[1] != color.Color(color.Black) {
			t.Fatalf("%s: palette %v, want white, black", name, img.Palette)
		}
		if img.Rect != image.Rect(0, 0, 250, 122) {
			t.Fatalf("%s: bounds %v", name, img.Rect)
		}
		checkQR(t, name, img, LayoutFor(notice.Default(), Size))
		if !bytes.Equal(img.Pix, Render(notice.Default(), s, Size).Pix) {
			t.Errorf("%s: two renders differ", name)
		}
	}
	if !Render(notice.Default(), State{}, image.Point{}).Rect.Eq(image.Rectangle{Max: Size}) {
		t.Error("zero size does not mean Size")
	}
}

// checkQR asserts that the QR box holds exactly the encoded modules: quiet zone white, finder patterns
// black, every module as qr.Encode says, at a module size of at least 2 px.
func checkQR(t *testing.T, name string, img *image.Paletted, l Layout) {
	t.Helper()
	if l.Code == nil || !l.QR.In(img.Rect) {
		t.Fatalf("%s: QR %v missing or outside the image", name, l.QR)
	}
	if l.Scale < 2 || l.QR.Dx() != (l.Modules+2*QuietZone)*l.Scale {
		t.Fatalf("%s: QR scale %d, box %v, modules %d", name, l.Scale, l.QR, l.Modules)
	}
	for y := l.QR.Min.Y; y < l.QR.Max.Y; y++ {
		for x := l.QR.Min.X; x < l.QR.Max.X; x++ {
			mx, my := (x-l.QR.Min.X)/l.Scale-QuietZone, (y-l.QR.Min.Y)/l.Scale-QuietZone
			inQuiet := mx < 0 || my < 0 || mx >= l.Modules || my >= l.Modules
			got := img.ColorIndexAt(x, y) == 1
			if inQuiet && got {
				t.Fatalf("%s: quiet zone pixel (%d,%d) is black", name, x, y)
			}
			if !inQuiet && got != l.Code.Black(mx, my) {
				t.Fatalf("%s: module (%d,%d) at (%d,%d) is %v, want %v", name, mx, my, x, y, got, l.Code.Black(mx, my))
			}
		}
	}
	// Finder patterns: the outer 7×7 ring of each of the three corners is black.
	for _, c := range []image.Point{{0, 0}, {l.Modules - 7, 0}, {0, l.Modules - 7}} {
		for i := 0; i < 7; i++ {
			for _, m := range []image.Point{{c.X + i, c.Y}, {c.X + i, c.Y + 6}, {c.X, c.Y + i}, {c.X + 6, c.Y + i}} {
				x := l.QR.Min.X + (m.X+QuietZone)*l.Scale + l.Scale/2
				y := l.QR.Min.Y + (m.Y+QuietZone)*l.Scale + l.Scale/2
				if img.ColorIndexAt(x, y) != 1 {
					t.Fatalf("%s: finder module %v is white", name, m)
				}
			}
		}
	}
}

func TestTextIsDrawableAndFits(t *testing.T) {
	n := notice.Default()
	for name, s := range states {
		lines := BodyLines(n, s, Size)
		l := LayoutFor(n, Size)
		if len(lines) < 7 {
			t.Errorf("%s: only %d body lines: %q", name, len(lines), lines)
		}
		all := strings.Join(lines, "")
		for _, want := range []string{"目的", "保存期間", n.RetentionJA(), "問合せ"} {
			if !strings.Contains(all, want) {
				t.Errorf("%s: body lacks %q: %q", name, want, lines)
			}
		}
		if !strings.Contains(strings.ReplaceAll(all, "・", ""), "座標のみ映像は保存しません") {
			t.Errorf("%s: body lacks the no-video statement: %q", name, lines)
		}
		if s.Reason != "" && !strings.Contains(all, s.Reason) {
			t.Errorf("%s: body lacks the reason %q", name, s.Reason)
		}
		for _, line := range lines {
			if w := font.Face12().Measure(line); w > l.Text.Dx() {
				t.Errorf("%s: line %q is %d px, column is %d", name, line, w, l.Text.Dx())
			}
			for _, r := range line {
				if !font.Face12().Has(r) {
					t.Errorf("%s: %q has no glyph", name, r)
				}
			}
		}
		for _, r := range label(s.Mode) {
			if !font.Face16().Has(r) {
				t.Errorf("%s: label rune %q has no glyph", name, r)
			}
		}
	}
	if BodyLines(n, states["capturing"], Size)[len(BodyLines(n, states["capturing"], Size))-1] != "No video. Paths only." {
		t.Errorf("the English line is missing where there is room: %q", BodyLines(n, states["capturing"], Size))
	}
}

func TestStaleScreenIsVisible(t *testing.T) {
	s := states["capturing"]
	a := Render(notice.Default(), s, Size)
	s.Now = s.Now.Add(time.Minute)
	b := Render(notice.Default(), s, Size)
	l := LayoutFor(notice.Default(), Size)
	diffInBar, diffElsewhere := 0, 0
	for i := range a.Pix {
		if a.Pix[i] != b.Pix[i] {
			if i/a.Stride < l.Bar.Max.Y {
				diffInBar++
			} else {
				diffElsewhere++
			}
		}
	}
	if diffInBar == 0 || diffElsewhere != 0 {
		t.Errorf("a minute later: %d bar pixels and %d other pixels changed, want only the bar", diffInBar, diffElsewhere)
	}
	if got := hhmm(at(21, 0).AddDate(0, 0, -1), at(8, 45)); got != "11/28 21:00" {
		t.Errorf("since on another day = %q, want the date shown", got)
	}
	if got := hhmm(at(9, 5).UTC(), at(10, 0)); got != "09:05" {
		t.Errorf("since in UTC = %q, want it in Now's zone", got)
	}
}

func TestLongInputs(t *testing.T) {
	n := notice.Default()
	n.PolicyURL = "https://example.com/" + strings.Repeat("p", notice.MaxURLLen-len("https://example.com/"))
	n.PurposeJA = strings.Repeat("とても長い目的の説明", 10)
	n.ContactJA = strings.Repeat("問い合わせ窓口", 10)
	if errs := n.Validate(); len(errs) != 0 {
		t.Fatal(errs)
	}
	img := Render(n, states["paused"], Size)
	l := LayoutFor(n, Size)
	checkQR(t, "long URL", img, l)
	lines := BodyLines(n, states["paused"], Size)
	if (l.Text.Dy()+lineH-12)/lineH < len(lines) {
		t.Errorf("%d lines do not fit", len(lines))
	}
	joined := strings.Join(lines, "\n")
	if !strings.Contains(joined, "…") || !strings.Contains(joined, "保存期間") {
		t.Errorf("long text not cut with an ellipsis while keeping the retention: %q", lines)
	}
}

func TestWritePNG(t *testing.T) {
	img := Render(notice.Default(), states["capturing"], Size)
	path := filepath.Join(t.TempDir(), "p.png")
	if err := WritePNG(path, img); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	// IHDR bit depth is byte 24 of a PNG; a 2-colour palette is written at 1 bit per pixel.
	if len(b) < 26 || b[24] != 1 || b[25] != 3 {
		t.Errorf("PNG bit depth %d colour type %d, want 1 and 3 (palette)", b[24], b[25])
	}
	got, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := got.(*image.Paletted); !ok || !bytes.Equal(p.Pix, img.Pix) {
		t.Error("the PNG does not decode to the rendered pixels")
	}
	if err := WritePNG(filepath.Join(t.TempDir(), "no", "dir.png"), img); err == nil || !strings.HasPrefix(err.Error(), "panel: ") {
		t.Errorf("WritePNG to a missing dir: %v", err)
	}
}

// TestBarSaysTheStateInEnglish: every state has its English word in the bar, and the time since when
// still fits beside it, even with a date.
func TestBarSaysTheStateInEnglish(t *testing.T) {
	want := map[string]string{"capturing": "Recording", "paused": "Paused", "stopped": "Stopped", "fault": "Fault"}
	l := LayoutFor(notice.Default(), Size)
	for name, s := range states {
		b := BarText(s)
		if b[1] != want[name] || b[0] != label(s.Mode) {
			t.Errorf("%s: bar words %q, want %s beside %s", name, b, want[name], label(s.Mode))
		}
		for _, r := range b[1] {
			if !font.Face12().Has(r) {
				t.Errorf("%s: %q has no glyph", name, r)
			}
		}
		with := Render(notice.Default(), s, Size)
		s.Since = time.Time{}
		without := Render(notice.Default(), s, Size)
		changed := 0
		for i := range with.Pix {
			if with.Pix[i] != without.Pix[i] {
				if i/with.Stride >= l.Bar.Max.Y {
					t.Fatalf("%s: the since time changed pixels below the bar", name)
				}
				changed++
			}
		}
		if changed == 0 {
			t.Errorf("%s: the since time is not drawn", name)
		}
	}
}
