//go:build linux

package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The test binary doubles as a misbehaving agent when PRIVACYAUDIT_FAKE_AGENT is set, so that each check
// is shown to fail on the defect it exists to catch.
func TestMain(m *testing.M) {
	switch os.Getenv("PRIVACYAUDIT_FAKE_AGENT") {
	case "":
		os.Exit(m.Run())
	case "writes-file":
		os.WriteFile("frames.raw", []byte("pixels"), 0o600)
		fmt.Println(`{"topic":"x/tracks","payload":{}}`)
		os.Exit(0)
	case "hoards-frames":
		hoard()
	}
}

// hoard reads a YUV4MPEG2 stream from stdin like the agent, but keeps every frame on the heap, and
// reports progress in stats lines as the agent does.
func hoard() {
	r := bufio.NewReader(os.Stdin)
	hdr, _ := r.ReadString('\n')
	var w, h int
	for _, f := range strings.Fields(hdr) {
		fmt.Sscanf(f, "W%d", &w)
		fmt.Sscanf(f, "H%d", &h)
	}
	var frames [][]byte
	for {
		if _, err := r.ReadString('\n'); err != nil {
			os.Exit(0)
		}
		p := make([]byte, w*h)
		if _, err := io.ReadFull(r, p); err != nil {
			os.Exit(0)
		}
		frames = append(frames, p)
		fmt.Printf(`{"topic":"a/b/stats","payload":{"frames":%d,"ring_fill":0}}`+"\n", len(frames))
	}
}

func self(t *testing.T) string {
	t.Helper()
	p, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAuditCatchesAFileWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a process under strace: runs without -short (make test's full run)")
	}
	if _, err := exec.LookPath("strace"); err != nil {
		t.Fatal("strace is not installed: apt-get install strace")
	}
	t.Setenv("PRIVACYAUDIT_FAKE_AGENT", "writes-file")
	_, err := audit(context.Background(), self(t), "", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "frames.raw") {
		t.Fatalf("audit of an agent that writes a file: %v", err)
	}
}

func TestMemscanCatchesHoardedFrames(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a process through 120 frames: runs without -short (make test's full run)")
	}
	t.Setenv("PRIVACYAUDIT_FAKE_AGENT", "hoards-frames")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	line, err := memscan(ctx, self(t), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "outlived") || !strings.Contains(line, "118 of 118") {
		t.Fatalf("memory scan of an agent that keeps every frame: %q, %v", line, err)
	}
}

// scanMemory finds bytes that a child process holds, and only those.
func TestScanMemoryFindsWhatAChildHolds(t *testing.T) {
	held := make([]byte, 32)
	absent := make([]byte, 32)
	rand.Read(held)
	rand.Read(absent)
	cmd := exec.Command("cat") // keeps what it read in its buffer while it waits for more
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { in.Close(); cmd.Wait() }()
	in.Write(held)
	echo := make([]byte, len(held))
	if _, err := io.ReadFull(out, echo); err != nil { // cat has read the bytes once it has echoed them
		t.Fatal(err)
	}
	found, scanned, err := scanMemory(cmd.Process.Pid, [][]byte{held, absent})
	if err != nil {
		t.Fatal(err)
	}
	if !found[0] || found[1] || scanned == 0 {
		t.Fatalf("found %v in %d bytes; want the held bytes only", found, scanned)
	}
}
