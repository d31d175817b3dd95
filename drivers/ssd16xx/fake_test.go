package ssd16xx

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
)

// ev is one bus event: a pin level change, an SPI write, a BUSY read or a delay.
type ev struct {
	K string     // "dc", "rst", "pwr", "tx", "busy", "sleep"
	L gpio.Level // for pins
	B []byte     // for tx
	D time.Duration
}

func (e ev) String() string {
	switch e.K {
	case "tx":
		if len(e.B) > 8 {
			return fmt.Sprintf("tx[%d]% x…", len(e.B), e.B[:8])
		}
		return fmt.Sprintf("tx% x", e.B)
	case "sleep":
		return "sleep " + e.D.String()
	case "busy":
		return "busy?"
	}
	return fmt.Sprintf("%s=%s", e.K, e.L)
}

// bus is one ordered log shared by the fake pins, the fake SPI connection and the fake clock.
type bus struct {
	mu  sync.Mutex
	log []ev
	t   time.Time // fake clock, advanced by sleep
}

func (b *bus) add(e ev) {
	b.mu.Lock()
	b.log = append(b.log, e)
	b.mu.Unlock()
}

func (b *bus) events() []ev {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]ev(nil), b.log...)
}

func (b *bus) reset() {
	b.mu.Lock()
	b.log = nil
	b.mu.Unlock()
}

func (b *bus) sleep(d time.Duration) {
	b.mu.Lock()
	b.t = b.t.Add(d)
	b.log = append(b.log, ev{K: "sleep", D: d})
	b.mu.Unlock()
}

func (b *bus) now() time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.t
}

// outPin is a gpio.PinOut that logs every Out on the bus.
type outPin struct {
	gpiotest.Pin
	b    *bus
	kind string
	err  error
}

func (p *outPin) Out(l gpio.Level) error {
	if p.err != nil {
		return p.err
	}
	p.b.add(ev{K: p.kind, L: l})
	return p.Pin.Out(l)
}

// busyPin is a BUSY input that reads busy for the first Busy reads after each SetBusy, then idle; Forever
// keeps it busy. Each read is logged.
type busyPin struct {
	gpiotest.Pin
	b       *bus
	mu      sync.Mutex
	busy    int
	forever bool
	level   gpio.Level // busy level
	pull    gpio.Pull  // the last pull asked for
	ins     int        // calls of In
}

func (p *busyPin) In(pull gpio.Pull, edge gpio.Edge) error {
	p.mu.Lock()
	p.pull = pull
	p.ins++
	p.mu.Unlock()
	return nil
}

func (p *busyPin) Read() gpio.Level {
	p.b.add(ev{K: "busy"})
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.forever || p.busy > 0 {
		p.busy--
		return p.level
	}
	return !p.level
}

// fakeConn is an spi.Conn that logs writes; with limit > 0 it also implements conn.Limits.
type fakeConn struct {
	b   *bus
	max int // rejects longer writes, like spidev's bufsiz
	err error
}

func (c *fakeConn) String() string               { return "fakeconn" }
func (c *fakeConn) Duplex() conn.Duplex          { return conn.Full }
func (c *fakeConn) TxPackets([]spi.Packet) error { return fmt.Errorf("not implemented") }
func (c *fakeConn) Tx(w, r []byte) error {
	if c.err != nil {
		return c.err
	}
	if c.max > 0 && len(w) > c.max {
		return fmt.Errorf("fakeconn: maximum Tx length is %d, got %d", c.max, len(w))
	}
	c.b.add(ev{K: "tx", B: bytes.Clone(w)})
	return nil
}

type limitedConn struct {
	*fakeConn
}

func (c limitedConn) MaxTxSize() int { return c.max }

// fakePort is an spi.Port that hands out one connection and records the Connect arguments.
type fakePort struct {
	c     spi.Conn
	f     physic.Frequency
	mode  spi.Mode
	bits  int
	calls int
}

