package ssd16xx

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/conntest"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spitest"
)

const wsPlane = 16 * 250 // Waveshare: ceil(122/8) bytes × 250 rows
const inkyPlane = 17 * 250

func white(w, h int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 0xFF
	}
	return img
}

func filled(n int, b byte) []byte { return bytes.Repeat([]byte{b}, n) }

// The Waveshare V4 init sequence of epd2in13_V4.py init() (reset 20/2/20 ms, wait, SWRESET, wait, 0x01,
// 0x11, window, cursor, 0x3C 0x05, 0x21 00 80, 0x18 80, wait).
func wsInit(chunk int) []ev {
	return seq(
		pinEv("rst", gpio.High), sleepEv(20*time.Millisecond),
		pinEv("rst", gpio.Low), sleepEv(2*time.Millisecond),
		pinEv("rst", gpio.High), sleepEv(20*time.Millisecond),
		busyEv(),
		cmdEv(0x12),
		busyEv(),
		cmdData(chunk, 0x01, 0xF9, 0x00, 0x00),
		cmdData(chunk, 0x11, 0x03),
		cmdData(chunk, 0x44, 0x00, 0x0F),
		cmdData(chunk, 0x45, 0x00, 0x00, 0xF9, 0x00),
		cmdData(chunk, 0x4E, 0x00),
		cmdData(chunk, 0x4F, 0x00, 0x00),
		cmdData(chunk, 0x3C, 0x05),
		cmdData(chunk, 0x21, 0x00, 0x80),
		cmdData(chunk, 0x18, 0x80),
		busyEv(),
	)
}

func wsFull(chunk int, plane []byte) []ev {
	return seq(
		cmdData(chunk, 0x24, plane...),
		cmdData(chunk, 0x26, plane...),
		cmdData(chunk, 0x22, 0xF7),
		cmdEv(0x20),
		busyEv(),
	)
}

func wsPartial(chunk int, prev, plane []byte) []ev {
	return seq(
		pinEv("rst", gpio.Low), sleepEv(time.Millisecond), pinEv("rst", gpio.High),
		cmdData(chunk, 0x3C, 0x80),
		cmdData(chunk, 0x01, 0xF9, 0x00, 0x00),
		cmdData(chunk, 0x11, 0x03),
		cmdData(chunk, 0x44, 0x00, 0x0F),
		cmdData(chunk, 0x45, 0x00, 0x00, 0xF9, 0x00),
		cmdData(chunk, 0x4E, 0x00),
		cmdData(chunk, 0x4F, 0x00, 0x00),
		cmdData(chunk, 0x26, prev...),
		cmdData(chunk, 0x24, plane...),
		cmdData(chunk, 0x22, 0xFF),
		cmdEv(0x20),
		busyEv(),
	)
}

func TestWaveshareFullDraw(t *testing.T) {
	r := newRig(t, WaveshareV4, true, 0)
	if r.port.f != 4*physic.MegaHertz || r.port.mode != spi.Mode0 || r.port.bits != 8 {
		t.Errorf("Connect(%v, %v, %d), want 4MHz, Mode0, 8", r.port.f, r.port.mode, r.port.bits)
	}
	// New leaves every pin alone: the panel is powered, reset and its BUSY line configured by the first
	// Draw, as the vendor's init() does.
	if n := len(r.newEvents); n != 0 || r.busy.ins != 0 {
		t.Errorf("New drove the pins: %d bus events %v, %d BUSY configurations", n, r.newEvents, r.busy.ins)
	}
	if got := r.dev.Bounds(); got != image.Rect(0, 0, 250, 122) {
		t.Errorf("Bounds = %v", got)
	}
	if err := r.dev.Draw(white(250, 122), true); err != nil {
		t.Fatal(err)
	}
	if r.busy.pull != gpio.PullUp {
		t.Errorf("BUSY pull = %v, want PullUp (towards busy)", r.busy.pull)
	}
	diffEvents(t, r.b.events(), seq(pinEv("pwr", gpio.High), wsInit(4096), wsFull(4096, filled(wsPlane, 0xFF))))
}

