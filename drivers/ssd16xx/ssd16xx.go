// Package ssd16xx implements hal.Panel for 250×122 SSD16xx-family e-paper panels: the Waveshare 2.13" HAT V4
// (SSD1680) and the Pimoroni Inky pHAT SSD1608 variant.
//
// The command sequences follow the vendors' reference drivers: waveshareteam/e-Paper
// RaspberryPi_JetsonNano/python/lib/waveshare_epd/epd2in13_V4.py (with epdconfig.py for the pins) and
// pimoroni/inky library/inky/inky_ssd1608.py. Datasheets: Solomon Systech SSD1680 and SSD1608.
//
// Chip select is left to the kernel's spidev driver; this driver never touches GPIO8. Every SPI write is one
// spidev transfer, and a plane larger than the port's transfer limit (4096 bytes by default) goes out in
// several, with chip select released between them. The controllers keep writing RAM across such a gap (a
// RAM write continues until the next command byte), so the panels need nothing more than spidev's chip
// select, but they do need it: with dtoverlay=spi0-0cs (which Pimoroni's installer may add) spidev drives no
// chip select at all and the panel ignores every byte.
package ssd16xx

import (
	"errors"
	"fmt"
	"image"
	"sync"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"

	"github.com/ashiato/ashiato/hal"
)

// Controller selects the command set.
type Controller int

const (
	// SSD1680 is the controller of the Waveshare 2.13" V4: OTP waveforms, full and partial refresh.
	SSD1680 Controller = iota + 1
	// SSD1608 is the controller of the Inky pHAT 250×122: a LUT sent by the host, full refresh only.
	SSD1608
)

func (c Controller) String() string {
	switch c {
	case SSD1680:
		return "SSD1680"
	case SSD1608:
		return "SSD1608"
	}
	return fmt.Sprintf("Controller(%d)", int(c))
}

// Rotation says how the drawing (Bounds) is turned to land in the controller's native RAM, which on both
// supported panels is portrait: RAMRows rows of RAMColumns pixels.
type Rotation int

const (
	// Rotate0 maps drawing (x, y) to RAM column x+ColumnOffset, row y.
	Rotate0 Rotation = iota
	// Rotate90 turns the drawing 90° counter-clockwise (PIL's rotate(90)): (x, y) → column y+ColumnOffset,
	// row Width-1-x. This is the Waveshare HAT's landscape orientation.
	Rotate90
	// Rotate180 turns the drawing upside down: (x, y) → column Width-1-x+ColumnOffset, row Height-1-y.
	Rotate180
	// Rotate270 turns the drawing 90° clockwise: (x, y) → column Height-1-y+ColumnOffset, row x. This is the
	// Inky pHAT's landscape orientation.
	Rotate270
)

