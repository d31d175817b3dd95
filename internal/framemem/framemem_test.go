//go:build unix

package framemem

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

func TestMapIsZeroedWritableAndOwnMapping(t *testing.T) {
	n := 3*PageSize() + 17
	b, err := Map(n)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != n {
		t.Fatalf("len %d, want %d", len(b), n)
	}
	for i, v := range b {
		if v != 0 {
			t.Fatalf("byte %d is %d; a fresh mapping must be zero", i, v)
		}
	}
	b[0], b[n-1] = 1, 2
	if uintptr(unsafe.Pointer(&b[0]))%uintptr(PageSize()) != 0 {
		t.Error("mapping not page-aligned")
	}
	clear(b)
	if err := Unmap(b); err != nil {
		t.Fatal(err)
	}
	if _, err := Map(0); err == nil {
		t.Error("Map(0) succeeded")
	}
}

// On Linux the mapping carries the kernel's "dd" (do not dump) flag, read back from /proc/self/smaps.
func TestDumpExclusionReadBack(t *testing.T) {
	b, err := Map(64 << 10)
	if err != nil {
		t.Fatal(err)
	}
	defer Unmap(b)
	if runtime.GOOS == "linux" && runtime.GOARCH != "amd64" {
		// qemu-user rewrites the guest's /proc/self/smaps and does not pass madvise through.
		t.Skipf("mapping flags are checked natively on amd64, not on %s (qemu-user)", runtime.GOARCH)
	}
	flags, err := VMFlags(b)
	if runtime.GOOS != "linux" {
		if DumpExcluded {
			t.Fatal("DumpExcluded claimed outside Linux")
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if !DumpExcluded || !strings.Contains(" "+flags+" ", " dd ") {
		t.Fatalf("VmFlags %q lack dd (MADV_DONTDUMP)", flags)
	}
}

// VMFlags returns the kernel's VmFlags of the mapping that holds b, from /proc/self/smaps (Linux only).
func VMFlags(b []byte) (string, error) {
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return "", err
	}
	addr := uint64(uintptr(unsafe.Pointer(&b[0])))
	in := false
	for _, line := range strings.Split(string(smaps), "\n") {
		if lo, hi, ok := mapRange(line); ok {
			in = lo <= addr && addr < hi
			continue
		}
		if in && strings.HasPrefix(line, "VmFlags:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmFlags:")), nil
		}
	}
	return "", os.ErrNotExist
}

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
