package main

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// traced is what the strace audit looks for; strace is run with -e trace= this list.
var traced = []string{
	// creating, changing or removing files
	"open", "openat", "openat2", "creat", "rename", "renameat", "renameat2", "unlink", "unlinkat", "rmdir",
	"mkdir", "mkdirat", "link", "linkat", "symlink", "symlinkat", "mknod", "mknodat", "truncate", "ftruncate",
	"fallocate", "memfd_create",
	// bytes leaving the process
	"write", "writev", "pwrite64", "pwritev", "pwritev2", "sendto", "sendmsg", "sendmmsg", "sendfile",
	"splice", "copy_file_range",
}

// Finding is the outcome of reading one trace.
type Finding struct {
	// FileWrites are the calls that opened a regular file for writing or creating, or created, renamed,
	// truncated or removed anything; the audit requires none.
	FileWrites []string
	// Written is the sum of the byte counts returned by the write and send calls.
	Written int64
	// Calls is the number of traced calls seen, so that an empty trace is noticed.
	Calls int
}

var (
	// open, openat, creat: path and flags ("openat(AT_FDCWD, "x", O_WRONLY|O_CREAT, 0644) = 3").
	openCall = regexp.MustCompile(`^(open|openat)\((?:[^,"]*, )?"((?:[^"\\]|\\.)*)"(?:\.\.\.)?, ([A-Z0-9_|]+)`)
	// openat2 keeps its flags in a struct: openat2(AT_FDCWD, "x", {flags=O_RDONLY|O_CLOEXEC, …}, 24).
	openat2Call = regexp.MustCompile(`^openat2\((?:[^,"]*, )?"((?:[^"\\]|\\.)*)"(?:\.\.\.)?, \{flags=([A-Z0-9_|]+)`)
	// the result at the end of a completed call: " = 3", " = -1 ENOENT (No such file or directory)".
	result = regexp.MustCompile(`\) += (-?\d+)(?: [A-Z]+ \(.*\))?$`)
	name   = regexp.MustCompile(`^([a-z0-9_]+)\(`)
)

// writeFlags are the open flags that let a call change a file.
var writeFlags = []string{"O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_TMPFILE", "O_APPEND"}

// virtualFS are the paths where opening for writing touches no storage (device nodes, kernel interfaces).
var virtualFS = []string{"/dev/", "/proc/", "/sys/"}

// scan reads one strace output (strace -ff writes one file per thread, so no call is split over lines)
// and adds what it finds to f. Lines strace adds for signals ("--- SIGURG …") and exits ("+++ exited …")
// are skipped.
func (f *Finding) scan(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "---") || strings.HasPrefix(line, "+++") || line == "" {
			continue
		}
		m := name.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		f.Calls++
		call := m[1]
		res := int64(-1)
		if r := result.FindStringSubmatch(line); r != nil {
			res, _ = strconv.ParseInt(r[1], 10, 64)
		}
		switch call {
		case "open", "openat", "openat2":
			// Any attempt counts, failed or not: the agent has no business trying.
			var path, flags string
			if o := openCall.FindStringSubmatch(line); o != nil {
				path, flags = o[2], o[3]
			} else if o := openat2Call.FindStringSubmatch(line); o != nil {
				path, flags = o[1], o[2]
			} else {
				f.FileWrites = append(f.FileWrites, "unparsed: "+line)
				continue
			}
			if hasAny(flags, writeFlags) && !underAny(path, virtualFS) {
				f.FileWrites = append(f.FileWrites, line)
			}
		case "write", "writev", "pwrite64", "pwritev", "pwritev2", "sendto", "sendmsg", "sendmmsg", "sendfile",
			"splice", "copy_file_range":
			if call == "sendmmsg" { // returns messages, not bytes: count it as a file write to be looked at
				f.FileWrites = append(f.FileWrites, line)
			}
			if res > 0 {
				f.Written += res
			}
		default: // creat, rename…, unlink…, mkdir…, link…, truncate, fallocate, memfd_create
			if res >= 0 {
				f.FileWrites = append(f.FileWrites, line)
			}
		}
	}
	return sc.Err()
}

func hasAny(flags string, want []string) bool {
	for _, fl := range strings.Split(flags, "|") {
		for _, w := range want {
			if fl == w {
				return true
			}
		}
	}
	return false
}

func underAny(path string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// verdict checks f against the audit's bar for frameBytes read: no file writes, and bytes written under
// 1 % of the frame bytes.
func (f *Finding) verdict(frameBytes int64) error {
	if f.Calls == 0 {
		return fmt.Errorf("the trace holds no system call at all: strace did not trace the agent")
	}
	if len(f.FileWrites) > 0 {
		n := min(len(f.FileWrites), 3)
		return fmt.Errorf("%d file writes, e.g. %s", len(f.FileWrites), strings.Join(f.FileWrites[:n], " | "))
	}
	if frameBytes <= 0 {
		return fmt.Errorf("no frame bytes were read")
	}
	if ratio := float64(f.Written) / float64(frameBytes); ratio >= 0.01 {
		return fmt.Errorf("wrote %d bytes, %.3f%% of the %d frame bytes read; the bar is 1%%", f.Written, 100*ratio, frameBytes)
	}
	return nil
}
