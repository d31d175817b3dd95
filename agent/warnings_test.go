package agent

import (
	"strings"
	"testing"

	"github.com/ashiato/ashiato/agent/event"
)

func TestWarningsSpellOutWeakenedPrivacy(t *testing.T) {
	good := &event.Attestation{RingLocked: true, Indicator: "gpio", IndicatorOK: true, PanelOK: true, Minimised: true}
	if w := warnings(good, Counters{RingSlots: 4}); len(w) != 0 {
		t.Fatalf("a sensor at its design has warnings: %q", w)
	}
	if w := warnings(&event.Attestation{RingLocked: true, Indicator: "virtual", IndicatorOK: true}, Counters{RingSlots: 4}); len(w) != 0 {
		t.Fatalf("replay with a virtual indicator and no panel has warnings: %q", w)
	}
	cases := []struct {
		a    event.Attestation
		c    Counters
		want string
	}{
		{event.Attestation{RingLocked: true, Indicator: "none", IndicatorOK: true, PanelOK: true}, Counters{}, "DEVELOPMENT ONLY"},
		{event.Attestation{RingLocked: true, Indicator: "gpio", PanelOK: true, Minimised: true}, Counters{}, "LED not working"},
		{event.Attestation{Indicator: "gpio", IndicatorOK: true, PanelOK: true, Minimised: true}, Counters{RingSlots: 4}, "not locked"},
		{event.Attestation{RingLocked: true, Indicator: "gpio", IndicatorOK: true, PanelOK: true, Dumpable: 1, Minimised: true}, Counters{}, "dump core"},
		{event.Attestation{RingLocked: true, Indicator: "gpio", IndicatorOK: true, Minimised: true}, Counters{}, "notice panel"},
		{event.Attestation{RingLocked: true, Indicator: "ledclass", IndicatorOK: true, PanelOK: true}, Counters{}, "minimisation off"},
	}
	for _, c := range cases {
		w := warnings(&c.a, c.c)
		if len(w) != 1 || !strings.Contains(w[0], c.want) {
			t.Errorf("warnings(%+v) = %q; want one mentioning %q", c.a, w, c.want)
		}
	}
}
