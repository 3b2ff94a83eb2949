//go:build !unix

package testenv

import "os/exec"

func startChild(cmd *exec.Cmd) error { return cmd.Start() }

func signalGroup(cmd *exec.Cmd, _ bool) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}
