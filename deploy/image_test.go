package deploy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/itest"
)

// goBuildLine is how the Dockerfile spells goBuildFlags.
const goBuildLine = "go build -trimpath -buildvcs=false -tags timetzdata -ldflags='-s -w'"

// imageUser is the uid:gid the image runs headroom as.
const imageUser = "65532:65532"

// rootfsEntry is a file or directory the Dockerfile's build stage puts in
// /rootfs, which becomes the image's file system. The buildah test lays
// out the same tree in place of the build stage, which needs the golang
// image (and a registry) to run.
type rootfsEntry struct {
	path  string      // in the image
	mode  os.FileMode // with its type bits
	owner int         // uid and gid
	from  string      // a file's content: "binary" or "ca"
	// shell is the build stage's line that makes it.
	shell string
}

var rootfs = []rootfsEntry{
	{path: "/usr/local/bin/headroom", mode: 0o755, from: "binary", shell: "-o /rootfs/usr/local/bin/headroom ./cmd/headroom"},
	{path: "/etc/ssl/certs/ca-certificates.crt", mode: 0o644, from: "ca", shell: "cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ca-certificates.crt"},
	{path: "/etc/headroom", mode: os.ModeDir | 0o755, shell: "/rootfs/etc/headroom"},
	{path: "/tmp", mode: os.ModeDir | os.ModeSticky | 0o777, shell: "chmod 1777 /rootfs/tmp"},
	{path: "/var/lib/headroom", mode: os.ModeDir | 0o755, owner: 65532, shell: "chown " + imageUser + " /rootfs/var/lib/headroom"},
}

// dockerfile is the Dockerfile read as instructions, by stage.
type dockerfile struct {
	stages [][]instruction
}

type instruction struct {
	cmd  string // upper case: FROM, RUN, COPY…
	args string // continuation lines joined with spaces
}

func readDockerfile(t *testing.T) dockerfile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(moduleRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var df dockerfile
	var cur strings.Builder
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		cmd, args, _ := strings.Cut(line, " ")
		in := instruction{cmd: strings.ToUpper(cmd), args: strings.Join(strings.Fields(args), " ")}
		if in.cmd == "FROM" {
			df.stages = append(df.stages, nil)
		}
		if len(df.stages) == 0 {
			if in.cmd != "ARG" {
				t.Fatalf("Dockerfile: %s before the first FROM", in.cmd)
			}
			return
		}
		df.stages[len(df.stages)-1] = append(df.stages[len(df.stages)-1], in)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "#") {
			continue
		}
		if s, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(line)
		flush()
	}
	flush()
	return df
}

func (s stage) all(cmd string) []string {
	var out []string
	for _, in := range s {
		if in.cmd == cmd {
			out = append(out, in.args)
		}
	}
	return out
}

type stage []instruction

