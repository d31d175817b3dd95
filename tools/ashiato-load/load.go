package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/ashiato/ashiato/agent/control"
	"github.com/ashiato/ashiato/agent/event"
	"github.com/ashiato/ashiato/agent/notice"
)

// Config is one load run. The zero value of each field means its default.
type Config struct {
	// Broker is tcp://HOST:PORT; "" means tcp://127.0.0.1:1883.
	Broker string
	// Username and Password authenticate every connection; empty means none.
	Username, Password string
	// ClientID prefixes the connections' client ids (<ClientID>-1, -2, …); "" means "ashiato-load".
	ClientID string
	// Sensors is how many sensors are simulated; 0 means 4.
	Sensors int
	// PerStore is how many sensors each store has; 0 means 4. Stores are named <Prefix>-0001, …; sensors
	// cam-1, cam-2, …
	PerStore int
	// Prefix names the stores; "" means "load".
	Prefix string
	// Rate is the tracks published per second by all sensors together; 0 means as fast as the broker
	// takes them.
	Rate float64
	// Duration ends the run; 0 means until Tracks are published (or ctx ends).
	Duration time.Duration
	// Tracks ends the run after this many tracks; 0 means no limit.
	Tracks int
	// QoS of the tracks, 0 or 1 (the agent's is 1). Retained messages are always QoS 1, stats QoS 0.
	QoS byte
	// Conns is how many MQTT connections carry the sensors' messages; 0 means 4.
	Conns int
	// StatusEvery is how often each sensor republishes its retained status, and publishes its stats, as
	// the agent does every mqtt.status_interval; 0 means never (only at the start and at the end).
	StatusEvery time.Duration
	// Hz is the points per second a sensor tracks before minimisation; 0 means 10.
	Hz float64
	// Seed makes the paths reproducible (track ids are random regardless); 0 means one from the clock.
	Seed uint64
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Started, when set, is called once every sensor's retained messages are acknowledged, before the
	// first track; the run waits for it (a benchmark waits there until the subscriber has taken them in).
	Started func()
	// Published, when set, is called for every track the broker acknowledged (every track at QoS 0),
	// with the time Publish was called, from one goroutine per connection.
	Published func(t Sent)
	// Logger receives progress; nil discards.
	Logger *slog.Logger
}

// Sent is one published track.
type Sent struct {
	Store, Sensor, ID string
	At                time.Time // when it was handed to the MQTT client
	Bytes             int       // payload size
}

// Result is what a run published.
type Result struct {
	Sensors  int
	Tracks   int           // tracks handed to the MQTT client
	Acked    int           // of which the broker acknowledged (all of them at QoS 0)
	Failed   int           // of which the client reported an error
	Other    int           // status, privacy, notice and stats messages
	Refresh  int           // of which published while tracks were (every StatusEvery)
	Bytes    int64         // payload bytes of the tracks
	Elapsed  time.Duration // from the first track to the last acknowledgement
	Behind   time.Duration // the largest delay of a track behind its schedule (the broker or this host too slow)
	Shutdown bool          // the run ended because ctx ended
}

// Defaults of Config.
const (
	DefaultBroker   = "tcp://127.0.0.1:1883"
	DefaultClientID = "ashiato-load"
	DefaultSensors  = 4
	DefaultPerStore = 4
	DefaultPrefix   = "load"
	DefaultConns    = 4
	DefaultHz       = 10
	// pending is how many tracks one connection may have awaiting their acknowledgement; the publisher
	// waits beyond it, so a slow broker slows the run instead of filling memory.
	pending = 2048
	// ackTimeout is how long a track may wait for its acknowledgement before it counts as failed.
	ackTimeout = time.Minute
)