func (p *fakePort) String() string { return "fakeport" }
func (p *fakePort) Connect(f physic.Frequency, mode spi.Mode, bits int) (spi.Conn, error) {
	p.calls++
	if p.calls > 1 {
		return nil, fmt.Errorf("fakeport: Connect called twice")
	}
	p.f, p.mode, p.bits = f, mode, bits
	return p.c, nil
}

// rig is a Dev wired to fakes on one bus.
type rig struct {
	b            *bus
	dc, rst, pwr *outPin
	busy         *busyPin
	conn         *fakeConn
	port         *fakePort
	dev          *Dev
	newEvents    []ev // what New did on the bus
}

func newRig(t *testing.T, o Opts, withPwr bool, maxTx int) *rig {
	t.Helper()
	b := &bus{t: time.Unix(1e9, 0)}
	r := &rig{
		b:    b,
		dc:   &outPin{Pin: gpiotest.Pin{N: "DC"}, b: b, kind: "dc"},
		rst:  &outPin{Pin: gpiotest.Pin{N: "RST"}, b: b, kind: "rst"},
		busy: &busyPin{Pin: gpiotest.Pin{N: "BUSY"}, b: b, level: gpio.High},
		conn: &fakeConn{b: b, max: maxTx},
	}
	if o.BusyActiveLow {
		r.busy.level = gpio.Low
	}
	var c spi.Conn = r.conn
	if maxTx > 0 {
		c = limitedConn{r.conn}
	}
	r.port = &fakePort{c: c}
	var pwr gpio.PinOut
	if withPwr {
		r.pwr = &outPin{Pin: gpiotest.Pin{N: "PWR"}, b: b, kind: "pwr"}
		pwr = r.pwr
	}
	d, err := New(r.port, r.dc, r.rst, r.busy, pwr, &o)
	if err != nil {
		t.Fatal(err)
	}
	d.hw.sleep, d.hw.now = b.sleep, b.now
	r.dev = d
	r.newEvents = b.events()
	b.reset()
	return r
}

// Expected-sequence builders, from the vendors' drivers (epd2in13_V4.py, inky_ssd1608.py).

func cmdEv(c byte) []ev { return []ev{{K: "dc", L: gpio.Low}, {K: "tx", B: []byte{c}}} }

func dataEv(chunk int, d ...byte) []ev {
	out := []ev{{K: "dc", L: gpio.High}}
	for len(d) > 0 {
		n := min(len(d), chunk)
		out = append(out, ev{K: "tx", B: bytes.Clone(d[:n])})
		d = d[n:]
	}
	return out
}

func cmdData(chunk int, c byte, d ...byte) []ev {
	return append(cmdEv(c), dataEv(chunk, d...)...)
}

func pinEv(k string, l gpio.Level) ev { return ev{K: k, L: l} }
func sleepEv(d time.Duration) ev      { return ev{K: "sleep", D: d} }
func busyEv() ev                      { return ev{K: "busy"} }

func seq(parts ...any) []ev {
	var out []ev
	for _, p := range parts {
		switch v := p.(type) {
		case ev:
			out = append(out, v)
		case []ev:
			out = append(out, v...)
		default:
			panic(fmt.Sprintf("seq: %T", p))
		}
	}
	return out
}

// diffEvents fails t at the first differing event, with context.
func diffEvents(t *testing.T, got, want []ev) {
	t.Helper()
	n := min(len(got), len(want))
	for i := 0; i < n; i++ {
		if got[i].K != want[i].K || got[i].L != want[i].L || got[i].D != want[i].D || !bytes.Equal(got[i].B, want[i].B) {
			t.Fatalf("event %d: got %v, want %v\ncontext got:  %s\ncontext want: %s", i, got[i], want[i], around(got, i), around(want, i))
		}
	}
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d; first extra: %s", len(got), len(want), around(append(got[n:], want[n:]...), 0))
	}
}

func around(evs []ev, i int) string {
	lo, hi := max(0, i-3), min(len(evs), i+4)
	var s []string
	for _, e := range evs[lo:hi] {
		s = append(s, e.String())
	}
	return strings.Join(s, ", ")
}
