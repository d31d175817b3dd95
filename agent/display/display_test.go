package display

import (
	"context"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ashiato/ashiato/agent/notice"
	"github.com/ashiato/ashiato/agent/panel"
	"github.com/ashiato/ashiato/hal/haltest"
)

type counts struct{ draws, fulls, halts int }

func snap(p *haltest.Panel) counts {
	p.Mu.Lock()
	defer p.Mu.Unlock()
	return counts{p.Draws, p.Fulls, p.Halts}
}

// shows reports whether the panel shows exactly what Render makes of s at the current (fake) time.
func shows(p *haltest.Panel, s panel.State) bool {
	s.Now = time.Now()
	want := panel.Render(notice.Default(), s, panel.Size)
	p.Mu.Lock()
	defer p.Mu.Unlock()
	if p.Image == nil {
		return false
	}
	for y := 0; y < panel.Size.Y; y++ {
		for x := 0; x < panel.Size.X; x++ {
			if want.ColorIndexAt(x, y) == 1 != (p.Image.GrayAt(x, y).Y < 128) {
				return false
			}
		}
	}
	return true
}

func start(t *testing.T, p *haltest.Panel, opts Options) (*Display, context.CancelFunc) {
	opts.Panel, opts.Notice, opts.Location = p, notice.Default(), time.UTC
	d, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	return d, func() { cancel(); <-done }
}

func TestRefreshPolicy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &haltest.Panel{}
		d, stop := start(t, p, Options{})
		synctest.Wait()
		if c := snap(p); c.draws != 0 {
			t.Fatalf("drew %d times before any Show", c.draws)
		}
		capturing := panel.State{Mode: panel.ModeCapturing, Since: time.Now()}
		d.Show(capturing)
		if err := d.Sync(t.Context()); err != nil {
			t.Fatal(err)
		}
		if c := snap(p); c != (counts{1, 1, 1}) {
			t.Fatalf("after the first Show: %+v, want one full draw and a halt", c)
		}
		if !shows(p, capturing) {
			t.Fatal("panel does not show the capturing state")
		}
		// No change: a refresh every 3 minutes, partial except every 5th, each followed by a halt.
		for i := 1; i <= 10; i++ {
			time.Sleep(3*time.Minute - time.Millisecond)
			synctest.Wait()
			if c := snap(p); c.draws != i {
				t.Fatalf("refresh %d came early: %+v", i, c)
			}
			time.Sleep(time.Millisecond)
			synctest.Wait()
			if !shows(p, capturing) {
				t.Fatalf("refresh %d does not show the current time", i)
			}
		}
		// 11 draws: the first (full), then partials with every 5th full: draws 5 and 10 (counting from 0).
		if c := snap(p); c != (counts{11, 3, 11}) {
			t.Fatalf("after 30 minutes: %+v, want 11 draws, 3 full, 11 halts", c)
		}
		// A state change is drawn at once with a full refresh.
		time.Sleep(time.Minute)
		paused := panel.State{Mode: panel.ModePaused, Reason: "ボタン操作", Since: time.Now()}
		d.Show(paused)
		synctest.Wait()
		if c := snap(p); c != (counts{12, 4, 12}) || !shows(p, paused) {
			t.Fatalf("state change: %+v", c)
		}
		stop()
	})
}

func TestFullAtLeastDaily(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &haltest.Panel{}
		d, stop := start(t, p, Options{Interval: time.Hour, FullEvery: 1000})
		d.Show(panel.State{Mode: panel.ModeCapturing, Since: time.Now()})
		time.Sleep(23*time.Hour + time.Minute)
		synctest.Wait()
		if c := snap(p); c.draws != 24 || c.fulls != 1 {
			t.Fatalf("after 23h: %+v, want 24 draws, 1 full", c)
		}
		time.Sleep(time.Hour)
		synctest.Wait()
		if c := snap(p); c.draws != 25 || c.fulls != 2 {
			t.Fatalf("after 24h: %+v, want a second full refresh", c)
		}
		stop()
	})
}

func TestDrawErrorsAreReportedNotFatal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &haltest.Panel{Err: errors.New("ssd16xx: busy timeout")}
		d, stop := start(t, p, Options{})
		if d.Status().OK {
			t.Fatal("OK before any draw")
		}
		d.Show(panel.State{Mode: panel.ModeCapturing, Since: time.Now()})
		// Sync returns after a failed attempt: a broken panel does not hold up capture.
		if err := d.Sync(t.Context()); err != nil {
			t.Fatal(err)
		}
		st := d.Status()
		if st.OK || st.Failures != 1 || !st.LastRefresh.IsZero() {
			t.Fatalf("after a failed draw: %+v", st)
		}
		p.Mu.Lock()
		p.Err = nil
		p.Mu.Unlock()
		time.Sleep(30 * time.Second) // retried sooner than the 3 minute interval, with a full refresh
		synctest.Wait()
		st = d.Status()
		if !st.OK || st.Draws != 1 || st.Fulls != 1 || !st.LastRefresh.Equal(time.Now()) {
			t.Fatalf("after recovery: %+v", st)
		}
		stop()
	})
}

func TestFinalStateDrawnAtShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &haltest.Panel{}
		d, stop := start(t, p, Options{})
		d.Show(panel.State{Mode: panel.ModeCapturing, Since: time.Now()})
		d.Sync(t.Context())
		stopped := panel.State{Mode: panel.ModeStopped, Reason: "シャットダウン", Since: time.Now()}
		d.Show(stopped)
		stop() // the cancel may win the race against the wake-up; the final state is drawn either way
		if !shows(p, stopped) {
			t.Fatal("panel not left showing the final state")
		}
		// Sync after Run returned does not block.
		d.Show(panel.State{Mode: panel.ModeCapturing})
		if err := d.Sync(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}

func TestPNGPanel(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "panel.png")
	p := &PNGPanel{Path: path}
	if p.Bounds().Size() != panel.Size {
		t.Fatalf("Bounds %v", p.Bounds())
	}
	img := panel.Render(notice.Default(), panel.State{Mode: panel.ModePaused}, panel.Size)
	if err := p.Draw(img, true); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if got.Bounds() != img.Bounds() {
		t.Fatalf("PNG is %v", got.Bounds())
	}
	for y := 0; y < img.Rect.Dy(); y++ {
		for x := 0; x < img.Rect.Dx(); x++ {
			r, _, _, _ := got.At(x, y).RGBA()
			if (img.ColorIndexAt(x, y) == 1) != (r < 0x8000) {
				t.Fatalf("pixel (%d,%d) differs", x, y)
			}
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary file left behind: %v", entries)
	}
	if err := (&PNGPanel{Path: filepath.Join(dir, "missing", "x.png")}).Draw(img, true); err == nil {
		t.Fatal("Draw into a missing directory succeeded")
	}
}
