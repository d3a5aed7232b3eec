package browser

import "syscall"

// procAttr has the kernel kill a started headroom if the test binary dies
// without running its cleanups.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
