// Package schedule parses and evaluates a weekly schedule of opening hours, such as "mon-fri 10:00-20:00".
//
// Syntax: each entry is "DAYS RANGES". DAYS is a comma-separated list of days (mon tue wed thu fri sat sun)
// or day ranges ("mon-fri"; a range may wrap, "fri-mon"). RANGES is a comma-separated list of HH:MM-HH:MM
// ranges in 24-hour wall-clock time, 00:00 to 24:00, start before end: "10:00-14:00,15:00-20:00". A range
// cannot cross midnight; write "fri 22:00-24:00" and "sat 00:00-02:00" instead. Entries add up: a moment is
// open if any entry covers it. Times are wall-clock times in the schedule's time zone.
package schedule

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// span is [start, end) in minutes since midnight, wall-clock time.
type span struct{ start, end int }

// Schedule is a parsed weekly schedule. A nil *Schedule is always open.
type Schedule struct {
	loc  *time.Location
	week [7][]span // indexed by time.Weekday
}

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// Parse parses hours in time zone tz ("" means the system's local zone; otherwise an IANA name such as
// "Asia/Tokyo"). It returns nil, nil when hours is empty: no schedule, always open. Every problem is
// reported, one error per entry, each naming the entry.
func Parse(tz string, hours []string) (*Schedule, error) {
	loc := time.Local
	if tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			return nil, fmt.Errorf("schedule: timezone: unknown time zone %q (want an IANA name such as \"Asia/Tokyo\")", tz)
		}
		loc = l
	}
	if len(hours) == 0 {
		return nil, nil
	}
	s := &Schedule{loc: loc}
	var errs []error
	for i, h := range hours {
		if err := s.add(h); err != nil {
			errs = append(errs, fmt.Errorf("schedule: hours[%d] %q: %w", i, h, err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for d := range s.week {
		sort.Slice(s.week[d], func(i, j int) bool { return s.week[d][i].start < s.week[d][j].start })
	}
	return s, nil
}

func (s *Schedule) add(entry string) error {
	f := strings.Fields(entry)
	if len(f) != 2 {
		return errors.New(`want "DAYS HH:MM-HH:MM", e.g. "mon-fri 10:00-20:00" or "sat,sun 10:00-18:00"`)
	}
	days, err := parseDays(f[0])
	if err != nil {
		return err
	}
	var spans []span
	for _, r := range strings.Split(f[1], ",") {
		sp, err := parseRange(r)
		if err != nil {
			return err
		}
		spans = append(spans, sp)
	}
	for _, d := range days {
		s.week[d] = append(s.week[d], spans...)
	}
	return nil
}

func parseDays(s string) ([]time.Weekday, error) {
	var out []time.Weekday
	for _, part := range strings.Split(s, ",") {
		a, b, isRange := strings.Cut(part, "-")
		da, ok := dayNames[strings.ToLower(a)]
		if !ok {
			return nil, fmt.Errorf("%q is not a day (mon tue wed thu fri sat sun)", a)
		}
		if !isRange {
			out = append(out, da)
			continue
		}
		db, ok := dayNames[strings.ToLower(b)]
		if !ok {
			return nil, fmt.Errorf("%q is not a day (mon tue wed thu fri sat sun)", b)
		}
		for d := da; ; d = (d + 1) % 7 {
			out = append(out, d)
			if d == db {
				break
			}
		}
	}
	return out, nil
}

func parseRange(r string) (span, error) {
	a, b, ok := strings.Cut(r, "-")
	if !ok {
		return span{}, fmt.Errorf("%q is not a time range HH:MM-HH:MM", r)
	}
	start, err := parseClock(a)
	if err != nil {
		return span{}, err
	}
	end, err := parseClock(b)
	if err != nil {
		return span{}, err
	}
	if end <= start {
		return span{}, fmt.Errorf("%q ends before it starts; a range cannot cross midnight: split it at 24:00", r)
	}
	return span{start, end}, nil
}

func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return 0, fmt.Errorf("%q is not a time HH:MM", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("%q is not a time between 00:00 and 24:00", s)
	}
	return hh*60 + mm, nil
}

// Location is the schedule's time zone; for a nil Schedule it is time.Local.
func (s *Schedule) Location() *time.Location {
	if s == nil {
		return time.Local
	}
	return s.loc
}

// Open reports whether t falls within the opening hours. A nil Schedule is always open.
func (s *Schedule) Open(t time.Time) bool {
	if s == nil {
		return true
	}
	t = t.In(s.loc)
	mins := t.Hour()*60 + t.Minute()
	for _, sp := range s.week[t.Weekday()] {
		if mins >= sp.start && mins < sp.end {
			return true
		}
	}
	return false
}

// Next returns the first moment after t at which Open changes, or the zero Time if it never does (a nil
// Schedule, or one that is open all week). Around a daylight-saving change it follows the wall clock: a
// range boundary inside a repeated hour happens twice, one inside a skipped hour not at all, and the
// change of clock can itself open or close (when the wall clock jumps into or out of a range).
func (s *Schedule) Next(t time.Time) time.Time {
	if s == nil {
		return time.Time{}
	}
	now := s.Open(t)
	y, m, d := t.In(s.loc).Date()
	end := t.AddDate(0, 0, 9)
	var cands []time.Time
	for day := 0; day <= 8; day++ {
		date := time.Date(y, m, d+day, 0, 0, 0, 0, time.UTC) // calendar arithmetic only
		for _, sp := range s.week[date.Weekday()] {
			for _, mins := range []int{sp.start, sp.end} {
				cands = append(cands, s.instants(date.Add(time.Duration(mins)*time.Minute))...)
			}
		}
	}
	for c := t; ; { // the clock changes between t and the last day looked at
		_, next := c.In(s.loc).ZoneBounds()
		if next.IsZero() || next.After(end) {
			break
		}
		cands = append(cands, next)
		c = next
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].Before(cands[j]) })
	for _, c := range cands {
		if c.After(t) && s.Open(c) != now {
			return c
		}
	}
	return time.Time{}
}

// instants returns every moment at which the wall clock in the schedule's zone reads wall (given as a
// UTC time): none in an hour skipped by a daylight-saving change, two in a repeated one, else one.
func (s *Schedule) instants(wall time.Time) []time.Time {
	// The zone offsets in force within a day either side of wall.
	offsets := map[int]bool{}
	for c := wall.Add(-26 * time.Hour); c.Before(wall.Add(26 * time.Hour)); {
		_, off := c.In(s.loc).Zone()
		offsets[off] = true
		_, next := c.In(s.loc).ZoneBounds()
		if next.IsZero() {
			break
		}
		c = next
	}
	var out []time.Time
	for off := range offsets {
		u := wall.Add(-time.Duration(off) * time.Second)
		if _, o := u.In(s.loc).Zone(); o == off {
			out = append(out, u)
		}
	}
	return out
}
