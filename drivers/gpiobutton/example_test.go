package gpiobutton_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/ashiato/ashiato/drivers/gpiobutton"
)

func Example() {
	// On a Pi the board package passes gpioreg.ByName("GPIO16"); here a periph fake stands in.
	pin := &gpiotest.Pin{N: "GPIO16", EdgesChan: make(chan gpio.Level, 4)}
	b, err := gpiobutton.New(pin, gpiobutton.Options{})
	if err != nil {
		log.Fatal(err)
	}
	pin.EdgesChan <- gpio.Low // the button closes to ground

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := b.WaitPress(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("pressed")
	// Output: pressed
}
