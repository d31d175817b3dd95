package publish

import "sort"

// outbox is a FIFO of QoS-1 messages bounded by count and payload bytes; full, it drops the oldest. Each
// entry has a sequence number, increasing from 1, so the sender can keep a cursor across drops. It is not
// safe for concurrent use; the Publisher guards it with its mutex.
type outbox struct {
	q        []entry // in seq order
	bytes    int
	maxMsgs  int
	maxBytes int
	next     uint64 // seq of the next push
	dropped  uint64
}

type entry struct {
	seq uint64
	m   Message
}

// push appends m, first dropping as many of the oldest entries as needed to respect both caps, and returns
// how many messages were dropped (m itself, when its payload alone exceeds maxBytes).
func (o *outbox) push(m Message) int {
	seq := o.next
	o.next++
	size := len(m.Payload)
	if size > o.maxBytes {
		o.dropped++
		return 1
	}
	n := 0
	for len(o.q) > 0 && (len(o.q) >= o.maxMsgs || o.bytes+size > o.maxBytes) {
		o.popFront()
		o.dropped++
		n++
	}
	o.q = append(o.q, entry{seq: seq, m: m})
	o.bytes += size
	return n
}

func (o *outbox) popFront() {
	o.bytes -= len(o.q[0].m.Payload)
	o.q[0] = entry{} // release the payload
	o.q = o.q[1:]
	if len(o.q) == 0 {
		o.q = o.q[:0:0] // let go of the drained array too
	}
}

// ack removes the entry seq, which is acknowledged, and reports whether it was still queued. Entries are
// sent and acknowledged in seq order, so a queued seq is always the oldest entry.
func (o *outbox) ack(seq uint64) bool {
	if len(o.q) > 0 && o.q[0].seq == seq {
		o.popFront()
		return true
	}
	return false
}

// after returns the oldest entry whose seq is greater than seq.
func (o *outbox) after(seq uint64) (entry, bool) {
	i := sort.Search(len(o.q), func(i int) bool { return o.q[i].seq > seq })
	if i == len(o.q) {
		return entry{}, false
	}
	return o.q[i], true
}

// pendingBefore reports whether an entry with seq below target is still queued.
func (o *outbox) pendingBefore(target uint64) bool {
	return len(o.q) > 0 && o.q[0].seq < target
}
