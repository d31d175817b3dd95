//go:build linux

package v4l2

import (
	"cmp"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/blackjack/webcam"
)

// Pixel formats this package can turn into luma, as V4L2 fourcc codes (little-endian "ABCD").
const (
	pixGREY = webcam.PixelFormat('G' | 'R'<<8 | 'E'<<16 | 'Y'<<24)
	pixYUYV = webcam.PixelFormat('Y' | 'U'<<8 | 'Y'<<16 | 'V'<<24)
	pixMJPG = webcam.PixelFormat('M' | 'J'<<8 | 'P'<<16 | 'G'<<24)
	pixJPEG = webcam.PixelFormat('J' | 'P'<<8 | 'E'<<16 | 'G'<<24)
)

// preference lists the usable formats, best first: GREY is a plain copy, YUYV a strided copy, and MJPEG
// needs decoding (with heap buffers, see decodeLuma).
var preference = []webcam.PixelFormat{pixGREY, pixYUYV, pixMJPG, pixJPEG}

// rank is f's index in preference, or -1 if f is not usable.
func rank(f webcam.PixelFormat) int { return slices.Index(preference, f) }

// fourcc spells a pixel format code as its four characters, e.g. "YUYV".
func fourcc(f webcam.PixelFormat) string {
	b := []byte{byte(f), byte(f >> 8), byte(f >> 16), byte(f >> 24)}
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return strings.TrimRight(string(b), " ")
}

// chooseFormat picks the most preferred usable format. It fails for a node that lists no formats at all
// (a UVC metadata node) and for one whose formats are all unusable (e.g. raw Bayer from a Pi's CSI
// receiver), naming them.
func chooseFormat(formats map[webcam.PixelFormat]string) (webcam.PixelFormat, error) {
	if len(formats) == 0 {
		return 0, errors.New("lists no capture formats (a UVC metadata node, or not a camera)")
	}
	for _, p := range preference {
		if _, ok := formats[p]; ok {
			return p, nil
		}
	}
	names := make([]string, 0, len(formats))
	for f := range formats {
		names = append(names, fourcc(f))
	}
	slices.Sort(names)
	return 0, fmt.Errorf("lists no usable format (has %s; need GREY, YUYV or MJPEG)", strings.Join(names, ", "))
}

// chooseSize returns the listed size closest to w×h: the smallest |Δw|+|Δh|, then the smaller area. A
// stepwise range contributes its grid point nearest to w×h. If nothing usable is listed (webcam leaves
// V4L2's "continuous" ranges all zero), it returns w×h unchanged for the driver to adjust.
func chooseSize(sizes []webcam.FrameSize, w, h int) (int, int) {
	bestW, bestH, bestD := w, h, -1
	for _, s := range sizes {
		if s.MaxWidth == 0 || s.MaxHeight == 0 {
			continue
		}
		cw := nearestStep(w, int(s.MinWidth), int(s.MaxWidth), int(s.StepWidth))
		ch := nearestStep(h, int(s.MinHeight), int(s.MaxHeight), int(s.StepHeight))
		d := abs(cw-w) + abs(ch-h)
		if bestD < 0 || d < bestD || d == bestD && cw*ch < bestW*bestH {
			bestW, bestH, bestD = cw, ch, d
		}
	}
	return bestW, bestH
}

// nearestStep returns the value of min + k·step (k ≥ 0, at most max) nearest to v; step 0 means the
// discrete value max.
func nearestStep(v, lo, hi, step int) int {
	if step <= 0 || lo >= hi {
		return hi
	}
	v = min(max(v, lo), hi)
	k := (v - lo + step/2) / step
	r := lo + k*step
	if r > hi {
		r -= step
	}
	return r
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// defaultGlobs are where FindCaptureNode looks when given no patterns.
var defaultGlobs = []string{"/dev/v4l/by-id/*", "/dev/video*"}

// FindCaptureNode returns the first path matching globs that opens as a V4L2 capture device and lists at
// least one format this package can use. Paths are tried pattern by pattern, in lexical order within a
// pattern; a node reached twice through links is probed once. With no globs it searches
// "/dev/v4l/by-id/*" (stable names, USB cameras only) and then "/dev/video*" (whose numbers move when a
// Pi's codec nodes exist). Each candidate is opened, asked for its formats, and closed. The error lists
// why each candidate was rejected.
func FindCaptureNode(globs ...string) (string, error) {
	return findCaptureNode(openWebcam, globs)
}

func findCaptureNode(open opener, globs []string) (string, error) {
	if len(globs) == 0 {
		globs = defaultGlobs
	}
	seen := map[string]bool{}
	var why []string
	for _, g := range globs {
		paths, err := filepath.Glob(g)
		if err != nil {
			return "", fmt.Errorf("v4l2: bad pattern %q: %w", g, err)
		}
		for _, p := range paths {
			real, err := filepath.EvalSymlinks(p)
			if err != nil {
				real = p
			}
			if seen[real] {
				continue
			}
			seen[real] = true
			dev, err := open(p)
			if err != nil {
				why = append(why, fmt.Sprintf("%s: %v", p, err))
				continue
			}
			_, err = chooseFormat(dev.GetSupportedFormats())
			dev.Close()
			if err != nil {
				why = append(why, fmt.Sprintf("%s: %v", p, err))
				continue
			}
			return p, nil
		}
	}
	if len(why) == 0 {
		return "", fmt.Errorf("v4l2: no video device matches %s: no camera is connected; plug in a USB (UVC) "+
			"camera and check that the kernel sees it (lsusb; dmesg | grep uvcvideo)", strings.Join(globs, " or "))
	}
	return "", fmt.Errorf("v4l2: no usable capture node: %s", strings.Join(why, "; "))
}

// Formats opens the device at path, lists its capture formats with their frame sizes, and closes it.
// Usable formats come first, in the order Start prefers them. A node with no capture formats (a UVC
// metadata node) is an error.
func Formats(path string) ([]FormatInfo, error) {
	return formats(openWebcam, path)
}

func formats(open opener, path string) ([]FormatInfo, error) {
	dev, err := open(path)
	if err != nil {
		return nil, fmt.Errorf("v4l2: open %s: %w", path, err)
	}
	defer dev.Close()
	fs := dev.GetSupportedFormats()
	if len(fs) == 0 {
		return nil, fmt.Errorf("v4l2: %s: lists no capture formats (a UVC metadata node, or not a camera)", path)
	}
	var out []FormatInfo
	for f, desc := range fs {
		fi := FormatInfo{FourCC: fourcc(f), Description: desc, Usable: rank(f) >= 0}
		for _, s := range dev.GetSupportedFrameSizes(f) {
			fi.Sizes = append(fi.Sizes, FrameSize{
				MinWidth: int(s.MinWidth), MaxWidth: int(s.MaxWidth), StepWidth: int(s.StepWidth),
				MinHeight: int(s.MinHeight), MaxHeight: int(s.MaxHeight), StepHeight: int(s.StepHeight),
			})
		}
		out = append(out, fi)
	}
	order := func(fi FormatInfo) int {
		for i, p := range preference {
			if fourcc(p) == fi.FourCC {
				return i
			}
		}
		return len(preference)
	}
	slices.SortFunc(out, func(a, b FormatInfo) int {
		return cmp.Or(cmp.Compare(order(a), order(b)), strings.Compare(a.FourCC, b.FourCC))
	})
	return out, nil
}