func (c *Config) withDefaults() error {
	def := func(dst *int, v int) {
		if *dst == 0 {
			*dst = v
		}
	}
	def(&c.Sensors, DefaultSensors)
	def(&c.PerStore, DefaultPerStore)
	def(&c.Conns, DefaultConns)
	if c.Broker == "" {
		c.Broker = DefaultBroker
	}
	if c.ClientID == "" {
		c.ClientID = DefaultClientID
	}
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.Hz == 0 {
		c.Hz = DefaultHz
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Seed == 0 {
		c.Seed = uint64(c.Now().UnixNano())
	}
	var errs []error
	switch {
	case c.Sensors < 0 || c.PerStore < 0 || c.Conns < 0 || c.Tracks < 0:
		errs = append(errs, errors.New("-sensors, -per-store, -conns and -tracks must not be negative"))
	case c.Rate < 0 || c.Duration < 0 || c.StatusEvery < 0:
		errs = append(errs, errors.New("-rate, -duration and -status-every must not be negative"))
	case c.Hz < 2 || c.Hz > 120:
		errs = append(errs, fmt.Errorf("-hz %g: want 2 to 120 (the agent's capture rates)", c.Hz))
	case c.QoS > 1:
		errs = append(errs, fmt.Errorf("-qos %d: want 0 or 1", c.QoS))
	case !event.ValidName(c.Prefix + "-0001"):
		errs = append(errs, fmt.Errorf("-prefix %q: want up to 59 characters of A-Z a-z 0-9 _ -", c.Prefix))
	}
	if c.Duration == 0 && c.Tracks == 0 {
		errs = append(errs, errors.New("give -duration or -tracks (or both): the run needs an end"))
	}
	c.Conns = min(c.Conns, c.Sensors)
	return errors.Join(errs...)
}

// sensor is one simulated sensor.
type sensor struct {
	topics  event.Topics
	conn    *conn
	started time.Time // capture start: frame numbers count from it
	closed  atomic.Uint64
}

// conn is one MQTT connection and the goroutine that waits for its acknowledgements.
type conn struct {
	client  paho.Client
	pending chan pendingTrack
}

type pendingTrack struct {
	tok  paho.Token
	sent Sent
}

// generator is one run of Run.
type generator struct {
	c       Config
	log     *slog.Logger
	sensors []*sensor
	conns   []*conn
	notice  []byte
	hash    string

	acked, failed, other atomic.Int64
	refreshed            atomic.Int64
	first, lastAck       atomic.Int64 // Unix ns of the first track and of the last acknowledgement
}

// Run connects, publishes every sensor's retained notice, privacy and status, then tracks at c.Rate
// spread round-robin over the sensors, until c.Duration has passed, c.Tracks are published or ctx ends;
// then it waits for the outstanding acknowledgements, publishes every sensor's retained status
// "stopped" and privacy "stopped", and disconnects. It fails if a connection or a retained message fails.
func Run(ctx context.Context, c Config) (Result, error) {
	if err := c.withDefaults(); err != nil {
		return Result{}, fmt.Errorf("ashiato-load: %w", err)
	}
	n := notice.Default()
	g := &generator{c: c, log: c.Logger, notice: n.JSON(event.Version), hash: n.Hash()}
	defer g.disconnect()
	if err := g.connect(ctx); err != nil {
		return Result{}, err
	}
	start := c.Now()
	for i := range c.Sensors {
		store := fmt.Sprintf("%s-%04d", c.Prefix, i/c.PerStore+1)
		g.sensors = append(g.sensors, &sensor{topics: event.Topics{Store: store, Sensor: fmt.Sprintf("cam-%d", i%c.PerStore+1)},
			conn: g.conns[i%len(g.conns)], started: start})
	}
	if err := g.retained(ctx, start, event.StateOnline, event.PrivacyCapturing, control.CauseNone); err != nil {
		return Result{}, err
	}
	if c.Started != nil {
		c.Started()
	}
	c.Logger.Info("sensors online", "sensors", c.Sensors, "stores", (c.Sensors+c.PerStore-1)/c.PerStore,
		"connections", len(g.conns), "broker", c.Broker)

	rctx := ctx
	if c.Duration > 0 {
		var cancel context.CancelFunc
		rctx, cancel = context.WithTimeout(ctx, c.Duration)
		defer cancel()
	}
	var wg sync.WaitGroup
	for _, cn := range g.conns {
		wg.Go(func() { g.acknowledgements(cn) })
	}
	sctx, stopStatus := context.WithCancel(rctx)
	statusDone := make(chan struct{})
	go func() { defer close(statusDone); g.refresh(sctx) }()
	res := g.tracks(rctx, ctx)
	stopStatus()
	<-statusDone
	for _, cn := range g.conns {
		close(cn.pending)
	}
	wg.Wait()
	res.Shutdown = ctx.Err() != nil
	res.Sensors = c.Sensors
	res.Acked, res.Failed = int(g.acked.Load()), int(g.failed.Load())
	if last := g.lastAck.Load(); last > 0 {
		res.Elapsed = time.Duration(last - g.first.Load())
	}
	// The goodbye goes out even when ctx ended: a sensor stopping cleanly says so.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err := g.retained(fctx, c.Now(), event.StateStopped, event.PrivacyStopped, control.CauseShutdown)
	res.Other, res.Refresh = int(g.other.Load()), int(g.refreshed.Load())
	return res, err
}

func (g *generator) connect(ctx context.Context) error {
	for i := range g.c.Conns {
		o := paho.NewClientOptions().AddBroker(g.c.Broker).SetClientID(fmt.Sprintf("%s-%d", g.c.ClientID, i+1)).
			SetProtocolVersion(4).SetCleanSession(true).SetAutoReconnect(true).SetConnectRetry(false).
			SetKeepAlive(30 * time.Second).SetUsername(g.c.Username).SetPassword(g.c.Password).
			SetWriteTimeout(30 * time.Second)
		cl := paho.NewClient(o)
		g.conns = append(g.conns, &conn{client: cl, pending: make(chan pendingTrack, pending)})
		if err := wait(ctx, cl.Connect()); err != nil {
			return fmt.Errorf("ashiato-load: connect %s: %w", g.c.Broker, err)
		}
	}
	return nil
}

func (g *generator) disconnect() {
	for _, cn := range g.conns {
		cn.client.Disconnect(1000)
	}
}

// wait waits for tok, or for ctx.
func wait(ctx context.Context, tok paho.Token) error {
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// retained publishes every sensor's notice (when state is online), privacy and status, and waits for
// the broker's acknowledgements.
func (g *generator) retained(ctx context.Context, at time.Time, state, privacy string, cause control.Cause) error {
	var toks []paho.Token
	for _, s := range g.sensors {
		if state == event.StateOnline {
			toks = append(toks, s.conn.client.Publish(s.topics.Topic(event.LeafNotice), 1, true, g.notice))
		}
		p := event.Privacy{V: event.Version, State: privacy, Cause: cause.String(), Reason: cause.Label(), Since: at.UnixMilli()}
		toks = append(toks, s.conn.client.Publish(s.topics.Topic(event.LeafPrivacy), 1, true, mustJSON(p)),
			s.conn.client.Publish(s.topics.Topic(event.LeafStatus), 1, true, mustJSON(g.status(s, state, at))))
	}
	for _, tok := range toks {
		if err := wait(ctx, tok); err != nil {
			return fmt.Errorf("ashiato-load: retained messages: %w", err)
		}
	}
	g.other.Add(int64(len(toks)))
	return nil
}

// status is s's status as a minimising sensor with every privacy safeguard in place reports it.
func (g *generator) status(s *sensor, state string, at time.Time) event.Status {
	frames := uint64(max(at.Sub(s.started), 0) * frameFPS / time.Second)
	closed := s.closed.Load()
	return event.Status{V: event.Version, State: state, Birth: 1, Sensor: s.topics.Sensor, Version: "ashiato-load",
		Source: "synth", Capturing: state == event.StateOnline, RingLocked: true, Frames: frames,
		TracksClosed: closed, TracksPublished: closed,
		Attestation: &event.Attestation{RingLocked: true, Indicator: "gpio", IndicatorOK: true, PanelOK: true,
			PanelLastRefresh: s.started.UnixMilli(), NoticeHash: g.hash, RequireLockedRing: true, Minimised: true}}
}

// refresh republishes each sensor's status (retained, QoS 1) and stats (QoS 0) every c.StatusEvery,
// spread evenly over the interval, until ctx ends.
func (g *generator) refresh(ctx context.Context) {
	if g.c.StatusEvery <= 0 {
		return
	}
	p := newPacer(g.c.Now, float64(len(g.sensors))/g.c.StatusEvery.Seconds())
	defer p.stop()
	for i := 1; ; i++ { // from 1: each sensor has just published its status
		if _, ok := p.wait(ctx, i); !ok {
			return
		}
		s := g.sensors[i%len(g.sensors)]
		now := g.c.Now()
		closed := s.closed.Load()
		st := event.Stats{V: event.Version, FPS: frameFPS, Frames: uint64(max(now.Sub(s.started), 0) * frameFPS / time.Second),
			RingSlots: 8, TracksClosed: closed, TracksPublished: closed, UptimeSeconds: now.Sub(s.started).Seconds()}
		s.conn.client.Publish(s.topics.Topic(event.LeafStatus), 1, true, mustJSON(g.status(s, event.StateOnline, now)))
		s.conn.client.Publish(s.topics.Topic(event.LeafStats), 0, false, mustJSON(st))
		g.other.Add(2)
		g.refreshed.Add(2)
	}
}

// pacer spaces events rate a second from its creation. Late events are not skipped: they follow each
// other at once until the schedule is caught up. rate 0 means no pacing.
type pacer struct {
	start time.Time
	rate  float64
	now   func() time.Time
	timer *time.Timer
}

func newPacer(now func() time.Time, rate float64) *pacer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &pacer{start: now(), rate: rate, now: now, timer: t}
}

// wait blocks until event i (0-based) is due, and returns how late it is then, or false when ctx ends.
func (p *pacer) wait(ctx context.Context, i int) (late time.Duration, ok bool) {
	if ctx.Err() != nil {
		return 0, false
	}
	if p.rate <= 0 {
		return 0, true
	}
	due := p.start.Add(time.Duration(float64(i) / p.rate * float64(time.Second)))
	d := due.Sub(p.now())
	if d <= 0 {
		return -d, true
	}
	p.timer.Reset(d)
	select {
	case <-ctx.Done():
		p.timer.Stop()
		return 0, false
	case <-p.timer.C:
		return 0, true
	}
}

func (p *pacer) stop() { p.timer.Stop() }

// tracks publishes tracks on schedule until run ends or c.Tracks are out. A track already published is
// handed to the acknowledgement waiter unless outer (the user's interrupt) ends.
func (g *generator) tracks(run, outer context.Context) Result {
	var res Result
	w := newWalker(g.c.Seed, g.c.Hz)
	p := newPacer(g.c.Now, g.c.Rate)
	defer p.stop()
	g.first.Store(p.start.UnixNano())
	for i := 0; g.c.Tracks == 0 || i < g.c.Tracks; i++ {
		late, ok := p.wait(run, i)
		if !ok {
			break
		}
		res.Behind = max(res.Behind, late)
		s := g.sensors[i%len(g.sensors)]
		now := g.c.Now()
		// The tracker closes a track about a second after the shopper was last seen.
		tr := w.track(s.topics.Sensor, s.started, now.Add(-time.Second))
		b := mustJSON(tr)
		s.closed.Add(1)
		sent := Sent{Store: s.topics.Store, Sensor: s.topics.Sensor, ID: tr.ID, At: now, Bytes: len(b)}
		tok := s.conn.client.Publish(s.topics.Topic(event.LeafTracks), g.c.QoS, false, b)
		select {
		case s.conn.pending <- pendingTrack{tok, sent}:
		case <-outer.Done():
			// Published, but nobody will wait for it: count it as sent, not acknowledged.
		}
		res.Tracks++
		res.Bytes += int64(len(b))
	}
	return res
}

// acknowledgements waits for each of cn's tracks in turn, counts it, and reports it to c.Published.
func (g *generator) acknowledgements(cn *conn) {
	for p := range cn.pending {
		var err error
		if !p.tok.WaitTimeout(ackTimeout) {
			err = fmt.Errorf("no acknowledgement in %v", ackTimeout)
		} else {
			err = p.tok.Error()
		}
		if err != nil {
			g.failed.Add(1)
			g.log.Warn("track not acknowledged", "store", p.sent.Store, "sensor", p.sent.Sensor, "err", err)
			continue
		}
		g.acked.Add(1)
		g.lastAck.Store(g.c.Now().UnixNano())
		if g.c.Published != nil {
			g.c.Published(p.sent)
		}
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("BUG: ashiato-load: " + err.Error())
	}
	return b
}
