package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ashiato/ashiato/backoffice/analytics"
)

// TestExampleLayout checks that office.example.toml's layout reaches the analytics as written.
func TestExampleLayout(t *testing.T) {
	c, err := Load("../../../office.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	ls := c.Layouts()
	if len(ls) != 1 {
		t.Fatalf("%d layouts, want 1", len(ls))
	}
	l := ls[0]
	if l.Store != "store-12" || len(l.Lines) != 1 || !l.Lines[0].Entrance || len(l.Zones) != 2 || len(l.Queues) != 1 ||
		l.Queues[0].MinVisit != 10*time.Second || l.Zones[1].Polygon[2] != (analytics.XY{X: 19, Y: 6}) {
		t.Errorf("layout: %+v", l)
	}
	if want, _ := filepath.Abs("../../../docs/floorplan-example.svg"); l.Plan == nil || mustAbs(t, l.Plan.Image) != want || l.Plan.Scale != 40 {
		t.Errorf("plan: %+v, want the image at %s", l.Plan, want)
	}
	if c.AnalyticsInterval() != time.Minute || c.Retention.AggregateMaxDays != 0 {
		t.Errorf("analytics defaults: %v, %d", c.AnalyticsInterval(), c.Retention.AggregateMaxDays)
	}
	o := c.AnalyticsOptions()
	if o.K != 5 || o.Noise || o.Location != time.Local {
		t.Errorf("analytics options: %+v", o)
	}
}

func mustAbs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestDemoConfig loads the configuration `make run` gives the demo office.
func TestDemoConfig(t *testing.T) {
	c, err := Load("../../../deploy/demo/office.toml")
	if err != nil {
		t.Fatal(err)
	}
	if ls := c.Layouts(); len(ls) != 1 || ls[0].Store != "demo-store" || ls[0].Space != "image" {
		t.Errorf("demo layouts: %+v", ls)
	}
}

func TestLayoutErrors(t *testing.T) {
	_, err := Parse("office.toml", []byte(`[[layout]]
store = "s"
space = "floor"
[[layout.line]]
name = "door"
a = [0.0, 0.0]
b = [1.0, 0.0]
entrence = true
`))
	if err == nil || !strings.Contains(err.Error(), `office.toml:8: unknown key "layout.line.entrence"`) {
		t.Errorf("misspelt key: %v", err)
	}
	_, err = Parse("office.toml", []byte(`[analytics]
timezone = "Mars/Olympus"
k = 1
epsilon = 2.0
[retention]
aggregate_max_days = -1
[[layout]]
store = "s"
space = "ceiling"
[layout.plan]
image = "nowhere.png"
scale = 10.0
[[layout.line]]
name = "door"
a = [0.0, 0.0]
b = [0.0, 0.0]
[[layout.zone]]
name = "door"
polygon = [[0.0, 0.0], [1.0, 1.0]]
[[layout]]
store = "s"
space = "floor"
`))
	for _, want := range []string{"analytics.timezone", "analytics.k", "analytics.epsilon", "retention.aggregate_max_days",
		"layout[0].space", "layout[0].plan.image", "layout[0].line[0]: a and b", `layout[0].zone[0].name: "door" is already`,
		"layout[0].zone[0].polygon", `layout[1].store: "s" already has a layout`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want an error about %s, got %v", want, err)
		}
	}
}
