package ratelog_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ashiato/ashiato/agent/ratelog"
)

func TestRepeatedWarningsAreCounted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		log := slog.New(ratelog.New(slog.NewTextHandler(&buf, nil), 3, time.Minute))
		for i := range 100 {
			log.Warn("command rejected", "i", i)
			log.Info("chatty but below warn", "i", i)
		}
		log.Error("another problem") // its own budget
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		warns := 0
		for _, l := range lines {
			if strings.Contains(l, "command rejected") {
				warns++
			}
		}
		if warns != 3 || !strings.Contains(buf.String(), "another problem") ||
			strings.Count(buf.String(), "chatty but below warn") != 100 {
			t.Fatalf("%d warnings let through, want 3; infos and the other error pass:\n%s", warns, buf.String())
		}
		buf.Reset()
		time.Sleep(time.Minute) // a new period: the next one says how many were held back
		log.With("component", "x").Warn("command rejected", "i", 100)
		if got := buf.String(); !strings.Contains(got, "suppressed=97") || !strings.Contains(got, "component=x") {
			t.Fatalf("after the period: %q, want suppressed=97", got)
		}
		buf.Reset()
		log.Warn("command rejected")
		if strings.Contains(buf.String(), "suppressed") {
			t.Errorf("count repeated: %q", buf.String())
		}
	})
}
