//go:build linux

package harden

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestApply runs in a child process, because the settings cannot be undone in this one.
func TestApply(t *testing.T) {
	if os.Getenv("HARDEN_CHILD") == "1" {
		before := Read()
		st, err := Apply()
		if err != nil {
			t.Fatal(err)
		}
		if st.Dumpable != 0 || st.CoreLimit != 0 {
			t.Fatalf("after Apply: %+v", st)
		}
		if before.Dumpable == 0 {
			t.Log("note: process was already non-dumpable")
		}
		// /proc/self/status still readable, and reports the same.
		b, err := os.ReadFile("/proc/self/limits")
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "Max core file size") && !strings.Contains(line, " 0 ") {
				t.Fatalf("/proc/self/limits: %q", line)
			}
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestApply$", "-test.v")
	cmd.Env = append(os.Environ(), "HARDEN_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "PASS") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func TestReadIsPlausible(t *testing.T) {
	st := Read()
	if st.Dumpable < 0 || st.Dumpable > 2 {
		t.Fatalf("dumpable = %d", st.Dumpable)
	}
}
