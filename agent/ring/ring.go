// Package ring holds camera frames in a fixed set of slots in one locked, anonymous memory mapping outside the
// Go heap, and wipes every slot as soon as it is no longer needed.
//
// The ring is the only place frame bytes may live in the agent. A producer (the capture stage) takes a slot
// with Acquire, fills it, and hands it over with Put. A consumer (the tracker stage) takes the oldest item
// with Next, uses a frame with Use, which frees its slot. Neither side copies pixels: they move slot handles.
//
// The ring is one ordered stream: besides frames it carries marks, put by the producer, that end a capture
// session (EndSession, with the session's frame format) and capture as a whole (Finish). The consumer
// meets them exactly where they happened, after the frames before them and before those after. A pause
// ends its session with a wipe: the frames still waiting are wiped, and from the moment EndSession returns
// no frame of that session can be used any more.
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
// between Acquire and Put (producer) or inside Use (consumer), and must never be copied out.
type Slot struct {
	Frame   hal.Frame
	idx     int
	state   state
	seq     uint64 // order of Put, for oldest-first delivery
	revoked bool   // reading: wiped by EndSession before Use began
}

// Mark is a marker in the ring's stream: the end of a capture session, or of capture as a whole.
type Mark struct {
	// Format is the frame format of the session that ended here; zero in the Final mark.
	Format hal.Format
	// Final says capture has ended for good: nothing follows.
	Final bool
}

// Item is one element of the ring's stream: a frame (Slot) or a mark (Mark); exactly one is set.
type Item struct {
	Slot *Slot
	Mark *Mark
}

type markEntry struct {
	seq uint64
	m   Mark
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
	Dropped uint64 // filled frames overwritten or wiped before the consumer took them
	Fill    int    // slots holding a frame that is waiting or being read
	Waiting int    // slots holding a frame that is waiting for the consumer
	Slots   int
}

// Ring is a fixed set of frame slots. Its methods are safe for concurrent use by one producer and one
// consumer goroutine.
type Ring struct {
	mem      []byte
	slotSize int
	locked   bool
	lockErr  error

	// use is held (a value sent) while the consumer uses a frame and while EndSession wipes: a wipe waits
	// for the frame being used, and a frame taken but not yet used when a wipe comes is never used. A
	// channel rather than a mutex, so that waiting for it counts as durably blocked in testing/synctest.
	use chan struct{}

	mu      sync.Mutex
	slots   []Slot
	marks   []markEntry // put, not yet taken; in seq order
	seq     uint64      // order of Put and of marks
	puts    uint64
	dropped uint64
	closed  bool
	wake    chan struct{} // signalled (non-blocking) on Put, on a mark and on Close
	freed   chan struct{} // signalled (non-blocking) when a slot becomes free, and closed by Close
}

// Limits of Options.Slots. With at least three slots the producer and the consumer can each hold one and
// a third is always free or reclaimable.
const (
	MinSlots     = 3
	MaxSlots     = 64
	DefaultSlots = 4
)

// Options configure New.
type Options struct {
	// Slots is the number of frame slots, MinSlots to MaxSlots; 0 means DefaultSlots.
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
		n = DefaultSlots
	}
	if n < MinSlots || n > MaxSlots {
		return nil, fmt.Errorf("ring: %d slots; want %d to %d", n, MinSlots, MaxSlots)
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
	r := &Ring{mem: mem, slotSize: opts.SlotSize, slots: make([]Slot, n), use: make(chan struct{}, 1),
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

// ErrClosed is returned by Acquire, AcquireWait and Next after Close.
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
	s.revoked = false
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
	r.seq++
	r.puts++
	s.seq = r.seq
	s.state = ready
	r.signalWake()
	r.mu.Unlock()
}

// signalWake wakes Next; r.mu must be held, so it cannot race with Close closing wake.
func (r *Ring) signalWake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// EndSession ends the producer's capture session: a Mark with format follows the frames put so far in the
// stream. With wipe (a pause, the schedule, a fault), every frame still waiting is wiped first and counted
// as dropped, a frame the consumer has taken but not yet begun to Use is wiped and revoked, and a frame
// being used is waited for; so once EndSession returns, no frame put before it will ever be used. It
// returns the number of frames wiped. A mark that would directly follow another not yet taken is merged
// into it (a session without frames has nothing to end). After Close it does nothing.
func (r *Ring) EndSession(format hal.Format, wipe bool) int {
	if wipe {
		r.use <- struct{}{}
		defer func() { <-r.use }()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0
	}
	n := 0
	if wipe {
		for i := range r.slots {
			s := &r.slots[i]
			switch {
			case s.state == ready:
				clear(s.Frame.Pix)
				s.state = free
				r.dropped++
				n++
			case s.state == reading && !s.revoked:
				clear(s.Frame.Pix)
				s.revoked = true
				r.dropped++
				n++
			}
		}
		if n > 0 {
			r.signalFreed()
		}
	}
	r.mark(Mark{Format: format})
	return n
}

// Finish puts the final mark: capture has ended for good, and the consumer stops when it takes it. Frames
// and marks put before it are delivered first. After Close it does nothing.
func (r *Ring) Finish() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed {
		r.mark(Mark{Final: true})
	}
}

