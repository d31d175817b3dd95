package haltest

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// fakeT records what Check reports.
type fakeT struct{ errs []string }

func (f *fakeT) Helper() {}
func (f *fakeT) Errorf(format string, args ...any) {
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

func TestHistoryCheck(t *testing.T) {
	at := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		events []string // "+N" advances the clock by N ms
		want   string   // a substring of the one violation; "" means none
	}{
		{"good session", []string{LEDOn, CameraStart, CameraStop, LEDOff}, ""},
		{"good with notices", []string{LEDOn, NoticeOn, CameraStart, CameraStop, LEDOff, NoticeOff}, ""},
		{"start before LED", []string{CameraStart, LEDOn, CameraStop, LEDOff}, "camera started with the LED off"},
		{"LED off while streaming", []string{LEDOn, CameraStart, LEDOff, CameraStop}, "LED switched off while the camera streams"},
		{"start under an off notice", []string{LEDOn, NoticeOff, CameraStart, CameraStop, LEDOff}, "notice said capture was off"},
		{"off notice while streaming", []string{LEDOn, NoticeOn, CameraStart, NoticeOff, CameraStop, LEDOff}, "notice says capture is off while"},
		{"LED lags", []string{LEDOn, CameraStart, CameraStop, "+1500", "tick", LEDOff}, "LED still on"},
		{"LED lag excused by a failure", []string{LEDOn, CameraStart, CameraStop, LEDFailed, "+1500", "tick", LEDOff}, ""},
		{"failed start is not streaming", []string{LEDOn, CameraStartFailed, LEDOff}, ""},
	}
	for _, c := range cases {
		now := at
		h := &History{Clock: func() time.Time { return now }}
		for _, e := range c.events {
			if strings.HasPrefix(e, "+") {
				var ms int
				fmt.Sscanf(e, "+%d", &ms)
				now = now.Add(time.Duration(ms) * time.Millisecond)
				continue
			}
			h.Add(e)
		}
		errs := h.Violations()
		switch {
		case c.want == "" && len(errs) != 0:
			t.Errorf("%s: violations %v, want none", c.name, errs)
		case c.want != "" && (len(errs) != 1 || !strings.Contains(errs[0].Error(), c.want)):
			t.Errorf("%s: violations %v, want one saying %q", c.name, errs, c.want)
		}
		var ft fakeT
		h.Check(&ft)
		if (len(ft.errs) == 0) != (c.want == "") {
			t.Errorf("%s: Check reported %q", c.name, ft.errs)
		}
	}
}

func TestFakesRecord(t *testing.T) {
	h := &History{}
	cam := &Camera{Frames: make(chan []byte), Log: h}
	led := &LED{Log: h}
	led.Set(true)
	cam.Start(t.Context())
	cam.Stop()
	led.SetErr(fmt.Errorf("stuck"))
	led.Set(false)
	cam.SetStartErr(fmt.Errorf("gone"))
	cam.Start(t.Context())
	var got []string
	for _, e := range h.Events() {
		got = append(got, e.What)
	}
	want := []string{LEDOn, CameraStart, CameraStop, LEDFailed, CameraStartFailed}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("history %q, want %q", got, want)
	}
}
