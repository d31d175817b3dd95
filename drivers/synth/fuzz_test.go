package synth

import (
	"bytes"
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ashiato/ashiato/hal"
)

// FuzzParseSpec parses arbitrary source specs. Every error says where it comes from. An accepted spec
// describes a scene within the documented limits, says the same when written back as a spec, and (for a
// small frame) renders the same first frame and ground truth twice over, as the same Options must.
func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{
		"synth", "synth:", "synth:frames=600,seed=3,w=640,h=480,fps=10,rate=12,pace=asap",
		"synth:w=16,h=16,rate=0", "synth:fps=0.5,seed=18446744073709551615", "synth:w=4097",
		"synth:frames=-1", "synth:seed=1,seed=2", "synth:pace=later", "synth:rate=601", "synth:fps=NaN",
		"synth:fps=1e-300", "synth:w", "v4l2:auto", "synth:w=32,h=24,fps=1000,rate=600,frames=1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		o, err := ParseSpec(spec)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "synth: ") {
				t.Fatalf("error without its origin: %v", err)
			}
			return
		}
		d, err := o.withDefaults()
		if err != nil {
			t.Fatalf("accepted %q, but its options are refused: %v", spec, err)
		}
		if d.Width < 16 || d.Width > 4096 || d.Height < 16 || d.Height > 4096 || !(d.FPS > 0 && d.FPS <= 1000) ||
			d.Frames < 0 || d.Walkers > 600 {
			t.Fatalf("accepted %q outside the limits: %+v", spec, d)
		}
		back := writeSpec(o)
		o2, err := ParseSpec(back)
		if err != nil || !reflect.DeepEqual(o, o2) {
			t.Fatalf("%q → %+v, written back as %q → %+v, %v", spec, o, back, o2, err)
		}
		if d.Width*d.Height > 96*96 {
			return
		}
		o.Pace, o.Epoch = PaceASAP, time.Unix(1_800_000_000, 0)
		var frames [2][]byte
		var truth [2][]Box
		for i := range frames {
			c := New(o)
			format, err := c.Start(context.Background())
			if err != nil || format.Width != d.Width || format.Height != d.Height {
				t.Fatalf("Start = %+v, %v", format, err)
			}
			fr := &hal.Frame{Pix: make([]byte, d.Width*d.Height)}
			if err := c.ReadFrame(context.Background(), fr); err != nil {
				t.Fatalf("ReadFrame: %v", err)
			}
			if fr.Width != d.Width || fr.Height != d.Height || fr.Stride != d.Width || !fr.Time.Equal(o.Epoch) {
				t.Fatalf("frame %dx%d stride %d at %v", fr.Width, fr.Height, fr.Stride, fr.Time)
			}
			c.Stop()
			frames[i], truth[i] = fr.Pix, c.Truth(0)
		}
		if !bytes.Equal(frames[0], frames[1]) || !reflect.DeepEqual(truth[0], truth[1]) {
			t.Fatalf("%q: the same options rendered different scenes", spec)
		}
	})
}

// writeSpec writes o as a spec that ParseSpec reads back as o, leaving out what is zero.
func writeSpec(o Options) string {
	var kv []string
	add := func(k, v string) { kv = append(kv, k+"="+v) }
	if o.Frames != 0 {
		add("frames", strconv.Itoa(o.Frames))
	}
	if o.Seed != 0 {
		add("seed", strconv.FormatUint(o.Seed, 10))
	}
	if o.Width != 0 {
		add("w", strconv.Itoa(o.Width))
	}
	if o.Height != 0 {
		add("h", strconv.Itoa(o.Height))
	}
	if o.FPS != 0 {
		add("fps", strconv.FormatFloat(o.FPS, 'g', -1, 64))
	}
	switch {
	case o.Walkers < 0:
		add("rate", "0")
	case o.Walkers > 0:
		add("rate", strconv.Itoa(o.Walkers))
	}
	if o.Pace != PaceRealtime {
		add("pace", o.Pace.String())
	}
	if len(kv) == 0 {
		return "synth"
	}
	return "synth:" + strings.Join(kv, ",")
}
