//go:build unix

package harden

import (
	"fmt"

	"golang.org/x/sys/unix"
)

func setCoreLimit() error {
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{Cur: 0, Max: 0}); err != nil {
		return fmt.Errorf("harden: setrlimit(RLIMIT_CORE, 0): %w", err)
	}
	return nil
}

// coreLimit is the RLIMIT_CORE soft limit, or the maximum uint64 if it cannot be read.
func coreLimit() uint64 {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &rl); err != nil {
		return ^uint64(0)
	}
	return uint64(rl.Cur)
}
