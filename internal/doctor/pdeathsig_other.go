//go:build !linux

package doctor

import "os/exec"

// dieWithParent: only Linux has a parent-death signal; elsewhere the
// doctor's deferred stop is what ends the server.
func dieWithParent(*exec.Cmd) {}
