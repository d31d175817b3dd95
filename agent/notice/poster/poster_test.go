package poster

import (
	"bytes"
	"flag"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/ashiato/ashiato/agent/notice"
)

var update = flag.Bool("update", false, "rewrite the golden rendering docs/poster-a4.png")

// notices are the ones every test renders: the demo, and one with long texts in every field.
func notices() map[string]notice.Notice {
	long := notice.Default()
	long.OperatorJA = "株式会社サンプル商店 中央駅前ショッピングセンター店（三階フロア全体）"
	long.OperatorEN = "Sample Shop Co., Ltd., Central Station Shopping Centre store (whole third floor)"
	long.PurposeJA = "時間帯ごとの混雑の把握、売場配置とレジ人員配置の改善、ならびに避難経路の安全確認のため"
	long.PurposeEN = "To measure crowding by the hour, improve the layout of the floor and the staffing of the tills, and check that escape routes stay clear"
	long.AreaJA = "店内通路（入口からレジ前まで、および化粧室前の通路を除く全域）"
	long.ContactJA = "サービスカウンター（03-0000-0000、受付時間 10:00〜20:00）"
	long.ContactEN = "Service counter, 03-0000-0000, open 10:00 to 20:00 every day"
	return map[string]notice.Notice{"demo": notice.Default(), "long": long}
}

func TestLayout(t *testing.T) {
	for name, n := range notices() {
		for _, paper := range []Paper{A4, A3} {
			p, err := Layout(n, paper)
			if err != nil {
				t.Fatalf("%s %s: %v", name, paper.Name, err)
			}
			k := paper.W / A4.W
			page := Rect{0, 0, paper.W, paper.H}
			keys := []string{}
			for key, r := range p.Blocks {
				keys = append(keys, key)
				if r.X < 0 || r.Y < 0 || r.X+r.W > page.W || r.Y+r.H > page.H || r.W <= 0 || r.H <= 0 {
					t.Errorf("%s %s: %s %v outside the sheet or empty", name, paper.Name, key, r)
				}
				if key != "mark" && key != "headline" && key != "footer" && (r.X < 14*k-0.01 || r.X+r.W > paper.W-14*k+0.01) {
					t.Errorf("%s %s: %s %v in the margin", name, paper.Name, key, r)
				}
			}
			for i, a := range keys {
				for _, b := range keys[i+1:] {
					if p.Blocks[a].Overlaps(p.Blocks[b]) {
						t.Errorf("%s %s: %s %v overlaps %s %v", name, paper.Name, a, p.Blocks[a], b, p.Blocks[b])
					}
				}
			}
			for _, tx := range p.Texts {
				for _, r := range tx.S {
					if !unicode.IsSpace(r) && !Has(r) {
						t.Errorf("%s: %q in %q has no glyph", name, r, tx.S)
					}
				}
			}
			// Legible from 1.5 m: the Japanese headline's characters are at least 11 mm on A4.
			if got := headlineSize(p) * mmPerPt; got < 11*k {
				t.Errorf("%s %s: headline characters %.1f mm", name, paper.Name, got)
			}
			// The QR code: about 46 mm with its quiet zone, never under 20 mm; square.
			if p.Code == nil || p.QR.W < 20*k || p.QR.W > 46*k+0.01 || p.QR.W != p.QR.H {
				t.Errorf("%s %s: QR %v", name, paper.Name, p.QR)
			}
		}
	}
	if p, _ := Layout(notices()["long"], A4); p.Scale >= 1 {
		t.Errorf("the long notice was not shrunk (scale %.2f)", p.Scale)
	}
	huge := notice.Default()
	huge.PurposeJA = strings.Repeat("とても長い目的の説明です。", 60)
	if _, err := Layout(huge, A4); err == nil || !strings.Contains(err.Error(), "too long") {
		t.Errorf("an overlong notice: %v", err)
	}
}

func headlineSize(p Page) float64 {
	for _, t := range p.Texts {
		if t.Key == "headline" {
			return t.Size
		}
	}
	return 0
}

// need skips without poppler-utils, except in CI, where .ci/run installs them.
func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s not found: .ci/run must install poppler-utils", tool)
			}
			t.Skipf("%s not found (Debian package poppler-utils)", tool)
		}
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return string(out)
}

func writePDF(t *testing.T, n notice.Notice, paper Paper) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WritePDF(&buf, n, paper); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "poster.pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func squeeze(s string) string {
	return strings.Join(strings.Fields(s), "")
}

