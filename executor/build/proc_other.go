//go:build !unix

package build

import (
	"os"
	"os/exec"
)

// Without process groups, only the main process can be stopped.
func setGroup(*exec.Cmd) {}

func signalGroup(p *os.Process, kill bool) { _ = p.Kill() }
