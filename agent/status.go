package agent

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/ashiato/ashiato/agent/control"
	"github.com/ashiato/ashiato/agent/display"
	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/agent/harden"
	"github.com/ashiato/ashiato/agent/publish"
)

// Counters are the agent's running totals, as the status and stats report them.
type Counters struct {
	Frames, FramesDropped         uint64
	TracksClosed, TracksPublished uint64
	InView                        int
	Capturing, RingLocked         bool
	RingFill, RingSlots           int
}

// reporter builds the status body (for the publisher, at every connect and refresh) and publishes the
// periodic stats. It only reads: the tallies, and the other stages' snapshots, each safe for concurrent use.
type reporter struct {
	facts                                 // fixed at start
	started                 time.Time     // for uptime
	statusEvery, statsEvery time.Duration // periods of the status refresh and the stats
	statsTopic              string
	log                     *slog.Logger

	// What it reads.
	tallies *tallies
	ctl     *control.Controller
	disp    *display.Display // nil without a panel
	capture *capture
	pub     *publish.Publisher

	mu          sync.Mutex // guards the fps estimate
	statsFrames uint64
	statsAt     time.Time
}

// facts are what the status says about the sensor that cannot change while it runs.
type facts struct {
	sensor, version, configHash, noticeHash, source, indicator string
	requireLocked, minimised                                   bool
	zones                                                      int // privacy zones
	hardening                                                  harden.State
	linkWarnings                                               []string // about the broker link, such as a clear-text password
}

// run refreshes the retained status every statusEvery and publishes the stats every statsEvery, until
// ctx is done.
func (r *reporter) run(ctx context.Context) {
	st := time.NewTicker(r.statusEvery)
	defer st.Stop()
	sx := time.NewTicker(r.statsEvery)
	defer sx.Stop()
	r.pub.RefreshStatus()
	for {
		select {
		case <-ctx.Done():
			return
		case <-st.C:
			r.pub.RefreshStatus()
		case <-sx.C:
			r.publishStats()
		}
	}
}

// counters returns the running totals.
func (r *reporter) counters() Counters {
	c := Counters{
		Frames: r.tallies.frames.Load(), TracksClosed: r.tallies.tracksClosed.Load(),
		Capturing: r.ctl.State().Mode == control.Capturing, InView: int(r.tallies.inView.Load()),
	}
	if rc, locked := r.capture.ringCounters(); rc.Slots > 0 {
		c.FramesDropped, c.RingFill, c.RingSlots, c.RingLocked = rc.Dropped, rc.Fill, rc.Slots, locked
	}
	c.TracksPublished = r.pub.Counters().Published
	return c
}

// statusBody builds the status payload for a state and birth (publish.Config.Status). The publisher
// calls it from its own goroutine as well as from the stages'.
func (r *reporter) statusBody(state string, birth uint64) []byte {
	if state == event.StateOffline { // the will: nothing but who and which birth
		b, _ := json.Marshal(event.Status{V: event.Version, State: state, Birth: birth, Started: r.started.UnixMilli(),
			Sensor: r.sensor})
		return b
	}
	c := r.counters()
	att := &event.Attestation{
		RingLocked: c.RingLocked, Dumpable: r.hardening.Dumpable, CoreLimit: r.hardening.CoreLimit,
		PrivacyZones: r.zones, Indicator: r.indicator, IndicatorOK: r.ctl.Counters().LEDOK,
		NoticeHash: r.noticeHash, RequireLockedRing: r.requireLocked, Minimised: r.minimised,
	}
	if r.disp != nil {
		ds := r.disp.Status()
		att.PanelOK = ds.OK
		if !ds.LastRefresh.IsZero() {
			att.PanelLastRefresh = ds.LastRefresh.UnixMilli()
		}
	}
	st := event.Status{
		V: event.Version, State: state, Birth: birth, Started: r.started.UnixMilli(), Sensor: r.sensor, Version: r.version,
		ConfigHash: r.configHash, Source: r.source, Capturing: c.Capturing && state == event.StateOnline,
		RingLocked: c.RingLocked, Frames: c.Frames, FramesDropped: c.FramesDropped,
		TracksClosed: c.TracksClosed, TracksPublished: c.TracksPublished, Attestation: att,
		Warnings: warnings(att, c),
	}
	st.Warnings = append(st.Warnings, r.linkWarnings...)
	if r.pub.Counters().IdentityClash {
		st.Warnings = append(st.Warnings, "another client is probably using this sensor's MQTT identity: the broker "+
			"keeps dropping the connection right after accepting it (a second device with a copy of this "+
			"configuration, or a cloned SD card?)")
	}
	b, _ := json.Marshal(st)
	return b
}

// warnings spells out, for status, every way the sensor runs below its privacy design.
func warnings(a *event.Attestation, c Counters) []string {
	var w []string
	switch {
	case a.Indicator == "none":
		w = append(w, "DEVELOPMENT ONLY: no capture indicator LED (privacy.indicator = none); shoppers cannot see when frames are captured")
	case !a.IndicatorOK:
		w = append(w, "capture indicator LED not working; capture is stopped until it is")
	}
	if c.RingSlots > 0 && !a.RingLocked { // once the ring exists
		w = append(w, "frame ring not locked in RAM: frames could reach swap (raise RLIMIT_MEMLOCK)")
	}
	if a.Dumpable != 0 || a.CoreLimit != 0 {
		w = append(w, "process can dump core: frames could reach a core file")
	}
	live := a.Indicator == "gpio" || a.Indicator == "ledclass"
	if live && !a.PanelOK {
		w = append(w, "notice panel absent or not working: shoppers see no notice on the device")
	}
	if live && !a.Minimised {
		w = append(w, "track minimisation off (privacy.minimise.enabled = false): tracks leave the sensor at full resolution")
	}
	return w
}

// publishStats sends the stats, QoS 0, if connected.
func (r *reporter) publishStats() {
	c := r.counters()
	pc := r.pub.Counters()
	now := time.Now()
	r.mu.Lock()
	fps := 0.0
	if !r.statsAt.IsZero() && now.After(r.statsAt) && c.Frames >= r.statsFrames {
		fps = float64(c.Frames-r.statsFrames) / now.Sub(r.statsAt).Seconds()
	}
	r.statsFrames, r.statsAt = c.Frames, now
	r.mu.Unlock()
	st := event.Stats{
		V: event.Version, FPS: fps, Frames: c.Frames, FramesDropped: c.FramesDropped, InView: c.InView,
		RingFill: c.RingFill, RingSlots: c.RingSlots,
		OutboxDepth: pc.OutboxDepth, OutboxBytes: pc.OutboxBytes, Reconnects: pc.Reconnects,
		TracksClosed: c.TracksClosed, TracksPublished: pc.Published, TracksDropped: pc.Dropped,
		CommandsRejects: r.tallies.rejects.Load() + pc.CommandsDropped, CameraRestarts: r.ctl.Counters().Restarts,
		TracksWithheld: r.tallies.tracksWithheld.Load(),
		UptimeSeconds:  now.Sub(r.started).Seconds(),
	}
	b, _ := json.Marshal(st)
	r.pub.SendEphemeral(publish.Message{Topic: r.statsTopic, Payload: b})
}