// Opts describes one panel model. Use a canned value (WaveshareV4, InkySSD1608, InkySSD1608Red) and adjust
// fields such as Rotation if the panel is mounted differently.
type Opts struct {
	// Controller selects the command set; it must be SSD1680 or SSD1608.
	Controller Controller
	// Width and Height are the drawing size returned by Bounds (landscape 250×122 on both panels).
	Width, Height int
	// RAMColumns and RAMRows are the native RAM geometry in pixels. A RAM row is ceil(RAMColumns/8) bytes.
	RAMColumns, RAMRows int
	// ColumnOffset is the first RAM column the drawing lands on (Inky: 8, see InkySSD1608).
	ColumnOffset int
	// Rotation maps the drawing into RAM.
	Rotation Rotation
	// BusyActiveLow means BUSY reads Low while the controller is busy. false (both supported panels) means
	// High is busy. While the panel is powered, BUSY is pulled towards its busy level; see New.
	BusyActiveLow bool
	// InitTimeout bounds each BUSY wait during reset and initialisation; 0 means 5 s.
	InitTimeout time.Duration
	// FullTimeout bounds the BUSY wait after a full refresh; 0 means 5 s.
	FullTimeout time.Duration
	// PartialTimeout bounds the BUSY wait after a partial refresh; 0 means 5 s.
	PartialTimeout time.Duration
	// MaxTxSize caps the bytes per SPI Tx; 0 means 4096 (spidev's default bufsiz). The port's own
	// conn.Limits.MaxTxSize, when smaller and non-zero, wins.
	MaxTxSize int
	// Frequency is the SPI clock; 0 means 4 MHz.
	Frequency physic.Frequency
	// Border is the border waveform byte sent with command 0x3C during a full update, as is (0x00 is a
	// black border on SSD1608).
	Border byte
	// Colour enables the second RAM plane of SSD1608 red/yellow panels: pixels that are clearly red
	// (R ≥ 50 %, G and B < 50 %) are drawn in the panel's colour. false sends an empty colour plane.
	Colour bool
	// Threshold is the luma (0–255) below which a pixel is black; 0 means 128.
	Threshold uint8
	// MaxPartials is how many partial refreshes in a row are allowed before Draw forces a full one
	// (ghosting); 0 means 5, negative means no limit. Ignored on SSD1608.
	MaxPartials int
	// PowerOffDelay is how long Halt waits after the deep-sleep command before it drives RST, DC and PWR
	// low; it applies only when a PWR pin is given. 0 means 2 s (the vendor's value).
	PowerOffDelay time.Duration
}

// WaveshareV4 is the Waveshare 2.13" e-Paper HAT V4 (SSD1680, 122×250 native, drawn as 250×122).
var WaveshareV4 = Opts{
	Controller:     SSD1680,
	Width:          250,
	Height:         122,
	RAMColumns:     122,
	RAMRows:        250,
	Rotation:       Rotate90,
	InitTimeout:    time.Second,
	FullTimeout:    5 * time.Second,
	PartialTimeout: time.Second,
	Frequency:      4 * physic.MegaHertz,
	MaxTxSize:      4096,
	Border:         0x05,
}

// InkySSD1608 is the black/white Pimoroni Inky pHAT with the SSD1608 controller (EEPROM display variant 10).
// Its RAM is 136 columns wide; the vendor library pastes the 250×122 image 6 rows down a 250×136 canvas and
// turns it clockwise, so the drawing starts at RAM column 136-6-122 = 8.
//
// A plane is 17×250 = 4250 bytes, more than spidev's default 4096-byte transfer, so it is sent in two
// transfers with chip select released between them. That needs the kernel's chip select on CE0: the current
// inky library instead opens spidev with no_cs and drives GPIO8 itself, which is why its installer adds
// dtoverlay=spi0-0cs. That overlay must not be set for this driver (ashiato hwcheck checks for it).
var InkySSD1608 = Opts{
	Controller:   SSD1608,
	Width:        250,
	Height:       122,
	RAMColumns:   136,
	RAMRows:      250,
	ColumnOffset: 8,
	Rotation:     Rotate270,
	InitTimeout:  5 * time.Second,
	FullTimeout:  15 * time.Second,
	Frequency:    488 * physic.KiloHertz,
	MaxTxSize:    4096,
	Border:       0x01, // white
}

// InkySSD1608Red is the black/white/red Inky pHAT SSD1608 variant (EEPROM display variant 11). Tri-colour
// refreshes take tens of seconds.
var InkySSD1608Red = func() Opts {
	o := InkySSD1608
	o.Colour = true
	o.FullTimeout = 40 * time.Second
	return o
}()

// ErrBusyTimeout is returned (wrapped) when BUSY does not clear in time. The panel is then in an unknown
// state; the next Draw resets it.
var ErrBusyTimeout = errors.New("ssd16xx: BUSY timeout")

// Dev is an SSD16xx panel. It is safe for concurrent use; calls are serialised.
type Dev struct {
	opts Opts
	hw   *hw

	mu       sync.Mutex
	ready    bool   // initialised and awake
	prev     []byte // black/white plane last shown; nil if unknown
	partials int    // partial refreshes since the last full one (or the last init)
}

