package backoffice

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/ashiato/ashiato/agent/event"
)

// The points blob of the tracks table, format 1:
//
//	byte     1 (the format)
//	uvarint  number of points n
//	n times: uvarint  milliseconds since the previous point (the first: since the track's start, always 0)
//	         varint   x minus the previous x, in units
//	         varint   y minus the previous y, in units (the first point: minus 0)
//
// The unit is 1 mm for floor tracks and 1/100000 of the frame for image tracks: the precision the
// sensor sends, so the encoding loses nothing. varint is the zig-zag varint of encoding/binary. A 2-minute
// track minimised to 2 Hz takes about 5 bytes a point, 1.2 kB in all.
const pointsFormat = 1

// unit returns the size of one coordinate unit of space.
func unit(space string) (float64, error) {
	switch space {
	case event.SpaceFloor:
		return 1e-3, nil
	case event.SpaceImage:
		return 1e-5, nil
	}
	return 0, fmt.Errorf("points: unknown space %q", space)
}

// EncodePoints encodes pts (in time order, Points[0].T ≥ 0) as a points blob.
func EncodePoints(space string, pts []Point) ([]byte, error) {
	u, err := unit(space)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 2+len(pts)*6)
	b = append(b, pointsFormat)
	b = binary.AppendUvarint(b, uint64(len(pts)))
	var t, x, y int64
	for i, p := range pts {
		if p.T < t {
			return nil, fmt.Errorf("points: point %d is earlier than the one before", i)
		}
		px, py := math.Round(p.X/u), math.Round(p.Y/u)
		if !(math.Abs(px) < 1<<52 && math.Abs(py) < 1<<52) {
			return nil, fmt.Errorf("points: point %d is out of range", i)
		}
		b = binary.AppendUvarint(b, uint64(p.T-t))
		b = binary.AppendVarint(b, int64(px)-x)
		b = binary.AppendVarint(b, int64(py)-y)
		t, x, y = p.T, int64(px), int64(py)
	}
	return b, nil
}

// errBlob is wrapped by every DecodePoints error.
var errBlob = errors.New("points: corrupt blob")

// DecodePoints decodes a points blob of a track in space. It never panics, whatever b holds.
func DecodePoints(space string, b []byte) ([]Point, error) {
	u, err := unit(space)
	if err != nil {
		return nil, err
	}
	if len(b) < 2 || b[0] != pointsFormat {
		return nil, fmt.Errorf("%w: unknown format", errBlob)
	}
	b = b[1:]
	n, k := binary.Uvarint(b)
	// Each point takes at least 3 bytes: refuse a count the blob cannot hold before allocating.
	if k <= 0 || n > uint64(len(b)-k)/3 {
		return nil, fmt.Errorf("%w: bad point count", errBlob)
	}
	b = b[k:]
	pts := make([]Point, n)
	var t, x, y int64
	for i := range pts {
		dt, k1 := binary.Uvarint(b)
		if k1 <= 0 || dt > math.MaxInt32 {
			return nil, fmt.Errorf("%w: point %d time", errBlob, i)
		}
		dx, k2 := binary.Varint(b[k1:])
		if k2 <= 0 {
			return nil, fmt.Errorf("%w: point %d x", errBlob, i)
		}
		dy, k3 := binary.Varint(b[k1+k2:])
		if k3 <= 0 {
			return nil, fmt.Errorf("%w: point %d y", errBlob, i)
		}
		b = b[k1+k2+k3:]
		t, x, y = t+int64(dt), x+dx, y+dy
		pts[i] = Point{T: t, X: roundUnit(float64(x) * u), Y: roundUnit(float64(y) * u)}
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the last point", errBlob, len(b))
	}
	return pts, nil
}

// roundUnit removes the binary noise of x·u (0.1+0.2), so decoded values print as the sensor sent them.
func roundUnit(v float64) float64 { return math.Round(v*1e9) / 1e9 }