func TestWavesharePartialDraw(t *testing.T) {
	r := newRig(t, WaveshareV4, false, 0)
	first := white(250, 122)
	// A partial Draw with no known previous image must be a full one.
	if err := r.dev.Draw(first, false); err != nil {
		t.Fatal(err)
	}
	prev := filled(wsPlane, 0xFF)
	diffEvents(t, r.b.events(), seq(wsInit(4096), wsFull(4096, prev)))

	r.b.reset()
	second := white(250, 122)
	second.SetGray(0, 0, color.Gray{0}) // → RAM column 0, row 249
	if err := r.dev.Draw(second, false); err != nil {
		t.Fatal(err)
	}
	next := filled(wsPlane, 0xFF)
	next[249*16] = 0x7F
	diffEvents(t, r.b.events(), wsPartial(4096, prev, next))

	// A full Draw after a partial one re-initialises the controller first, as the vendor's init() does:
	// the partial sequence left the border waveform at 0x80 and the panel in its partial-update state.
	r.b.reset()
	if err := r.dev.Draw(first, true); err != nil {
		t.Fatal(err)
	}
	diffEvents(t, r.b.events(), seq(wsInit(4096), wsFull(4096, prev)))

	// A full Draw after a full one needs no new init: the panel is awake and in its full-update state.
	r.b.reset()
	if err := r.dev.Draw(second, true); err != nil {
		t.Fatal(err)
	}
	diffEvents(t, r.b.events(), wsFull(4096, next))
}

// TestFullPartialFullSequence pins the whole byte stream of full → partial × N → full, where the last full
// refresh is the one forced by the partial-refresh limit.
func TestFullPartialFullSequence(t *testing.T) {
	o := WaveshareV4
	o.MaxPartials = 3
	r := newRig(t, o, false, 0)
	imgs := make([]*image.Gray, 5)
	planes := make([][]byte, 5)
	for i := range imgs {
		imgs[i] = white(250, 122)
		imgs[i].SetGray(i, 0, color.Gray{0}) // drawing (i, 0) → RAM column 0, row 249-i
		planes[i] = filled(wsPlane, 0xFF)
		planes[i][(249-i)*16] = 0x7F
	}
	for i, img := range imgs {
		if err := r.dev.Draw(img, i == 0); err != nil {
			t.Fatal(err)
		}
	}
	diffEvents(t, r.b.events(), seq(
		wsInit(4096), wsFull(4096, planes[0]),
		wsPartial(4096, planes[0], planes[1]),
		wsPartial(4096, planes[1], planes[2]),
		wsPartial(4096, planes[2], planes[3]),
		wsInit(4096), wsFull(4096, planes[4]), // forced full after 3 partials: re-initialised
	))
}

func TestMaxPartialsForcesFull(t *testing.T) {
	o := WaveshareV4
	o.MaxPartials = 2
	r := newRig(t, o, false, 0)
	img := white(250, 122)
	var kinds []string
	for i := 0; i < 5; i++ {
		r.b.reset()
		if err := r.dev.Draw(img, false); err != nil {
			t.Fatal(err)
		}
		kind := "partial"
		for _, e := range r.b.events() {
			if e.K == "tx" && len(e.B) == 1 && e.B[0] == 0xF7 {
				kind = "full"
			}
		}
		kinds = append(kinds, kind)
	}
	if got, want := strings.Join(kinds, ","), "full,partial,partial,full,partial"; got != want {
		t.Errorf("refresh kinds = %s, want %s", got, want)
	}
}

