//go:build linux

package hwcheck

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// The default capture buffer lives outside the Go heap and is kept out of core dumps, as the agent's ring.
func TestLockedBufferIsOutOfCoreDumps(t *testing.T) {
	buf, release, err := lockedBuffer(640 * 480)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if len(buf) != 640*480 {
		t.Fatalf("len %d", len(buf))
	}
	buf[0], buf[len(buf)-1] = 1, 2 // writable
	if runtime.GOARCH != "amd64" {
		// qemu-user rewrites the guest's /proc/self/smaps and does not pass madvise through.
		t.Skipf("mapping flags are checked natively on amd64, not on %s (qemu-user)", runtime.GOARCH)
	}
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Skipf("no /proc/self/smaps: %v", err)
	}
	addr := uint64(uintptr(unsafe.Pointer(&buf[0])))
	var flags []string
	in := false
	for _, line := range strings.Split(string(smaps), "\n") {
		if lo, hi, ok := mapRange(line); ok {
			in = lo <= addr && addr < hi
			continue
		}
		if in && strings.HasPrefix(line, "VmFlags:") {
			flags = strings.Fields(strings.TrimPrefix(line, "VmFlags:"))
			break
		}
	}
	if flags == nil {
		t.Fatalf("no mapping holding %#x in smaps", addr)
	}
	for _, f := range flags {
		if f == "dd" {
			return
		}
	}
	t.Fatalf("buffer mapping flags %v lack dd (MADV_DONTDUMP)", flags)
}

// mapRange parses the "start-end" of an smaps mapping header line.
func mapRange(line string) (lo, hi uint64, ok bool) {
	f, _, _ := strings.Cut(line, " ")
	a, b, found := strings.Cut(f, "-")
	if !found {
		return 0, 0, false
	}
	lo, err1 := strconv.ParseUint(a, 16, 64)
	hi, err2 := strconv.ParseUint(b, 16, 64)
	return lo, hi, err1 == nil && err2 == nil
}
