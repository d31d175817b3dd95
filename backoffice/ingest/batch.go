package ingest

import (
	"context"
	"time"

	"github.com/ashiato/ashiato/backoffice"
)

// batches is the batcher: it fills a batch from the queue, commits it and acknowledges its messages, until
// ctx ends; the batch in progress is then committed and acknowledged before it returns.
func (c *Collector) batches(ctx context.Context) {
	var (
		b    backoffice.Batch
		msgs []inbound
	)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		c.m.queueDepth.Set(float64(len(c.queue)))
		select {
		case m := <-c.queue:
			msgs = append(msgs[:0], m)
			c.add(&b, m)
		case <-ctx.Done():
			return
		}
		timer.Reset(c.o.BatchWait)
	fill:
		for len(msgs) < c.o.BatchRows {
			select {
			case m := <-c.queue:
				msgs = append(msgs, m)
				c.add(&b, m)
				continue
			default:
			}
			// The queue is empty: commit now rather than wait, unless more is on its way this instant.
			select {
			case m := <-c.queue:
				msgs = append(msgs, m)
				c.add(&b, m)
			case <-timer.C:
				break fill
			default:
				break fill
			}
		}
		timer.Stop()
		if !c.commit(ctx, &b) {
			return // ctx ended before the batch could be committed: nothing is acknowledged
		}
		for _, m := range msgs {
			m.m.Ack()
		}
		clear(msgs)
		b.Reset()
	}
}

// add decodes m into b, or counts it as malformed.
func (c *Collector) add(b *backoffice.Batch, m inbound) {
	d := c.dec.decode(m.m.Topic(), m.m.Payload(), delivery{Retained: m.m.Retained(), Duplicate: m.m.Duplicate()}, c.o.Now())
	c.m.messages.WithLabelValues(m.n.url, leafLabel(d.leaf)).Inc()
	if d.stale {
		c.m.stale.WithLabelValues(d.leaf).Inc()
		m.n.log.Debug("stale sensor state skipped", "topic", m.m.Topic(), "retained", m.m.Retained(), "dup", m.m.Duplicate())
		return
	}
	if d.malformed != "" {
		c.m.malformed.WithLabelValues(d.malformed).Inc()
		c.logMalformed(d, m.m.Topic(), len(m.m.Payload()))
		return
	}
	if d.sensor != nil {
		b.Sensors = append(b.Sensors, *d.sensor)
	}
	if d.notice != nil {
		b.Sensors = append(b.Sensors, *d.notice)
	}
	if d.track != nil {
		b.Tracks = append(b.Tracks, *d.track)
	}
	if d.dropped != nil {
		b.Dropped = append(b.Dropped, *d.dropped)
	}
}

// commit writes b, retrying with backoff while the store fails, and reports whether it committed. Even
// when ctx ends it keeps trying for a few seconds: the batch in progress is committed on shutdown.
func (c *Collector) commit(ctx context.Context, b *backoffice.Batch) bool {
	if b.Len() == 0 {
		return true // only malformed messages: nothing to write, acknowledge them
	}
	wait := 100 * time.Millisecond
	var deadline <-chan time.Time
	for {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.o.WriteTimeout)
		start := time.Now()
		c.writing.Store(start.UnixNano())
		res, err := c.store.Write(wctx, b)
		c.writing.Store(0)
		cancel()
		if err == nil {
			c.m.batchSeconds.Observe(time.Since(start).Seconds())
			c.m.batchMessages.Observe(float64(len(b.Tracks) + len(b.Dropped) + len(b.Sensors)))
			c.m.stored.Add(float64(res.Stored))
			c.m.duplicates.Add(float64(res.StoredDuplicates + res.DroppedDuplicates))
			for reason, n := range res.DroppedBy {
				c.m.dropped.WithLabelValues(string(reason)).Add(float64(n))
			}
			return true
		}
		c.m.writeErrors.Inc()
		c.log.Error("cannot commit a batch; retrying, messages stay unacknowledged", "err", err, "rows", b.Len())
		if deadline == nil && ctx.Err() != nil {
			deadline = time.After(5 * time.Second)
		}
		select {
		case <-time.After(wait):
		case <-deadline:
			return false
		}
		wait = min(2*wait, 10*time.Second)
	}
}

// logMalformed logs a malformed message without its payload, at most once per reason every 10 s.
func (c *Collector) logMalformed(d decoded, topic string, size int) {
	now := time.Now()
	if c.lastLog == nil {
		c.lastLog = map[string]time.Time{}
		c.suppressed = map[string]int{}
	}
	if now.Sub(c.lastLog[d.malformed]) < 10*time.Second {
		c.suppressed[d.malformed]++
		return
	}
	c.lastLog[d.malformed] = now
	if len(topic) > 200 {
		topic = topic[:200] + "…"
	}
	c.log.Warn("malformed message dropped", "reason", d.malformed, "topic", topic, "bytes", size, "err", d.err,
		"similar_since_last", c.suppressed[d.malformed])
	c.suppressed[d.malformed] = 0
}
