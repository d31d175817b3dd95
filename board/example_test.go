package board_test

import (
	"fmt"

	"github.com/ashiato/ashiato/board"
)

func ExampleDetect() {
	// On a Pi the model comes from /proc/device-tree/model; Open does this when Options.Board is "auto".
	p, ok := board.Detect("Raspberry Pi 4 Model B Rev 1.5\x00")
	fmt.Println(p.Name, ok, p.LEDPin, p.ButtonPin, p.Panel, p.SPIPort, p.Camera)
	// Output: rpi4b true GPIO26 GPIO16 waveshare213v4 SPI0.0 auto
}

func ExampleOpen() {
	// The composition root opens the devices once and closes them after the agent has stopped:
	//
	//	devs, err := board.Open(board.Options{Board: "auto", Logger: logger})
	//	if err != nil {
	//		return err // no LED: capture must not start
	//	}
	//	defer devs.Close()
	//	if devs.Panel.State == board.Failed {
	//		logger.Warn("notice panel not working", "err", devs.Panel.Err)
	//	}
	//	… hand devs.Camera, devs.LED.Dev and, when Opened, devs.Panel.Dev and devs.Button.Dev to the agent
	for _, p := range board.Profiles() {
		fmt.Println(p.Name, p.Header)
	}
	// Output:
	// rpizero2w true
	// rpi3b true
	// rpi4b true
	// rpi5 true
	// generic false
}
