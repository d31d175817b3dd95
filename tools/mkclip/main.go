// Command mkclip makes a compact test clip (see package footage) from a video, with ffmpeg:
//
//	go run ./tools/mkclip -video vtest.avi -frames 400 -fps 7 -name PETS09-S2L1-dev -o testdata/pets09-s2l1-dev
//
// ffmpeg decodes the first -frames frames to greyscale at the video's own size; each is box-averaged by
// 2×2 and stored with every pixel within -near grey levels of that average (see package footage). The frames pass from ffmpeg through a pipe into one
// reused buffer and are written nowhere else.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/ashiato/ashiato/tools/footage"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "mkclip:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("mkclip", flag.ContinueOnError)
	fs.SetOutput(stderr)
	video := fs.String("video", "", "input video `file` (anything ffmpeg reads)")
	out := fs.String("o", "", "output clip `dir`ectory")
	name := fs.String("name", "", "sequence name for seqinfo.ini")
	frames := fs.Int("frames", 0, "number of frames to take from the start (required)")
	fps := fs.Float64("fps", 0, "the clip's real frame rate (required; containers can be wrong)")
	near := fs.Int("near", 2, "largest error per stored pixel, in grey levels (0: lossless)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *video == "" || *out == "" || *name == "" || *frames <= 0 || *fps <= 0 || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("need -video, -o, -name, -frames and -fps")
	}
	w, h, err := probe(ctx, *video)
	if err != nil {
		return err
	}
	wr, err := footage.Create(*out, *name, *fps, w, h, *near)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "ffmpeg", "-v", "error", "-i", *video, "-frames:v", strconv.Itoa(*frames),
		"-f", "rawvideo", "-pix_fmt", "gray", "-")
	cmd.Stderr = stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	buf := make([]byte, w*h)
	defer clear(buf)
	n := 0
	for ; n < *frames; n++ {
		if _, err := io.ReadFull(pipe, buf); err != nil {
			break
		}
		if err := wr.Add(buf); err != nil {
			return err
		}
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("ffmpeg: %w", err)
	}
	if n != *frames {
		return fmt.Errorf("%s has only %d frames", *video, n)
	}
	return wr.Close()
}

// probe returns the video's frame size.
func probe(ctx context.Context, video string) (int, int, error) {
	out, err := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-select_streams", "v:0",
		"-show_entries", "stream=width,height", "-of", "csv=p=0", video).Output()
	if err != nil {
		return 0, 0, fmt.Errorf("ffprobe %s: %w", video, err)
	}
	var w, h int
	if _, err := fmt.Sscanf(strings.TrimSpace(string(out)), "%d,%d", &w, &h); err != nil {
		return 0, 0, fmt.Errorf("ffprobe %s: %q: %w", video, out, err)
	}
	return w, h, nil
}
