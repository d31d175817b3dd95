package config

import (
	"strings"
	"testing"
	"time"
)

func TestPauseAndSchedule(t *testing.T) {
	c, err := Parse("t.toml", []byte(`
[pause]
default_duration = "10m"
max_duration = "2h"

[schedule]
timezone = "Asia/Tokyo"
hours = ["mon-fri 10:00-20:00", "sat,sun 10:00-18:00"]
`))
	if err != nil {
		t.Fatal(err)
	}
	d := c.WithDefaults()
	if d.Pause.DefaultDuration.D() != 10*time.Minute || d.Pause.MaxDuration.D() != 2*time.Hour {
		t.Fatalf("pause %+v", d.Pause)
	}
	s, err := d.Schedule.Parse()
	if err != nil || s == nil {
		t.Fatalf("schedule: %v, %v", s, err)
	}
	monday := time.Date(2024, 6, 3, 10, 30, 0, 0, s.Location())
	if !s.Open(monday) || s.Open(monday.Add(10*time.Hour)) {
		t.Fatal("schedule not applied")
	}

	def := (&Config{}).WithDefaults()
	if def.Pause.DefaultDuration != 0 || def.Pause.MaxDuration != 0 { // control's defaults apply
		t.Fatalf("default pause %+v", def.Pause)
	}
	if s, err := def.Schedule.Parse(); s != nil || err != nil {
		t.Fatalf("default schedule: %v, %v; want always open", s, err)
	}
	if def.MQTT.StatsInterval != def.MQTT.StatusInterval {
		t.Fatalf("stats interval %v, want the status interval", def.MQTT.StatsInterval)
	}
}

func TestPauseAndScheduleErrors(t *testing.T) {
	_, err := Parse("t.toml", []byte(`
[pause]
default_duration = "3h"
max_duration = "48h"

[schedule]
timezone = "Asia/Tokio"
hours = ["mon-fri 10:00-20:00"]

[mqtt]
stats_interval = "10ms"
`))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"pause.max_duration: must be between 1s and 24h0m0s",
		"schedule.timezone: unknown time zone \"Asia/Tokio\"",
		"mqtt.stats_interval: must be at least 1s",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	_, err = Parse("t.toml", []byte(`
[pause]
default_duration = "3h"
max_duration = "1h"
[schedule]
hours = ["mon-fri 20:00-10:00", "tues 10:00-11:00"]
`))
	for _, want := range []string{
		"pause.default_duration: 3h0m0s is longer than pause.max_duration 1h0m0s",
		`schedule.hours[0] "mon-fri 20:00-10:00": "20:00-10:00" ends before it starts`,
		`schedule.hours[1] "tues 10:00-11:00": "tues" is not a day`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
