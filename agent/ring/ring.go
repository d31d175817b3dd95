// Package ring holds camera frames in a fixed set of slots in one locked, anonymous memory mapping outside the
// Go heap, and wipes every slot as soon as it is no longer needed.
//
// The ring is the only place frame bytes may live in the agent. A producer (the capture stage) takes a slot
// with Acquire, fills it, and hands it over with Put. A consumer (the tracker stage) takes the oldest filled
// slot with Next and gives it back with Release. Neither side copies pixels: they move slot handles.
//
// Put never blocks. When every slot is full, Acquire reclaims the oldest filled slot that the consumer has not
// taken, wipes it and counts a drop. With at least three slots the producer and the consumer can each hold
// one slot and a third is always free or reclaimable. A producer that can wait (a file replayed as fast as
// possible) uses AcquireWait instead, which blocks until a slot is free and never drops.
//
// The mapping comes from package framemem: outside the Go heap, mlock'ed when the process may lock that
// much memory (RLIMIT_MEMLOCK), and on Linux marked MADV_DONTDUMP and MADV_WIPEONFORK, so frames stay out
// of swap, core dumps and children. Close wipes every slot before unmapping. On systems without mmap
// (Windows) New fails.
package ring

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ashiato/ashiato/hal"
	"github.com/ashiato/ashiato/internal/framemem"
)

// Seams for tests: the unmapping must see a zeroed mapping, and mlock can fail as it does for a non-root
// user with a small RLIMIT_MEMLOCK.
var (
	mlock  = framemem.Lock
	munmap = framemem.Unmap
)

// Slot is one frame buffer of the ring. Its Frame.Pix points into the locked mapping; it is valid only
// between Acquire and Put (producer) or Next and Release (consumer), and must never be copied out.
type Slot struct {
	Frame hal.Frame
	idx   int
	state state
	seq   uint64 // order of Put, for oldest-first delivery
}

type state uint8

const (
	free    state = iota
	writing       // held by the producer
	ready         // filled, waiting for the consumer
	reading       // held by the consumer
)

// Counters are a snapshot of the ring's statistics.
type Counters struct {
	Put     uint64 // frames handed over by the producer
	Dropped uint64 // filled frames overwritten before the consumer took them
	Fill    int    // slots holding a frame that is waiting or being read
	Slots   int
}

// Ring is a fixed set of frame slots. Its methods are safe for concurrent use by one producer and one
// consumer goroutine.
type Ring struct {
	mem      []byte
	slotSize int
	locked   bool
	lockErr  error

	mu      sync.Mutex
	slots   []Slot
	putSeq  uint64
	dropped uint64
	closed  bool
	wake    chan struct{} // signalled (non-blocking) on Put and Close
	freed   chan struct{} // signalled (non-blocking) when a slot becomes free, and closed by Close
}

// Options configure New.
type Options struct {
	// Slots is the number of frame slots; 0 means 4. At least 3.
	Slots int
	// SlotSize is the size in bytes of one slot; it must be positive.
	SlotSize int
	// NoLock skips mlock, so the ring is never locked: for tests of the unlocked path (a root test process
	// can always lock). Production code leaves it false.
	NoLock bool
}

// New maps and (if it can) locks a ring. A failure to mlock is not an error: Locked reports it, and LockErr
// says why, so the caller can refuse to run or report it.
func New(opts Options) (*Ring, error) {
	n := opts.Slots
	if n == 0 {
		n = 4
	}
	if n < 3 {
		return nil, fmt.Errorf("ring: %d slots; need at least 3", n)
	}
	if opts.SlotSize <= 0 {
		return nil, fmt.Errorf("ring: slot size %d; must be positive", opts.SlotSize)
	}
	page := framemem.PageSize()
	size := (opts.SlotSize + page - 1) / page * page // page-align each slot
	total := size * n
	// framemem.Map applies the dump and fork advice itself, so it holds even if mlock fails.
	mem, err := framemem.Map(total)
	if err != nil {
		return nil, fmt.Errorf("ring: %w", err)
	}
	r := &Ring{mem: mem, slotSize: opts.SlotSize, slots: make([]Slot, n),
		wake: make(chan struct{}, 1), freed: make(chan struct{}, 1)}
	if opts.NoLock {
		r.lockErr = errors.New("ring: not locked: Options.NoLock")
	} else if err := mlock(mem); err != nil {
		r.lockErr = fmt.Errorf("ring: mlock %d bytes: %w (raise RLIMIT_MEMLOCK, e.g. LimitMEMLOCK=%dM in the systemd unit or `ulimit -l %d`)",
			total, err, total>>20+1, total>>10+1)
	} else {
		r.locked = true
	}
	for i := range r.slots {
		r.slots[i].idx = i
		r.slots[i].Frame.Pix = mem[i*size : i*size+opts.SlotSize : i*size+opts.SlotSize]
	}
	return r, nil
}

// Locked reports whether the ring's memory is mlock'ed.
func (r *Ring) Locked() bool { return r.locked }

// LockErr is why the ring is not locked, or nil.
func (r *Ring) LockErr() error { return r.lockErr }

// SlotSize is the usable size in bytes of each slot.
func (r *Ring) SlotSize() int { return r.slotSize }

