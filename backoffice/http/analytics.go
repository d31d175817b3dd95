package http

import (
	"context"
	"time"
)

// Analytics is what the pages need of the analytics: the public footfall (k-anonymous) and the
// dashboard's charts. main adapts backoffice/analytics to it.
type Analytics interface {
	// PublicFootfall is the footfall of store on the day of now (in the office's time zone) by hour, with
	// every hour of fewer than k distinct tracks suppressed.
	PublicFootfall(ctx context.Context, store string, now time.Time) (Footfall, error)
}

// Footfall is one day's footfall of a store by hour, as published.
type Footfall struct {
	Day   time.Time
	Hours []HourCount
	// K is the anonymity threshold applied: hours with fewer distinct tracks are suppressed.
	K int
}

// HourCount is the footfall of one hour; Suppressed hours have no count.
type HourCount struct {
	Hour       int
	Count      int
	Suppressed bool
}

// Total is the sum of the hours that are not suppressed.
func (f Footfall) Total() int {
	n := 0
	for _, h := range f.Hours {
		if !h.Suppressed {
			n += h.Count
		}
	}
	return n
}

func (s *Server) analyticsRoutes() []Route { return nil }
