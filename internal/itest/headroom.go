package itest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Headroom builds ./cmd/headroom once per test process, when a test first
// asks for it (so -short runs build nothing), into a temporary directory that
// Cleanup removes; TestMain calls Cleanup after m.Run.
type Headroom struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// buildTimeout bounds `go build ./cmd/headroom`.
const buildTimeout = 2 * time.Minute

// Path returns the binary's path, building it first; it fails the test when
// the build fails.
func (h *Headroom) Path(t testing.TB) string {
	t.Helper()
	h.once.Do(func() { h.path, h.err = h.build() })
	if h.err != nil {
		t.Fatalf("build headroom: %v", h.err)
	}
	return h.path
}

func (h *Headroom) build() (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("go tool: %w", err)
	}
	if h.dir, err = os.MkdirTemp("", "headroom-bin-"); err != nil {
		return "", err
	}
	out := filepath.Join(h.dir, "headroom")
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", out, "./cmd/headroom")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/headroom: %v\n%s", err, b)
	}
	return out, nil
}

// Cleanup removes the built binary.
func (h *Headroom) Cleanup() {
	if h.dir != "" {
		os.RemoveAll(h.dir)
	}
}

// ModuleRoot walks up from the working directory to the directory holding
// go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
