//go:build linux

package v4l2_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/ashiato/ashiato/drivers/v4l2"
	"github.com/ashiato/ashiato/hal"
)

func Example() {
	// board/ picks the node; a stable by-id link survives USB renumbering. This one does not exist here,
	// so Start fails the way it does when the camera is unplugged.
	cam := v4l2.Open("/dev/v4l/by-id/usb-Example_Webcam-video-index0", v4l2.Options{Width: 320, Height: 240})
	ctx := context.Background()
	format, err := cam.Start(ctx)
	if err != nil {
		fmt.Println("camera gone:", errors.Is(err, hal.ErrGone))
		return
	}
	defer cam.Stop()
	// The caller owns Pix; in the agent it is a slot of the locked frame ring.
	f := hal.Frame{Pix: make([]byte, format.Size())}
	for range 10 {
		if err := cam.ReadFrame(ctx, &f); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(f.Width, f.Height, f.Time)
	}
	// Output:
	// camera gone: true
}

func ExampleFormats() {
	// An installer self-test: list what the camera offers, usable formats first.
	node, err := v4l2.FindCaptureNode()
	if err != nil {
		fmt.Println(err)
		return
	}
	infos, err := v4l2.Formats(node)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, fi := range infos {
		fmt.Println(fi.FourCC, fi.Usable, fi.Description, fi.Sizes)
	}
}
