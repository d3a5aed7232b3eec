//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package ingest

import (
	"os"
	"syscall"

	"github.com/headroom-slo/headroom/internal/store"
)

// fileID returns the device and inode of a file.
func fileID(fi os.FileInfo) store.FileID {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return store.FileID{}
	}
	return store.FileID{Dev: uint64(st.Dev), Ino: uint64(st.Ino)}
}
