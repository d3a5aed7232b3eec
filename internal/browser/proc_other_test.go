//go:build !linux

package browser

import "syscall"

// procAttr sets nothing: only Linux can tie a child's life to its parent.
func procAttr() *syscall.SysProcAttr { return nil }
