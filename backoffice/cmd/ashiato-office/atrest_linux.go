package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// encryptedAtRest reports whether dir is on a block device that is, or sits on, a dm-crypt mapping (LUKS
// or plain dm-crypt, possibly under LVM): the device's dm/uuid in sysfs starts with "CRYPT-" (see the
// kernel's Documentation/admin-guide/device-mapper/dm-crypt.rst and cryptsetup's naming). Anything it
// cannot see through (a network file system, btrfs's anonymous devices, an encrypted file system such as
// fscrypt) reports false: the privacy page then says the office found no encryption, never more.
func encryptedAtRest(dir string) bool {
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		return false
	}
	dev := uint64(st.Dev)
	return cryptDevice(fmt.Sprintf("/sys/dev/block/%d:%d", unix.Major(dev), unix.Minor(dev)), 0)
}

func cryptDevice(sys string, depth int) bool {
	if depth > 4 {
		return false
	}
	if b, err := os.ReadFile(filepath.Join(sys, "dm", "uuid")); err == nil && strings.HasPrefix(string(b), "CRYPT-") {
		return true
	}
	// A partition's device directory has no slaves of its own: its parent disk's does.
	slaves, _ := filepath.Glob(filepath.Join(sys, "slaves", "*"))
	for _, s := range slaves {
		if cryptDevice(s, depth+1) {
			return true
		}
	}
	return false
}
