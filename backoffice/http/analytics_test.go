package http_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/backoffice/analytics"
	officehttp "github.com/ashiato/ashiato/backoffice/http"
)

// layout is the test store's layout: an entrance line, two zones and a queue, on the floor.
var layout = analytics.Layout{Store: "shop", Space: event.SpaceFloor,
	Lines: []analytics.Line{{Name: "door", A: analytics.XY{X: 0, Y: 0}, B: analytics.XY{X: 2, Y: 0}, Entrance: true}},
	Zones: []analytics.Zone{{Name: "fruit", Polygon: []analytics.XY{{X: 0, Y: 1}, {X: 2, Y: 1}, {X: 2, Y: 3}}},
		{Name: "bakery", Polygon: []analytics.XY{{X: 3, Y: 1}, {X: 5, Y: 1}, {X: 5, Y: 3}}}},
	Queues: []analytics.Zone{{Name: "till", Polygon: []analytics.XY{{X: 6, Y: 0}, {X: 8, Y: 0}, {X: 8, Y: 2}}}}}

// withAnalytics gives the rig's server an analytics service over its own store.
func withAnalytics(o *officehttp.Options) {
	st := o.Store.(backoffice.AggregateStore)
	svc, err := analytics.NewService(st, o.Store, []analytics.Layout{layout}, analytics.Options{Location: time.UTC})
	if err != nil {
		panic(err)
	}
	o.Analytics = svc
}

// seed stores aggregates of sensor k: entries per hour of the rig's day (entries[h] in hour h), a week earlier
// half as many, and a heatmap with cell (2, 3) the busiest.
func seed(t *testing.T, r *rig, k backoffice.SensorKey, entries map[int]int) {
	t.Helper()
	day := r.now().Truncate(24 * time.Hour)
	put := func(start time.Time, n int, heat bool) {
		b := analytics.NewBucket(start)
		b.Entries, b.Arrivals = n, n
		b.Lines = map[string]*analytics.LineAgg{"door": {In: n, Tracks: n}}
		if heat {
			b.Heat = map[analytics.Cell]*analytics.HeatAgg{{X: 2, Y: 3}: {Visits: n, Seconds: 60 * float64(n)}, {X: 1, Y: 1}: {Visits: 1, Seconds: 5}}
			b.OD = map[analytics.ODPair]int{{From: "fruit", To: "bakery"}: n}
		}
		hour := start.Truncate(time.Hour)
		u := backoffice.AggregateUnit{SensorKey: k, Hour: hour, LayoutHash: layout.Hash(), Digest: "d", Tracks: n, Computed: t0,
			Expires: t0.Add(700 * 24 * time.Hour), Buckets: []backoffice.AggregateBucket{{Start: start, Data: b.Encode()}}}
		if err := r.db.PutAggregates(context.Background(), u); err != nil {
			t.Fatal(err)
		}
	}
	for h, n := range entries {
		put(day.Add(time.Duration(h)*time.Hour), n, true)
		put(day.AddDate(0, 0, -7).Add(time.Duration(h)*time.Hour), n/2, false)
	}
}

func TestStorePageAndExport(t *testing.T) {
	r := newRig(t, withAnalytics)
	k := backoffice.SensorKey{Store: "shop", Sensor: "a"}
	r.sensor(k, event.PrivacyCapturing, "", 1)
	seed(t, r, k, map[int]int{9: 12, 10: 3})
	c := r.loggedIn()
	page := c.do(http.MethodGet, "/dashboard/store/shop?day=2030-03-04", nil)
	body := page.Body.String()
	if page.Code != http.StatusOK {
		t.Fatalf("store page: %d %s", page.Code, body)
	}
	for _, want := range []string{`id="footfall-total">15<`, `id="footfall-data"`, `"today":12`, `"last_week":6`, `id="heat-data"`,
		`"maxVisits":15`, "<td>fruit</td>", "<th>bakery</th>", "till", "export.csv?from=2030-03-04&amp;step=15m"} {
		if !strings.Contains(body, want) {
			t.Errorf("store page lacks %q", want)
		}
	}
	if strings.Contains(body, "Analytics: ") {
		t.Errorf("the page reports an analytics error")
	}
	csv := c.do(http.MethodGet, "/dashboard/store/shop/export.csv?from=2030-03-04&step=hour", nil)
	if csv.Code != http.StatusOK || !strings.HasPrefix(csv.Body.String(), strings.Join(analytics.CSVHeader, ",")) ||
		!strings.Contains(csv.Body.String(), ",footfall,,12,") {
		t.Errorf("CSV: %d\n%.600s", csv.Code, csv.Body.String())
	}
	pub := c.do(http.MethodGet, "/dashboard/store/shop/export.csv?from=2030-03-04&step=hour&public=1", nil).Body.String()
	if !strings.Contains(pub, ",footfall,,,true") || strings.Contains(pub, "heat_seconds") {
		t.Errorf("public CSV: the hour of 3 entries is not suppressed, or operator metrics leak:\n%.800s", pub)
	}
	if rec := c.do(http.MethodGet, "/dashboard/store/shop/plan", nil); rec.Code != http.StatusNotFound {
		t.Errorf("plan without one: %d", rec.Code)
	}
}

func TestPublicFootfall(t *testing.T) {
	r := newRig(t, func(o *officehttp.Options) {
		withAnalytics(o)
		o.Public.Footfall = true
	})
	k := backoffice.SensorKey{Store: "shop", Sensor: "a"}
	r.sensor(k, event.PrivacyCapturing, "", 0)
	seed(t, r, k, map[int]int{9: 12, 10: 3})
	c := r.client()
	c.lang = "en"
	body := c.do(http.MethodGet, "/p/shop", nil).Body.String()
	if !strings.Contains(body, `id="footfall"`) || !strings.Contains(body, "<td>12</td>") || strings.Contains(body, "<td>3</td>") {
		t.Errorf("public footfall: 12 must show and 3 (under k) must not:\n%s", body)
	}
}
