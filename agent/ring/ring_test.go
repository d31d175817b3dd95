//go:build unix

package ring

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ashiato/ashiato/hal"
)

func fill(s *Slot, v byte) {
	for i := range s.Frame.Pix {
		s.Frame.Pix[i] = v
	}
}

func allZero(b []byte) bool {
	for _, v := range b {
		if v != 0 {
			return false
		}
	}
	return true
}

func newRing(t *testing.T, slots, size int) *Ring {
	t.Helper()
	r, err := New(Options{Slots: slots, SlotSize: size})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// next takes the next item, which must be ready.
func next(t *testing.T, r *Ring) Item {
	t.Helper()
	it, err := r.tryNext()
	if err != nil || (it.Slot == nil && it.Mark == nil) {
		t.Fatalf("next: %+v, %v", it, err)
	}
	return it
}

// put fills a slot with v, numbers it seq and puts it.
func put(t *testing.T, r *Ring, seq uint64, v byte) *Slot {
	t.Helper()
	s, err := r.Acquire()
	if err != nil {
		t.Fatal(err)
	}
	fill(s, v)
	s.Frame.Seq = seq
	r.Put(s)
	return s
}

func TestUseWipes(t *testing.T) {
	r := newRing(t, 3, 1000)
	s := put(t, r, 0, 0xAB)
	pix := s.Frame.Pix
	it, err := r.Next(context.Background())
	if err != nil || it.Slot != s {
		t.Fatalf("Next = %+v, %v; want the slot put", it, err)
	}
	used := r.Use(it.Slot, func(f *hal.Frame) {
		if f.Pix[0] != 0xAB || f.Pix[999] != 0xAB {
			t.Error("slot lost its content before use")
		}
	})
	if !used || !allZero(pix) {
		t.Fatalf("Use ran fn %v; slot zeroed after Use %v", used, allZero(pix))
	}
	if c := r.Counters(); c.Fill != 0 || c.Waiting != 0 {
		t.Fatalf("counters after Use: %+v", c)
	}
}

// TestMarksInOrder: session marks come out of the stream exactly where they were put.
func TestMarksInOrder(t *testing.T) {
	r := newRing(t, 4, 16)
	f1 := hal.Format{Width: 4, Height: 4}
	put(t, r, 1, 1)
	put(t, r, 2, 2)
	r.EndSession(f1, false)
	put(t, r, 3, 3)
	r.Finish()
	var got []string
	for {
		it := next(t, r)
		if it.Mark != nil {
			got = append(got, fmt.Sprintf("mark %v %v", it.Mark.Format, it.Mark.Final))
			if it.Mark.Final {
				break
			}
			continue
		}
		got = append(got, fmt.Sprintf("frame %d", it.Slot.Frame.Seq))
		r.Use(it.Slot, func(*hal.Frame) {})
	}
	want := "frame 1|frame 2|mark {4 4 0} false|frame 3|mark {0 0 0} true"
	if strings.Join(got, "|") != want {
		t.Errorf("stream %q, want %q", strings.Join(got, "|"), want)
	}
	// Marks without frames between them merge: a session without frames has nothing to end.
	r.EndSession(f1, false)
	r.EndSession(hal.Format{Width: 8, Height: 8}, false)
	r.Finish()
	if it := next(t, r); it.Mark == nil || it.Mark.Format != f1 || !it.Mark.Final {
		t.Errorf("merged mark %+v", it.Mark)
	}
	if it, _ := r.tryNext(); it.Mark != nil || it.Slot != nil {
		t.Errorf("more after the merged mark: %+v", it)
	}
}

// TestEndSessionWipe: a wipe clears every waiting frame and revokes the one taken but not yet used.
func TestEndSessionWipe(t *testing.T) {
	r := newRing(t, 4, 64)
	var pixes [][]byte
	for i := range 3 {
		pixes = append(pixes, put(t, r, uint64(i), 0x5A).Frame.Pix)
	}
	taken := next(t, r).Slot
	if n := r.EndSession(hal.Format{Width: 8, Height: 8}, true); n != 3 {
		t.Fatalf("EndSession wiped %d frames, want 3 (two waiting, one taken)", n)
	}
	for i, p := range pixes {
		if !allZero(p) {
			t.Fatalf("frame %d not wiped", i)
		}
	}
	if r.Use(taken, func(*hal.Frame) { t.Error("a revoked frame was used") }) {
		t.Error("Use reported a revoked frame as used")
	}
	it := next(t, r)
	if it.Mark == nil || it.Mark.Format.Width != 8 {
		t.Fatalf("after the wipe: %+v, want the session's mark", it)
	}
	if c := r.Counters(); c.Dropped != 3 || c.Fill != 0 {
		t.Fatalf("counters %+v", c)
	}
}

// TestEndSessionWaitsForUse: a wipe that comes while a frame is being used waits for it, so no frame is
// used after the wipe returned.
func TestEndSessionWaitsForUse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRing(t, 4, 64)
		put(t, r, 0, 1)
		put(t, r, 1, 2)
		s := next(t, r).Slot
		inUse, finish := make(chan struct{}), make(chan struct{})
		go r.Use(s, func(*hal.Frame) { close(inUse); <-finish })
		<-inUse
		wiped := make(chan int)
		go func() { wiped <- r.EndSession(hal.Format{}, true) }()
		synctest.Wait()
		select {
		case <-wiped:
			t.Fatal("EndSession returned while a frame was in use")
		default:
		}
		close(finish)
		if n := <-wiped; n != 1 {
			t.Fatalf("wiped %d, want the one waiting", n)
		}
		if it := next(t, r); it.Mark == nil {
			t.Fatalf("after the wipe: %+v", it)
		}
	})
}

