package minimise_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/minimise"
)

func TestSettings(t *testing.T) {
	if got := (minimise.Settings{}).Rules(); got != minimise.Default() {
		t.Errorf("zero settings give %+v, want the defaults", got)
	}
	got := minimise.Settings{FloorStep: 0.25, MaxRate: 4, MinDuration: 3 * time.Second}.Rules()
	if got.FloorStep != 0.25 || got.MinInterval != 250*time.Millisecond || got.MinDuration != 3*time.Second ||
		got.ImageStep != minimise.DefaultImageStep {
		t.Errorf("rules %+v", got)
	}
	errs := minimise.Settings{FloorStep: -1, ImageStep: 0.2, MinDuration: -time.Second}.Check()
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Error())
	}
	want := "floor_step: must not be negative|image_step: 0.2 is more than a tenth of the frame|min_duration: must not be negative"
	if strings.Join(msgs, "|") != want {
		t.Errorf("Check = %q, want %q", msgs, want)
	}
	if errs := (minimise.Settings{}).Check(); len(errs) != 0 {
		t.Errorf("zero settings: %v", errs)
	}
}
