package doctor

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the measured server die with the doctor, even if
// the doctor is killed.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
