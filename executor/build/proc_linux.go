package build

import "syscall"

// setDeathSignal has the kernel kill the build's main process when lambdas
// dies (even by SIGKILL, when no cleanup of ours can run).
func setDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
