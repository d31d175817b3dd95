//go:build !arm || !arm.6

package tracker

import "encoding/binary"

// load8 reads eight pixels little-endian: lane k is the pixel at b[k]. 64-bit targets compile it to one
// load.
func load8(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }

// store8 writes the eight lanes of v to b[0:8], lane k to b[k].
func store8(b []byte, v uint64) { binary.LittleEndian.PutUint64(b, v) }
