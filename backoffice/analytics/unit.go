package analytics

import (
	"strconv"
	"time"

	"github.com/ashiato/ashiato/backoffice"
)

// Span is how long after its first segment a track is followed: a unit reads the segments that started up
// to Span before its hour (to find where a track began) and up to Span after it (to follow its tracks to
// their end). A track longer than that (someone sitting in a café for hours) is cut there, and its later
// segments, if any, count as a track of their own.
const Span = 2 * time.Hour

// Window returns the Start range [from, to) of the segments a unit of hour reads.
func Window(hour time.Time) (from, to time.Time) {
	return hour.Add(-Span), hour.Add(time.Hour + Span)
}

// Digest identifies the tracks a unit of hour is computed from, given the segment counts per hour of its
// sensor: the number of segments in its Window, and in its hour. Segments are only ever added (until the
// purge, after which the unit is no longer recomputed), so a new count means new tracks.
func Digest(hour time.Time, counts []backoffice.HourCount) (digest string, own int) {
	from, to := Window(hour)
	n := 0
	for _, c := range counts {
		if !c.Hour.Before(from) && c.Hour.Before(to) {
			n += c.Segments
		}
		if c.Hour.Equal(hour) {
			own = c.Segments
		}
	}
	return strconv.Itoa(n) + "/" + strconv.Itoa(own), own
}

// UnitResult is what ComputeUnit found.
type UnitResult struct {
	Buckets []*Bucket
	// Tracks is the tracks of the unit analysed; Skipped those left out for being in another space than
	// the layout's.
	Tracks, Skipped int
}

// ComputeUnit computes the aggregates of the unit of hour from segs, the segments of one sensor that
// started in the unit's Window, under layout l (defaults applied). startRes is what the starts of minimised
// segments were rounded down to (see Join). A track belongs to the unit when its earliest segment read
// started within the hour.
func ComputeUnit(l *Layout, hour time.Time, segs []backoffice.Track, startRes time.Duration) UnitResult {
	byID := map[string][]backoffice.Track{}
	var order []string
	for _, s := range segs {
		if byID[s.ID] == nil {
			order = append(order, s.ID)
		}
		byID[s.ID] = append(byID[s.ID], s)
	}
	end := hour.Add(time.Hour)
	acc := Acc{}
	var res UnitResult
	for _, id := range order {
		track := byID[id]
		first := track[0]
		for _, s := range track[1:] {
			if s.Seg < first.Seg {
				first = s
			}
		}
		if first.Start.Before(hour) || !first.Start.Before(end) {
			continue
		}
		p := Join(track, l.Space, startRes)
		if len(p) == 0 {
			res.Skipped++
			continue
		}
		res.Tracks++
		Analyse(l, p, acc)
	}
	res.Buckets = acc.Buckets()
	return res
}
