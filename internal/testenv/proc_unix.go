//go:build unix

package testenv

import (
	"os/exec"
	"runtime"
	"syscall"
)

// startChild starts cmd in its own process group. On Linux it also asks the
// kernel to kill the child when its parent dies, so a crashed or killed test
// binary leaves no moto_server behind. Pdeathsig is bound to the OS thread
// that forked, not to the process: fork from a locked thread that is kept
// alive for the life of the process, or the child would die whenever the Go
// runtime retires that thread.
func startChild(cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setDeathSignal(cmd.SysProcAttr)
	errc := make(chan error)
	go func() {
		runtime.LockOSThread()
		errc <- cmd.Start()
		select {} // never unlock, never return: the thread must outlive the child
	}()
	return <-errc
}

// signalGroup sends SIGTERM (or SIGKILL) to the child's process group.
func signalGroup(cmd *exec.Cmd, kill bool) {
	if cmd.Process == nil {
		return
	}
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	if err := syscall.Kill(-cmd.Process.Pid, sig); err != nil {
		_ = cmd.Process.Signal(sig)
	}
}
