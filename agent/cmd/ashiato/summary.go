package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/ashiato/ashiato/agent/config"
	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/agent/publish"
)

// summary folds the sensor's own MQTT messages into the demo's one-line view.
type summary struct {
	mu       sync.Mutex
	tracks   int
	stats    event.Stats
	statsAt  time.Time
	prev     event.Stats
	prevAt   time.Time
	state    string
	privacy  string
	lastLine string
}

func (s *summary) handle(top event.Topics, m publish.Message) {
	leaf, ok := top.Leaf(m.Topic)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch leaf {
	case event.LeafTracks:
		s.tracks++
	case event.LeafStats:
		var st event.Stats
		if json.Unmarshal(m.Payload, &st) == nil {
			s.prev, s.prevAt = s.stats, s.statsAt
			s.stats, s.statsAt = st, time.Now()
		}
	case event.LeafStatus:
		var st event.Status
		if json.Unmarshal(m.Payload, &st) == nil {
			s.state = st.State
		}
	case event.LeafPrivacy:
		var p event.Privacy
		if json.Unmarshal(m.Payload, &p) == nil {
			s.privacy = p.State
		}
	}
}

// line renders the summary: frames per second, people in view, tracks closed, drops.
func (s *summary) line() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	fps := 0.0
	if !s.prevAt.IsZero() && s.statsAt.After(s.prevAt) && s.stats.Frames >= s.prev.Frames {
		fps = float64(s.stats.Frames-s.prev.Frames) / s.statsAt.Sub(s.prevAt).Seconds()
	}
	state := s.state
	if s.privacy != "" {
		state = s.privacy
	}
	line := fmt.Sprintf("%-9s %5.1f fps │ %2d in view │ %4d tracks closed │ %d frames dropped, %d tracks dropped",
		state, fps, s.stats.InView, s.tracks, s.stats.FramesDropped, s.stats.TracksDropped)
	if s.stats.CameraRestarts > 0 {
		line += fmt.Sprintf(" │ %d camera restarts", s.stats.CameraRestarts)
	}
	return line
}

// showSummary subscribes to this sensor's topics on broker and redraws one status line on w every second
// until ctx is done. Errors are logged; the demo carries on without the summary.
func showSummary(ctx context.Context, broker string, cfg config.Config, w io.Writer, log *slog.Logger) {
	top := event.Topics{Store: cfg.Sensor.Store, Sensor: cfg.Sensor.ID}
	s := &summary{}
	id := cfg.MQTT.ClientID
	if id == "" {
		id = top.Identity()
	}
	err := publish.Subscribe(ctx, publish.SubscribeConfig{
		Broker: broker, ClientID: id + "-summary", Filter: top.Prefix() + "/#",
	}, func(m publish.Message) { s.handle(top, m) })
	if err != nil {
		log.Warn("live summary unavailable", "err", err)
		return
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintln(w)
			return
		case <-t.C:
			fmt.Fprintf(w, "\r\033[K%s", s.line())
		}
	}
}
