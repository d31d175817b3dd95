package gpioled_test

import (
	"fmt"

	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/ashiato/ashiato/drivers/gpioled"
)

func Example() {
	// On a Pi, board/ passes a pin from gpioreg.ByName("GPIO26") after host.Init; a fake stands in here.
	pin := &gpiotest.Pin{N: "GPIO26", Num: 26}
	led, err := gpioled.New(pin, gpioled.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("after New:", pin.Read())
	if err := led.Set(true); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("capturing:", pin.Read())
	if err := led.Halt(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("halted:", pin.Read())
	// Output:
	// after New: Low
	// capturing: High
	// halted: Low
}
