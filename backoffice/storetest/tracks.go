package storetest

import (
	crand "crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/backoffice"
)

// MarkedTrack returns a 2-minute floor track of k (240 points at 2 Hz, a random walk) that starts at start
// and is kept for days, with the byte strings that only it leaves in a store's files: its random id as
// stored (text) and two 32-byte slices of its points blob, its start and its middle. A forensic test plants
// such tracks, purges them, and searches the store's files for their markers with Found.
func MarkedTrack(t testing.TB, k backoffice.SensorKey, start time.Time, days int) (backoffice.Track, [][]byte) {
	t.Helper()
	id := make([]byte, 12)
	crand.Read(id)
	tr := backoffice.Track{Store: k.Store, Sensor: k.Sensor, ID: hex.EncodeToString(id), Final: true, Space: event.SpaceFloor,
		W: 640, H: 480, Start: start, Minimised: true, Expires: start.Add(time.Duration(days) * 24 * time.Hour)}
	x, y := 0.0, 0.0
	for i := range 240 {
		x += float64(rand.N(400)-200) / 1000
		y += float64(rand.N(400)-200) / 1000
		tr.Points = append(tr.Points, backoffice.Point{T: int64(i) * 500, X: x, Y: y})
	}
	blob, err := backoffice.EncodePoints(tr.Space, tr.Points)
	if err != nil {
		t.Fatal(err)
	}
	return tr, [][]byte{[]byte(tr.ID), blob[:32], blob[len(blob)/2 : len(blob)/2+32]}
}

// Found returns how many of markers (each at least 8 bytes long) occur in the files under dir, searched
// recursively in one pass per file. With -v and FORENSIC_DEBUG set in the environment, it logs where each
// one is (file and offset), to find which structure of the store kept it.
func Found(t testing.TB, dir string, markers [][]byte) int {
	t.Helper()
	byPrefix := map[uint64][][]byte{}
	for _, m := range markers {
		if len(m) < 8 {
			t.Fatalf("storetest.Found: marker %q is shorter than 8 bytes", m)
		}
		k := binary.LittleEndian.Uint64(m)
		byPrefix[k] = append(byPrefix[k], m)
	}
	debug := testing.Verbose() && os.Getenv("FORENSIC_DEBUG") != ""
	seen := map[string]bool{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i := 0; i+8 <= len(b); i++ {
			for _, m := range byPrefix[binary.LittleEndian.Uint64(b[i:])] {
				if len(b)-i >= len(m) && string(b[i:i+len(m)]) == string(m) {
					if debug && !seen[string(m)] {
						t.Logf("marker %q in %s at %d", m, path, i)
					}
					seen[string(m)] = true
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return len(seen)
}

// MinimisedTrack is the i-th of a family of 2-minute floor tracks of k as stored after minimisation: 240
// points at 2 Hz on a 0.1 m grid, starting at start and kept 90 days. Its id is i+1 in 24 hex digits. The
// stores' benchmarks write it, so that their figures compare.
func MinimisedTrack(k backoffice.SensorKey, i int, start time.Time) backoffice.Track {
	tr := backoffice.Track{Store: k.Store, Sensor: k.Sensor, ID: fmt.Sprintf("%024x", i+1), Final: true, Space: "floor",
		W: 640, H: 480, Start: start, Minimised: true, Expires: start.Add(90 * 24 * time.Hour)}
	for j := range 240 {
		a := float64(j) / 20
		tr.Points = append(tr.Points, backoffice.Point{T: int64(j) * 500, X: math.Round(50+40*math.Cos(a)+float64(i%7)) / 10,
			Y: math.Round(50+30*math.Sin(1.3*a)) / 10})
	}
	return tr
}
