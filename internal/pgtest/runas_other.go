//go:build !unix

package pgtest

import "os/exec"

// runAs is a no-op where processes carry no Unix credentials: PostgreSQL's refusal of root does not arise.
func runAs(cmd *exec.Cmd, uid, gid int) {}
