package y4m

import (
	"bytes"
	"io"
	"os/exec"
	"testing"

	"github.com/ashiato/ashiato/hal"
)

// ffmpegLuma runs ffmpeg with args (writing Y4M to stdout), parses its output through the pipe and
// returns the format and the luma of every frame.
func ffmpegLuma(t *testing.T, bin string, args ...string) (hal.Format, [][]byte) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-hide_banner", "-loglevel", "error", "-nostdin"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := New(out, Options{Pace: PaceASAP})
	format, err := c.Start(t.Context())
	var frames [][]byte
	for err == nil {
		f := newFrame(format.Size())
		if err = c.ReadFrame(t.Context(), f); err == nil {
			frames = append(frames, f.Pix)
		}
	}
	if err != io.EOF {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("ffmpeg %v: frame %d: %v", args, len(frames), err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("ffmpeg %v: %v: %s", args, err, stderr.Bytes())
	}
	return format, frames
}

func TestFFmpeg(t *testing.T) {
	bin, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not installed:", err)
	}
	src := []string{"-f", "lavfi", "-i", "testsrc=size=64x48:rate=5", "-frames:v", "3"}
	run := func(filter []string, pixFmt string) (hal.Format, [][]byte) {
		args := append(append(append([]string{}, src...), filter...), "-f", "yuv4mpegpipe", "-pix_fmt", pixFmt, "-")
		format, frames := ffmpegLuma(t, bin, args...)
		if want := (hal.Format{Width: 64, Height: 48, FPS: 5}); format != want {
			t.Errorf("-pix_fmt %s: format %+v, want %+v", pixFmt, format, want)
		}
		if len(frames) != 3 {
			t.Fatalf("-pix_fmt %s: %d frames, want 3", pixFmt, len(frames))
		}
		return format, frames
	}
	// Plain gray: ffmpeg converts testsrc's RGB to full-range luma (XCOLORRANGE=FULL), while yuv420p is
	// limited range, so these two do not share luma values; just check it parses.
	run(nil, "gray")
	// Same luma whichever way it arrives: 4:2:0 with chroma to skip, or the Y plane alone as mono.
	_, yuv := run([]string{"-vf", "format=yuv420p"}, "yuv420p")
	_, gray := run([]string{"-vf", "format=yuv420p,extractplanes=y"}, "gray")
	for k := range yuv {
		if !bytes.Equal(yuv[k], gray[k]) {
			t.Errorf("frame %d: luma of the yuv420p and gray streams differ", k)
		}
		if bytes.Count(yuv[k], yuv[k][:1]) == len(yuv[k]) {
			t.Errorf("frame %d: luma is flat, not a test pattern", k)
		}
	}
}
