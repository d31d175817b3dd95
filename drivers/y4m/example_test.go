package y4m_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"strings"
	"time"

	"github.com/ashiato/ashiato/drivers/y4m"
	"github.com/ashiato/ashiato/hal"
)

func Example() {
	// Two 4×2 grey frames at 10 fps; in practice the reader is os.Stdin fed by ffmpeg (see Open).
	stream := "YUV4MPEG2 W4 H2 F10:1 Cmono\n" +
		"FRAME\n" + "\x00\x01\x02\x03\x04\x05\x06\x07" +
		"FRAME\n" + "\x10\x11\x12\x13\x14\x15\x16\x17"
	cam := y4m.New(strings.NewReader(stream), y4m.Options{Pace: y4m.PaceASAP, Epoch: time.Unix(0, 0).UTC()})
	ctx := context.Background()
	format, err := cam.Start(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer cam.Stop()
	fmt.Printf("%dx%d at %v fps\n", format.Width, format.Height, format.FPS)
	f := hal.Frame{Pix: make([]byte, format.Size())}
	for {
		err := cam.ReadFrame(ctx, &f)
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(f.Time.Format("15:04:05.000"), f.Pix[f.Stride+1])
	}
	// Output:
	// 4x2 at 10 fps
	// 00:00:00.000 5
	// 00:00:00.100 21
}
