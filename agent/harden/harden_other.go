//go:build !unix

package harden

import (
	"fmt"
	"runtime"
)

func apply() (State, error) {
	return unknown, fmt.Errorf("harden: not implemented on %s: core dumps and debugger access are not restricted", runtime.GOOS)
}

func read() State { return unknown }
