//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ashiato/ashiato/agent/event"
)

// TestPauseResumePipedReplay pauses and resumes the agent while it replays a y4m stream from a pipe and
// is blocked in the middle of a frame: the replay continues after the resume (the interrupted frame is
// dropped, every other one is delivered) and ends cleanly with the stream. If the writer goes away during
// the pause, the source has ended: a clean exit, not a failure.
func TestPauseResumePipedReplay(t *testing.T) {
	const w, h, before, after = 64, 48, 5, 7
	frame := func(k int) []byte {
		return append([]byte("FRAME\n"), bytes.Repeat([]byte{byte(16 + k)}, w*h)...)
	}
	for _, writerStays := range []bool{true, false} {
		name := "writer continues"
		if !writerStays {
			name = "writer leaves during the pause"
		}
		t.Run(name, func(t *testing.T) {
			m := startMosq(t, 0, "")
			top := event.Topics{Store: "replay", Sensor: strings.ReplaceAll(name, " ", "-")}
			bo := newBackOffice(t, m.url(), top.Prefix()+"/#", subOpts{clean: true})
			r, wr, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer wr.Close()
			a := startAgentStdin(t, r, nil, "-source", "y4m:-", "-pace", "asap", "-broker", m.url(),
				"-store", top.Store, "-sensor", top.Sensor)
			r.Close()
			write := func(b []byte) {
				t.Helper()
				if _, err := wr.Write(b); err != nil {
					t.Fatalf("writing the stream: %v", err)
				}
			}
			write([]byte(fmt.Sprintf("YUV4MPEG2 W%d H%d F10:1 Cmono\n", w, h)))
			for k := range before {
				write(frame(k))
			}
			cut := frame(before)
			write(cut[:len(cut)/2])
			unread(t, wr, a) // the agent now waits inside frame 5

			privacy := func(state string) func() bool {
				return func() bool {
					var last event.Privacy
					for _, msg := range bo.msgs {
						if msg.Topic() == top.Topic(event.LeafPrivacy) {
							if err := json.Unmarshal(msg.Payload(), &last); err != nil {
								t.Errorf("privacy payload %q: %v", msg.Payload(), err)
							}
						}
					}
					return last.State == state
				}
			}
			send := func(leaf, body string) {
				t.Helper()
				if tok := bo.c.Publish(top.Topic(leaf), 1, false, body); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
					t.Fatalf("publish %s: %v", leaf, tok.Error())
				}
			}
			bo.waitFor("capturing", 20*time.Second, privacy(event.PrivacyCapturing))
			send(event.LeafPause, `{"reason":"test"}`)
			bo.waitFor("paused", 20*time.Second, privacy(event.PrivacyPaused))
			if !writerStays {
				wr.Close()
			}
			send(event.LeafResume, `{}`)
			if writerStays {
				bo.waitFor("capturing again", 20*time.Second, privacy(event.PrivacyCapturing))
				write(cut[len(cut)/2:])
				for k := before + 1; k <= before+after; k++ {
					write(frame(k))
				}
				wr.Close()
			}
			a.wait(t, 60*time.Second)
			st := bo.waitStopped(top, 20*time.Second)
			want := uint64(before)
			if writerStays {
				want += after
			}
			if st.Frames != want {
				t.Errorf("status after the replay: %d frames, want %d (frame %d, cut by the pause, is dropped)", st.Frames, want, before)
			}
			if !strings.Contains(a.stderr.String(), "source ended") {
				t.Errorf("the agent did not end with the source:\n%s", a.stderr.String())
			}
		})
	}
}

// unread waits until the agent has read everything written to the pipe wr.
func unread(t *testing.T, wr *os.File, a *agentProc) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, err := unix.IoctlGetInt(int(wr.Fd()), unix.TIOCINQ) // FIONREAD: bytes in the pipe
		if err != nil {
			t.Fatalf("FIONREAD on the pipe: %v", err)
		}
		if n == 0 {
			return
		}
		if !a.running() || time.Now().After(deadline) {
			t.Fatalf("the agent did not read the stream (%d bytes left):\n%s", n, a.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