func TestHaltAndWake(t *testing.T) {
	o := WaveshareV4
	o.PowerOffDelay = 0 // default 2 s
	r := newRig(t, o, true, 0)
	// Halt before any Draw does nothing.
	if err := r.dev.Halt(); err != nil {
		t.Fatal(err)
	}
	if n := len(r.b.events()); n != 0 {
		t.Fatalf("Halt before Draw logged %d events", n)
	}
	if err := r.dev.Draw(white(250, 122), true); err != nil {
		t.Fatal(err)
	}
	r.b.reset()
	if err := r.dev.Halt(); err != nil {
		t.Fatal(err)
	}
	diffEvents(t, r.b.events(), seq(
		cmdData(4096, 0x10, 0x01),
		sleepEv(2*time.Second),
		pinEv("rst", gpio.Low), pinEv("dc", gpio.Low), pinEv("pwr", gpio.Low),
	))
	if r.busy.pull != gpio.PullDown {
		t.Errorf("BUSY pull with the panel powered off = %v, want PullDown", r.busy.pull)
	}
	// Halting twice is a no-op.
	r.b.reset()
	if err := r.dev.Halt(); err != nil || len(r.b.events()) != 0 {
		t.Fatalf("second Halt: err %v, %d events", err, len(r.b.events()))
	}
	// A partial Draw after Halt powers up and re-initialises, then diffs against the retained image.
	img := white(250, 122)
	img.SetGray(249, 121, color.Gray{0}) // → RAM column 121, row 0: byte 15, bit 0x40
	if err := r.dev.Draw(img, false); err != nil {
		t.Fatal(err)
	}
	next := filled(wsPlane, 0xFF)
	next[15] = 0xBF
	diffEvents(t, r.b.events(), seq(pinEv("pwr", gpio.High), wsInit(4096), wsPartial(4096, filled(wsPlane, 0xFF), next)))
	if r.busy.pull != gpio.PullUp {
		t.Errorf("BUSY pull with the panel powered = %v, want PullUp", r.busy.pull)
	}
}

func TestInkyUpdate(t *testing.T) {
	r := newRig(t, InkySSD1608, false, 0)
	if r.port.f != 488*physic.KiloHertz {
		t.Errorf("frequency %v, want 488kHz", r.port.f)
	}
	img := white(250, 122)
	img.SetGray(0, 0, color.Gray{0}) // → RAM column 129, row 0: byte 16, bit 0x40
	// partial is not supported: full expected.
	if err := r.dev.Draw(img, false); err != nil {
		t.Fatal(err)
	}
	plane := filled(inkyPlane, 0xFF)
	plane[16] = 0xBF
	lut := []byte{
		0x02, 0x02, 0x01, 0x11, 0x12, 0x12, 0x22, 0x22, 0x66, 0x69,
		0x69, 0x59, 0x58, 0x99, 0x99, 0x88, 0x00, 0x00, 0x00, 0x00,
		0xF8, 0xB4, 0x13, 0x51, 0x35, 0x51, 0x51, 0x19, 0x01, 0x00,
	}
	// 136 columns × 250 rows / 8 = 4250-byte planes exceed spidev's default 4096-byte buffer
	// (/sys/module/spidev/parameters/bufsiz) and go in two chunks.
	want := seq(
		pinEv("rst", gpio.Low), sleepEv(500*time.Millisecond),
		pinEv("rst", gpio.High), sleepEv(500*time.Millisecond),
		cmdEv(0x12), sleepEv(time.Second), busyEv(),
		cmdData(4096, 0x01, 249, 0, 0x00),
		cmdData(4096, 0x3A, 0x1B),
		cmdData(4096, 0x3B, 0x0B),
		cmdData(4096, 0x11, 0x03),
		cmdData(4096, 0x44, 0x00, 16),
		cmdData(4096, 0x45, 0, 0, 249, 0),
		cmdData(4096, 0x2C, 0x70),
		cmdData(4096, 0x32, lut...),
		cmdData(4096, 0x3C, 0x01),
		cmdData(4096, 0x4E, 0x00),
		cmdData(4096, 0x4F, 0x00, 0x00),
		cmdData(4096, 0x24, plane...),
		cmdData(4096, 0x26, filled(inkyPlane, 0)...),
		busyEv(),
		cmdEv(0x20),
		busyEv(),
	)
	got := r.b.events()
	diffEvents(t, got, want)
	var sizes []int
	for _, e := range got {
		if e.K == "tx" && len(e.B) > 100 {
			sizes = append(sizes, len(e.B))
		}
	}
	if len(sizes) != 4 || sizes[0] != 4096 || sizes[1] != 154 {
		t.Errorf("plane chunk sizes %v, want [4096 154 4096 154]", sizes)
	}
	// Halt sends deep sleep; there is no PWR pin.
	r.b.reset()
	if err := r.dev.Halt(); err != nil {
		t.Fatal(err)
	}
	diffEvents(t, r.b.events(), cmdData(4096, 0x10, 0x01))
}

