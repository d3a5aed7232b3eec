//go:build unix && !linux

package itest

import "syscall"

// procAttr puts nginx in its own process group, so that killGroup reaches
// the workers too.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// killGroup sends SIGKILL to the process group led by pid.
func killGroup(pid int) {
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}
