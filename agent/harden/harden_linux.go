package harden

import (
	"fmt"

	"golang.org/x/sys/unix"
)

func apply() (State, error) {
	if err := setCoreLimit(); err != nil {
		return Read(), err
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

func read() State {
	st := unknown
	if d, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0); err == nil {
		st.Dumpable = d
	}
	st.CoreLimit = coreLimit()
	return st
}