// mark appends m to the stream, merging it into a mark that was put last and is not yet taken; r.mu must
// be held.
func (r *Ring) mark(m Mark) {
	if k := len(r.marks); k > 0 && r.marks[k-1].seq == r.seq {
		r.marks[k-1].m.Final = r.marks[k-1].m.Final || m.Final
		return
	}
	r.seq++
	r.marks = append(r.marks, markEntry{seq: r.seq, m: m})
	r.signalWake()
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

// tryNext returns the oldest item, or a zero Item if there is none.
func (r *Ring) tryNext() (Item, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return Item{}, ErrClosed
	}
	var oldest *Slot
	for i := range r.slots {
		s := &r.slots[i]
		if s.state == ready && (oldest == nil || s.seq < oldest.seq) {
			oldest = s
		}
	}
	if len(r.marks) > 0 && (oldest == nil || r.marks[0].seq < oldest.seq) {
		m := r.marks[0].m
		r.marks = r.marks[1:]
		return Item{Mark: &m}, nil
	}
	if oldest != nil {
		oldest.state = reading
		return Item{Slot: oldest}, nil
	}
	return Item{}, nil
}

// Next blocks until a frame or a mark is ready and returns the oldest, or returns ctx.Err() or ErrClosed.
// A frame must then be given to Use, which frees its slot. The consumer holds at most one frame at a time.
func (r *Ring) Next(ctx context.Context) (Item, error) {
	for {
		it, err := r.tryNext()
		if it.Slot != nil || it.Mark != nil || err != nil {
			return it, err
		}
		select {
		case <-ctx.Done():
			return Item{}, ctx.Err()
		case <-r.wake:
		}
	}
}

// Use calls fn with the frame of s, a slot taken with Next, unless EndSession wiped it meanwhile; then it
// wipes the slot and makes it free again. It reports whether fn was called. fn must not keep f.Pix. An
// EndSession with wipe waits for fn to return.
func (r *Ring) Use(s *Slot, fn func(f *hal.Frame)) bool {
	r.use <- struct{}{}
	defer func() { <-r.use }()
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return false // Close already wiped it
	}
	if s.state != reading {
		r.mu.Unlock()
		panic("BUG: ring: Use of a slot not taken with Next")
	}
	used := !s.revoked
	r.mu.Unlock()
	if used {
		fn(&s.Frame)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed {
		clear(s.Frame.Pix)
		s.state = free
		s.revoked = false
		r.signalFreed()
	}
	return used
}

// Counters returns a snapshot of the ring's statistics.
func (r *Ring) Counters() Counters {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := Counters{Put: r.puts, Dropped: r.dropped, Slots: len(r.slots)}
	for i := range r.slots {
		if st := r.slots[i].state; st == ready || st == reading {
			c.Fill++
		}
		if r.slots[i].state == ready {
			c.Waiting++
		}
	}
	return c
}

// Close wipes every slot, including any still held, unlocks and unmaps the ring. Slots must not be used
// afterwards; Acquire and Next return ErrClosed. Close must not be called while Use runs. Close is
// idempotent.
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
	r.marks = nil
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
