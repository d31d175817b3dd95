//go:build arm && arm.6

package tracker

import "unsafe"

// On 32-bit ARM, Go does not merge byte loads into word loads (encoding/binary's Uint64 compiles to eight
// byte loads and seven ORs, and PutUint64 to eight byte stores), which made loading and storing eight
// pixels cost what handling them one at a time did. Two word accesses give the same lanes: ARM Linux runs
// little-endian, and ARMv6 and later load and store unaligned words (LDR, STR) in hardware. ARMv5 does not
// (an unaligned LDR rotates the word), so GOARM=5 builds take the portable version.

// load8 reads eight pixels little-endian: lane k is the pixel at b[k].
func load8(b []byte) uint64 {
	_ = b[7]
	p := unsafe.Pointer(unsafe.SliceData(b))
	return uint64(*(*uint32)(p)) | uint64(*(*uint32)(unsafe.Add(p, 4)))<<32
}

// store8 writes the eight lanes of v to b[0:8], lane k to b[k].
func store8(b []byte, v uint64) {
	_ = b[7]
	p := unsafe.Pointer(unsafe.SliceData(b))
	*(*uint32)(p) = uint32(v)
	*(*uint32)(unsafe.Add(p, 4)) = uint32(v >> 32)
}
