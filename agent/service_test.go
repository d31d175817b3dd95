//go:build unix

package agent

import (
	"context"
	"image"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ashiato/ashiato/agent/config"
	"github.com/ashiato/ashiato/agent/sdnotify"
	"github.com/ashiato/ashiato/agent/sdnotify/sdnotifytest"
	"github.com/ashiato/ashiato/hal/haltest"
)

// gatedPanel is the rig's panel whose draws wait until open is closed.
type gatedPanel struct {
	*haltest.Panel
	open chan struct{}
}

func (p gatedPanel) Draw(img image.Image, full bool) error {
	<-p.open
	return p.Panel.Draw(img, full)
}

// serve runs the rig's agent with devs and a notifier read from the environment, until ctx is done; Run's
// error arrives on r.errc.
func (r *rig) serve(t *testing.T, ctx context.Context, devs Devices, panelWait time.Duration) {
	n, err := sdnotify.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		r.errc <- run(ctx, devs, Options{Config: &config.Config{MQTT: config.MQTT{Broker: "stdout"}}, Stdout: r.out,
			DrainTimeout: time.Second, PanelWait: panelWait, Service: n}, r.seams())
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		r.tr.release()
		<-done
	})
}

// TestServiceReadyAfterFirstState: READY=1 comes only once the LED is in its first state and the panel
// shows it; a panel that does not finish drawing delays it no longer than PanelWait, and the status says so.
func TestServiceReadyAfterFirstState(t *testing.T) {
	for _, stuck := range []bool{false, true} {
		name := "panel draws"
		if stuck {
			name = "panel stuck"
		}
		t.Run(name, func(t *testing.T) {
			sock := sdnotifytest.Listen(t, 0)
			synctest.Test(t, func(t *testing.T) {
				r := newRig()
				gate := make(chan struct{})
				var opened sync.Once
				open := func() { opened.Do(func() { close(gate) }) }
				devs := r.devices()
				devs.Panel = gatedPanel{r.pnl, gate}
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				r.serve(t, ctx, devs, 20*time.Second)
				t.Cleanup(open) // before serve's cleanup waits for Run, which waits for the draw
				synctest.Wait()
				if !r.led.IsOn() {
					t.Fatal("the LED is not in its first state (on, capture about to start)")
				}
				if got := sock.Pending(t); len(got) != 0 {
					t.Fatalf("sent %q while the panel has not drawn its first state", got)
				}
				if stuck {
					time.Sleep(20 * time.Second)
				} else {
					open()
				}
				synctest.Wait()
				got := sock.Pending(t)
				if len(got) == 0 || !strings.HasPrefix(got[0], "READY=1\nSTATUS=capturing since ") {
					t.Fatalf("after the first state: %q; want READY=1 with the state", got)
				}
				if stuck != strings.HasSuffix(got[0], "; notice panel not drawing") {
					t.Errorf("READY %q: the status must say whether the panel draws (stuck: %v)", got[0], stuck)
				}
				r.pnl.Mu.Lock()
				draws := r.pnl.Draws
				r.pnl.Mu.Unlock()
				if !stuck && draws == 0 {
					t.Error("ready before the panel drew")
				}
				r.button.Press(time.Now())
				synctest.Wait()
				if got := sock.Pending(t); len(got) == 0 || !strings.HasPrefix(got[len(got)-1], "STATUS=paused (button) since ") {
					t.Errorf("after a press: %q; want the paused status", got)
				}
				open()
				cancel()
				if err := <-r.errc; err != nil {
					t.Fatal(err)
				}
				synctest.Wait()
				if got := sock.Pending(t); len(got) == 0 || !strings.HasPrefix(got[0], "STOPPING=1") {
					t.Errorf("at shutdown: %q; want STOPPING=1 first", got)
				}
			})
		})
	}
}