func TestFullRingDropsOldestWithoutBlocking(t *testing.T) {
	r := newRing(t, 3, 64)
	var pixes [][]byte
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 1; i <= 10; i++ {
			s, err := r.Acquire()
			if err != nil {
				t.Error(err)
				return
			}
			fill(s, byte(i))
			s.Frame.Seq = uint64(i)
			pixes = append(pixes, s.Frame.Pix)
			r.Put(s)
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("producer blocked on a full ring")
	}
	c := r.Counters()
	if c.Put != 10 || c.Dropped != 7 || c.Fill != 3 {
		t.Fatalf("counters = %+v; want 10 put, 7 dropped, 3 filled", c)
	}
	// The consumer sees the newest three, oldest first.
	for want := uint64(8); want <= 10; want++ {
		s := next(t, r).Slot
		if s == nil || s.Frame.Seq != want || s.Frame.Pix[0] != byte(want) {
			t.Fatalf("got %+v, want frame %d", s, want)
		}
		r.Use(s, func(*hal.Frame) {})
	}
	if it, _ := r.tryNext(); it.Slot != nil || it.Mark != nil {
		t.Fatal("ring should be empty")
	}
}

func TestDroppedSlotIsWipedBeforeReuse(t *testing.T) {
	r := newRing(t, 3, 32)
	held, _ := r.Acquire() // the producer's own slot stays out of play
	_ = held
	a, _ := r.Acquire()
	fill(a, 1)
	r.Put(a)
	b, _ := r.Acquire()
	fill(b, 2)
	r.Put(b)
	// Every slot is now held or ready; the next Acquire must reclaim the oldest ready one (a), wiped.
	c, _ := r.Acquire()
	if c != a {
		t.Fatal("Acquire did not reclaim the oldest ready slot")
	}
	if !allZero(c.Frame.Pix) {
		t.Fatal("reclaimed slot not wiped")
	}
	if got := r.Counters().Dropped; got != 1 {
		t.Fatalf("dropped = %d, want 1", got)
	}
}

