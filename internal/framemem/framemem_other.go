//go:build !unix

package framemem

// DumpExcluded reports whether Map's memory is left out of core dumps; Map does not work here at all.
const DumpExcluded = false

func mapAnon(int) ([]byte, error) { return nil, ErrUnsupported }
func pageSize() int               { return 4096 }
func lock([]byte) error           { return ErrUnsupported }
func unlock([]byte) error         { return ErrUnsupported }
func unmap([]byte) error          { return ErrUnsupported }
