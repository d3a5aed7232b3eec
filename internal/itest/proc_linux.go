package itest

import "syscall"

// procAttr puts nginx in its own process group, so that killGroup reaches
// the workers too, and has the kernel kill the master if the test binary
// dies without running its cleanups.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// killGroup sends SIGKILL to the process group led by pid.
func killGroup(pid int) {
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}
