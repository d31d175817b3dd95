package watch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/backoffice/sqlite"
	"github.com/ashiato/ashiato/backoffice/watch"
)

func TestCheckLogsFlagsAsTheyComeAndGo(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2030, 3, 4, 10, 0, 0, 0, time.UTC)
	k := backoffice.SensorKey{Store: "s", Sensor: "a"}
	write := func(u ...backoffice.SensorUpdate) {
		if _, err := db.Write(ctx, &backoffice.Batch{Sensors: u}); err != nil {
			t.Fatal(err)
		}
	}
	write(backoffice.SensorUpdate{Kind: backoffice.UpdateNotice, SensorKey: k, At: now, Live: true, NoticeHash: "printed-on-the-poster-not"},
		backoffice.SensorUpdate{Kind: backoffice.UpdatePrivacy, SensorKey: k, At: now, Live: true, State: "fault",
			Payload: json.RawMessage(`{"v":1,"state":"fault","since":1}`)})
	var log bytes.Buffer
	w := &watch.Watcher{Store: db, Now: func() time.Time { return now.Add(time.Minute) },
		Watch:  backoffice.Watch{ExpectNotice: map[backoffice.SensorKey]string{k: "printed-on-the-poster"}},
		Logger: slog.New(slog.NewTextHandler(&log, nil))}
	flags, err := w.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := flags[k]; len(got) != 2 || got[0] != backoffice.FlagNoticeMismatch || got[1] != backoffice.FlagFault {
		t.Errorf("flags %v", got)
	}
	if !strings.Contains(log.String(), "flag=notice_mismatch") || !strings.Contains(log.String(), "flag=privacy_fault") {
		t.Errorf("log:\n%s", log.String())
	}
	write(backoffice.SensorUpdate{Kind: backoffice.UpdatePrivacy, SensorKey: k, At: now, Live: true, State: "capturing",
		Payload: json.RawMessage(`{"v":1,"state":"capturing","since":1}`)})
	log.Reset()
	w.Now = func() time.Time { return now.Add(10 * time.Minute) }
	flags, _ = w.Check(ctx)
	if got := flags[k]; len(got) != 2 || got[1] != backoffice.FlagOffline {
		t.Errorf("flags after 10 silent minutes: %v", got)
	}
	if !strings.Contains(log.String(), "sensor flag cleared") || !strings.Contains(log.String(), "flag=offline") {
		t.Errorf("log:\n%s", log.String())
	}
}
