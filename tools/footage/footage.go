// Package footage reads and writes the compact video clips the tracker is tested on, in pure Go.
//
// A clip is a directory: frames.z holds the frames, seqinfo.ini says the clip's name, frame rate, length
// and capture size in MOTChallenge's format, gt.txt (optional) holds its ground truth in MOTChallenge's
// box format, and SHA256SUMS lists the SHA-256 of the other files (sha256sum's format). Open refuses a
// clip whose files do not match their checksums.
//
// Frames are stored at half the capture size, as the 2×2 box average of the capture frame rounded as
// package tracker rounds it, (a+b+c+d+2)/4, and are given back at the capture size with each stored pixel
// repeated over a 2×2 block. A tracker that box-averages by 2 (package tracker does for video up to twice
// its processing width) therefore sees exactly the stored pixels, and what the halving drops is only what
// it would have dropped itself.
//
// frames.z is one DEFLATE stream (RFC 1951, compress/flate) of: the 4 bytes "ACL1", one byte N, then per
// frame, in order, one byte per stored pixel in raster order: the quantised temporal residual q (int8).
// A pixel is rebuilt as clamp(p + q·(2N+1), 0, 255), where p is the same pixel of the previous rebuilt frame
// (128 before the first frame). The encoder picks q so that every rebuilt pixel is within N grey levels of
// the halved source (near-lossless coding in the manner of JPEG-LS's NEAR parameter). N = 0 is lossless,
// and then q is the residual modulo 256 and a pixel is p + q modulo 256.
// The coding is deterministic integer arithmetic, so every platform decodes the same pixels.
package footage

import (
	"bufio"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ashiato/ashiato/tools/moteval/mot"
)

// File names inside a clip directory.
const (
	FramesFile  = "frames.z"
	SeqInfoFile = "seqinfo.ini"
	SumsFile    = "SHA256SUMS"
	// GTFile is the ground truth: frame,id,left,top,width,height,conf per line (MOTChallenge's box format,
	// frames 1-based, conf 0 for a person to ignore).
	GTFile = "gt.txt"
)

const magic = "ACL1"

// Clip is an opened clip.
type Clip struct {
	Info   mot.SeqInfo // capture size, frame rate and length
	dir    string
	listed map[string]bool // files whose checksums Open verified
}

// Open opens the clip in dir after checking every file listed in dir/SHA256SUMS against its checksum; the
// list must name frames.z and seqinfo.ini.
func Open(dir string) (*Clip, error) {
	listed, err := verify(dir)
	if err != nil {
		return nil, err
	}
	info, err := mot.ReadSeqInfo(filepath.Join(dir, SeqInfoFile))
	if err != nil {
		return nil, fmt.Errorf("footage: %w", err)
	}
	if info.Width%2 != 0 || info.Height%2 != 0 || info.FrameRate <= 0 {
		return nil, fmt.Errorf("footage: %s: the capture size must be even and the frame rate positive", dir)
	}
	return &Clip{Info: info, dir: dir, listed: listed}, nil
}

// GroundTruth returns the clip's ground truth (gt.txt) with the people to ignore dropped (mot.ReadGTFile).
// It is an error if the clip has none, or if SHA256SUMS does not list it: ground truth is read only when
// its checksum was verified by Open.
func (c *Clip) GroundTruth() ([]mot.Row, error) {
	if !c.listed[GTFile] {
		return nil, fmt.Errorf("footage: %s has no %s listed in %s", c.dir, GTFile, SumsFile)
	}
	return mot.ReadGTFile(filepath.Join(c.dir, GTFile))
}

// Verify checks the files listed in dir/SHA256SUMS against their SHA-256, and that frames.z and
// seqinfo.ini are among them.
func Verify(dir string) error {
	_, err := verify(dir)
	return err
}

