package publish

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/ashiato/ashiato/agent/event"
)

// lineSink writes every message as one event.Line of JSON to a writer: the demo's and the pipes' sink.
// Writes happen in the caller's goroutine, in call order, so a stuck writer blocks the caller; nothing is
// queued or retried, and no command ever arrives. Status bodies are built before the write lock is
// taken (the body reads the counters), and counters never wait for a write.
type lineSink struct {
	w      io.Writer
	status statusSource
	log    *slog.Logger
	none   chan Message  // Commands: never delivers
	done   chan struct{} // closed by close

	wmu sync.Mutex // serialises writes

	mu        sync.Mutex // guards the fields below
	published uint64     // lines written by enqueue
	birth     uint64     // 1 once "online" is written
	stopped   bool       // "stopped" written
	closeOnce sync.Once
}

func newLineSink(w io.Writer, status statusSource, log *slog.Logger) *lineSink {
	return &lineSink{w: w, status: status, log: log, none: make(chan Message), done: make(chan struct{})}
}

// run writes "online", waits for ctx or close, and writes "stopped".
func (s *lineSink) run(ctx context.Context) error {
	m := s.status.message(event.StateOnline, 1)
	s.wmu.Lock()
	s.write(m)
	s.mu.Lock()
	s.birth = 1
	s.mu.Unlock()
	s.wmu.Unlock()
	select {
	case <-ctx.Done():
	case <-s.done:
	}
	s.writeStopped()
	return nil
}

func (s *lineSink) enqueue(m Message) {
	s.wmu.Lock()
	ok := s.write(m)
	s.wmu.Unlock()
	if ok {
		s.mu.Lock()
		s.published++
		s.mu.Unlock()
	}
}

func (s *lineSink) setRetained(topic string, payload []byte) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.write(Message{Topic: topic, Payload: payload, QoS: 1, Retain: true})
}

// online returns the birth while "online" is written and "stopped" is not.
func (s *lineSink) online() (uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.birth, s.birth > 0 && !s.stopped
}

func (s *lineSink) refreshStatus() {
	birth, ok := s.online()
	if !ok {
		return
	}
	m := s.status.message(event.StateOnline, birth)
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if _, ok := s.online(); ok { // not stopped meanwhile
		s.write(m)
	}
}

func (s *lineSink) sendEphemeral(m Message) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.write(m)
}

func (s *lineSink) commands() <-chan Message { return s.none }

func (s *lineSink) counters() Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Counters{Published: s.published, Birth: s.birth, Connected: s.birth > 0 && !s.stopped}
}

// drain returns at once: every line is written before enqueue returns.
func (s *lineSink) drain(context.Context) error { return nil }

// close writes "stopped" (once, if "online" was written) and ends run.
func (s *lineSink) close(context.Context) error {
	s.closeOnce.Do(func() { close(s.done) })
	s.writeStopped()
	return nil
}

// writeStopped writes the "stopped" status once, if "online" was written.
func (s *lineSink) writeStopped() {
	birth, ok := s.online()
	if !ok {
		return
	}
	m := s.status.message(event.StateStopped, birth)
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	first := !s.stopped
	s.stopped = true
	s.mu.Unlock()
	if first {
		s.write(m)
	}
}

// write writes m as one line and reports whether it did; s.wmu must be held. A payload that is not valid
// JSON is logged and skipped, since the line format embeds it raw.
func (s *lineSink) write(m Message) bool {
	if !json.Valid(m.Payload) {
		s.log.Warn("publish: stdout payload is not JSON, skipped", "topic", m.Topic)
		return false
	}
	b, err := json.Marshal(event.Line{Topic: m.Topic, Payload: m.Payload, QoS: m.QoS, Retain: m.Retain})
	if err != nil {
		s.log.Warn("publish: stdout line", "topic", m.Topic, "err", err)
		return false
	}
	if _, err := s.w.Write(append(b, '\n')); err != nil {
		s.log.Warn("publish: stdout write", "err", fmt.Sprint(err))
		return false
	}
	return true
}
