// Package display keeps the public notice panel current: it redraws at once with a full refresh when the
// capture state changes, refreshes the times shown every few minutes with partial refreshes between full
// ones, and halts the panel after every update.
//
// A panel that fails is logged, counted and reported by Status; it never stops or delays capture for longer
// than the caller chooses to wait in Sync.
package display

import (
	"context"
	"errors"
	"image"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ashiato/ashiato/agent/notice"
	"github.com/ashiato/ashiato/agent/panel"
	"github.com/ashiato/ashiato/hal"
)

// Options configure a Display. The zero value of each optional field means its documented default.
type Options struct {
	Panel hal.Panel // required
	// Notice is the notice drawn below the state bar. The configuration, and so the notice, cannot change
	// while the agent runs.
	Notice notice.Notice
	// Location is the time zone of the times shown; nil means time.Local.
	Location *time.Location
	// Interval is the time between refreshes while the state does not change, which keep the "since" and
	// "更新" (updated) times current; 0 means 3m.
	Interval time.Duration
	// FullEvery makes every FullEvery-th refresh a full one and the others partial; 0 means 5, 1 means
	// every refresh is full.
	FullEvery int
	// FullAtLeast is the longest time between two full refreshes; 0 means 24h.
	FullAtLeast time.Duration
	// RetryAfter is how soon a failed draw is retried (with a full refresh); 0 means 30s.
	RetryAfter time.Duration
	Logger     *slog.Logger // nil discards
}

// Status is the panel's health, for the privacy attestation.
type Status struct {
	OK          bool      // the last draw succeeded; false before the first draw
	LastRefresh time.Time // end of the last successful draw; zero means never
	Draws       uint64    // successful draws
	Fulls       uint64    // successful full refreshes
	Failures    uint64    // failed draws
}

// Display owns a panel. Create it with New, run Run once, and feed it states with Show. Show, Sync and
// Status are safe for concurrent use.
type Display struct {
	opts Options
	log  *slog.Logger
	wake chan struct{}
	done chan struct{} // closed when Run returns

	mu       sync.Mutex
	want     panel.State
	wantVer  uint64
	drawnVer uint64        // the newest version whose draw was attempted
	drawn    chan struct{} // closed and replaced whenever drawnVer advances
	status   Status
}

