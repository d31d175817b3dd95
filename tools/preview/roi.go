package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/ashiato/ashiato/agent/config"
	"github.com/ashiato/ashiato/tools/footage"
)

// roiView draws one camera frame in the terminal with the configuration's floor area of interest
// (tracker.roi) and privacy zones over it, so an installer can check them against the picture. The frame
// is drawn with Unicode half blocks in 24-bit colour (two image rows per text line) and is never written
// to a file by this program: it exists in memory while it is drawn, and the memory is cleared afterwards.
// Outside the area of interest the picture is dimmed, its outline is red, and privacy zones (blanked before
// anything reads the frame) are blue.
type roiView struct {
	roi, zones [][][2]float64
	cols       int
}

// runROI reads one luma frame from src (a YUV4MPEG2 file, "-" for standard input, or a clip directory,
// whose frame index it takes), and draws it with cfgPath's area of interest and privacy zones to w.
func runROI(w io.Writer, stdin io.Reader, cfgPath, src string, index, cols int) error {
	if cfgPath == "" {
		return errors.New("preview: -roi needs -config FILE (its [tracker] roi and privacy_zones are drawn)")
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return fmt.Errorf("preview: %w", err)
	}
	if cols < 16 || cols > 1000 {
		return fmt.Errorf("preview: -cols %d is outside 16..1000", cols)
	}
	pix, fw, fh, err := readFrame(stdin, src, index)
	if err != nil {
		return fmt.Errorf("preview: %s: %w", src, err)
	}
	defer clear(pix)
	v := roiView{cols: cols, zones: cfg.Tracker.PrivacyZones}
	if len(cfg.Tracker.ROI) > 0 {
		v.roi = [][][2]float64{cfg.Tracker.ROI}
	}
	return v.draw(w, pix, fw, fh)
}

// readFrame returns the luma plane of one frame, its width and height.
func readFrame(stdin io.Reader, src string, index int) ([]byte, int, int, error) {
	if st, err := os.Stat(src); err == nil && st.IsDir() {
		c, err := footage.Open(src)
		if err != nil {
			return nil, 0, 0, err
		}
		if index < 0 || index >= c.Len() {
			return nil, 0, 0, fmt.Errorf("-index %d: the clip has frames 0..%d", index, c.Len()-1)
		}
		pix := make([]byte, c.Info.Width*c.Info.Height)
		err = c.Frames(index+1, func(i int, p []byte) error {
			if i == index {
				copy(pix, p)
			}
			return nil
		})
		return pix, c.Info.Width, c.Info.Height, err
	}
	r := stdin
	if src != "-" {
		f, err := os.Open(src)
		if err != nil {
			return nil, 0, 0, err
		}
		defer f.Close()
		r = f
	}
	return readY4M(bufio.NewReader(r))
}

// readY4M reads the luma plane of the first frame of a YUV4MPEG2 stream.
func readY4M(r *bufio.Reader) ([]byte, int, int, error) {
	hdr, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(hdr, "YUV4MPEG2 ") {
		return nil, 0, 0, errors.New("not a YUV4MPEG2 stream")
	}
	w, h := 0, 0
	for _, f := range strings.Fields(hdr)[1:] {
		switch f[0] {
		case 'W':
			w, _ = strconv.Atoi(f[1:])
		case 'H':
			h, _ = strconv.Atoi(f[1:])
		}
	}
	if w < 2 || h < 2 || w > 8192 || h > 8192 {
		return nil, 0, 0, fmt.Errorf("frame size %dx%d", w, h)
	}
	if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "FRAME") {
		return nil, 0, 0, errors.New("no frame in the stream")
	}
	pix := make([]byte, w*h)
	if _, err := io.ReadFull(r, pix); err != nil {
		clear(pix)
		return nil, 0, 0, fmt.Errorf("short frame: %w", err)
	}
	return pix, w, h, nil
}

// draw writes the picture, scaled to v.cols columns, and a legend.
func (v roiView) draw(out io.Writer, pix []byte, w, h int) error {
	cols := v.cols
	rows := (h*cols/w + 1) / 2 * 2
	var b bytes.Buffer
	defer func() { clear(b.Bytes()) }()
	px := func(cx, cy int) (r, g, bl int) {
		// Box average of the image pixels under scaled pixel (cx, cy).
		x0, x1 := cx*w/cols, max((cx+1)*w/cols, cx*w/cols+1)
		y0, y1 := cy*h/rows, max((cy+1)*h/rows, cy*h/rows+1)
		s, n := 0, 0
		for y := y0; y < min(y1, h); y++ {
			for x := x0; x < min(x1, w); x++ {
				s += int(pix[y*w+x])
				n++
			}
		}
		grey := s / max(n, 1)
		nx, ny := (float64(cx)+0.5)/float64(cols), (float64(cy)+0.5)/float64(rows)
		ex, ey := 1/float64(cols), 1/float64(rows)
		switch {
		case inAny(v.zones, nx, ny):
			return grey / 3, grey / 3, 120 + grey/2
		case len(v.roi) > 0 && nearEdge(v.roi, nx, ny, ex, ey):
			return 255, 40, 40
		case len(v.roi) > 0 && !inAny(v.roi, nx, ny):
			return grey * 2 / 5, grey * 2 / 5, grey * 2 / 5
		}
		return grey, grey, grey
	}
	for cy := 0; cy < rows; cy += 2 {
		for cx := range cols {
			r1, g1, b1 := px(cx, cy)
			r2, g2, b2 := px(cx, cy+1)
			fmt.Fprintf(&b, "\x1b[38;2;%d;%d;%dm\x1b[48;2;%d;%d;%dm▀", r1, g1, b1, r2, g2, b2)
		}
		b.WriteString("\x1b[0m\n")
	}
	switch {
	case len(v.roi) == 0:
		b.WriteString("tracker.roi is not set: tracks may start anywhere in the picture.\n")
	default:
		b.WriteString("\x1b[38;2;255;40;40m▀\x1b[0m outline of tracker.roi: tracks start only inside it (dimmed outside).\n")
	}
	if len(v.zones) > 0 {
		b.WriteString("\x1b[38;2;40;40;200m▀\x1b[0m tracker.privacy_zones: blanked before anything reads the frame.\n")
	}
	_, err := out.Write(b.Bytes())
	return err
}

// inAny reports whether (x, y) is inside one of the polygons (even-odd rule).
func inAny(polys [][][2]float64, x, y float64) bool {
	for _, p := range polys {
		in := false
		for i, j := 0, len(p)-1; i < len(p); j, i = i, i+1 {
			if (p[i][1] > y) != (p[j][1] > y) && x < (p[j][0]-p[i][0])*(y-p[i][1])/(p[j][1]-p[i][1])+p[i][0] {
				in = !in
			}
		}
		if in {
			return true
		}
	}
	return false
}

// nearEdge reports whether the scaled pixel of size ex×ey centred on (x, y) straddles a polygon's outline:
// some of its corners are inside and some are not.
func nearEdge(polys [][][2]float64, x, y, ex, ey float64) bool {
	n := 0
	for _, c := range [4][2]float64{{-1, -1}, {1, -1}, {-1, 1}, {1, 1}} {
		if inAny(polys, x+c[0]*ex/2, y+c[1]*ey/2) {
			n++
		}
	}
	return n > 0 && n < 4
}
