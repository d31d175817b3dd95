package assoc

import (
	"reflect"
	"testing"
	"time"
)

// TestSegmentsJoinToWholeTrack runs the same detections twice, once taking segments every frame, and checks
// that the segments plus the final part are exactly the unsegmented track, with one id, even where a gap
// that is later interpolated spans a segment boundary.
func TestSegmentsJoinToWholeTrack(t *testing.T) {
	dets := func(i int) []Detection {
		if i >= 30 && i < 38 { // hidden for 0.8 s
			return nil
		}
		if i >= 60 && i < 70 { // standing still
			return []Detection{det(250, 300)}
		}
		x := 100 + 5*float64(min(i, 30))
		if i >= 38 {
			x = 100 + 5*float64(min(i, 60)-8)
		}
		return []Detection{det(x, 300)}
	}
	const n = 90
	whole := feed(Config{MinTravel: 0.5}, n, 10, dets)
	if len(whole) != 1 {
		t.Fatalf("unsegmented: %d tracks, want 1", len(whole))
	}

	tr := New(Config{MinTravel: 0.5})
	var parts []Track
	for i := 0; i < n; i++ {
		closed := tr.Update(uint64(i), int64(i)*100, dets(i))
		segs := tr.TakeSegments(time.Second)
		for _, s := range segs {
			if len(s.Points) == 0 {
				t.Fatalf("frame %d: empty segment", i)
			}
			if last := s.Points[len(s.Points)-1]; last.Frame >= uint64(i) {
				t.Fatalf("frame %d: segment holds frame %d, the latest matched point", i, last.Frame)
			}
		}
		parts = append(parts, segs...)
		parts = append(parts, closed...)
	}
	final := tr.Flush()
	if len(final) != 1 || len(final[0].Points) == 0 {
		t.Fatalf("Flush returned %+v, want one non-empty final part", final)
	}
	parts = append(parts, final...)
	if len(parts) < 5 {
		t.Fatalf("got %d parts, want several segments of about a second and a final part", len(parts))
	}
	var joined []Point
	for _, p := range parts {
		if p.ID != whole[0].ID {
			t.Fatalf("part has id %d, want %d", p.ID, whole[0].ID)
		}
		joined = append(joined, p.Points...)
	}
	if !reflect.DeepEqual(joined, whole[0].Points) {
		t.Fatalf("segments joined differ from the whole track:\n%v\n%v", joined, whole[0].Points)
	}
}

// TestSegmentsOnlyReportableTracks: a tentative track, and a confirmed one that never moved (a ghost under
// MinTravel), give no segments; a moving one does, and only once its points span minSpan.
func TestSegmentsOnlyReportableTracks(t *testing.T) {
	tr := New(Config{MinTravel: 0.5})
	for i := 0; i < 40; i++ {
		d := []Detection{det(500, 200), det(100+4*float64(i), 400)}
		if i%3 == 0 {
			d = append(d, det(300, 100)) // never matched twice in a row: stays tentative
		}
		tr.Update(uint64(i), int64(i)*100, d)
		if i > 20 {
			continue
		}
		segs := tr.TakeSegments(2 * time.Second)
		switch {
		case i < 20 && len(segs) != 0:
			t.Fatalf("frame %d: %d segments before the track spans 2 s", i, len(segs))
		case i == 20 && len(segs) != 1:
			t.Fatalf("frame %d: %d segments, want 1 (the walker)", i, len(segs))
		case len(segs) == 1 && segs[0].Points[0].Y != 400:
			t.Fatalf("frame %d: segment of the wrong track: %+v", i, segs[0].Points[0])
		}
	}
	closed := tr.Flush()
	if len(closed) != 1 || closed[0].Points[0].Frame != 20 {
		t.Fatalf("Flush: %+v, want the walker's final part from frame 20", closed)
	}
}