// New checks opts and returns a Display. It starts nothing and draws nothing.
func New(opts Options) (*Display, error) {
	if opts.Panel == nil {
		return nil, errors.New("display: a panel is required")
	}
	if opts.Interval <= 0 {
		opts.Interval = 3 * time.Minute
	}
	if opts.FullEvery <= 0 {
		opts.FullEvery = 5
	}
	if opts.FullAtLeast <= 0 {
		opts.FullAtLeast = 24 * time.Hour
	}
	if opts.RetryAfter <= 0 {
		opts.RetryAfter = 30 * time.Second
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	d := &Display{opts: opts, log: opts.Logger, wake: make(chan struct{}, 1), done: make(chan struct{}),
		drawn: make(chan struct{})}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	return d, nil
}

// Show asks for s to be drawn (its Now field is ignored; the time of drawing is used). It never blocks.
// Only the latest state counts: one that is replaced before Run got to it is never drawn.
func (d *Display) Show(s panel.State) {
	s.Now = time.Time{}
	d.mu.Lock()
	d.want = s
	d.wantVer++
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Sync blocks until the state of the latest Show has been drawn, or the attempt failed, or Run has
// returned, or ctx is done (then it returns ctx.Err()).
func (d *Display) Sync(ctx context.Context) error {
	d.mu.Lock()
	target := d.wantVer
	for d.drawnVer < target {
		ch := d.drawn
		d.mu.Unlock()
		select {
		case <-ch:
		case <-d.done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
		d.mu.Lock()
	}
	d.mu.Unlock()
	return nil
}

// Status returns the panel's health.
func (d *Display) Status() Status {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.status
}

// Run draws states until ctx is done. Before returning it draws the latest state if that has not been
// drawn yet, so the panel is left showing the final state (such as "stopped"). It returns nil.
func (d *Display) Run(ctx context.Context) error {
	defer close(d.done)
	var sch schedule
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		d.mu.Lock()
		ver, st := d.wantVer, d.want
		d.mu.Unlock()
		now := time.Now()
		due := sch.due(d.opts)
		if ver != 0 && (ver != sch.shown || !now.Before(due)) {
			full := sch.full(ver, now, d.opts)
			ok := d.draw(st, full)
			sch.drew(ver, time.Now(), ok, full)
			d.markDrawn(ver)
			continue
		}
		var tc <-chan time.Time
		if ver != 0 {
			timer.Reset(time.Until(due))
			tc = timer.C
		}
		select {
		case <-ctx.Done():
			d.mu.Lock()
			ver, st = d.wantVer, d.want
			d.mu.Unlock()
			if ver != sch.shown {
				d.draw(st, true)
			}
			return nil
		case <-d.wake:
		case <-tc:
		}
		timer.Stop()
	}
}

// schedule is what Run remembers of its draws to decide when the next is due and whether it is full.
type schedule struct {
	shown     uint64    // version on the panel
	lastDraw  time.Time // last draw attempt
	lastFull  time.Time // last successful full refresh
	partials  int       // successful partial refreshes since the last full one
	forceFull bool      // the last draw failed
	failing   bool
}

// due returns when the panel is next to be redrawn with an unchanged state: Interval after the last draw,
// or sooner (RetryAfter) after a failed one.
func (s *schedule) due(o Options) time.Time {
	if s.failing {
		return s.lastDraw.Add(min(o.RetryAfter, o.Interval))
	}
	return s.lastDraw.Add(o.Interval)
}

// full reports whether a draw of version ver at now is a full refresh: a new state, a retry, every
// FullEvery-th refresh, and at least every FullAtLeast.
func (s *schedule) full(ver uint64, now time.Time, o Options) bool {
	return ver != s.shown || s.forceFull || s.partials+1 >= o.FullEvery || now.Sub(s.lastFull) >= o.FullAtLeast
}

// drew records a draw of version ver at now, and whether it succeeded and was full.
func (s *schedule) drew(ver uint64, now time.Time, ok, full bool) {
	s.lastDraw, s.shown = now, ver
	s.failing, s.forceFull = !ok, !ok
	if ok && full {
		s.lastFull, s.partials = now, 0
	} else if ok {
		s.partials++
	}
}

// markDrawn records that the draw of version ver was attempted, waking Sync.
func (d *Display) markDrawn(ver uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if ver > d.drawnVer {
		d.drawnVer = ver
		close(d.drawn)
		d.drawn = make(chan struct{})
	}
}

// draw renders st, draws it and halts the panel. It reports whether the draw succeeded.
func (d *Display) draw(st panel.State, full bool) bool {
	st.Now = time.Now().In(d.opts.Location)
	size := d.opts.Panel.Bounds().Size()
	if size.X <= 0 || size.Y <= 0 {
		size = panel.Size
	}
	img := panel.Render(d.opts.Notice, st, size)
	err := d.opts.Panel.Draw(img, full)
	if herr := d.opts.Panel.Halt(); herr != nil {
		d.log.Warn("display: halting panel", "err", herr)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		d.status.OK = false
		d.status.Failures++
		d.log.Error("display: drawing panel", "err", err, "failures", d.status.Failures)
		return false
	}
	d.status.OK = true
	d.status.LastRefresh = time.Now()
	d.status.Draws++
	if full {
		d.status.Fulls++
	}
	d.log.Debug("display: drawn", "state", st.Mode, "full", full)
	return true
}

// PNGPanel is a hal.Panel for replayed and synthetic sources, which have no real panel: it writes every
// image it is given to a PNG file. The file is replaced atomically (a temporary file in the same directory,
// then a rename), so a reader never sees half an image.
type PNGPanel struct {
	Path string      // required
	Size image.Point // zero means panel.Size
}

// Bounds implements hal.Panel.
func (p *PNGPanel) Bounds() image.Rectangle {
	if p.Size.X <= 0 || p.Size.Y <= 0 {
		return image.Rectangle{Max: panel.Size}
	}
	return image.Rectangle{Max: p.Size}
}

// Draw implements hal.Panel; full is ignored.
func (p *PNGPanel) Draw(img image.Image, full bool) error {
	tmp := filepath.Join(filepath.Dir(p.Path), "."+filepath.Base(p.Path)+".tmp")
	if err := panel.WritePNG(tmp, img); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, p.Path); err != nil {
		os.Remove(tmp)
		return errors.New("display: " + err.Error())
	}
	return nil
}

// Halt implements hal.Panel; it does nothing.
func (p *PNGPanel) Halt() error { return nil }

var _ hal.Panel = (*PNGPanel)(nil)
