// Package mot reads MOTChallenge ground truth and tracker output and scores it with CLEAR-MOT and IDF1
// the way py-motmetrics 1.2.0 does.
package mot

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/ashiato/ashiato/agent/event"
)

// Row is one object (ground truth) or hypothesis (tracker output) in one frame.
//
// A box row has Width and Height > 0 and its position is the box. A point row (IsPoint) has only X, Y: a
// foot point in pixels, as published by the product.
type Row struct {
	Frame int    // 1-based frame number: frame n is the n-th decoded frame
	ID    string // track or object id; ids of ground truth and hypotheses are separate name spaces
	// Left, Top, Width and Height are the box in pixels; zero in a point row.
	Left, Top, Width, Height float64
	// Conf is the MOT confidence column. In ground truth 0 marks a person to ignore; 1 in point rows.
	Conf    float64
	X, Y    float64 // the point in pixels; point rows only
	IsPoint bool
}

// Foot returns the bottom-centre of the box, or the point of a point row.
func (r Row) Foot() (x, y float64) {
	if r.IsPoint {
		return r.X, r.Y
	}
	return r.Left + r.Width/2, r.Top + r.Height
}

// Centre returns the centre of the box, or the point of a point row.
func (r Row) Centre() (x, y float64) {
	if r.IsPoint {
		return r.X, r.Y
	}
	return r.Left + r.Width/2, r.Top + r.Height/2
}

// MaxFrame is the largest frame number the readers accept (and the largest 0-based frame index ReadAgent
// accepts, less one): 2³¹−1, so that a frame number fits an int on every platform and no arithmetic on
// it wraps round to a small or negative frame.
const MaxFrame = 1<<31 - 1

// checkFrame returns an error for a frame number beyond ±MaxFrame or not an integer.
func checkFrame(line int, s string, v float64) error {
	if math.Abs(v) > MaxFrame {
		return fmt.Errorf("mot: line %d: frame %q is out of range (at most %d)", line, s, MaxFrame)
	}
	if v != math.Trunc(v) {
		return fmt.Errorf("mot: line %d: frame %q is not an integer", line, s)
	}
	return nil
}

// SeqInfo is the part of a MOTChallenge seqinfo.ini that scoring needs.
type SeqInfo struct {
	Name      string
	FrameRate float64
	Length    int // number of frames; frames are 1..Length
	Width     int // image width in pixels
	Height    int // image height in pixels
}

// ReadSeqInfo parses a seqinfo.ini file. Name, seqLength, imWidth and imHeight are required.
func ReadSeqInfo(path string) (SeqInfo, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return SeqInfo{}, fmt.Errorf("mot: %w", err)
	}
	var s SeqInfo
	seen := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		seen[k] = true
		var perr error
		switch k {
		case "name":
			s.Name = v
		case "frameRate":
			s.FrameRate, perr = strconv.ParseFloat(v, 64)
		case "seqLength":
			s.Length, perr = strconv.Atoi(v)
		case "imWidth":
			s.Width, perr = strconv.Atoi(v)
		case "imHeight":
			s.Height, perr = strconv.Atoi(v)
		}
		if perr != nil {
			return SeqInfo{}, fmt.Errorf("mot: %s: %s: %w", path, k, perr)
		}
	}
	for _, k := range []string{"seqLength", "imWidth", "imHeight"} {
		if !seen[k] {
			return SeqInfo{}, fmt.Errorf("mot: %s: no %s", path, k)
		}
	}
	if s.Length <= 0 || s.Width <= 0 || s.Height <= 0 {
		return SeqInfo{}, fmt.Errorf("mot: %s: non-positive seqLength, imWidth or imHeight", path)
	}
	return s, nil
}

// ReadMOT parses MOTChallenge box text (gt.txt, det.txt or a tracker's output):
// frame,id,left,top,width,height,conf[,x,y,z]. Fields may be separated by commas or white space. Empty
// lines and lines starting with '#' are skipped. Every row is returned, in file order; see DropIgnored.
func ReadMOT(r io.Reader) ([]Row, error) {
	var rows []Row
	err := eachRecord(r, func(n int, f []string) error {
		if len(f) < 6 {
			return fmt.Errorf("mot: line %d: %d fields, want at least 6", n, len(f))
		}
		v, err := parseFloats(n, f[:min(len(f), 7)])
		if err != nil {
			return err
		}
		if err := checkFrame(n, f[0], v[0]); err != nil {
			return err
		}
		row := Row{Frame: int(v[0]), ID: canonicalID(f[1], v[1]), Left: v[2], Top: v[3], Width: v[4], Height: v[5], Conf: 1}
		if len(v) > 6 {
			row.Conf = v[6]
		}
		rows = append(rows, row)
		return nil
	})
	return rows, err
}

