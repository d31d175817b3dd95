package ssd16xx

import (
	"time"

	"periph.io/x/conn/v3/gpio"
)

// Commands shared by the SSD16xx family (SSD1680 and SSD1608 datasheets).
const (
	driverOutputControl   byte = 0x01
	deepSleepMode         byte = 0x10
	dataEntryMode         byte = 0x11
	swReset               byte = 0x12
	tempSensorControl     byte = 0x18
	masterActivation      byte = 0x20
	displayUpdateControl1 byte = 0x21
	displayUpdateControl2 byte = 0x22
	writeRAMBW            byte = 0x24
	writeRAMRed           byte = 0x26 // the "previous image" RAM on SSD1680, the colour plane on SSD1608
	writeVCOM             byte = 0x2C
	writeLUT              byte = 0x32
	dummyLinePeriod       byte = 0x3A
	gateLineWidth         byte = 0x3B
	borderWaveform        byte = 0x3C
	ramXStartEnd          byte = 0x44
	ramYStartEnd          byte = 0x45
	ramXCounter           byte = 0x4E
	ramYCounter           byte = 0x4F
)

// ssd1608LUT is the 30-byte waveform table the Inky library sends for every colour variant.
var ssd1608LUT = [30]byte{
	0x02, 0x02, 0x01, 0x11, 0x12, 0x12, 0x22, 0x22, 0x66, 0x69,
	0x69, 0x59, 0x58, 0x99, 0x99, 0x88, 0x00, 0x00, 0x00, 0x00,
	0xF8, 0xB4, 0x13, 0x51, 0x35, 0x51, 0x51, 0x19, 0x01, 0x00,
}

func command(c controller, cmd byte, data ...byte) {
	c.sendCommand(cmd)
	if len(data) > 0 {
		c.sendData(data)
	}
}

// geometry sends driver output control (gate count), data entry mode (X+, Y+, X first), the full RAM window
// and the cursor at its origin.
func geometry(c controller, o *Opts, extra func()) {
	last := o.RAMRows - 1
	command(c, driverOutputControl, byte(last), byte(last>>8), 0x00)
	if extra != nil {
		extra()
	}
	command(c, dataEntryMode, 0x03)
	window(c, o)
}

func window(c controller, o *Opts) {
	last := o.RAMRows - 1
	command(c, ramXStartEnd, 0x00, byte((o.RAMColumns-1)>>3))
	command(c, ramYStartEnd, 0x00, 0x00, byte(last), byte(last>>8))
}

func cursor(c controller) {
	command(c, ramXCounter, 0x00)
	command(c, ramYCounter, 0x00, 0x00)
}

// ssd1680Init powers the panel, resets it (RST high 20 ms, low 2 ms, high 20 ms) and runs the full-update
// initialisation of epd2in13_V4.py init(): wait BUSY, SWRESET (0x12), wait BUSY, driver output control
// (0x01: 250 gate lines), data entry mode (0x11 0x03), RAM window and cursor, border waveform (0x3C 0x05),
// display update control 1 (0x21 0x00 0x80), internal temperature sensor (0x18 0x80), wait BUSY.
func ssd1680Init(c controller, o *Opts) {
	c.power(true)
	c.listenBusy(true)
	c.setRST(gpio.High)
	c.delay(20 * time.Millisecond)
	c.setRST(gpio.Low)
	c.delay(2 * time.Millisecond)
	c.setRST(gpio.High)
	c.delay(20 * time.Millisecond)
	c.waitUntilIdle(o.InitTimeout)
	command(c, swReset)
	c.waitUntilIdle(o.InitTimeout)
	geometry(c, o, nil)
	cursor(c)
	command(c, borderWaveform, o.Border)
	command(c, displayUpdateControl1, 0x00, 0x80)
	command(c, tempSensorControl, 0x80) // internal sensor
	c.waitUntilIdle(o.InitTimeout)
}

// ssd1680Full writes img to both RAMs (so the next partial refresh diffs against it) and runs the full
// update sequence (0x22 0xF7).
func ssd1680Full(c controller, o *Opts, img []byte) {
	command(c, writeRAMBW, img...)
	command(c, writeRAMRed, img...)
	command(c, displayUpdateControl2, 0xF7)
	command(c, masterActivation)
	c.waitUntilIdle(o.FullTimeout)
}

// ssd1680Partial is epd2in13_V4.py displayPartial(): a 1 ms reset pulse, border waveform 0x80 and the
// geometry, the previous image into RAM 0x26, the new one into 0x24, then the differential update
// (0x22 0xFF). The vendor writes only 0x24 and so diffs every partial against the last full image; writing
// the image actually on the glass into 0x26 makes the controller diff against it instead.
func ssd1680Partial(c controller, o *Opts, prev, img []byte) {
	c.setRST(gpio.Low)
	c.delay(time.Millisecond)
	c.setRST(gpio.High)
	command(c, borderWaveform, 0x80)
	geometry(c, o, nil)
	cursor(c)
	command(c, writeRAMRed, prev...)
	command(c, writeRAMBW, img...)
	command(c, displayUpdateControl2, 0xFF)
	command(c, masterActivation)
	c.waitUntilIdle(o.PartialTimeout)
}

// ssd1608Update is inky_ssd1608's setup + _update: reset (RST low 0.5 s, high 0.5 s), software reset, the
// register set-up with the host LUT, both planes, then master activation. Unlike the library it also waits
// for the refresh to end, as hal.Panel.Draw requires.
func ssd1608Update(c controller, o *Opts, bw, colour []byte) {
	c.listenBusy(true)
	c.setRST(gpio.Low)
	c.delay(500 * time.Millisecond)
	c.setRST(gpio.High)
	c.delay(500 * time.Millisecond)
	command(c, swReset)
	c.delay(time.Second)
	c.waitUntilIdle(o.InitTimeout)
	geometry(c, o, func() {
		command(c, dummyLinePeriod, 0x1B)
		command(c, gateLineWidth, 0x0B)
	})
	command(c, writeVCOM, 0x70)
	command(c, writeLUT, ssd1608LUT[:]...)
	command(c, borderWaveform, o.Border)
	cursor(c)
	command(c, writeRAMBW, bw...)
	command(c, writeRAMRed, colour...)
	c.waitUntilIdle(o.InitTimeout)
	command(c, masterActivation)
	c.waitUntilIdle(o.FullTimeout)
}

// deepSleep enters deep sleep mode 1 (RAM retained); only a hardware reset leaves it.
func deepSleep(c controller) {
	command(c, deepSleepMode, 0x01)
}
