//go:build unix && !linux

package build

import "syscall"

func setDeathSignal(*syscall.SysProcAttr) {}
