package deploy

import (
	"context"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// moduleRoot is the module's directory, seen from this package's.
const moduleRoot = ".."

// goBuildFlags are the Dockerfile's `go build` flags (TestDockerfile checks
// that they are): the binary the tests build is the one the image holds.
var goBuildFlags = []string{"-trimpath", "-buildvcs=false", "-tags", "timetzdata", "-ldflags=-s -w"}

// staticBuild is the static headroom binary, built once per test process
// when a test first asks for it.
var staticBuild struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// buildTimeout bounds the build: a cold build of modernc.org/sqlite takes
// minutes on a busy two-core machine.
const buildTimeout = 10 * time.Minute

func TestMain(m *testing.M) {
	code := m.Run()
	if staticBuild.dir != "" {
		os.RemoveAll(staticBuild.dir)
	}
	os.Exit(code)
}

// headroomBinary returns the path of headroom built with CGO_ENABLED=0 and
// goBuildFlags, building it first. It skips under -short: the build takes
// a while.
func headroomBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds headroom: skipped under -short")
	}
	b := &staticBuild
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "headroom-deploy-"); b.err != nil {
			return
		}
		b.path = filepath.Join(b.dir, "headroom")
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		defer cancel()
		args := append([]string{"build"}, goBuildFlags...)
		args = append(args, "-o", b.path, "./cmd/headroom")
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = moduleRoot
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("CGO_ENABLED=0 go %v: %v\n%s", args, err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// TestStaticBinary: headroom built as the image builds it needs no dynamic
// loader and no shared library, so it runs FROM scratch; and it recorded
// the settings that make it so.
func TestStaticBinary(t *testing.T) {
	bin := headroomBinary(t)
	if err := staticELF(bin); err != nil {
		t.Errorf("CGO_ENABLED=0 go build: %v", err)
	}
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	for k, want := range map[string]string{"CGO_ENABLED": "0", "-tags": "timetzdata", "-trimpath": "true"} {
		if settings[k] != want {
			t.Errorf("build setting %s = %q, want %q", k, settings[k], want)
		}
	}

	// The check itself tells a dynamic executable from a static one.
	const dynamic = "/bin/sh"
	if _, err := os.Stat(dynamic); err == nil {
		if err := staticELF(dynamic); err == nil {
			t.Errorf("staticELF(%s) = nil, want an error: Debian's shell is linked dynamically", dynamic)
		}
	}
}

// staticELF returns an error when the executable at path asks for a dynamic
// loader or a shared library (what `ldd` would list).
func staticELF(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var errs []error
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			errs = append(errs, errors.New("it asks for a dynamic loader (PT_INTERP)"))
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return err
	}
	if len(libs) > 0 {
		errs = append(errs, fmt.Errorf("it needs shared libraries %v", libs))
	}
	return errors.Join(errs...)
}