var _ hal.Panel = (*Dev)(nil)

// New connects to port (mode 0, 8 bits, opts.Frequency) and returns a Dev for the panel on these pins. It
// neither drives nor configures any pin: the first Draw powers the panel (PWR high, if not nil), configures
// BUSY, resets the controller and initialises it, as the vendor's init() does, so a process that only opens
// the board (such as ashiato led-off) leaves the panel alone. Connect may be called only once per port, so
// the caller keeps port (and closes it after Halt). opts nil means WaveshareV4.
//
// BUSY is pulled towards its busy level while the panel is powered (up, for both supported panels). The
// controller drives BUSY push-pull whenever it is powered, so the pull matters only when nothing drives
// the line: a panel that is unplugged or not seated. Pulled towards busy, such a panel times out and Draw
// fails, so the status reports a broken panel; pulled towards idle (Waveshare's epdconfig.py configures
// gpiozero.Button(BUSY_PIN, pull_up=False), a pull-down), every wait would end at once and Draw would
// report success for a panel that shows nothing. When Halt switches the panel's power off (PWR low), BUSY
// is pulled down instead, so the Pi does not feed current into the unpowered controller's BUSY pin.
func New(port spi.Port, dc, rst gpio.PinOut, busy gpio.PinIn, pwr gpio.PinOut, opts *Opts) (*Dev, error) {
	o := WaveshareV4
	if opts != nil {
		o = *opts
	}
	if err := o.withDefaults(); err != nil {
		return nil, err
	}
	if port == nil || dc == nil || rst == nil || busy == nil {
		return nil, errors.New("ssd16xx: port, dc, rst and busy must not be nil")
	}
	c, err := port.Connect(o.Frequency, spi.Mode0, 8)
	if err != nil {
		return nil, fmt.Errorf("ssd16xx: connect %s: %w", port, err)
	}
	maxTx := o.MaxTxSize
	if l, ok := c.(conn.Limits); ok {
		if n := l.MaxTxSize(); n > 0 && n < maxTx {
			maxTx = n
		}
	}
	h := &hw{
		c: c, dc: dc, rst: rst, busy: busy, pwr: pwr,
		busyLevel: gpio.High, busyPull: gpio.PullUp,
		maxTx: maxTx,
		poll:  10 * time.Millisecond,
		sleep: time.Sleep,
		now:   time.Now,
	}
	if o.BusyActiveLow {
		h.busyLevel, h.busyPull = gpio.Low, gpio.PullDown
	}
	return &Dev{opts: o, hw: h}, nil
}

func (o *Opts) withDefaults() error {
	if o.Controller != SSD1680 && o.Controller != SSD1608 {
		return fmt.Errorf("ssd16xx: unsupported controller %v", o.Controller)
	}
	if o.Width <= 0 || o.Height <= 0 || o.RAMColumns <= 0 || o.RAMRows <= 0 || o.ColumnOffset < 0 {
		return fmt.Errorf("ssd16xx: bad geometry %dx%d in RAM %dx%d+%d", o.Width, o.Height, o.RAMColumns, o.RAMRows, o.ColumnOffset)
	}
	cols, rows := o.Width, o.Height
	switch o.Rotation {
	case Rotate0, Rotate180:
	case Rotate90, Rotate270:
		cols, rows = rows, cols
	default:
		return fmt.Errorf("ssd16xx: bad rotation %d", o.Rotation)
	}
	if cols+o.ColumnOffset > o.RAMColumns || rows > o.RAMRows {
		return fmt.Errorf("ssd16xx: %dx%d drawing (rotation %d, offset %d) does not fit RAM %dx%d",
			o.Width, o.Height, o.Rotation, o.ColumnOffset, o.RAMColumns, o.RAMRows)
	}
	if o.RAMRows > 0x10000 || o.RAMColumns > 8*0x100 {
		return errors.New("ssd16xx: RAM geometry exceeds the address registers")
	}
	for _, d := range []*time.Duration{&o.InitTimeout, &o.FullTimeout, &o.PartialTimeout} {
		if *d == 0 {
			*d = 5 * time.Second
		}
	}
	if o.MaxTxSize <= 0 {
		o.MaxTxSize = 4096
	}
	if o.Frequency == 0 {
		o.Frequency = 4 * physic.MegaHertz
	}
	if o.Threshold == 0 {
		o.Threshold = 128
	}
	if o.MaxPartials == 0 {
		o.MaxPartials = 5
	}
	if o.PowerOffDelay == 0 {
		o.PowerOffDelay = 2 * time.Second
	}
	return nil
}

