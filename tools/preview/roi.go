package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/ashiato/ashiato/agent/config"
	"github.com/ashiato/ashiato/internal/roiview"
	"github.com/ashiato/ashiato/tools/footage"
)

// runROI reads one luma frame from src (a YUV4MPEG2 file, "-" for standard input, or a clip directory,
// whose frame index it takes), and draws it with cfgPath's area of interest, privacy zones and edge bands
// on w, which must be a terminal (package roiview): the frame is drawn, never saved. The frame's memory is
// cleared afterwards.
func runROI(w io.Writer, stdin io.Reader, cfgPath, src string, index, cols int) error {
	if cfgPath == "" {
		return errors.New("preview: -roi needs -config FILE (its [tracker] roi and privacy_zones are drawn)")
	}
	if !roiview.IsTerminal(w) {
		return fmt.Errorf("preview: %w", roiview.ErrNotTerminal)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return fmt.Errorf("preview: %w", err)
	}
	if cols < roiview.MinCols || cols > roiview.MaxCols {
		return fmt.Errorf("preview: -cols %d is outside %d..%d", cols, roiview.MinCols, roiview.MaxCols)
	}
	pix, fw, fh, err := readFrame(stdin, src, index)
	if err != nil {
		return fmt.Errorf("preview: %s: %w", src, err)
	}
	defer clear(pix)
	if err := roiview.Show(w, roiview.Frame{Pix: pix, Width: fw, Height: fh, Stride: fw}, cols, cfg.Tracker.View()); err != nil {
		return fmt.Errorf("preview: %w", err)
	}
	return nil
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