// ErrClosed is returned by Acquire and Next after Close.
var ErrClosed = errors.New("ring: closed")

// Acquire returns a free slot for the producer to fill. It never blocks: if no slot is free it reclaims the
// oldest ready slot, wipes it and counts a drop. The slot's Frame fields other than Pix are reset.
func (r *Ring) Acquire() (*Slot, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrClosed
	}
	var oldest *Slot
	for i := range r.slots {
		s := &r.slots[i]
		switch s.state {
		case free:
			s.state = writing
			s.reset()
			return s, nil
		case ready:
			if oldest == nil || s.seq < oldest.seq {
				oldest = s
			}
		}
	}
	if oldest == nil {
		panic("BUG: ring: no free or ready slot; producer or consumer holds more than one")
	}
	clear(oldest.Frame.Pix)
	r.dropped++
	oldest.state = writing
	oldest.reset()
	return oldest, nil
}

// AcquireWait is Acquire for sources that can wait, such as a file replayed as fast as possible: it
// blocks until a slot is free instead of dropping a frame, so a replay is tracked frame by frame and its
// result does not depend on CPU speed. Live cameras use Acquire. It returns ctx.Err() or ErrClosed.
func (r *Ring) AcquireWait(ctx context.Context) (*Slot, error) {
	for {
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			return nil, ErrClosed
		}
		for i := range r.slots {
			if s := &r.slots[i]; s.state == free {
				s.state = writing
				s.reset()
				r.mu.Unlock()
				return s, nil
			}
		}
		r.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-r.freed:
		}
	}
}

// signalFreed wakes an AcquireWait; r.mu must be held.
func (r *Ring) signalFreed() {
	select {
	case r.freed <- struct{}{}:
	default:
	}
}

func (s *Slot) reset() {
	pix := s.Frame.Pix
	s.Frame = hal.Frame{Pix: pix}
}

// Put hands a filled slot to the consumer. It never blocks.
func (r *Ring) Put(s *Slot) {
	r.mu.Lock()
	if r.closed { // Close already wiped it
		r.mu.Unlock()
		return
	}
	if s.state != writing {
		r.mu.Unlock()
		panic("BUG: ring: Put of a slot not acquired")
	}
	r.putSeq++
	s.seq = r.putSeq
	s.state = ready
	select { // under mu, so it cannot race with Close closing wake
	case r.wake <- struct{}{}:
	default:
	}
	r.mu.Unlock()
}

// Abandon returns an acquired slot without handing it over (a failed read), wiping it.
func (r *Ring) Abandon(s *Slot) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return // Close already wiped it
	}
	if s.state != writing {
		panic("BUG: ring: Abandon of a slot not acquired")
	}
	clear(s.Frame.Pix)
	s.state = free
	r.signalFreed()
}

// TryNext returns the oldest ready slot, or nil if none is ready.
func (r *Ring) TryNext() (*Slot, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrClosed
	}
	var oldest *Slot
	for i := range r.slots {
		s := &r.slots[i]
		if s.state == ready && (oldest == nil || s.seq < oldest.seq) {
			oldest = s
		}
	}
	if oldest != nil {
		oldest.state = reading
	}
	return oldest, nil
}

// Next blocks until a slot is ready and returns the oldest, or returns ctx.Err() or ErrClosed.
func (r *Ring) Next(ctx context.Context) (*Slot, error) {
	for {
		s, err := r.TryNext()
		if s != nil || err != nil {
			return s, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-r.wake:
		}
	}
}

// Release wipes a slot taken with Next and makes it free again.
func (r *Ring) Release(s *Slot) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return // Close already wiped it
	}
	if s.state != reading {
		panic("BUG: ring: Release of a slot not taken with Next")
	}
	clear(s.Frame.Pix)
	s.state = free
	r.signalFreed()
}

// Wipe zeroes every slot that is waiting for the consumer and frees it (counting drops), for example when
// capture pauses. Slots held by the producer or the consumer are left to their holders.
func (r *Ring) Wipe() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for i := range r.slots {
		s := &r.slots[i]
		if s.state == ready {
			clear(s.Frame.Pix)
			s.state = free
			r.dropped++
			n++
		}
	}
	if n > 0 {
		r.signalFreed()
	}
	return n
}

// Counters returns a snapshot of the ring's statistics.
func (r *Ring) Counters() Counters {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := Counters{Put: r.putSeq, Dropped: r.dropped, Slots: len(r.slots)}
	for i := range r.slots {
		if st := r.slots[i].state; st == ready || st == reading {
			c.Fill++
		}
	}
	return c
}

// Close wipes every slot, including any still held, unlocks and unmaps the ring. Slots must not be used
// afterwards; Acquire and Next return ErrClosed. Close is idempotent.
func (r *Ring) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	clear(r.mem)
	for i := range r.slots {
		r.slots[i].Frame.Pix = nil
		r.slots[i].state = free
	}
	close(r.wake)
	close(r.freed)
	var err error
	if r.locked {
		err = framemem.Unlock(r.mem)
	}
	if e := munmap(r.mem); e != nil && err == nil {
		err = e
	}
	r.mem = nil
	if err != nil {
		return fmt.Errorf("ring: close: %w", err)
	}
	return nil
}