// TestDockerfile: a golang build stage makes a static binary with the
// flags the tests build with, and the rootfs the buildah test lays out;
// the final stage is FROM scratch with only that rootfs, a numeric
// non-root user, port 8080 and headroom as the entrypoint.
func TestDockerfile(t *testing.T) {
	df := readDockerfile(t)
	if len(df.stages) != 2 {
		t.Fatalf("Dockerfile: %d stages, want 2 (build, final)", len(df.stages))
	}
	build, final := stage(df.stages[0]), stage(df.stages[1])
	if from := build[0].args; !strings.Contains(from, "golang:") || !strings.HasSuffix(from, " AS build") {
		t.Errorf("Dockerfile: the first stage is FROM %s, want the golang image AS build", from)
	}
	run := strings.Join(build.all("RUN"), "\n")
	for _, want := range []string{"CGO_ENABLED=0", goBuildLine} {
		if !strings.Contains(run, want) {
			t.Errorf("Dockerfile: no RUN of the build stage has %q: the tests build with %v", want, goBuildFlags)
		}
	}
	for _, e := range rootfs {
		if !strings.Contains(run, e.shell) {
			t.Errorf("Dockerfile: the build stage does not make %s (%q): the buildah test lays it out", e.path, e.shell)
		}
	}

	if final[0].args != "scratch" {
		t.Errorf("Dockerfile: the final stage is FROM %s, want scratch", final[0].args)
	}
	want := []instruction{
		{"FROM", "scratch"},
		{"COPY", "--from=build /rootfs/ /"},
		{"USER", imageUser},
		{"WORKDIR", "/var/lib/headroom"},
		{"EXPOSE", "8080"},
		{"ENTRYPOINT", `["/usr/local/bin/headroom"]`},
		{"CMD", `["serve", "--config", "/etc/headroom/headroom.yaml"]`},
	}
	if diff := cmp.Diff(want, []instruction(final), cmp.AllowUnexported(instruction{})); diff != "" {
		t.Errorf("Dockerfile: final stage (-want +got):\n%s", diff)
	}
	if _, port, _ := strings.Cut(config.DefaultListen, ":"); port != "8080" {
		t.Errorf("EXPOSE 8080, but server.listen's default port is %s", port)
	}

	ignore, err := os.ReadFile(filepath.Join(moduleRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(strings.Split(string(ignore), "\n"), ".git") {
		t.Errorf(".dockerignore does not leave out .git: the build uses -buildvcs=false because the builder gets no history")
	}
}

// TestImage builds the Dockerfile with buildah, the build stage replaced
// by the static binary the test built (--build-context build=DIR: the
// golang image cannot be pulled here), checks the image's config, then
// runs headroom in it as the image's user: `import` writes a store in
// /var/lib/headroom, and `status` reads it, with a sprint time zone that
// only the compiled-in tzdata knows (scratch has no /usr/share/zoneinfo).
func TestImage(t *testing.T) {
	itest.Require(t, "buildah")
	if os.Geteuid() != 0 {
		t.Skip("buildah builds here as root only (CI runs as root)")
	}
	bin := headroomBinary(t)

	ctx := t.TempDir()
	for _, e := range rootfs {
		p := filepath.Join(ctx, "rootfs", e.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case e.mode.IsDir():
			err = os.Mkdir(p, 0o755)
		case e.from == "binary":
			err = copyFile(bin, p)
		case e.from == "ca":
			// The host's bundle, or a stand-in: the test checks only that
			// the image has the file.
			if err = copyFile("/etc/ssl/certs/ca-certificates.crt", p); os.IsNotExist(err) {
				err = os.WriteFile(p, []byte("# CA certificates\n"), 0o644)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, e.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, e.owner, e.owner); err != nil {
			t.Fatal(err)
		}
	}

	b := buildah{t: t, root: t.TempDir()}
	t.Cleanup(func() {
		b.quiet("rm", "--all")
		b.quiet("rmi", "--all", "--force")
	})
	const tag = "localhost/headroom:test"
	empty := t.TempDir()
	b.run("build", "--isolation", "chroot", "--build-context", "build="+ctx,
		"--file", filepath.Join(moduleRoot, "Dockerfile"), "--tag", tag, empty)

	var image struct {
		OCIv1 struct {
			Config struct {
				User         string
				ExposedPorts map[string]struct{}
				Entrypoint   []string
				Cmd          []string
				WorkingDir   string
			} `json:"config"`
		}
	}
	if err := json.Unmarshal(b.run("inspect", "--type", "image", tag), &image); err != nil {
		t.Fatal(err)
	}
	cfg := image.OCIv1.Config
	if cfg.User != imageUser || cfg.WorkingDir != "/var/lib/headroom" {
		t.Errorf("image user %q, working directory %q; want %s, /var/lib/headroom", cfg.User, cfg.WorkingDir, imageUser)
	}
	if _, ok := cfg.ExposedPorts["8080/tcp"]; !ok || len(cfg.ExposedPorts) != 1 {
		t.Errorf("image exposes %v, want 8080/tcp", cfg.ExposedPorts)
	}
	if !slices.Equal(cfg.Entrypoint, []string{"/usr/local/bin/headroom"}) || !slices.Equal(cfg.Cmd, []string{"serve", "--config", "/etc/headroom/headroom.yaml"}) {
		t.Errorf("image entrypoint %q, cmd %q", cfg.Entrypoint, cfg.Cmd)
	}

	c := strings.TrimSpace(string(b.run("from", tag)))
	mnt := strings.TrimSpace(string(b.run("mount", c)))
	t.Cleanup(func() { b.quiet("umount", c) })
	for _, e := range rootfs {
		fi, err := os.Lstat(filepath.Join(mnt, e.path))
		if err != nil {
			t.Errorf("image: %v", err)
			continue
		}
		st := fi.Sys().(*syscall.Stat_t)
		if fi.Mode() != e.mode || int(st.Uid) != e.owner || int(st.Gid) != e.owner {
			t.Errorf("image: %s is %v owned by %d:%d, want %v owned by %d:%d", e.path, fi.Mode(), st.Uid, st.Gid, e.mode, e.owner, e.owner)
		}
	}

	etc := t.TempDir()
	if err := os.Chmod(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	const yaml = `storage: {dir: /var/lib/headroom}
sprints: {start: 2026-11-02, timezone: Asia/Tokyo}
services:
  - name: web
    logs: [{path: /etc/headroom/access.log, format: combined}]
slos:
  - {name: web-availability, service: web, objective: 99.9, window: 28d, sli: {type: availability}}
`
	const log = `192.0.2.1 - - [19/Nov/2026:15:00:10 +0000] "GET /a HTTP/1.1" 200 12 "-" "curl/8"
192.0.2.1 - - [19/Nov/2026:15:00:11 +0000] "GET /b HTTP/1.1" 503 12 "-" "curl/8"
`
	for name, text := range map[string]string{"headroom.yaml": yaml, "access.log": log} {
		if err := os.WriteFile(filepath.Join(etc, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in := func(args ...string) []byte {
		return b.run(append([]string{"run", "--isolation", "chroot", "--volume", etc + ":/etc/headroom:ro", c,
			"--", "/usr/local/bin/headroom"}, args...)...)
	}
	in("import", "--config", "/etc/headroom/headroom.yaml")
	var status struct {
		SLOs []struct{ Total, Bad int } `json:"slos"`
	}
	out := in("status", "--config", "/etc/headroom/headroom.yaml", "--at", "2026-11-19T15:01:00Z", "--json")
	if err := json.Unmarshal(out, &status); err != nil {
		t.Fatalf("status --json in the image: %v\n%s", err, out)
	}
	if len(status.SLOs) != 1 || status.SLOs[0].Total != 2 || status.SLOs[0].Bad != 1 {
		t.Errorf("status in the image: %+v, want one SLO with 2 requests, 1 bad", status.SLOs)
	}
	fi, err := os.Stat(filepath.Join(mnt, "var/lib/headroom/headroom.db"))
	if err != nil {
		t.Fatalf("the store is not in /var/lib/headroom: %v", err)
	}
	if st := fi.Sys().(*syscall.Stat_t); strconv.Itoa(int(st.Uid))+":"+strconv.Itoa(int(st.Gid)) != imageUser {
		t.Errorf("the store is owned by %d:%d, want the image's user %s", st.Uid, st.Gid, imageUser)
	}
}

// buildah runs buildah on a storage of the test's own (vfs: no overlay
// mounts needed), never the machine's.
type buildah struct {
	t    *testing.T
	root string
}

func (b buildah) cmd(args ...string) *exec.Cmd {
	global := []string{"--root", filepath.Join(b.root, "storage"), "--runroot", filepath.Join(b.root, "run"), "--storage-driver", "vfs"}
	cmd := exec.Command("buildah", append(global, args...)...)
	cmd.Env = append(os.Environ(), "BUILDAH_ISOLATION=chroot")
	return cmd
}

// run returns what buildah printed on stdout, and fails the test when it
// fails.
func (b buildah) run(args ...string) []byte {
	b.t.Helper()
	var stderr bytes.Buffer
	cmd := b.cmd(args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		b.t.Fatalf("buildah %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return out
}

// quiet runs a clean-up step, logging a failure.
func (b buildah) quiet(args ...string) {
	if out, err := b.cmd(args...).CombinedOutput(); err != nil {
		b.t.Logf("buildah %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		return fmt.Errorf("copy %s: %w", from, err)
	}
	return nil
}
