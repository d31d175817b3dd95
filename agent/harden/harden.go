// Package harden keeps the process's memory out of core dumps and away from same-user debuggers.
package harden

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// State is what the process's privacy-relevant settings read back as.
type State struct {
	Dumpable  int    // PR_GET_DUMPABLE: 0 means no core dumps and no same-uid ptrace
	CoreLimit uint64 // RLIMIT_CORE soft limit in bytes
}

// Apply sets PR_SET_DUMPABLE to 0 and RLIMIT_CORE to 0, then reads both back. Call it once at start, before
// any frame is captured.
func Apply() (State, error) {
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{Cur: 0, Max: 0}); err != nil {
		return Read(), fmt.Errorf("harden: setrlimit(RLIMIT_CORE, 0): %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return Read(), fmt.Errorf("harden: prctl(PR_SET_DUMPABLE, 0): %w", err)
	}
	st := Read()
	if st.Dumpable != 0 || st.CoreLimit != 0 {
		return st, fmt.Errorf("harden: settings did not stick: dumpable=%d core limit=%d", st.Dumpable, st.CoreLimit)
	}
	return st, nil
}

// Read returns the current settings. A value that cannot be read is reported as -1 (dumpable) or the
// maximum uint64 (core limit), which never looks safe.
func Read() State {
	st := State{Dumpable: -1, CoreLimit: ^uint64(0)}
	if d, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0); err == nil {
		st.Dumpable = d
	}
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &rl); err == nil {
		st.CoreLimit = uint64(rl.Cur)
	}
	return st
}
