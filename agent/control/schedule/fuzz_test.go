package schedule

import (
	"strings"
	"testing"
	"time"
)

// FuzzParse parses arbitrary opening hours (entries separated by newlines) in a zone with daylight saving
// time. Every error names the entry. For an accepted schedule, Next(t) is the first change after t: later
// than t, Open differs there, and Open is the same as at t at every minute sampled in between; a schedule
// whose Next is zero never changes.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"mon-fri 10:00-20:00\nsat,sun 10:00-18:00",
		"fri-mon 00:00-24:00",
		"mon 10:00-14:00,15:00-20:00",
		"sun 01:30-03:30",     // Europe/Berlin skips 02:00-03:00 on the last Sunday of March
		"sun 02:00-02:30",     // and repeats it on the last Sunday of October
		"mon-sun 00:00-24:00", // always open
		"mon 20:00-10:00",     // crosses midnight: refused
		"xyz 10:00-20:00",     //
		"mon 24:01-25:00",     //
		"MON 9:00-10:00",      //
		"mon,tue-thu 07:15-07:16",
	} {
		f.Add(s, int64(1774659600)) // 2026-03-28 01:00 UTC, the day before the spring change
		f.Add(s, int64(1792717200)) // 2026-10-24 01:00 UTC
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Skip("no time zone data")
	}
	f.Fuzz(func(t *testing.T, hours string, at int64) {
		entries := strings.Split(hours, "\n")
		s, err := Parse("Europe/Berlin", entries)
		if err != nil {
			if !strings.Contains(err.Error(), "schedule: hours[") {
				t.Fatalf("error does not name the entry: %v", err)
			}
			return
		}
		if s == nil {
			t.Fatalf("non-empty hours %q gave no schedule", hours)
		}
		if s.Location().String() != berlin.String() {
			t.Fatalf("location %v", s.Location())
		}
		now := time.Unix(at%(1<<34), 0) // years 1970–2514
		open := s.Open(now)
		next := s.Next(now)
		if next.IsZero() {
			for k := 1; k <= 7*24*4; k++ { // every 15 minutes for a week
				if s.Open(now.Add(time.Duration(k)*15*time.Minute)) != open {
					t.Fatalf("Next(%v) is zero, but Open changes within a week", now)
				}
			}
			return
		}
		if !next.After(now) {
			t.Fatalf("Next(%v) = %v, not after it", now, next)
		}
		if s.Open(next) == open {
			t.Fatalf("Next(%v) = %v, where Open is still %v", now, next, open)
		}
		gap := next.Sub(now)
		for k := 1; k < 64; k++ {
			m := now.Add(gap * time.Duration(k) / 64).Truncate(time.Minute)
			if m.After(now) && m.Before(next) && s.Open(m) != open {
				t.Fatalf("Open changes at %v, before Next(%v) = %v", m, now, next)
			}
		}
	})
}
