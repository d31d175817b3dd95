// Package harden keeps the process's memory out of core dumps and away from same-user debuggers.
//
// On Linux, Apply sets PR_SET_DUMPABLE to 0 (prctl(2): no core dumps, and no ptrace or /proc/PID/mem
// access by other processes of the same user) and RLIMIT_CORE to 0. Other Unix systems have no
// PR_SET_DUMPABLE: Apply sets RLIMIT_CORE to 0 and returns an error saying what is missing. Elsewhere
// (Windows) it changes nothing and returns an error.
package harden

// State is what the process's privacy-relevant settings read back as.
type State struct {
	Dumpable  int    // PR_GET_DUMPABLE: 0 means no core dumps and no same-uid ptrace; -1 means unknown
	CoreLimit uint64 // RLIMIT_CORE soft limit in bytes; the maximum uint64 means unknown
}

// unknown never looks safe.
var unknown = State{Dumpable: -1, CoreLimit: ^uint64(0)}

// Apply sets what this system allows (see the package doc), then reads the settings back. Call it once at
// start, before any frame is captured. A non-nil error means the process is less protected than on Linux;
// the State says how.
func Apply() (State, error) { return apply() }

// Read returns the current settings. A value that cannot be read is reported as -1 (dumpable) or the
// maximum uint64 (core limit), which never looks safe.
func Read() State { return read() }
