//go:build !linux

// Command privacyaudit proves from outside the agent's process that frames stay in its memory; see
// main.go. It needs Linux (strace, /proc/PID/mem).
package main

import (
	"fmt"
	"os"
	"runtime"
)

func main() {
	fmt.Fprintf(os.Stderr, "privacyaudit: needs Linux (strace and /proc/PID/mem), not %s\n", runtime.GOOS)
	os.Exit(1)
}
