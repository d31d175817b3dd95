package schedule

import (
	"strings"
	"testing"
	"time"
)

func mustParse(t *testing.T, tz string, hours ...string) *Schedule {
	t.Helper()
	s, err := Parse(tz, hours)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOpenAndNext(t *testing.T) {
	s := mustParse(t, "Asia/Tokyo", "mon-fri 10:00-20:00", "sat,sun 10:00-12:00,13:00-18:00")
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	at := func(y, mo, d, h, mi int) time.Time { return time.Date(y, time.Month(mo), d, h, mi, 0, 0, tokyo) }
	// 2024-06-03 is a Monday.
	cases := []struct {
		t    time.Time
		open bool
		next time.Time
	}{
		{at(2024, 6, 3, 9, 59), false, at(2024, 6, 3, 10, 0)},
		{at(2024, 6, 3, 10, 0), true, at(2024, 6, 3, 20, 0)},
		{at(2024, 6, 3, 19, 59), true, at(2024, 6, 3, 20, 0)},
		{at(2024, 6, 3, 20, 0), false, at(2024, 6, 4, 10, 0)},
		{at(2024, 6, 7, 21, 0), false, at(2024, 6, 8, 10, 0)},      // Friday night → Saturday
		{at(2024, 6, 8, 12, 30), false, at(2024, 6, 8, 13, 0)},     // Saturday lunch break
		{at(2024, 6, 9, 17, 0), true, at(2024, 6, 9, 18, 0)},       // Sunday
		{at(2024, 6, 9, 18, 0), false, at(2024, 6, 10, 10, 0)},     // Sunday evening → Monday
		{at(2024, 6, 3, 1, 0).UTC(), false, at(2024, 6, 3, 10, 0)}, // zone of the argument does not matter
	}
	for _, c := range cases {
		if got := s.Open(c.t); got != c.open {
			t.Errorf("Open(%v) = %v, want %v", c.t, got, c.open)
		}
		if got := s.Next(c.t); !got.Equal(c.next) {
			t.Errorf("Next(%v) = %v, want %v", c.t, got, c.next)
		}
	}
}

func TestMidnightAndWrap(t *testing.T) {
	s := mustParse(t, "UTC", "fri-mon 22:00-24:00", "sat-tue 00:00-02:00")
	fri := time.Date(2024, 6, 7, 23, 0, 0, 0, time.UTC)
	if !s.Open(fri) {
		t.Fatal("Friday 23:00 should be open")
	}
	// The 24:00 end and the next day's 00:00 start join: the next change is Saturday 02:00.
	if got, want := s.Next(fri), time.Date(2024, 6, 8, 2, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("Next = %v, want %v", got, want)
	}
	if s.Open(time.Date(2024, 6, 5, 23, 0, 0, 0, time.UTC)) { // Wednesday
		t.Fatal("Wednesday 23:00 should be closed")
	}
}

func TestAlwaysAndNever(t *testing.T) {
	var none *Schedule
	if !none.Open(time.Now()) || !none.Next(time.Now()).IsZero() {
		t.Fatal("a nil schedule is always open and never changes")
	}
	s, err := Parse("", nil)
	if s != nil || err != nil {
		t.Fatalf("empty hours: %v, %v; want nil, nil", s, err)
	}
	all := mustParse(t, "UTC", "mon-sun 00:00-24:00")
	now := time.Date(2024, 6, 3, 12, 0, 0, 0, time.UTC)
	if !all.Open(now) || !all.Next(now).IsZero() {
		t.Fatalf("open all week: Open %v, Next %v", all.Open(now), all.Next(now))
	}
}

func TestParseErrors(t *testing.T) {
	bad := map[string]string{
		"mon-fri":               "DAYS HH:MM-HH:MM",
		"mon-fri 10:00":         "not a time range",
		"moon 10:00-20:00":      `"moon" is not a day`,
		"mon-fry 10:00-20:00":   `"fry" is not a day`,
		"mon 10:00-09:00":       "cannot cross midnight",
		"mon 10:00-10:00":       "cannot cross midnight",
		"mon 25:00-26:00":       "between 00:00 and 24:00",
		"mon 10:60-11:00":       "between 00:00 and 24:00",
		"mon 24:30-24:45":       "between 00:00 and 24:00",
		"mon 9:00-10:00":        "not a time HH:MM",
		"mon 10:00-20:00 extra": "DAYS HH:MM-HH:MM",
		"mon 10:00-12:00,":      "not a time range",
	}
	for entry, want := range bad {
		_, err := Parse("UTC", []string{"tue 10:00-11:00", entry})
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "hours[1]") {
			t.Errorf("Parse(%q) = %v; want an error naming hours[1] and containing %q", entry, err, want)
		}
	}
	if _, err := Parse("Mars/Olympus", []string{"mon 10:00-11:00"}); err == nil || !strings.Contains(err.Error(), "time zone") {
		t.Errorf("bad zone: %v", err)
	}
	_, err := Parse("UTC", []string{"xx 10:00-11:00", "mon 3-4"})
	if err == nil || !strings.Contains(err.Error(), "hours[0]") || !strings.Contains(err.Error(), "hours[1]") {
		t.Errorf("want both problems reported, got %v", err)
	}
}
