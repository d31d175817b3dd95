// Package framemem maps memory for frame bytes outside the Go heap, so that they can be locked in RAM,
// kept out of core dumps and wiped before they are released.
//
// The Go heap cannot hold frames: the garbage collector may leave copies behind, the heap cannot be
// excluded from core dumps, and locking all of it (mlockall) locks the runtime's whole arena reservation
// (golang/go#28081). An anonymous private mapping of its own has none of these problems.
//
// What each system gives:
//   - Linux: mmap, mlock, MADV_DONTDUMP (out of core dumps, madvise(2)) and MADV_WIPEONFORK (a child gets
//     zeroes, Linux 4.14 and later, best effort).
//   - other Unix systems (macOS, the BSDs): mmap and mlock; there is no portable way to keep a mapping out
//     of a core dump, so DumpExcluded is false and only RLIMIT_CORE=0 (package agent/harden) keeps frames
//     out of core files.
//   - everything else (Windows, Plan 9, WebAssembly): Map fails with an error wrapping
//     errors.ErrUnsupported.
package framemem

import (
	"errors"
	"fmt"
	"runtime"
)

// ErrUnsupported is returned by Map on systems without anonymous memory mappings; it wraps
// errors.ErrUnsupported.
var ErrUnsupported = fmt.Errorf("framemem: frame memory outside the Go heap needs mmap, which %s lacks: "+
	"run the agent on Linux (or another Unix for development): %w", runtime.GOOS, errors.ErrUnsupported)

// Map returns n zeroed bytes in an anonymous private mapping of their own, outside the Go heap, marked as
// this system allows (see DumpExcluded). The memory is not locked: call Lock. Release it with Unmap, after
// wiping it; the memory must not be used after that.
func Map(n int) ([]byte, error) {
	if n <= 0 {
		return nil, fmt.Errorf("framemem: map %d bytes: size must be positive", n)
	}
	return mapAnon(n)
}

// PageSize is the system's memory page size; Map's mappings are page-aligned.
func PageSize() int { return pageSize() }

// Lock locks b in RAM (mlock), so that it is never written to swap. It fails when the process may not
// lock that much memory (RLIMIT_MEMLOCK for a user without CAP_IPC_LOCK).
func Lock(b []byte) error { return lock(b) }

// Unlock undoes Lock.
func Unlock(b []byte) error { return unlock(b) }

// Unmap releases a mapping returned by Map. It does not wipe it: the caller does that first.
func Unmap(b []byte) error { return unmap(b) }
