//go:build unix

package ring

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
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

func TestReleaseWipes(t *testing.T) {
	r := newRing(t, 3, 1000)
	s, _ := r.Acquire()
	fill(s, 0xAB)
	pix := s.Frame.Pix
	r.Put(s)
	got, err := r.Next(context.Background())
	if err != nil || got != s {
		t.Fatalf("Next = %v, %v; want the slot put", got, err)
	}
	if pix[0] != 0xAB || pix[999] != 0xAB {
		t.Fatal("slot lost its content before release")
	}
	r.Release(got)
	if !allZero(pix) {
		t.Fatal("slot not zeroed after Release")
	}
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
		s, err := r.TryNext()
		if err != nil || s == nil {
			t.Fatalf("TryNext = %v, %v", s, err)
		}
		if s.Frame.Seq != want || s.Frame.Pix[0] != byte(want) {
			t.Fatalf("got frame %d (pix %d), want %d", s.Frame.Seq, s.Frame.Pix[0], want)
		}
		r.Release(s)
	}
	if s, _ := r.TryNext(); s != nil {
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

func TestWipeAndClose(t *testing.T) {
	r, err := New(Options{Slots: 4, SlotSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	var all [][]byte
	for i := 0; i < 3; i++ {
		s, _ := r.Acquire()
		fill(s, 0x5A)
		all = append(all, s.Frame.Pix)
		r.Put(s)
	}
	if n := r.Wipe(); n != 3 {
		t.Fatalf("Wipe freed %d, want 3", n)
	}
	for _, p := range all {
		if !allZero(p) {
			t.Fatal("Wipe left frame bytes")
		}
	}
	// Fill again and hold one slot on each side, as the stages would at shutdown. Close must zero the
	// whole mapping, held slots included, before it unmaps it.
	s, _ := r.Acquire()
	fill(s, 0x77)
	r.Put(s)
	held, _ := r.Next(context.Background())
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
	r.Release(held) // the stages may still hand slots back: no panic, nothing to do
	r.Put(w)
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
	r, _ := New(Options{Slots: 3, SlotSize: 16})
	errc := make(chan error, 1)
	go func() { _, err := r.Next(context.Background()); errc <- err }()
	time.Sleep(10 * time.Millisecond)
	r.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("Next = %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Next not woken by Close")
	}
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
	select {
	case <-got:
		t.Fatal("AcquireWait returned a slot while every slot was full")
	case <-time.After(30 * time.Millisecond):
	}
	s, _ := r.TryNext()
	r.Release(s)
	select {
	case w := <-got:
		if w != s {
			t.Fatal("AcquireWait did not get the released slot")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("AcquireWait not woken by Release")
	}
	if d := r.Counters().Dropped; d != 0 {
		t.Fatalf("dropped = %d, want 0", d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := r.AcquireWait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("AcquireWait on a full ring = %v; want deadline exceeded", err)
	}
}
