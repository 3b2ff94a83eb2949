//go:build unix

package build

import (
	"os"
	"os/exec"
	"syscall"
)

// setGroup makes cmd the leader of a new process group, so that the whole
// build (make and its compilers, sh and its children) can be signalled at once.
func setGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setDeathSignal(cmd.SysProcAttr)
}

// signalGroup sends SIGTERM, or SIGKILL when kill is set, to p's process
// group. After p has been waited for, the group lives on while any of its
// processes do (and its id is not handed out again meanwhile); ESRCH means
// nothing is left, which is what we want.
func signalGroup(p *os.Process, kill bool) {
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	_ = syscall.Kill(-p.Pid, sig)
}