// TestPDF checks the PDF from the outside with poppler: every notice field is real text, the font is
// embedded as a subset, the page has the paper's size, and the QR code decodes to the policy URL.
func TestPDF(t *testing.T) {
	need(t, "pdftotext", "pdffonts", "pdfinfo", "pdftoppm")
	for name, n := range notices() {
		for _, paper := range []Paper{A4, A3} {
			path := writePDF(t, n, paper)
			text := squeeze(run(t, "pdftotext", "-raw", "-enc", "UTF-8", path, "-"))
			nd := n.WithDefaults()
			v := reflect.ValueOf(nd)
			for i := 0; i < v.NumField(); i++ {
				if s, ok := v.Field(i).Interface().(string); ok && !strings.Contains(text, squeeze(s)) {
					t.Errorf("%s %s: pdftotext lacks %s %q", name, paper.Name, v.Type().Field(i).Name, s)
				}
			}
			for _, s := range []string{nd.RetentionJA(), nd.RetentionEN(), nd.AggregateRetentionJA(), nd.AggregateRetentionEN(),
				HeadlineJA, HeadlineEN, StateJA, StateEN, nd.Hash()} {
				if !strings.Contains(text, squeeze(s)) {
					t.Errorf("%s %s: pdftotext lacks %q", name, paper.Name, s)
				}
			}

			fonts := strings.Split(strings.TrimSpace(run(t, "pdffonts", path)), "\n")
			if len(fonts) != 3 {
				t.Fatalf("%s: pdffonts lists %d fonts, want one:\n%s", name, len(fonts)-2, strings.Join(fonts, "\n"))
			}
			f := strings.Fields(fonts[2]) // name type… encoding emb sub uni object ID
			if !strings.HasSuffix(f[0], "+"+FontName) || f[len(f)-5] != "yes" || f[len(f)-4] != "yes" || f[len(f)-3] != "yes" {
				t.Errorf("%s: font %q: want %s embedded (emb), subset (sub) with a Unicode map (uni)", name, fonts[2], FontName)
			}

			pts := map[string]string{"A4": "595.28 x 841.89 pts (A4)", "A3": "841.89 x 1190.55 pts (A3)"}[paper.Name]
			if info := squeeze(run(t, "pdfinfo", path)); !strings.Contains(info, "Pagesize:"+squeeze(pts)) || !strings.Contains(info, "Pages:1") {
				t.Errorf("%s %s: pdfinfo:\n%s", name, paper.Name, info)
			}

			if got := decodeQR(t, rasterise(t, path, 100)); got != nd.PolicyURL {
				t.Errorf("%s %s: the QR code decodes to %q, want %q", name, paper.Name, got, nd.PolicyURL)
			}
		}
	}
	// The same notice gives the same bytes.
	a, _ := os.ReadFile(writePDF(t, notice.Default(), A4))
	b, _ := os.ReadFile(writePDF(t, notice.Default(), A4))
	if !bytes.Equal(a, b) {
		t.Error("two PDFs of the same notice differ")
	}
}

func rasterise(t *testing.T, pdf string, dpi int) image.Image {
	t.Helper()
	out := filepath.Join(t.TempDir(), "page")
	run(t, "pdftoppm", "-r", strconv.Itoa(dpi), "-png", "-singlefile", pdf, out)
	f, err := os.Open(out + ".png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func decodeQR(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("no QR code found on the rasterised page: %v", err)
	}
	return res.GetText()
}

// TestGolden keeps docs/poster-a4.png, the first page at 72 dpi as poppler renders it, for the README.
// Anti-aliasing may differ by a shade between poppler builds; a changed layout moves whole glyphs.
func TestGolden(t *testing.T) {
	need(t, "pdftoppm")
	got := rasterise(t, writePDF(t, notice.Default(), A4), 72)
	golden := filepath.Join("..", "..", "..", "docs", "poster-a4.png")
	if *update {
		f, err := os.Create(golden)
		if err != nil {
			t.Fatal(err)
		}
		png.Encode(f, got)
		f.Close()
	}
	f, err := os.Open(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./agent/notice/poster -run Golden -update)", err)
	}
	defer f.Close()
	want, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if d := differing(got, want); d > 0.005 {
		t.Errorf("%.2f %% of the pixels differ from %s (-update to accept a new layout)", d*100, golden)
	}
}

// TestPNGIsTheSameLayout: the PNG preview and poppler's rendering of the PDF agree.
func TestPNGIsTheSameLayout(t *testing.T) {
	need(t, "pdftoppm")
	img, err := RenderPNG(notice.Default(), A4, 72)
	if err != nil {
		t.Fatal(err)
	}
	pdf := rasterise(t, writePDF(t, notice.Default(), A4), 72)
	if d := differing(img, pdf); d > 0.03 {
		t.Errorf("%.1f %% of the preview's pixels differ from the PDF's", d*100)
	}
	if got := decodeQR(t, mustPNG(t, notice.Default(), 100)); got != notice.Default().PolicyURL {
		t.Errorf("the preview's QR code decodes to %q", got)
	}
}

func mustPNG(t *testing.T, n notice.Notice, dpi float64) image.Image {
	t.Helper()
	img, err := RenderPNG(n, A4, dpi)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// differing is the share of pixels whose grey levels differ by more than a quarter of the range; images
// of different sizes differ entirely.
func differing(a, b image.Image) float64 {
	if a.Bounds().Size() != b.Bounds().Size() {
		return 1
	}
	n, d := 0, 0
	ab, bb := a.Bounds(), b.Bounds()
	for y := 0; y < ab.Dy(); y++ {
		for x := 0; x < ab.Dx(); x++ {
			g1 := grey(a, ab.Min.X+x, ab.Min.Y+y)
			g2 := grey(b, bb.Min.X+x, bb.Min.Y+y)
			if g1-g2 > 64 || g2-g1 > 64 {
				d++
			}
			n++
		}
	}
	return float64(d) / float64(n)
}

func grey(img image.Image, x, y int) int {
	r, g, b, _ := img.At(x, y).RGBA()
	return int((299*r + 587*g + 114*b) / 1000 >> 8)
}
