package gpiobutton

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// recPin wraps gpiotest.Pin and records the In arguments and every WaitForEdge timeout.
type recPin struct {
	*gpiotest.Pin
	mu       sync.Mutex
	pull     gpio.Pull
	edge     gpio.Edge
	timeouts []time.Duration
}

func (p *recPin) In(pull gpio.Pull, edge gpio.Edge) error {
	p.mu.Lock()
	p.pull, p.edge = pull, edge
	p.mu.Unlock()
	return p.Pin.In(pull, edge)
}

func (p *recPin) WaitForEdge(d time.Duration) bool {
	p.mu.Lock()
	p.timeouts = append(p.timeouts, d)
	p.mu.Unlock()
	return p.Pin.WaitForEdge(d)
}

func newPin() *recPin {
	return &recPin{Pin: &gpiotest.Pin{N: "GPIO16", Num: 16, EdgesChan: make(chan gpio.Level, 16)}}
}

var fast = Options{Debounce: 15 * time.Millisecond, Poll: 40 * time.Millisecond}

func TestNewConfiguresPullUpFallingEdge(t *testing.T) {
	p := newPin()
	p.EdgesChan <- gpio.Low // stale edge from before New: flushed by In
	if _, err := New(p, Options{}); err != nil {
		t.Fatal(err)
	}
	if p.pull != gpio.PullUp || p.edge != gpio.FallingEdge {
		t.Errorf("In(%v, %v), want In(PullUp, FallingEdge)", p.pull, p.edge)
	}
	if p.Read() != gpio.High {
		t.Error("idle level with pull-up should read High")
	}
	if len(p.EdgesChan) != 0 {
		t.Error("stale edges were not flushed")
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := New(nil, Options{}); err == nil {
		t.Error("nil pin accepted")
	}
	if _, err := New(newPin(), Options{Debounce: -1}); err == nil {
		t.Error("negative debounce accepted")
	}
	if _, err := New(newPin(), Options{Poll: -time.Second}); err == nil {
		t.Error("negative poll accepted")
	}
	// gpiotest refuses edge detection without an EdgesChan; New must report that with its prefix.
	_, err := New(&gpiotest.Pin{N: "GPIO16"}, Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "gpiobutton: ") || !strings.Contains(err.Error(), "GPIO16") {
		t.Errorf("New on an unconfigurable pin = %v", err)
	}
}

func TestPressWithBounce(t *testing.T) {
	p := newPin()
	b, err := New(p, fast)
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	// A bouncing contact that ends closed (Low).
	for _, l := range []gpio.Level{gpio.Low, gpio.High, gpio.Low, gpio.High, gpio.Low} {
		p.EdgesChan <- l
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := b.WaitPress(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Before(before) || got.After(time.Now()) {
		t.Errorf("press time %v outside [%v, now]", got, before)
	}
	// The bounce edges were consumed: the held button gives no second press.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel2()
	if _, err := b.WaitPress(ctx2); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second WaitPress = %v, want DeadlineExceeded", err)
	}
	// Every WaitForEdge had a finite, positive timeout no longer than Poll.
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, d := range p.timeouts {
		if d <= 0 || d > fast.Poll {
			t.Fatalf("WaitForEdge(%v): want 0 < timeout ≤ %v", d, fast.Poll)
		}
	}
}

func TestGlitchRejectedThenPress(t *testing.T) {
	// In a bubble the 120 ms without a press pass on the fake clock, and synctest.Wait returns once
	// WaitPress has handled the glitch and is blocked again.
	synctest.Test(t, func(t *testing.T) {
		p := newPin()
		b, err := New(p, fast)
		if err != nil {
			t.Fatal(err)
		}
		// A glitch: the line dips and comes back High before the debounce ends.
		p.EdgesChan <- gpio.Low
		p.EdgesChan <- gpio.High
		type result struct {
			t   time.Time
			err error
		}
		done := make(chan result, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			t, err := b.WaitPress(ctx)
			done <- result{t, err}
		}()
		// 120 ms without a press, then every goroutine idle: a glitch taken as a press would be in done.
		time.Sleep(120 * time.Millisecond)
		synctest.Wait()
		select {
		case r := <-done:
			t.Fatalf("glitch reported as press: %v %v", r.t, r.err)
		default:
		}
		pressed := time.Now()
		p.EdgesChan <- gpio.Low
		r := <-done
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.t.Before(pressed) {
			t.Errorf("press time %v is before the real press at %v: the glitch was taken", r.t, pressed)
		}
	})
}

func TestContextCancel(t *testing.T) {
	// In a bubble, synctest.Wait returns once WaitPress is blocked waiting for an edge, and the clock
	// moves only when every goroutine is blocked, so the time to notice the cancellation is exact.
	synctest.Test(t, func(t *testing.T) {
		p := newPin()
		b, err := New(p, fast)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() {
			_, err := b.WaitPress(ctx)
			done <- err
		}()
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("WaitPress returned %v before cancel", err)
		default:
		}
		start := time.Now()
		cancel()
		err = <-done
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("WaitPress = %v, want context.Canceled", err)
		}
		if el := time.Since(start); el > fast.Poll {
			t.Errorf("cancellation noticed after %v, want within Poll (%v)", el, fast.Poll)
		}
		// An already-cancelled ctx returns at once without waiting.
		start = time.Now()
		if _, err := b.WaitPress(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("WaitPress(cancelled) = %v", err)
		}
		if el := time.Since(start); el != 0 {
			t.Errorf("WaitPress(cancelled) waited %v", el)
		}
	})
}

func TestChatterIsBounded(t *testing.T) {
	p := newPin()
	b, err := New(p, Options{Debounce: 5 * time.Millisecond, Poll: 40 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// Edges every 2 ms forever (faster than the debounce): WaitPress must still decide, after about
	// settleLimit × Debounce, by reading the level (Low here).
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case p.EdgesChan <- gpio.Low:
				time.Sleep(2 * time.Millisecond)
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if _, err := b.WaitPress(ctx); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("chatter kept WaitPress busy for %v", el)
	}
}
