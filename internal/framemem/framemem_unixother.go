//go:build unix && !linux

package framemem

// DumpExcluded reports whether Map's memory is left out of core dumps by the kernel. This system has no
// such advice; only RLIMIT_CORE=0 keeps frames out of core files.
const DumpExcluded = false

func advise([]byte) error { return nil }