func TestChunkingFollowsPortLimit(t *testing.T) {
	// The connection rejects writes over 1000 bytes and says so through conn.Limits.
	r := newRig(t, WaveshareV4, false, 1000)
	if err := r.dev.Draw(white(250, 122), true); err != nil {
		t.Fatal(err)
	}
	diffEvents(t, r.b.events(), seq(wsInit(1000), wsFull(1000, filled(wsPlane, 0xFF))))

	// Opts.MaxTxSize smaller than the port's limit wins.
	o := WaveshareV4
	o.MaxTxSize = 300
	r = newRig(t, o, false, 1000)
	if err := r.dev.Draw(white(250, 122), true); err != nil {
		t.Fatal(err)
	}
	diffEvents(t, r.b.events(), seq(wsInit(300), wsFull(300, filled(wsPlane, 0xFF))))
}

func TestBusyTimeout(t *testing.T) {
	r := newRig(t, WaveshareV4, false, 0)
	r.busy.forever = true
	start := r.b.now()
	err := r.dev.Draw(white(250, 122), true)
	if !errors.Is(err, ErrBusyTimeout) {
		t.Fatalf("Draw = %v, want ErrBusyTimeout", err)
	}
	if !strings.HasPrefix(err.Error(), "ssd16xx: ") {
		t.Errorf("error %q lacks the package prefix", err)
	}
	// 42 ms of reset, then polling at 10 ms until InitTimeout (1 s) has passed.
	waited := r.b.now().Sub(start) - 42*time.Millisecond
	if waited < time.Second || waited > time.Second+20*time.Millisecond {
		t.Errorf("waited %v on BUSY, want about 1s", waited)
	}
	// Nothing was sent after the timeout: the sequence stopped at the first wait.
	for _, e := range r.b.events() {
		if e.K == "tx" {
			t.Fatalf("sent %v after BUSY timed out", e)
		}
	}
	// The next Draw starts again with a reset and succeeds.
	r.busy.mu.Lock()
	r.busy.forever = false
	r.busy.mu.Unlock()
	r.b.reset()
	if err := r.dev.Draw(white(250, 122), false); err != nil {
		t.Fatal(err)
	}
	diffEvents(t, r.b.events(), seq(wsInit(4096), wsFull(4096, filled(wsPlane, 0xFF))))
}