// verify is Verify, returning the names of the files it checked.
func verify(dir string) (map[string]bool, error) {
	sums, err := os.ReadFile(filepath.Join(dir, SumsFile))
	if err != nil {
		return nil, fmt.Errorf("footage: %w", err)
	}
	listed := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(sums))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		want, name, ok := strings.Cut(line, "  ")
		if !ok || len(want) != 64 || strings.ContainsAny(name, `/\`) {
			return nil, fmt.Errorf("footage: %s: bad line %q", SumsFile, line)
		}
		got, err := FileSHA256(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		if got != want {
			return nil, fmt.Errorf("footage: %s: SHA-256 %s, but %s lists %s: the file is damaged or was replaced "+
				"(a Git LFS pointer, a line-ending conversion?); check it out again", filepath.Join(dir, name), got, SumsFile, want)
		}
		listed[name] = true
	}
	for _, name := range []string{FramesFile, SeqInfoFile} {
		if !listed[name] {
			return nil, fmt.Errorf("footage: %s does not list %s", filepath.Join(dir, SumsFile), name)
		}
	}
	return listed, nil
}

// FileSHA256 returns the hex SHA-256 of a file.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("footage: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("footage: %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Len is the number of frames.
func (c *Clip) Len() int { return c.Info.Length }

// Frames decodes the first n frames (all if n ≤ 0) in order and calls fn with each: its 0-based index and
// its pixels at the capture size (Info.Width × Info.Height, stride Info.Width). pix is one buffer reused
// for every frame and cleared before Frames returns: fn must not keep it. An error from fn stops the
// decoding and is returned.
func (c *Clip) Frames(n int, fn func(i int, pix []byte) error) error {
	if n <= 0 || n > c.Len() {
		n = c.Len()
	}
	f, err := os.Open(filepath.Join(c.dir, FramesFile))
	if err != nil {
		return fmt.Errorf("footage: %w", err)
	}
	defer f.Close()
	zr := flate.NewReader(bufio.NewReaderSize(f, 64<<10))
	defer zr.Close()
	var hdr [len(magic) + 1]byte
	if _, err := io.ReadFull(zr, hdr[:]); err != nil || string(hdr[:len(magic)]) != magic {
		return fmt.Errorf("footage: %s: not a clip (%v)", FramesFile, err)
	}
	step := 2*int(hdr[len(magic)]) + 1
	w, h := c.Info.Width, c.Info.Height
	hw := w / 2
	rec := make([]byte, hw*(h/2))
	for i := range rec {
		rec[i] = 128
	}
	res := make([]byte, len(rec))
	pix := make([]byte, w*h)
	defer clear(pix)
	defer clear(rec)
	for i := range n {
		if _, err := io.ReadFull(zr, res); err != nil {
			return fmt.Errorf("footage: %s: frame %d: %w", FramesFile, i, err)
		}
		if step == 1 {
			for k, q := range res {
				rec[k] += q // lossless: the residual modulo 256
			}
		} else {
			for k, q := range res {
				rec[k] = clamp(int(rec[k]) + int(int8(q))*step)
			}
		}
		for y := range h / 2 {
			r0 := pix[2*y*w : (2*y+1)*w]
			for x, v := range rec[y*hw : (y+1)*hw] {
				r0[2*x], r0[2*x+1] = v, v
			}
			copy(pix[(2*y+1)*w:(2*y+2)*w], r0)
		}
		if err := fn(i, pix); err != nil {
			return err
		}
	}
	return nil
}

func clamp(v int) uint8 { return uint8(min(max(v, 0), 255)) }

// WriteY4M writes the first n frames (all if n ≤ 0) as a YUV4MPEG2 stream of colour space mono at the
// capture size, announcing fps (the clip's own if fps ≤ 0), for `ashiato -source y4m:-`.
func (c *Clip) WriteY4M(w io.Writer, fps float64, n int) error {
	if fps <= 0 {
		fps = c.Info.FrameRate
	}
	num, den := rate(fps)
	if _, err := fmt.Fprintf(w, "YUV4MPEG2 W%d H%d F%d:%d Ip A1:1 Cmono\n", c.Info.Width, c.Info.Height, num, den); err != nil {
		return err
	}
	return c.Frames(n, func(_ int, pix []byte) error {
		if _, err := io.WriteString(w, "FRAME\n"); err != nil {
			return err
		}
		_, err := w.Write(pix)
		return err
	})
}

// rate turns a frame rate into a ratio of integers (to a thousandth).
func rate(fps float64) (int, int) {
	if fps == float64(int(fps)) {
		return int(fps), 1
	}
	return int(fps*1000 + 0.5), 1000
}

// Halve box-averages the w×h luma image src (stride w) by 2×2 into dst ((w/2)×(h/2)), rounding as
// package tracker does: (a+b+c+d+2)/4.
func Halve(dst, src []byte, w, h int) {
	hw := w / 2
	for y := range h / 2 {
		r0, r1 := src[2*y*w:], src[(2*y+1)*w:]
		out := dst[y*hw : (y+1)*hw]
		for x := range out {
			out[x] = uint8((uint(r0[2*x]) + uint(r0[2*x+1]) + uint(r1[2*x]) + uint(r1[2*x+1]) + 2) >> 2)
		}
	}
}

// Writer writes a clip directory frame by frame.
type Writer struct {
	dir       string
	info      mot.SeqInfo
	near      int
	f         *os.File
	zw        *flate.Writer
	n         int
	half, rec []byte
	res       []byte
}

// Create starts a clip in dir (created if needed) with the given name, frame rate and capture size (both
// even), storing every pixel within near grey levels (0–10; 0 is lossless).
func Create(dir, name string, fps float64, width, height, near int) (*Writer, error) {
	if width%2 != 0 || height%2 != 0 || width <= 0 || height <= 0 {
		return nil, fmt.Errorf("footage: capture size %dx%d must be even", width, height)
	}
	if near < 0 || near > 10 {
		return nil, fmt.Errorf("footage: near %d out of 0..10", near)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.Create(filepath.Join(dir, FramesFile))
	if err != nil {
		return nil, err
	}
	zw, err := flate.NewWriter(f, flate.BestCompression)
	if err != nil {
		f.Close()
		return nil, err
	}
	n := width * height / 4
	wr := &Writer{dir: dir, info: mot.SeqInfo{Name: name, FrameRate: fps, Width: width, Height: height},
		near: near, f: f, zw: zw, half: make([]byte, n), rec: make([]byte, n), res: make([]byte, n)}
	for i := range wr.rec {
		wr.rec[i] = 128
	}
	_, err = zw.Write(append([]byte(magic), byte(near)))
	return wr, err
}

// Add halves one capture-size luma frame (stride = width) and appends it.
func (wr *Writer) Add(pix []byte) error {
	w, h := wr.info.Width, wr.info.Height
	if len(pix) < w*h {
		return fmt.Errorf("footage: frame of %d bytes, want %d", len(pix), w*h)
	}
	Halve(wr.half, pix, w, h)
	nr, step := wr.near, 2*wr.near+1
	for k, x := range wr.half {
		p := int(wr.rec[k])
		r := int(x) - p
		if step == 1 {
			wr.rec[k], wr.res[k] = x, x-uint8(p)
			continue
		}
		q := (r + nr) / step
		if r < 0 {
			q = -((-r + nr) / step)
		}
		wr.rec[k] = clamp(p + q*step)
		wr.res[k] = byte(int8(q))
	}
	wr.n++
	_, err := wr.zw.Write(wr.res)
	return err
}

// Close finishes frames.z and writes seqinfo.ini and SHA256SUMS.
func (wr *Writer) Close() error {
	clear(wr.half)
	clear(wr.rec)
	if err := errors.Join(wr.zw.Close(), wr.f.Close()); err != nil {
		return err
	}
	wr.info.Length = wr.n
	ini := fmt.Sprintf("[Sequence]\nname=%s\nframeRate=%s\nseqLength=%d\nimWidth=%d\nimHeight=%d\n",
		wr.info.Name, strconv.FormatFloat(wr.info.FrameRate, 'f', -1, 64), wr.n, wr.info.Width, wr.info.Height)
	if err := os.WriteFile(filepath.Join(wr.dir, SeqInfoFile), []byte(ini), 0o644); err != nil {
		return err
	}
	var sums strings.Builder
	for _, name := range []string{FramesFile, SeqInfoFile} {
		s, err := FileSHA256(filepath.Join(wr.dir, name))
		if err != nil {
			return err
		}
		fmt.Fprintf(&sums, "%s  %s\n", s, name)
	}
	return os.WriteFile(filepath.Join(wr.dir, SumsFile), []byte(sums.String()), 0o644)
}

// Find returns the directory of the clip with the given name in the module's testdata directory
// (<module root>/testdata/<name>), searching upwards from the working directory for go.mod.
func Find(name string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "testdata", name), nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("footage: no go.mod above the working directory")
		}
		dir = up
	}
}
