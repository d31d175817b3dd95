package schedule

import (
	"testing"
	"time"
)

// Around a daylight-saving change Next follows the wall clock: a boundary in the repeated hour happens
// twice, and the change of clock itself can open (Europe/Berlin: 2026-03-29 02:00 CET becomes 03:00 CEST,
// 2026-10-25 03:00 CEST becomes 02:00 CET, both at 01:00 UTC).
func TestNextAcrossDaylightSaving(t *testing.T) {
	for _, c := range []struct {
		hours string
		from  time.Time
		want  []time.Time // successive changes, in UTC
	}{
		{"sun 02:00-02:30", time.Date(2026, 10, 24, 12, 0, 0, 0, time.UTC), []time.Time{
			time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC),  // 02:00 CEST: opens
			time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), // 02:30 CEST: closes
			time.Date(2026, 10, 25, 1, 0, 0, 0, time.UTC),  // 03:00 CEST is 02:00 CET: opens again
			time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), // 02:30 CET: closes
		}},
		{"sun 02:30-04:00", time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC), []time.Time{
			time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), // 02:00 CET is 03:00 CEST, inside the range: opens
			time.Date(2026, 3, 29, 2, 0, 0, 0, time.UTC), // 04:00 CEST: closes
		}},
		{"sun 02:10-02:20", time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC), []time.Time{
			time.Date(2026, 4, 5, 0, 10, 0, 0, time.UTC), // skipped this Sunday; next Sunday 02:10 CEST
		}},
	} {
		s, err := Parse("Europe/Berlin", []string{c.hours})
		if err != nil {
			t.Fatal(err)
		}
		at := c.from
		for i, want := range c.want {
			got := s.Next(at)
			if !got.Equal(want) {
				t.Errorf("%q: change %d after %v: Next = %v, want %v", c.hours, i, at.UTC(), got.UTC(), want)
				break
			}
			at = got
		}
	}
}