func TestBusyTimeoutRealClock(t *testing.T) {
	o := WaveshareV4
	o.InitTimeout = 30 * time.Millisecond
	busy := &gpiotest.Pin{N: "BUSY"}
	// In() with PullUp makes the gpiotest pin read High: busy forever.
	d, err := New(&spitest.Record{}, &gpiotest.Pin{N: "DC"}, &gpiotest.Pin{N: "RST"}, busy, nil, &o)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = d.Draw(white(250, 122), true)
	if !errors.Is(err, ErrBusyTimeout) {
		t.Fatalf("Draw = %v, want ErrBusyTimeout", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("timed out after %v, want about 70ms", el)
	}
}

func TestSPIErrorIsSticky(t *testing.T) {
	r := newRig(t, WaveshareV4, false, 0)
	r.conn.err = errors.New("boom")
	err := r.dev.Draw(white(250, 122), true)
	if err == nil || !strings.Contains(err.Error(), "boom") || !strings.HasPrefix(err.Error(), "ssd16xx: ") {
		t.Fatalf("Draw = %v", err)
	}
	// After the failed write nothing else touched the bus: no more DC changes, no BUSY reads.
	evs := r.b.events()
	for i, e := range evs {
		if e.K == "dc" {
			if rest := evs[i+1:]; len(rest) != 0 {
				t.Fatalf("events after the failing write: %v", rest)
			}
		}
	}
	r.conn.err = nil
	r.b.reset()
	if err := r.dev.Draw(white(250, 122), true); err != nil {
		t.Fatal(err)
	}
	diffEvents(t, r.b.events(), seq(wsInit(4096), wsFull(4096, filled(wsPlane, 0xFF))))
}

func TestBusyActiveLow(t *testing.T) {
	o := WaveshareV4
	o.BusyActiveLow = true
	r := newRig(t, o, false, 0)
	r.busy.busy = 3 // busy (Low) for three reads at the first wait
	if err := r.dev.Draw(white(250, 122), true); err != nil {
		t.Fatal(err)
	}
	if r.busy.pull != gpio.PullDown {
		t.Errorf("BUSY pull = %v, want PullDown (towards busy)", r.busy.pull)
	}
	evs := r.b.events()
	// reset (6 events), then three busy reads with 10 ms polls between, then idle.
	want := seq(busyEv(), sleepEv(10*time.Millisecond), busyEv(), sleepEv(10*time.Millisecond), busyEv(),
		sleepEv(10*time.Millisecond), busyEv(), cmdEv(0x12))
	diffEvents(t, evs[6:6+len(want)], want)
}

// TestSPITestRecordAndPlayback drives the panel through periph's own fakes: spitest.Record captures the
// writes, and a spitest.Playback built from the datasheet sequence accepts exactly them.
func TestSPITestRecordAndPlayback(t *testing.T) {
	var writes [][]byte
	for _, e := range seq(wsInit(4096), wsFull(4096, filled(wsPlane, 0xFF))) {
		if e.K == "tx" {
			writes = append(writes, e.B)
		}
	}

	rec := &spitest.Record{}
	busy := &gpiotest.Pin{N: "BUSY", L: gpio.Low}
	o := WaveshareV4
	o.BusyActiveLow = false
	d, err := New(rec, &gpiotest.Pin{N: "DC"}, &gpiotest.Pin{N: "RST"}, &idlePin{Pin: busy}, nil, &o)
	if err != nil {
		t.Fatal(err)
	}
	d.hw.sleep = func(time.Duration) {}
	if err := d.Draw(white(250, 122), true); err != nil {
		t.Fatal(err)
	}
	if len(rec.Ops) != len(writes) {
		t.Fatalf("recorded %d writes, want %d", len(rec.Ops), len(writes))
	}
	for i, op := range rec.Ops {
		if !bytes.Equal(op.W, writes[i]) || len(op.R) != 0 {
			t.Fatalf("write %d = % x…, want % x…", i, op.W[:min(8, len(op.W))], writes[i][:min(8, len(writes[i]))])
		}
	}

	pb := &spitest.Playback{Playback: conntest.Playback{DontPanic: true}}
	for _, w := range writes {
		pb.Ops = append(pb.Ops, conntest.IO{W: w})
	}
	d, err = New(pb, &gpiotest.Pin{N: "DC"}, &gpiotest.Pin{N: "RST"}, &idlePin{Pin: busy}, nil, &o)
	if err != nil {
		t.Fatal(err)
	}
	d.hw.sleep = func(time.Duration) {}
	if err := d.Draw(white(250, 122), true); err != nil {
		t.Fatal(err)
	}
	if err := pb.Close(); err != nil {
		t.Fatal(err)
	}
}

// idlePin is a gpiotest BUSY pin whose In does not apply the pull, so it stays at its preset level.
type idlePin struct{ *gpiotest.Pin }

func (p *idlePin) In(gpio.Pull, gpio.Edge) error { return nil }

func TestNewErrors(t *testing.T) {
	pin := func() *gpiotest.Pin { return &gpiotest.Pin{} }
	if _, err := New(&spitest.Record{}, nil, pin(), pin(), nil, nil); err == nil {
		t.Error("nil DC accepted")
	}
	bad := WaveshareV4
	bad.Width = 300 // does not fit 250 RAM rows
	if _, err := New(&spitest.Record{}, pin(), pin(), pin(), nil, &bad); err == nil {
		t.Error("oversized drawing accepted")
	}
	bad = WaveshareV4
	bad.Controller = 0
	if _, err := New(&spitest.Record{}, pin(), pin(), pin(), nil, &bad); err == nil {
		t.Error("zero controller accepted")
	}
	port := &spitest.Record{Initialized: true} // Connect fails: already connected
	_, err := New(port, pin(), pin(), pin(), nil, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "ssd16xx: connect") {
		t.Errorf("New on a connected port = %v", err)
	}
	// A failing PWR pin is reported by the Draw that tries to power the panel.
	b := &bus{}
	d, err := New(&spitest.Record{}, pin(), pin(), pin(), &outPin{b: b, err: errors.New("no pwr")}, nil)
	if err != nil {
		t.Fatalf("New = %v; it must not touch the pins", err)
	}
	if err := d.Draw(white(250, 122), true); err == nil || !strings.Contains(err.Error(), "PWR") {
		t.Errorf("Draw with failing PWR = %v", err)
	}
}

func TestDrawNil(t *testing.T) {
	r := newRig(t, WaveshareV4, false, 0)
	if err := r.dev.Draw(nil, true); err == nil {
		t.Fatal("Draw(nil) succeeded")
	}
}

// Reference packers that follow the vendors' Python step by step (epd2in13_V4.py getbuffer(),
// inky_ssd1608.py _update()), on a [y][x] grid of "black" flags.

func packBits(grid [][]bool) []byte { // numpy.packbits of where(black, 0, 1), row by row, MSB first
	var out []byte
	for _, row := range grid {
		for i := 0; i < len(row); i += 8 {
			var b byte
			for j := 0; j < 8; j++ {
				if i+j >= len(row) || !row[i+j] { // padding bits are white, like PIL's '1' mode tobytes
					b |= 0x80 >> j
				}
			}
			out = append(out, b)
		}
	}
	return out
}

func rot90CCW(in [][]bool) [][]bool { // numpy.rot90(k=1), PIL rotate(90)
	h, w := len(in), len(in[0])
	out := make([][]bool, w)
	for i := range out {
		out[i] = make([]bool, h)
		for j := range out[i] {
			out[i][j] = in[j][w-1-i]
		}
	}
	return out
}

func rot90CW(in [][]bool) [][]bool { // numpy.rot90(k=-1)
	h, w := len(in), len(in[0])
	out := make([][]bool, w)
	for i := range out {
		out[i] = make([]bool, h)
		for j := range out[i] {
			out[i][j] = in[h-1-j][i]
		}
	}
	return out
}

func TestPackMatchesVendorReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	img := image.NewGray(image.Rect(0, 0, 250, 122))
	grid := make([][]bool, 122)
	for y := range grid {
		grid[y] = make([]bool, 250)
		for x := range grid[y] {
			v := uint8(rng.IntN(256))
			img.SetGray(x, y, color.Gray{v})
			grid[y][x] = v < 128
		}
	}

	ws := WaveshareV4
	_ = ws.withDefaults()
	bw, colour := ws.pack(img)
	if want := packBits(rot90CCW(grid)); !bytes.Equal(bw, want) {
		t.Errorf("Waveshare plane differs from the getbuffer reference (len %d vs %d)", len(bw), len(want))
	}
	if !bytes.Equal(colour, make([]byte, wsPlane)) {
		t.Error("Waveshare colour plane not empty")
	}

	inky := InkySSD1608
	_ = inky.withDefaults()
	canvas := make([][]bool, 136) // 250×136 canvas, image pasted at (0, 6)
	for y := range canvas {
		canvas[y] = make([]bool, 250)
		if y >= 6 && y-6 < 122 {
			copy(canvas[y], grid[y-6])
		}
	}
	bw, _ = inky.pack(img)
	if want := packBits(rot90CW(canvas)); !bytes.Equal(bw, want) {
		t.Errorf("Inky plane differs from the inky_ssd1608 reference (len %d vs %d)", len(bw), len(want))
	}
}

