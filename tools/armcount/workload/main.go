// Command workload steps the tracker through raw luma frames, calling marker before every Step and once
// after the last, so that an instruction counter that watches marker (tools/armcount's qemu plugin) can
// tell each Step's instructions apart. It reads a file written by tools/armcount: a line "W H N FPS"
// followed by N frames of W×H bytes. It uses only the tracker's Config, New and Step, so that it also
// builds against earlier versions of the tracker.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/ashiato/ashiato/agent/tracker"
	"github.com/ashiato/ashiato/hal"
)

//go:noinline
func marker() {}

func main() {
	runtime.LockOSThread() // one thread, so one vCPU counts every Step
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: workload FRAMES-FILE")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	r := bufio.NewReader(f)
	var w, h, n int
	var fps float64
	if _, err := fmt.Fscanf(r, "%d %d %d %g\n", &w, &h, &n, &fps); err != nil || w < 2 || h < 2 || n < 1 || fps <= 0 {
		fmt.Fprintf(os.Stderr, "workload: %s: bad header (%v)\n", os.Args[1], err)
		os.Exit(1)
	}
	frames := make([][]byte, n)
	for i := range frames {
		frames[i] = make([]byte, w*h)
		if _, err := io.ReadFull(r, frames[i]); err != nil {
			fmt.Fprintf(os.Stderr, "workload: frame %d: %v\n", i, err)
			os.Exit(1)
		}
	}
	tr := tracker.New(tracker.Config{})
	fr := hal.Frame{Width: w, Height: h, Stride: w}
	t0 := time.Unix(1_700_000_000, 0)
	for i := range frames {
		fr.Seq, fr.Time, fr.Pix = uint64(i), t0.Add(time.Duration(float64(i)*float64(time.Second)/fps)), frames[i]
		marker()
		tr.Step(&fr)
	}
	marker()
}
