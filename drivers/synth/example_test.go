package synth_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ashiato/ashiato/drivers/synth"
	"github.com/ashiato/ashiato/hal"
)

func ExampleParseSpec() {
	o, err := synth.ParseSpec("synth:frames=600,seed=3,pace=asap")
	fmt.Println(o.Frames, o.Seed, o.Pace, err)
	_, err = synth.ParseSpec("synth:colour=red")
	fmt.Println(err)
	// Output:
	// 600 3 asap <nil>
	// synth: unknown key "colour" in spec "synth:colour=red"
}

func ExampleCamera() {
	epoch := time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)
	cam := synth.New(synth.Options{Frames: 3, Pace: synth.PaceASAP, Epoch: epoch})
	ctx := context.Background()
	format, err := cam.Start(ctx)
	if err != nil {
		panic(err)
	}
	defer cam.Stop()
	f := hal.Frame{Pix: make([]byte, format.Size())} // normally a slot of the locked frame ring
	for cam.ReadFrame(ctx, &f) == nil {
		fmt.Printf("%d×%d at +%v\n", f.Width, f.Height, f.Time.Sub(epoch))
	}
	// Output:
	// 640×480 at +0s
	// 640×480 at +100ms
	// 640×480 at +200ms
}