// ReadPoints parses a point CSV, frame,id,x,y in pixels, one header line allowed.
func ReadPoints(r io.Reader) ([]Row, error) {
	var rows []Row
	err := eachRecord(r, func(n int, f []string) error {
		if len(f) != 4 {
			return fmt.Errorf("mot: line %d: %d fields, want 4 (frame,id,x,y)", n, len(f))
		}
		if len(rows) == 0 && !isNumber(f[0]) {
			return nil // header
		}
		v, err := parseFloats(n, f)
		if err != nil {
			return err
		}
		if err := checkFrame(n, f[0], v[0]); err != nil {
			return err
		}
		rows = append(rows, Row{Frame: int(v[0]), ID: canonicalID(f[1], v[1]), X: v[2], Y: v[3], Conf: 1, IsPoint: true})
		return nil
	})
	return rows, err
}

// ReadAgent parses the agent's JSON-lines output (event.Line, as written by its stdout sink). Only lines
// on a "ashiato/v1/<store>/<sensor>/tracks" topic are used; others are ignored. Each point [f,t,x,y] of an
// image-space track becomes a point row in frame f+1 at pixel (x·w, y·h); f must be below MaxFrame.
// Segments of one track (same track id) are joined; a repeated (track, frame), as from a redelivered
// segment, is kept once, first wins. A floor-space track is an error, since it cannot be scored in pixels.
func ReadAgent(r io.Reader) ([]Row, error) {
	type key struct {
		id    string
		frame int
	}
	seen := map[key]bool{}
	var rows []Row
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var l event.Line
		if err := json.Unmarshal(line, &l); err != nil {
			return nil, fmt.Errorf("mot: line %d: %w", n, err)
		}
		if !isTracksTopic(l.Topic) {
			continue
		}
		var t event.Track
		if err := json.Unmarshal(l.Payload, &t); err != nil {
			return nil, fmt.Errorf("mot: line %d: track: %w", n, err)
		}
		if t.Space != event.SpaceImage {
			return nil, fmt.Errorf("mot: line %d: track %s is in space %q, want %q", n, t.ID, t.Space, event.SpaceImage)
		}
		if t.W <= 0 || t.H <= 0 {
			return nil, fmt.Errorf("mot: line %d: track %s has image size %dx%d", n, t.ID, t.W, t.H)
		}
		for _, p := range t.Points {
			if p.F >= MaxFrame {
				return nil, fmt.Errorf("mot: line %d: track %s has frame %d, beyond %d", n, t.ID, p.F, MaxFrame-1)
			}
			k := key{t.ID, int(p.F) + 1}
			if seen[k] {
				continue
			}
			seen[k] = true
			rows = append(rows, Row{Frame: k.frame, ID: t.ID, X: p.X * float64(t.W), Y: p.Y * float64(t.H), Conf: 1, IsPoint: true})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("mot: %w", err)
	}
	return rows, nil
}

func isTracksTopic(topic string) bool {
	rest, ok := strings.CutPrefix(topic, event.Root+"/")
	if !ok {
		return false
	}
	parts := strings.Split(rest, "/")
	return len(parts) == 3 && parts[2] == event.LeafTracks
}

// ReadTracks reads tracker output in any of the formats above, chosen from its content: JSON lines when
// the first non-blank character is '{', a point CSV when the first record has 4 fields, else MOT boxes.
func ReadTracks(r io.Reader) ([]Row, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("mot: %w", err)
	}
	t := bytes.TrimSpace(b)
	switch {
	case len(t) == 0:
		return nil, nil
	case t[0] == '{':
		return ReadAgent(bytes.NewReader(b))
	}
	first, _, _ := bytes.Cut(t, []byte("\n"))
	if len(splitFields(string(first))) == 4 {
		return ReadPoints(bytes.NewReader(b))
	}
	return ReadMOT(bytes.NewReader(b))
}

// ReadTracksFile is ReadTracks on the named file.
func ReadTracksFile(path string) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mot: %w", err)
	}
	defer f.Close()
	rows, err := ReadTracks(f)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return rows, nil
}

// ReadGTFile reads a MOT ground-truth file and drops the rows to ignore (see DropIgnored).
func ReadGTFile(path string) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mot: %w", err)
	}
	defer f.Close()
	rows, err := ReadMOT(f)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return DropIgnored(rows), nil
}

// DropIgnored returns the rows whose Conf is not 0, in order. In MOT15 ground truth conf=0 marks a person
// to ignore. It reuses the backing array of rows.
func DropIgnored(rows []Row) []Row {
	out := rows[:0]
	for _, r := range rows {
		if r.Conf != 0 {
			out = append(out, r)
		}
	}
	return out
}

func eachRecord(r io.Reader, fn func(line int, fields []string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' {
			continue
		}
		if err := fn(n, splitFields(s)); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("mot: %w", err)
	}
	return nil
}

func splitFields(s string) []string {
	var f []string
	if strings.Contains(s, ",") {
		f = strings.Split(s, ",")
	} else {
		f = strings.Fields(s)
	}
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	return f
}

func parseFloats(line int, f []string) ([]float64, error) {
	v := make([]float64, len(f))
	for i, s := range f {
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("mot: line %d: field %d: %q is not a finite number", line, i+1, s)
		}
		v[i] = x
	}
	return v, nil
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// canonicalID turns "3" and "3.0" into the same id.
func canonicalID(s string, v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
		return strconv.FormatInt(int64(v), 10)
	}
	return s
}
