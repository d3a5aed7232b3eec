package layers

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const module = "github.com/headroom-slo/headroom/"

// testHelpers may be imported by tests only; testOnly packages have only
// tests (and a doc.go).
var (
	testHelpers = []string{"internal/itest", "internal/headroomtest"}
	testOnly    = []string{"internal/e2e", "internal/browser", "internal/layers", "deploy"}
)

// order reads the package table of docs/architecture.md: each package's
// rank, top (0) to bottom.
func order(t *testing.T) map[string]int {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	row := regexp.MustCompile("^\\| `([a-z0-9/]+)` \\|")
	rank := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := row.FindStringSubmatch(sc.Text()); m != nil {
			if _, dup := rank[m[1]]; dup {
				t.Fatalf("docs/architecture.md lists %s twice", m[1])
			}
			rank[m[1]] = len(rank)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rank) < 10 {
		t.Fatalf("docs/architecture.md: found %d packages in the table, want them all", len(rank))
	}
	return rank
}

// pkg is a package of the module and its internal imports, by path
// relative to the module.
type pkg struct {
	path    string
	code    bool     // has non-test Go files
	imports []string // by non-test code
}

func packages(t *testing.T) []pkg {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list packages: %v", err)
	}
	cmd := exec.Command(goBin, "list", "-f", `{{.ImportPath}}|{{len .GoFiles}}|{{join .Imports ","}}`, module+"...")
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "|")
		if len(f) != 3 {
			t.Fatalf("go list: %q", line)
		}
		p := pkg{path: strings.TrimPrefix(f[0], module), code: f[1] != "0"}
		for _, imp := range strings.Split(f[2], ",") {
			if rel, ok := strings.CutPrefix(imp, module); ok {
				p.imports = append(p.imports, rel)
			}
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages", len(pkgs))
	}
	return pkgs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestImportsFollowTheLayers: every package imports only packages above it
// in docs/architecture.md, and every package is in that table.
func TestImportsFollowTheLayers(t *testing.T) {
	rank := order(t)
	checked := 0
	for _, p := range packages(t) {
		if contains(testHelpers, p.path) || contains(testOnly, p.path) {
			continue
		}
		r, ok := rank[p.path]
		if !ok {
			t.Errorf("%s is not in docs/architecture.md's package table: add it where its imports put it", p.path)
			continue
		}
		for _, imp := range p.imports {
			if contains(testHelpers, imp) {
				continue // TestNoTestHelpersInCode says it
			}
			ri, ok := rank[imp]
			switch {
			case !ok:
				t.Errorf("%s imports %s, which is not in docs/architecture.md's package table", p.path, imp)
			case ri >= r:
				t.Errorf("%s imports %s, listed below it in docs/architecture.md: the import runs against the flow", p.path, imp)
			}
			checked++
		}
	}
	if checked < 30 {
		t.Fatalf("checked %d imports: the package list is wrong", checked)
	}
}

// TestNoTestHelpersInCode: itest and headroomtest are for tests only.
func TestNoTestHelpersInCode(t *testing.T) {
	for _, p := range packages(t) {
		if contains(testHelpers, p.path) {
			continue
		}
		for _, imp := range p.imports {
			if contains(testHelpers, imp) {
				t.Errorf("%s imports the test helper %s outside its tests", p.path, imp)
			}
		}
		if contains(testOnly, p.path) && len(p.imports) > 0 {
			t.Errorf("%s should hold tests only, but its code imports %v", p.path, p.imports)
		}
	}
}
