//go:build unix && !linux

package harden

import (
	"fmt"
	"runtime"
)

func apply() (State, error) {
	if err := setCoreLimit(); err != nil {
		return Read(), err
	}
	st := Read()
	if st.CoreLimit != 0 {
		return st, fmt.Errorf("harden: core limit did not stick: %d", st.CoreLimit)
	}
	return st, fmt.Errorf("harden: %s has no PR_SET_DUMPABLE: core files are off (RLIMIT_CORE=0), but "+
		"debuggers of the same user can still read this process's memory", runtime.GOOS)
}

func read() State {
	st := unknown
	st.CoreLimit = coreLimit()
	return st
}
