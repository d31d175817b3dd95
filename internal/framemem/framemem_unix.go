//go:build unix

package framemem

import (
	"fmt"

	"golang.org/x/sys/unix"
)

func mapAnon(n int) ([]byte, error) {
	b, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		return nil, fmt.Errorf("framemem: mmap %d bytes: %w", n, err)
	}
	if err := advise(b); err != nil {
		_ = unix.Munmap(b)
		return nil, err
	}
	return b, nil
}

func pageSize() int         { return unix.Getpagesize() }
func lock(b []byte) error   { return unix.Mlock(b) }
func unlock(b []byte) error { return unix.Munlock(b) }
func unmap(b []byte) error  { return unix.Munmap(b) }