// String names the panel for logs.
func (d *Dev) String() string {
	return fmt.Sprintf("ssd16xx(%v %dx%d)", d.opts.Controller, d.opts.Width, d.opts.Height)
}

// Bounds returns the drawing rectangle, (0,0)-(Width,Height).
func (d *Dev) Bounds() image.Rectangle {
	return image.Rect(0, 0, d.opts.Width, d.opts.Height)
}

// Draw shows img and blocks until the panel has finished refreshing (seconds for a full refresh).
//
// img's top-left corner is drawn at the panel's top-left corner; pixels outside img are white, pixels of img
// outside Bounds are ignored. A pixel is black if its luma is below Opts.Threshold and it is at least half
// opaque. full false asks for a partial (differential) refresh; Draw does a full one instead on SSD1608, when
// the previous image is unknown (first Draw, after an error) or after Opts.MaxPartials partials in a row.
// A full refresh that follows a partial one, and every Draw after Halt, starts with a hardware reset and
// the full init sequence. An error wrapping ErrBusyTimeout means the panel did not finish; the next Draw
// resets it.
func (d *Dev) Draw(img image.Image, full bool) error {
	if img == nil {
		return errors.New("ssd16xx: nil image")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	bw, colour := d.opts.pack(img)
	partial := !full && d.opts.Controller == SSD1680 && d.prev != nil &&
		(d.opts.MaxPartials < 0 || d.partials < d.opts.MaxPartials)
	d.hw.err = nil
	var c controller = d.hw
	switch {
	case d.opts.Controller == SSD1608:
		// The vendor library resets and reconfigures before every update.
		ssd1608Update(c, &d.opts, bw, colour)
	case partial:
		if !d.ready {
			ssd1680Init(c, &d.opts)
		}
		ssd1680Partial(c, &d.opts, d.prev, bw)
	default:
		// A partial refresh leaves the controller set up for partial updates (border waveform 0x80, the
		// partial reset pulse), so a full refresh after one starts again from the hardware reset and the
		// whole init sequence, as the vendor does by calling init() before every full display().
		if !d.ready || d.partials > 0 {
			ssd1680Init(c, &d.opts)
			d.partials = 0
		}
		ssd1680Full(c, &d.opts, bw)
	}
	if err := d.hw.err; err != nil {
		d.ready, d.prev, d.partials = false, nil, 0
		return err
	}
	d.ready, d.prev = true, bw
	if partial {
		d.partials++
	} else {
		d.partials = 0
	}
	return nil
}

// Halt puts the panel into deep sleep (command 0x10, mode 1), keeping the image shown; only a hardware
// reset, which the next Draw does, wakes it. If the panel has a PWR pin, Halt then waits
// Opts.PowerOffDelay and drives RST, DC and PWR low, as the vendor does; the next Draw powers it up again.
// Halt on a panel that was never drawn or is already halted does nothing.
func (d *Dev) Halt() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.ready {
		return nil
	}
	d.ready = false
	d.hw.err = nil
	c := d.hw
	deepSleep(c)
	if c.pwr != nil {
		c.delay(d.opts.PowerOffDelay)
		c.setRST(gpio.Low)
		c.setDC(gpio.Low)
		c.power(false)
		c.listenBusy(false)
	}
	return c.err
}