// TestServiceWatchdogFollowsPipeline: the watchdog is fed while frames are captured and tracked, starves
// while the tracker is stuck or the camera delivers nothing, resumes with progress, and is fed by the
// controller's loop while paused, when no frames flow.
func TestServiceWatchdogFollowsPipeline(t *testing.T) {
	sock := sdnotifytest.Listen(t, 3*time.Second) // checked every second
	synctest.Test(t, func(t *testing.T) {
		r := newRig()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		r.serve(t, ctx, r.devices(), 0)
		feedCtx, stopFeed := context.WithCancel(ctx)
		go r.feed(feedCtx)

		time.Sleep(5 * time.Second)
		synctest.Wait()
		if n := sdnotifytest.Pings(sock.Pending(t)); n < 3 {
			t.Fatalf("%d pings in 5 s of capture checked every second; want at least 3", n)
		}

		// The tracker stops returning: capture goes on, dropping the oldest frames, but nothing is tracked.
		r.tr.hold()
		time.Sleep(1500 * time.Millisecond) // the check under way when it got stuck may still see progress
		synctest.Wait()
		if _, stepping := r.tr.last(); !stepping {
			t.Fatal("the tracker is not stuck in a step")
		}
		sock.Pending(t)
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if n := sdnotifytest.Pings(sock.Pending(t)); n != 0 {
			t.Fatalf("%d pings in 10 s with the tracker stuck", n)
		}
		r.tr.release()
		time.Sleep(3 * time.Second)
		synctest.Wait()
		if n := sdnotifytest.Pings(sock.Pending(t)); n == 0 {
			t.Fatal("no ping after the tracker moved again")
		}

		// The camera delivers nothing, without an error.
		stopFeed()
		time.Sleep(1500 * time.Millisecond)
		synctest.Wait()
		sock.Pending(t)
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if n := sdnotifytest.Pings(sock.Pending(t)); n != 0 {
			t.Fatalf("%d pings in 10 s without a frame", n)
		}

		// Paused: no frames flow, and the controller's loop feeds the watchdog.
		r.button.Press(time.Now())
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if r.cam.IsStreaming() {
			t.Fatal("still streaming after the press")
		}
		if n := sdnotifytest.Pings(sock.Pending(t)); n < 8 {
			t.Fatalf("%d pings in 10 s of pause checked every second; want at least 8", n)
		}
		cancel()
		if err := <-r.errc; err != nil {
			t.Fatal(err)
		}
		r.h.Check(t)
	})
}

// stopGate is the rig's camera whose Stop waits until open is closed: a driver stuck in a device call.
type stopGate struct {
	*haltest.Camera
	open chan struct{}
}

func (c stopGate) Stop() error {
	<-c.open
	return c.Camera.Stop()
}

// TestServiceWatchdogStarvesStuckController: a controller held up in a device call (here Camera.Stop
// after a pause) does not answer, so the watchdog is not fed although no frames are expected.
func TestServiceWatchdogStarvesStuckController(t *testing.T) {
	sock := sdnotifytest.Listen(t, 3*time.Second)
	synctest.Test(t, func(t *testing.T) {
		r := newRig()
		gate := make(chan struct{})
		var opened sync.Once
		open := func() { opened.Do(func() { close(gate) }) }
		devs := r.devices()
		devs.Camera = stopGate{r.cam, gate}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		r.serve(t, ctx, devs, 0)
		t.Cleanup(open)
		go r.feed(ctx)
		time.Sleep(3 * time.Second)
		synctest.Wait()
		if n := sdnotifytest.Pings(sock.Pending(t)); n == 0 {
			t.Fatal("no ping while capturing")
		}
		r.button.Press(time.Now())
		time.Sleep(1500 * time.Millisecond)
		synctest.Wait()
		sock.Pending(t)
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if n := sdnotifytest.Pings(sock.Pending(t)); n != 0 {
			t.Fatalf("%d pings in 10 s with the controller stuck in Camera.Stop", n)
		}
		open()
		time.Sleep(3 * time.Second)
		synctest.Wait()
		if n := sdnotifytest.Pings(sock.Pending(t)); n == 0 {
			t.Fatal("no ping once the controller is back in its loop (paused)")
		}
	})
}
