//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package ingest

import (
	"os"

	"github.com/headroom-slo/headroom/internal/store"
)

// fileID knows no inodes here: a row belongs to the file at its path.
func fileID(os.FileInfo) store.FileID { return store.FileID{} }
