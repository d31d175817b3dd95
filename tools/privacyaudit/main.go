//go:build linux

// Command privacyaudit proves from outside the agent's process that frames stay in its memory and leave
// it only as coordinates. It builds the agent (or takes -agent) and drives it as a black box:
//
//   - audit: it replays a synthetic scene from a file under strace and checks that the agent opens no
//     regular file for writing, creates, renames, truncates or removes nothing, and writes (to stdout,
//     stderr and sockets together) less than 1 % of the frame bytes it reads.
//   - memscan: it feeds frames through a pipe, each with a unique random marker row, waits until the
//     agent reports every frame processed (its stats: all frames captured, ring empty), then reads the
//     idle agent's whole readable memory through /proc/PID/mem and searches it for every marker. Any
//     marker of a frame older than the latest two means frame bytes outlived their processing (an unwiped
//     slot, a reader's leftover buffer, a decoder's scratch, a frame history). As a positive control, it
//     then sends part of one more frame, which the agent reads into a ring slot and must hold, and checks
//     that the scan finds that marker: a scan that cannot see the ring would otherwise pass.
//
// Each check prints its figures on one line and the exit status is 0 only if both hold. A missing
// prerequisite (strace, or the right to read the agent's memory: root or CAP_SYS_PTRACE, because the agent
// makes itself non-dumpable) is a failure that says what to install or how to run, never a skip.
//
// Usage:
//
//	go run ./tools/privacyaudit [-agent bin/ashiato] [-check all|audit|memscan] [-y4m FILE]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("privacyaudit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	agent := fs.String("agent", "", "agent binary to audit (default: build ./agent/cmd/ashiato into a temporary directory)")
	check := fs.String("check", "all", "all, audit (strace) or memscan (memory of the idle agent)")
	clip := fs.String("y4m", "", "audit: replay this YUV4MPEG2 file instead of the synthetic scene (e.g. real footage)")
	timeout := fs.Duration("timeout", 3*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || (*check != "all" && *check != "audit" && *check != "memscan") {
		fs.Usage()
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	tmp, err := os.MkdirTemp("", "privacyaudit")
	if err != nil {
		fmt.Fprintln(stderr, "privacyaudit:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	bin := *agent
	if bin == "" {
		bin = filepath.Join(tmp, "ashiato")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/ashiato/ashiato/agent/cmd/ashiato")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(stderr, "FAIL: privacyaudit: build the agent: %v\n%s", err, out)
			return 1
		}
	} else if bin, err = filepath.Abs(bin); err != nil {
		fmt.Fprintln(stderr, "privacyaudit:", err)
		return 1
	}
	ok := true
	if *check == "all" || *check == "audit" {
		line, err := audit(ctx, bin, *clip, tmp)
		ok = report(stdout, "privacy audit", line, err) && ok
	}
	if *check == "all" || *check == "memscan" {
		line, err := memscan(ctx, bin, tmp)
		ok = report(stdout, "memory scan", line, err) && ok
	}
	if !ok {
		return 1
	}
	return 0
}

// report prints one check's figures, or FAIL and why.
func report(w io.Writer, name, line string, err error) bool {
	if err != nil {
		if line != "" {
			fmt.Fprintf(w, "%s: %s\n", name, line)
		}
		fmt.Fprintf(w, "FAIL: %s: %v\n", name, err)
		return false
	}
	fmt.Fprintf(w, "%s: %s\n", name, line)
	return true
}

// audit replays a clip under strace; see the package doc.
func audit(ctx context.Context, bin, clip, tmp string) (string, error) {
	strace, err := exec.LookPath("strace")
	if err != nil {
		return "", errors.New("strace is not installed: apt-get install strace (make test installs it)")
	}
	if clip == "" {
		clip = filepath.Join(tmp, "scene.y4m")
		f, err := os.Create(clip)
		if err != nil {
			return "", err
		}
		s := scene{W: 768, H: 576, Walkers: 8, Seed: 2009, FPS: 7}
		err = s.write(f, 200, nil)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return "", fmt.Errorf("write the scene: %w", err)
		}
	}
	st, err := os.Stat(clip)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(tmp, "trace")
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", err
	}
	outPath, errPath := filepath.Join(tmp, "out.jsonl"), filepath.Join(tmp, "err.log")
	out, err := os.Create(outPath)
	if err != nil {
		return "", err
	}
	defer out.Close()
	errLog, err := os.Create(errPath)
	if err != nil {
		return "", err
	}
	defer errLog.Close()
	cmd := exec.CommandContext(ctx, strace, "-f", "-ff", "-qq", "-o", filepath.Join(dir, "t"),
		"-e", "trace="+strings.Join(traced, ","),
		bin, "-source", "y4m:"+clip, "-sink", "stdout", "-pace", "asap")
	cmd.Dir = tmp
	cmd.Stdout, cmd.Stderr = out, errLog
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("agent under strace: %v: %s", err, tail(errPath))
	}
	var f Finding
	files, _ := filepath.Glob(filepath.Join(dir, "t.*"))
	for _, p := range files {
		tf, err := os.Open(p)
		if err != nil {
			return "", err
		}
		err = f.scan(tf)
		tf.Close()
		if err != nil {
			return "", err
		}
	}
	tracks, _ := os.Stat(outPath)
	line := fmt.Sprintf("no file opened for writing; wrote %d bytes (tracks %d B) for %d frame bytes read (%.4f%%); %d calls traced in %d threads",
		f.Written, tracks.Size(), st.Size(), 100*float64(f.Written)/float64(st.Size()), f.Calls, len(files))
	if err := f.verdict(st.Size()); err != nil {
		return "", err
	}
	return line, nil
}

// tail returns the last line of a file, for error messages.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}
