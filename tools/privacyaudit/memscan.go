//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// The memory scan's scene: small frames, so many of them fit the agent's time without changing the
// property (every slot and every buffer is the same whatever the size).
const (
	scanW, scanH, scanFrames = 320, 240, 120
	markerRow                = 4       // the row that carries each frame's marker
	needleAt, needleLen      = 100, 32 // the part of the marker row searched for
)

// memscan feeds marked frames to the agent and searches its idle memory; see the package doc.
func memscan(ctx context.Context, bin, tmp string) (string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-source", "y4m:-", "-sink", "stdout", "-pace", "asap", "-stats-interval", "1s")
	cmd.Dir = tmp
	in, err := cmd.StdinPipe()
	if err != nil {
		return "", err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return "", err
	}
	defer func() {
		in.Close()
		cancel()
		cmd.Wait()
	}()
	// A small pipe: a write returns only once the agent has read all but the last page of it, which is
	// how the positive control knows its marker has reached the agent.
	if f, ok := in.(*os.File); ok {
		if _, err := unix.FcntlInt(f.Fd(), unix.F_SETPIPE_SZ, os.Getpagesize()); err != nil {
			return "", fmt.Errorf("shrink the pipe: %w", err)
		}
	}
	idle := watchStats(outPipe, scanFrames)

	rng := rand.New(rand.NewPCG(968, 968))
	markers := make([][]byte, scanFrames+1)
	s := scene{W: scanW, H: scanH, Walkers: 1, Seed: 968, FPS: 10}
	mark := func(k int, pix []byte) {
		m := make([]byte, scanW)
		for i := range m {
			m[i] = byte(rng.Uint32())
		}
		markers[k] = m
		copy(pix[markerRow*scanW:], m)
	}
	if err := s.write(in, scanFrames, mark); err != nil {
		return "", fmt.Errorf("feed frames: %w (agent: %s)", err, lastLine(stderr.String()))
	}
	select {
	case err := <-idle:
		if err != nil {
			return "", fmt.Errorf("%w (agent: %s)", err, lastLine(stderr.String()))
		}
	case <-ctx.Done():
		return "", fmt.Errorf("the agent never reported all %d frames processed: %w (agent: %s)", scanFrames, ctx.Err(), lastLine(stderr.String()))
	}
	// The positive control: half of one more frame. The agent reads it straight into a ring slot and
	// waits there for the rest, so its marker must be found.
	pix := make([]byte, scanW*scanH)
	s.frame(scanFrames, pix)
	mark(scanFrames, pix)
	if _, err := io.WriteString(in, "FRAME\n"); err != nil {
		return "", err
	}
	if _, err := in.Write(pix[:len(pix)/2]); err != nil {
		return "", err
	}

	needles := make([][]byte, len(markers))
	for k, m := range markers {
		needles[k] = m[needleAt : needleAt+needleLen]
	}
	found, scanned, err := scanMemory(cmd.Process.Pid, needles)
	if err != nil {
		return "", err
	}
	var old, latest int
	for k := range scanFrames {
		if found[k] {
			if k < scanFrames-2 { // the latest two frames may still be in use
				old++
			} else {
				latest++
			}
		}
	}
	line := fmt.Sprintf("%d of %d older frames' markers found in the idle agent's memory (latest two: %d found; "+
		"control, a frame being read: found %v; %d MiB scanned)", old, scanFrames-2, latest, found[scanFrames], scanned>>20)
	switch {
	case !found[scanFrames]:
		return line, errors.New("the scan did not find the marker of the frame the agent is reading into its ring: it cannot see the ring, so it proves nothing")
	case old > 0:
		return line, fmt.Errorf("frame bytes outlived their processing in %d frames", old)
	}
	return line, nil
}

// watchStats reads the agent's JSON lines and reports (nil) on the returned channel once a stats message
// says that n frames were captured and the ring holds none, or an error if the output ends first.
func watchStats(r io.Reader, n uint64) <-chan error {
	done := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(nil, 1<<20)
		sent := false
		for sc.Scan() {
			var l struct {
				Topic   string `json:"topic"`
				Payload struct {
					Frames   *uint64 `json:"frames"`
					RingFill *int    `json:"ring_fill"`
				} `json:"payload"`
			}
			if json.Unmarshal(sc.Bytes(), &l) != nil || !strings.HasSuffix(l.Topic, "/stats") || sent {
				continue
			}
			if p := l.Payload; p.Frames != nil && p.RingFill != nil && *p.Frames >= n && *p.RingFill == 0 {
				done <- nil
				sent = true
			}
		}
		if !sent {
			done <- errors.New("the agent's output ended before it reported every frame processed")
		}
		io.Copy(io.Discard, r)
	}()
	return done
}

// scanMemory searches every readable mapping of process pid (up to 1 GiB each) for the needles, through
// /proc/PID/maps and /proc/PID/mem, and reports which were found and how many bytes were read.
func scanMemory(pid int, needles [][]byte) (found []bool, scanned int64, err error) {
	maps, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		return nil, 0, memErr(err)
	}
	mem, err := os.Open(fmt.Sprintf("/proc/%d/mem", pid))
	if err != nil {
		return nil, 0, memErr(err)
	}
	defer mem.Close()
	found = make([]bool, len(needles))
	for _, line := range strings.Split(strings.TrimSpace(string(maps)), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || !strings.HasPrefix(f[1], "r") {
			continue
		}
		if len(f) >= 6 && (f[5] == "[vvar]" || f[5] == "[vsyscall]" || f[5] == "[vvar_vclock]") {
			continue
		}
		a, b, ok := strings.Cut(f[0], "-")
		lo, err1 := strconv.ParseUint(a, 16, 64)
		hi, err2 := strconv.ParseUint(b, 16, 64)
		if !ok || err1 != nil || err2 != nil || hi <= lo || hi-lo > 1<<30 {
			continue
		}
		buf := make([]byte, hi-lo)
		n, err := mem.ReadAt(buf, int64(lo))
		if n == 0 && err != nil {
			if errors.Is(err, fs.ErrPermission) {
				return nil, 0, memErr(err)
			}
			continue // an unreadable guard page or device mapping
		}
		buf = buf[:n]
		scanned += int64(n)
		for k, nd := range needles {
			if !found[k] && bytes.Contains(buf, nd) {
				found[k] = true
			}
		}
	}
	if scanned == 0 {
		return nil, 0, errors.New("no memory of the agent could be read")
	}
	return found, scanned, nil
}

// memErr explains that reading the agent's memory needs privileges.
func memErr(err error) error {
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EPERM) {
		return fmt.Errorf("cannot read the agent's memory (%v): the agent makes itself non-dumpable "+
			"(PR_SET_DUMPABLE=0), so only root or a process with CAP_SYS_PTRACE may; run as root "+
			"(sudo make privacy)", err)
	}
	return err
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
