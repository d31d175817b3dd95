package framemem

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// DumpExcluded reports whether Map's memory is left out of core dumps by the kernel (MADV_DONTDUMP).
const DumpExcluded = true

// advise keeps the mapping out of core dumps (which must hold) and gives a forked child zeroes instead of
// a copy (best effort: MADV_WIPEONFORK needs Linux 4.14).
func advise(b []byte) error {
	if err := unix.Madvise(b, unix.MADV_DONTDUMP); err != nil {
		return fmt.Errorf("framemem: madvise(MADV_DONTDUMP): %w", err)
	}
	_ = unix.Madvise(b, unix.MADV_WIPEONFORK)
	return nil
}
