package main

import (
	"strings"
	"testing"
)

func TestTraceFindsFileWrites(t *testing.T) {
	for _, tc := range []struct {
		line string
		bad  bool
	}{
		{`openat(AT_FDCWD, "/tmp/frame.raw", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0666) = 3`, true},
		{`openat(AT_FDCWD, "/tmp/frame.raw", O_RDWR|O_CLOEXEC) = -1 ENOENT (No such file or directory)`, true},
		{`openat(7, "cache/x", O_WRONLY|O_APPEND) = 9`, true},
		{`open("/var/tmp/x", O_RDWR) = 4`, true},
		{`openat2(AT_FDCWD, "/tmp/y", {flags=O_WRONLY|O_CREAT, mode=0600, resolve=0}, 24) = 5`, true},
		{`creat("/tmp/z", 0644) = 3`, true},
		{`renameat2(AT_FDCWD, "a", AT_FDCWD, "b", 0) = 0`, true},
		{`unlinkat(AT_FDCWD, "/tmp/a", 0) = 0`, true},
		{`mkdirat(AT_FDCWD, "/tmp/d", 0700) = 0`, true},
		{`ftruncate(3, 0) = 0`, true},
		{`memfd_create("frames", MFD_CLOEXEC) = 5`, true},
		{`linkat(AT_FDCWD, "a", AT_FDCWD, "b", 0) = 0`, true},
		{`openat(AT_FDCWD, "/tmp/", O_RDWR|O_TMPFILE, 0600) = 6`, true},
		{`sendmmsg(5, [{msg_hdr={…}, msg_len=100}], 1, 0) = 1`, true},
		{`openat(AT_FDCWD, "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", O_RDONLY) = 3`, false},
		{`openat(AT_FDCWD, "/dev/null", O_WRONLY|O_CLOEXEC) = 3`, false},
		{`openat(AT_FDCWD, "/proc/self/status", O_RDONLY|O_CLOEXEC) = 3`, false},
		{`openat(AT_FDCWD, "/tmp/clip.y4m", O_RDONLY|O_CLOEXEC) = 3`, false},
		{`unlinkat(AT_FDCWD, "/tmp/a", 0) = -1 ENOENT (No such file or directory)`, false},
		{`write(1, "{\"v\":1}\n", 8) = 8`, false},
		{`--- SIGURG {si_signo=SIGURG, si_code=SI_TKILL, si_pid=1, si_uid=0} ---`, false},
		{`+++ exited with 0 +++`, false},
	} {
		var f Finding
		if err := f.scan(strings.NewReader(tc.line + "\n")); err != nil {
			t.Fatal(err)
		}
		if got := len(f.FileWrites) > 0; got != tc.bad {
			t.Errorf("%s: flagged %v, want %v", tc.line, got, tc.bad)
		}
	}
}

func TestTraceCountsBytesWritten(t *testing.T) {
	trace := `write(1, "{\"topic\":\"a\"}\n", 14) = 14
writev(2, [{iov_base="x", iov_len=1}], 1) = 1000
sendto(5, "\x10", 1, 0, NULL, 0) = 1
pwrite64(3, "y", 1, 0) = -1 EBADF (Bad file descriptor)
write(1, "zz", 2) = 2
`
	var f Finding
	if err := f.scan(strings.NewReader(trace)); err != nil {
		t.Fatal(err)
	}
	if f.Written != 1017 || f.Calls != 5 || len(f.FileWrites) != 0 {
		t.Fatalf("%+v; want 1017 bytes in 5 calls", f)
	}
	if err := f.verdict(1017 * 100); err == nil || !strings.Contains(err.Error(), "1%") {
		t.Errorf("1%% of the frame bytes written passed: %v", err)
	}
	if err := f.verdict(1017*100 + 1); err != nil {
		t.Errorf("just under 1%%: %v", err)
	}
	var empty Finding
	if err := empty.verdict(1000); err == nil {
		t.Error("an empty trace passed")
	}
}

func TestSceneIsDeterministicAndMoves(t *testing.T) {
	s := scene{W: 96, H: 72, Walkers: 3, Seed: 1, FPS: 10}
	a, b, c := make([]byte, 96*72), make([]byte, 96*72), make([]byte, 96*72)
	s.frame(5, a)
	s.frame(5, b)
	s.frame(25, c)
	if string(a) != string(b) {
		t.Fatal("the same frame rendered twice differs")
	}
	dark := func(p []byte) (n int) {
		for _, v := range p {
			if v < 30 || v > 200 {
				n++
			}
		}
		return n
	}
	if dark(a) == 0 || string(a) == string(c) {
		t.Fatal("no walker, or nothing moves")
	}
}