func TestClose(t *testing.T) {
	r, err := New(Options{Slots: 4, SlotSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	// Hold one slot on each side, as the stages would at shutdown. Close must zero the whole mapping,
	// held slots included, before it unmaps it.
	put(t, r, 0, 0x77)
	held := next(t, r).Slot
	w, _ := r.Acquire()
	fill(w, 0x66)
	var sawZero, called bool
	orig := munmap
	munmap = func(b []byte) error {
		called, sawZero = true, allZero(b)
		return orig(b)
	}
	defer func() { munmap = orig }()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if !called || !sawZero {
		t.Fatalf("munmap called=%v on a zeroed mapping=%v; want both", called, sawZero)
	}
	if _, err := r.Acquire(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Acquire after Close = %v, want ErrClosed", err)
	}
	if _, err := r.Next(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Next after Close = %v, want ErrClosed", err)
	}
	if r.Use(held, func(*hal.Frame) { t.Error("used after Close") }) {
		t.Error("Use after Close reported use")
	}
	r.Put(w) // the stages may still hand slots back: no panic, nothing to do
	r.EndSession(hal.Format{}, true)
	r.Finish()
	if err := r.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
}

func TestMlockFailureIsReported(t *testing.T) {
	orig := mlock
	mlock = func([]byte) error { return unix.ENOMEM }
	defer func() { mlock = orig }()
	r := newRing(t, 3, 1<<20)
	if r.Locked() {
		t.Fatal("ring claims to be locked after mlock failed")
	}
	if err := r.LockErr(); err == nil || !strings.Contains(err.Error(), "RLIMIT_MEMLOCK") || !errors.Is(err, unix.ENOMEM) {
		t.Fatalf("LockErr = %v; want ENOMEM with advice on RLIMIT_MEMLOCK", err)
	}
}

func TestNextHonoursContext(t *testing.T) {
	r := newRing(t, 3, 16)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := r.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Next = %v, want deadline exceeded", err)
	}
}

func TestNextWakesOnClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, _ := New(Options{Slots: 3, SlotSize: 16})
		errc := make(chan error, 1)
		go func() { _, err := r.Next(context.Background()); errc <- err }()
		synctest.Wait() // Next is waiting
		r.Close()
		if err := <-errc; !errors.Is(err, ErrClosed) {
			t.Fatalf("Next = %v, want ErrClosed", err)
		}
	})
}

func TestBadOptions(t *testing.T) {
	if _, err := New(Options{Slots: 2, SlotSize: 10}); err == nil {
		t.Fatal("2 slots accepted")
	}
	if _, err := New(Options{Slots: 3}); err == nil {
		t.Fatal("zero slot size accepted")
	}
}

func TestLockedOrExplained(t *testing.T) {
	r := newRing(t, 3, 1<<16)
	if !r.Locked() && r.LockErr() == nil {
		t.Fatal("ring neither locked nor explained")
	}
	if r.Locked() && r.LockErr() != nil {
		t.Fatal("locked ring with an error")
	}
}

func TestAcquireWaitBlocksInsteadOfDropping(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRing(t, 3, 16)
		for i := 0; i < 3; i++ {
			s, err := r.AcquireWait(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			r.Put(s)
		}
		got := make(chan *Slot, 1)
		go func() {
			s, err := r.AcquireWait(context.Background())
			if err != nil {
				t.Error(err)
			}
			got <- s
		}()
		synctest.Wait()
		if len(got) != 0 {
			t.Fatal("AcquireWait returned a slot while every slot was full")
		}
		s := next(t, r).Slot
		r.Use(s, func(*hal.Frame) {})
		if w := <-got; w != s {
			t.Fatal("AcquireWait did not get the freed slot")
		}
		if d := r.Counters().Dropped; d != 0 {
			t.Fatalf("dropped = %d, want 0", d)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		if _, err := r.AcquireWait(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("AcquireWait on a full ring = %v; want deadline exceeded", err)
		}
	})
}
