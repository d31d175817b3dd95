package poster

import (
	"bytes"
	"fmt"
	"io"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/ashiato/ashiato/agent/notice"
)

// WritePDF writes the sign for n on paper as a one-page vector PDF: text in an embedded subset of IPAex
// Gothic, shapes and the QR code as filled paths. The same notice gives the same bytes (the document's
// dates are fixed), so a sign can be checked by its hash as well as by its footer.
func WritePDF(w io.Writer, n notice.Notice, paper Paper) error {
	p, err := Layout(n, paper)
	if err != nil {
		return err
	}
	nd := n.WithDefaults()
	pdf := newPDF(nd, paper)
	drawPDF(pdf, p)
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("poster: pdf: %w", err)
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return fmt.Errorf("poster: pdf: %w", err)
	}
	// fpdf embeds only the glyphs used but names the font without the subset tag that ISO 32000-1 9.6.4
	// asks for ("ABCDEF+Name"). Both names have the same length, so no byte offset moves.
	old, tagged := []byte("/utf8"+pdfFamily), []byte("/"+subsetTag(nd.Hash())+"+"+FontName)
	if len(old) != len(tagged) || bytes.Count(buf.Bytes(), old) == 0 {
		return fmt.Errorf("poster: BUG: font name %s not found in fpdf's output", old)
	}
	if _, err := w.Write(bytes.ReplaceAll(buf.Bytes(), old, tagged)); err != nil {
		return fmt.Errorf("poster: pdf: %w", err)
	}
	return nil
}

// newPDF returns a one-page document of paper's size for the notice nd (defaults applied), with fixed
// dates, so that the same notice gives the same bytes, and the font embedded.
func newPDF(nd notice.Notice, paper Paper) *fpdf.Fpdf {
	pdf := fpdf.NewCustom(&fpdf.InitType{
		OrientationStr: "P",
		UnitStr:        "mm",
		Size:           fpdf.SizeType{Wd: paper.W, Ht: paper.H},
	})
	epoch := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	pdf.SetCreationDate(epoch)
	pdf.SetModificationDate(epoch)
	pdf.SetCatalogSort(true)
	pdf.SetCompression(true)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	pdf.SetTitle(HeadlineJA+" / "+HeadlineEN+" — "+nd.OperatorEN, true)
	pdf.SetSubject("notice "+nd.Hash(), true)
	pdf.SetCreator("Ashiato poster", true)
	pdf.SetLang("ja")
	pdf.AddUTF8FontFromBytes(pdfFamily, "", ttf)
	pdf.AddPage()
	return pdf
}

// drawPDF draws the laid-out page p: shapes, then the QR code, then the text on top.
func drawPDF(pdf *fpdf.Fpdf, p Page) {
	for _, s := range p.Shapes {
		pts := make([]fpdf.PointType, len(s.Poly))
		for i, q := range s.Poly {
			pts[i] = fpdf.PointType{X: q.X, Y: q.Y}
		}
		pdf.SetFillColor(int(s.Fill.R), int(s.Fill.G), int(s.Fill.B))
		pdf.Polygon(pts, "F")
	}
	if p.Code != nil {
		drawQR(pdf, p)
	}
	for _, t := range p.Texts {
		pdf.SetFont(pdfFamily, "", t.Size)
		pdf.SetTextColor(int(t.Color.R), int(t.Color.G), int(t.Color.B))
		if t.Bold {
			// Fill and stroke: IPAex Gothic has no bold face.
			pdf.SetDrawColor(int(t.Color.R), int(t.Color.G), int(t.Color.B))
			pdf.SetLineWidth(t.Size * mmPerPt * 0.03)
			pdf.SetTextRenderingMode(2)
		}
		pdf.Text(t.X, t.Y, t.S)
		if t.Bold {
			pdf.SetTextRenderingMode(0)
		}
	}
}

// pdfFamily is the family name given to fpdf: lower case (fpdf lowercases it) and 7 bytes longer than
// FontName, the length of the subset tag and its "+" that replace fpdf's "utf8" prefix.
const pdfFamily = "ipaexgothicsub"

// subsetTag is six capital letters derived from the notice hash: a different text is a different subset.
func subsetTag(hash string) string {
	tag := make([]byte, 6)
	for i := range tag {
		tag[i] = 'A' + (hash[2*i]*16+hash[2*i+1])%26
	}
	return string(tag)
}

// drawQR draws the dark modules as filled rectangles, one per horizontal run, on a white square.
func drawQR(pdf *fpdf.Fpdf, p Page) {
	c := p.Code
	m := p.QR.W / float64(c.Size+2*QuietZone)
	pdf.SetFillColor(255, 255, 255)
	pdf.Rect(p.QR.X, p.QR.Y, p.QR.W, p.QR.H, "F")
	pdf.SetFillColor(0, 0, 0)
	for y := 0; y < c.Size; y++ {
		for x := 0; x < c.Size; {
			if !c.Black(x, y) {
				x++
				continue
			}
			run := 1
			for x+run < c.Size && c.Black(x+run, y) {
				run++
			}
			// A hair of overlap with the next row, so that no white seam shows between abutting rows.
			pdf.Rect(p.QR.X+float64(x+QuietZone)*m, p.QR.Y+float64(y+QuietZone)*m, float64(run)*m, m*1.001, "F")
			x += run
		}
	}
}
