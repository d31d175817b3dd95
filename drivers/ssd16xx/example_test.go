package ssd16xx_test

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"log"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/spi/spitest"

	"github.com/ashiato/ashiato/drivers/ssd16xx"
)

func Example() {
	// On a Pi the board package passes spireg.Open("SPI0.0") and gpioreg.ByName("GPIO25") etc.; here the
	// periph fakes stand in, with BUSY reading idle (Low).
	port := &spitest.Record{}
	dc, rst := &gpiotest.Pin{N: "GPIO25"}, &gpiotest.Pin{N: "GPIO17"}
	busy := &idle{&gpiotest.Pin{N: "GPIO24"}}

	// pwr is GPIO18 on HAT Rev2.3; with it, Halt also powers the panel off after a 2 s settle.
	dev, err := ssd16xx.New(port, dc, rst, busy, nil, &ssd16xx.WaveshareV4)
	if err != nil {
		log.Fatal(err)
	}
	img := image.NewGray(dev.Bounds())
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(10, 10, 60, 40), image.NewUniform(color.Black), image.Point{}, draw.Src)
	if err := dev.Draw(img, true); err != nil {
		log.Fatal(err)
	}
	if err := dev.Halt(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(dev.Bounds().Size(), len(port.Ops) > 0)
	// Output: (250,122) true
}

// idle keeps a fake BUSY pin at its preset level (Low: idle) whatever pull is requested.
type idle struct{ *gpiotest.Pin }

func (idle) In(gpio.Pull, gpio.Edge) error { return nil }