func TestPackPixels(t *testing.T) {
	ws := WaveshareV4
	_ = ws.withDefaults()
	// Hand-computed positions: Rotate90 maps (x, y) to column y, row 249-x.
	for _, tc := range []struct {
		x, y int
		idx  int
		bit  byte
	}{
		{0, 0, 249 * 16, 0x80},
		{249, 121, 15, 0x40},
		{10, 3, 239 * 16, 0x10},
		{249, 0, 0, 0x80},
	} {
		img := white(250, 122)
		img.SetGray(tc.x, tc.y, color.Gray{0})
		bw, _ := ws.pack(img)
		want := filled(wsPlane, 0xFF)
		want[tc.idx] &^= tc.bit
		if !bytes.Equal(bw, want) {
			t.Errorf("pixel (%d,%d): want byte %d bit %#x cleared", tc.x, tc.y, tc.idx, tc.bit)
		}
	}

	// Threshold, transparency, image origin and size, red.
	o := InkySSD1608Red
	_ = o.withDefaults()
	img := image.NewRGBA(image.Rect(5, 5, 15, 8)) // small, offset image: drawn at the top-left
	img.Set(5, 5, color.Gray{127})                // black (below 128)
	img.Set(6, 5, color.Gray{128})                // white
	img.Set(7, 5, color.RGBA{200, 10, 10, 255})   // red
	img.Set(8, 5, color.RGBA{0, 0, 0, 0})         // transparent: white
	img.Set(9, 5, color.RGBA{0, 0, 0, 255})       // black
	for x := 10; x < 15; x++ {
		for y := 5; y < 8; y++ {
			img.Set(x, y, color.White)
		}
	}
	for y := 6; y < 8; y++ {
		for x := 5; x < 10; x++ {
			img.Set(x, y, color.White)
		}
	}
	bw, colour := o.pack(img)
	// Rotate270 with offset 8: (x, 0) → column 129, row x → byte x*17+16, bit 0x40.
	want := filled(inkyPlane, 0xFF)
	want[0*17+16] &^= 0x40
	want[4*17+16] &^= 0x40
	wantC := make([]byte, inkyPlane)
	wantC[2*17+16] |= 0x40
	if !bytes.Equal(bw, want) {
		t.Error("black/white plane wrong")
	}
	if !bytes.Equal(colour, wantC) {
		t.Error("colour plane wrong")
	}
	// Without Colour, red is just dark: luma of (200,10,10) is 66 → black.
	o.Colour = false
	bw, colour = o.pack(img)
	want[2*17+16] &^= 0x40
	if !bytes.Equal(bw, want) || !bytes.Equal(colour, make([]byte, inkyPlane)) {
		t.Error("red without Colour should be black with an empty colour plane")
	}
}

func TestRotate180And0(t *testing.T) {
	o := Opts{Controller: SSD1680, Width: 16, Height: 4, RAMColumns: 16, RAMRows: 4, Rotation: Rotate180}
	if err := o.withDefaults(); err != nil {
		t.Fatal(err)
	}
	img := white(16, 4)
	img.SetGray(0, 0, color.Gray{0})
	bw, _ := o.pack(img)
	// (0,0) → column 15, row 3 → byte 3*2+1, bit 0x01.
	if want := []byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE}; !bytes.Equal(bw, want) {
		t.Errorf("Rotate180 = % x, want % x", bw, want)
	}
	o.Rotation = Rotate0
	bw, _ = o.pack(img)
	if want := []byte{0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}; !bytes.Equal(bw, want) {
		t.Errorf("Rotate0 = % x, want % x", bw, want)
	}
}
