package publish

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ashiato/ashiato/agent/broker"
	"github.com/ashiato/ashiato/agent/event"
)

// heapAlloc returns the live heap after a full collection.
func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestOutboxMemoryBounded enqueues 320 MiB of large messages with no broker: the outbox keeps only its cap,
// so the live heap stays within the cap plus slack, and every other message is counted as dropped.
func TestOutboxMemoryBounded(t *testing.T) {
	const size = 64 << 10
	for _, c := range []struct {
		name       string
		msgs, byts int
		keep       int
	}{
		{"by count", 100, 0, 100},
		{"by bytes", 0, 1 << 20, 16},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := New(Config{Brokers: []string{"tcp://127.0.0.1:1"}, Topics: testTopics, OutboxMessages: c.msgs, OutboxBytes: c.byts})
			if err != nil {
				t.Fatal(err)
			}
			base := heapAlloc()
			limit := base + uint64(c.keep*size)*5/4 + 4<<20
			const n = 5000
			var peak uint64
			for i := range n {
				payload := make([]byte, size) // fresh each time, as the agent's encoder makes them
				payload[0] = byte(i)
				p.Enqueue(Message{Topic: "t", Payload: payload})
				if i%500 == 499 {
					peak = max(peak, heapAlloc())
				}
			}
			cs := p.Counters()
			if cs.OutboxDepth != c.keep || cs.OutboxBytes != c.keep*size || cs.Dropped != uint64(n-c.keep) {
				t.Fatalf("counters %+v, want depth %d, bytes %d, dropped %d", cs, c.keep, c.keep*size, n-c.keep)
			}
			if peak > limit {
				t.Fatalf("live heap reached %d MiB with an outbox of %d × %d KiB (base %d MiB)",
					peak>>20, c.keep, size>>10, base>>20)
			}
			runtime.KeepAlive(p)
			t.Logf("peak live heap %.1f MiB over a base of %.1f MiB", float64(peak)/(1<<20), float64(base)/(1<<20))
		})
	}
}

// BenchmarkPublishLatency measures, one message at a time, how long a track takes from Enqueue to the
// broker's PUBACK (as seen by Drain), against the embedded broker on loopback. It reports the median and
// 99th percentile.
func BenchmarkPublishLatency(b *testing.B) {
	br, err := broker.Start("127.0.0.1:0", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	p, err := New(Config{Brokers: []string{br.URL()}, Topics: testTopics})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := runAsync(p, ctx)
	defer func() {
		cancel()
		<-done
	}()
	payload := make([]byte, 2048) // a typical track of ~80 points
	for i := range payload {
		payload[i] = 'a'
	}
	dctx, dcancel := context.WithTimeout(context.Background(), time.Minute)
	defer dcancel()
	// Wait for the connection: the first message is delivered once connected.
	p.Enqueue(Message{Topic: testTopics.Topic("tracks"), Payload: payload})
	if err := p.Drain(dctx); err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	b.SetBytes(int64(len(payload)))
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		p.Enqueue(Message{Topic: testTopics.Topic("tracks"), Payload: payload})
		if err := p.Drain(dctx); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	if c := p.Counters(); c.Published != uint64(b.N)+1 || c.Dropped != 0 {
		b.Fatalf("counters %+v after %d messages", c, b.N+1)
	}
}

// BenchmarkPublishLatency20Agents is the load case: 20 sensors publish into one broker at once, each
// waiting for its own acknowledgement, and the enqueue → PUBACK latency is reported per agent (the
// median over agents of each agent's p50 and p99, and the worst agent's p99).
func BenchmarkPublishLatency20Agents(b *testing.B) {
	const agents = 20
	br, err := broker.Start("127.0.0.1:0", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	payload := bytes.Repeat([]byte{'a'}, 2048)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dctx, dcancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer dcancel()
	pubs := make([]*Publisher, agents)
	var dones []<-chan error
	for i := range pubs {
		top := event.Topics{Store: "load", Sensor: fmt.Sprintf("s%02d", i)}
		p, err := New(Config{Brokers: []string{br.URL()}, Topics: top, ClientID: "bench-" + top.Sensor})
		if err != nil {
			b.Fatal(err)
		}
		pubs[i] = p
		dones = append(dones, runAsync(p, ctx))
		p.Enqueue(Message{Topic: top.Topic(event.LeafTracks), Payload: payload})
	}
	defer func() {
		cancel()
		for _, d := range dones {
			<-d
		}
	}()
	for _, p := range pubs {
		if err := p.Drain(dctx); err != nil {
			b.Fatal(err)
		}
	}
	lats := make([][]time.Duration, agents)
	b.SetBytes(int64(len(payload) * agents))
	b.ResetTimer()
	var wg sync.WaitGroup
	errs := make(chan error, agents)
	for i, p := range pubs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			topic := event.Topics{Store: "load", Sensor: fmt.Sprintf("s%02d", i)}.Topic(event.LeafTracks)
			for range b.N {
				t0 := time.Now()
				p.Enqueue(Message{Topic: topic, Payload: payload})
				if err := p.Drain(dctx); err != nil {
					errs <- err
					return
				}
				lats[i] = append(lats[i], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	var p50s, p99s []time.Duration
	for _, l := range lats {
		slices.Sort(l)
		p50s = append(p50s, l[len(l)/2])
		p99s = append(p99s, l[len(l)*99/100])
	}
	slices.Sort(p50s)
	slices.Sort(p99s)
	b.ReportMetric(float64(p50s[agents/2].Microseconds()), "agent-p50-µs")
	b.ReportMetric(float64(p99s[agents/2].Microseconds()), "agent-p99-µs")
	b.ReportMetric(float64(p99s[agents-1].Microseconds()), "worst-agent-p99-µs")
	for i, p := range pubs {
		if c := p.Counters(); c.Published != uint64(b.N)+1 || c.Dropped != 0 {
			b.Fatalf("agent %d counters %+v after %d messages", i, c, b.N+1)
		}
	}
}
