package hwcheck

import (
	"fmt"
	"os"
	"runtime"
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
	addr := fmt.Sprintf("%x-", uintptr(unsafe.Pointer(&buf[0])))
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Skipf("no /proc/self/smaps: %v", err)
	}
	i := strings.Index(string(smaps), addr)
	if i < 0 {
		t.Fatalf("mapping %s not found in smaps", addr)
	}
	rest := string(smaps[i:])
	j := strings.Index(rest, "VmFlags:")
	if j < 0 {
		t.Fatal("no VmFlags for the mapping")
	}
	flags := strings.Fields(strings.SplitN(rest[j+len("VmFlags:"):], "\n", 2)[0])
	found := false
	for _, f := range flags {
		found = found || f == "dd"
	}
	if !found && runtime.GOARCH != "amd64" {
		t.Skipf("no dd flag on %s: qemu-user does not pass madvise through (checked natively on amd64)", runtime.GOARCH)
	}
	if !found {
		t.Fatalf("buffer mapping flags %v lack dd (MADV_DONTDUMP)", flags)
	}
}
