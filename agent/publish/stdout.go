package publish

import (
	"encoding/json"
	"fmt"

	"github.com/ashiato/ashiato/agent/event"
)

// writeLine writes m to the stdout sink as one event.Line. Writes happen in the caller's goroutine, in call
// order, under p.mu, so a stuck writer blocks the caller: stdout mode is for demos and pipes. countIt says
// whether the line counts as Published. A payload that is not valid JSON is logged and skipped, since the
// line format embeds it raw.
func (p *Publisher) writeLine(m Message, countIt bool) {
	if !json.Valid(m.Payload) {
		p.log.Warn("publish: stdout payload is not JSON, skipped", "topic", m.Topic)
		return
	}
	b, err := json.Marshal(event.Line{Topic: m.Topic, Payload: m.Payload, QoS: m.QoS, Retain: m.Retain})
	if err != nil {
		p.log.Warn("publish: stdout line", "topic", m.Topic, "err", err)
		return
	}
	b = append(b, '\n')
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := p.stdout.Write(b); err != nil {
		p.log.Warn("publish: stdout write", "err", fmt.Sprint(err))
		return
	}
	if countIt {
		p.published++
	}
}

// writeStopped writes the "stopped" status line once, if "online" was written.
func (p *Publisher) writeStopped() {
	p.mu.Lock()
	birth, done := p.birth, p.stdoutDone
	p.stdoutDone = birth > 0 // before "online", leave it to Run
	p.mu.Unlock()
	if birth > 0 && !done {
		p.writeLine(p.statusMessage(event.StateStopped, birth), false)
	}
}
