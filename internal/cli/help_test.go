package cli

import (
	"bytes"
	"flag"
	"github.com/headroom-slo/headroom/internal/itest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// commandPaths lists every command and subcommand of the table as typed:
// "import", "alerts backtest", "event" (a group), …
func commandPaths() [][]string {
	var out [][]string
	var walk func(prefix []string, cs []command)
	walk = func(prefix []string, cs []command) {
		for _, c := range cs {
			p := append(prefix[:len(prefix):len(prefix)], c.name)
			out = append(out, p)
			walk(p, c.subs)
		}
	}
	walk(nil, commands())
	return out
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", path, diff)
	}
}

// TestHelpGolden: `headroom -h` and every command's and subcommand's -h,
// as testdata/help/*.txt hold them.
func TestHelpGolden(t *testing.T) {
	r := run(t, "", "-h")
	if r.code != ExitOK || r.stderr != "" {
		t.Fatalf("-h: exit %d, stderr %q", r.code, r.stderr)
	}
	golden(t, "help/headroom.txt", r.stdout)
	for _, p := range commandPaths() {
		name := strings.Join(p, " ")
		t.Run(name, func(t *testing.T) {
			r := run(t, "", append(p, "-h")...)
			if r.code != ExitOK || r.stderr != "" {
				t.Fatalf("%s -h: exit %d, stderr %q", name, r.code, r.stderr)
			}
			golden(t, "help/"+strings.Join(p, "_")+".txt", r.stdout)
			// `help PATH` and `PATH --help` say the same.
			if h := run(t, "", append([]string{"help"}, p...)...); h.stdout != r.stdout || h.code != ExitOK {
				t.Errorf("help %s differs from %s -h: exit %d\n%s%s", name, name, h.code, h.stdout, h.stderr)
			}
			if h := run(t, "", append(p, "--help")...); h.stdout != r.stdout {
				t.Errorf("%s --help differs from -h", name)
			}
		})
	}
}

// TestEveryCommandExplainsItself: a usage line with its arguments, a
// paragraph and examples for every command that runs; a placeholder for
// every flag that takes a value; no flag without a usage.
func TestEveryCommandExplainsItself(t *testing.T) {
	var check func(path string, cs []command)
	check = func(prefix string, cs []command) {
		for _, c := range cs {
			path := strings.TrimSpace(prefix + " " + c.name)
			if c.summary == "" || c.about == "" {
				t.Errorf("%s: no summary or paragraph", path)
			}
			if c.new != nil && len(c.examples) == 0 {
				t.Errorf("%s: no examples", path)
			}
			for _, e := range c.examples {
				if !strings.Contains(e, "headroom "+path) {
					t.Errorf("%s: example %q does not run it", path, e)
				}
			}
			if c.new == nil && len(c.subs) == 0 {
				t.Errorf("%s: neither runs nor has subcommands", path)
			}
			for _, f := range flagsOf(&c) {
				if f.usage == "" {
					t.Errorf("%s %s: no usage", path, f.dashes())
				}
				if f.placeholder != "" && f.placeholder != strings.ToUpper(f.placeholder) {
					t.Errorf("%s %s: placeholder %q: name the value in capitals between backquotes in the usage", path, f.dashes(), f.placeholder)
				}
				if strings.Contains(f.usage, "`") {
					t.Errorf("%s %s: usage %q has a backquote left", path, f.dashes(), f.usage)
				}
			}
			if c.args != "" {
				r := run(t, "", append(strings.Fields(path), "-h")...)
				if !strings.Contains(r.stdout, "Usage: headroom "+path+" [flags] "+c.args+"\n") &&
					!strings.Contains(r.stdout, "Usage: headroom "+path+" "+c.args+"\n") {
					t.Errorf("%s -h: no usage line with %s:\n%s", path, c.args, r.stdout)
				}
			}
			check(path, c.subs)
		}
	}
	check("", commands())
}

// TestEventHelpShowsOnlyItsOwnFlags: event add and event import, which
// once shared one flag set, each show their own, and the import format's
// default is its name.
func TestEventHelpShowsOnlyItsOwnFlags(t *testing.T) {
	add := run(t, "", "event", "add", "-h").stdout
	imp := run(t, "", "event", "import", "-h").stdout
	for _, f := range []string{"--format", "FILE|-"} {
		if strings.Contains(add, f) {
			t.Errorf("event add -h shows %s:\n%s", f, add)
		}
	}
	for _, f := range []string{"--version", "--at"} {
		if strings.Contains(imp, f) {
			t.Errorf("event import -h shows %s:\n%s", f, imp)
		}
	}
	if !regexp.MustCompile(`(?m)^  --format FORMAT +read the file as`).MatchString(imp) || !strings.Contains(imp, "(default jsonl)") {
		t.Errorf("event import -h: --format is not shown as FORMAT with default jsonl:\n%s", imp)
	}
}

// TestHelpAndCompletionAgree: `headroom -h` and every command's -h list
// the same commands, subcommands and flags as each completion script
// offers for them.
func TestHelpAndCompletionAgree(t *testing.T) {
	scripts := map[string]string{}
	for _, sh := range []string{"bash", "zsh", "fish"} {
		r := run(t, "", "completion", sh)
		if r.code != ExitOK || r.stdout == "" {
			t.Fatalf("completion %s: exit %d %s", sh, r.code, r.stderr)
		}
		scripts[sh] = r.stdout
	}
	// What help lists.
	type listed struct{ subs, flags []string }
	fromHelp := map[string]listed{}
	top := run(t, "", "-h").stdout
	var cmds []string
	for _, m := range regexp.MustCompile(`(?m)^  (\S+)(?: \S+)?  +\S`).FindAllStringSubmatch(top, -1) {
		if !slices.Contains(cmds, m[1]) {
			cmds = append(cmds, m[1])
		}
	}
	fromHelp[""] = listed{subs: cmds}
	for _, p := range commandPaths() {
		h := run(t, "", append(p, "-h")...).stdout
		var l listed
		if _, after, ok := strings.Cut(h, "\nCommands:\n"); ok {
			for _, line := range strings.Split(after, "\n") {
				if !strings.HasPrefix(line, "  ") {
					break
				}
				l.subs = append(l.subs, strings.Fields(line)[0])
			}
		}
		for _, m := range regexp.MustCompile(`(?m)^  (--?[a-z][a-z0-9-]*)`).FindAllStringSubmatch(h, -1) {
			l.flags = append(l.flags, m[1])
		}
		fromHelp[strings.Join(p, " ")] = l
	}
	if len(fromHelp) < 15 {
		t.Fatalf("help lists %d commands", len(fromHelp))
	}

	// What each script offers, per command path.
	bashLine := regexp.MustCompile(`(?m)^    '([a-z -]*)'\) _headroom_reply '([^']*)' '([^']*)'`)
	fromBash := map[string]listed{}
	for _, m := range bashLine.FindAllStringSubmatch(scripts["bash"], -1) {
		subs := strings.Fields(m[3])
		if cmd := commandAt(m[1]); cmd != nil { // leave the arguments' words out
			args := cmd.argWords
			if cmd.argCmds {
				args = names(commands())
			}
			subs = slices.DeleteFunc(subs, func(w string) bool { return slices.Contains(args, w) })
		}
		fromBash[m[1]] = listed{subs: subs, flags: strings.Fields(m[2])}
	}
	fromZsh := map[string]listed{}
	for _, block := range regexp.MustCompile(`(?s)\n    '([a-z -]*)'\)\n(.*?);;`).FindAllStringSubmatch(scripts["zsh"], -1) {
		var l listed
		for _, m := range regexp.MustCompile(`'(--?[a-z][a-z0-9-]*)[=\[]`).FindAllStringSubmatch(block[2], -1) {
			l.flags = append(l.flags, m[1])
		}
		if m := regexp.MustCompile(`subs=\((.*)\)`).FindStringSubmatch(block[2]); m != nil {
			for _, s := range regexp.MustCompile(`'([a-z][a-z-]*):`).FindAllStringSubmatch(m[1], -1) {
				l.subs = append(l.subs, s[1])
			}
		}
		if m := regexp.MustCompile(`'1: :\(([a-z ]+)\)'`).FindStringSubmatch(block[2]); m != nil {
			l.subs = strings.Fields(m[1])
		}
		fromZsh[block[1]] = l
	}
	fromFish := map[string]listed{}
	for _, m := range regexp.MustCompile(`(?m)^complete -c headroom -n "__headroom_is '([a-z -]*)'" (-a ([a-z][a-z-]*) -d|-l ([a-z0-9-]+)|-s ([a-z]))`).FindAllStringSubmatch(scripts["fish"], -1) {
		l := fromFish[m[1]]
		switch {
		case m[3] != "":
			l.subs = append(l.subs, m[3])
		case m[4] != "":
			l.flags = append(l.flags, "--"+m[4])
		default:
			l.flags = append(l.flags, "-"+m[5])
		}
		fromFish[m[1]] = l
	}
	sorted := func(l listed) listed {
		slices.Sort(l.subs)
		slices.Sort(l.flags)
		return l
	}
	for sh, got := range map[string]map[string]listed{"bash": fromBash, "zsh": fromZsh, "fish": fromFish} {
		for path, want := range fromHelp {
			if diff := cmp.Diff(sorted(want), sorted(got[path]), cmp.AllowUnexported(listed{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s completion of %q differs from -h (-help +completion):\n%s", sh, path, diff)
			}
		}
		for path := range got {
			if _, ok := fromHelp[path]; !ok {
				t.Errorf("%s completion offers %q, which -h does not know", sh, path)
			}
		}
	}
}

// commandAt is the command at a path such as "event add".
func commandAt(path string) *command {
	cmds := commands()
	var c *command
	for _, name := range strings.Fields(path) {
		c = nil
		for i := range cmds {
			if cmds[i].name == name {
				c = &cmds[i]
			}
		}
		if c == nil {
			return nil
		}
		cmds = c.subs
	}
	return c
}

// TestCompletionScriptsParse runs each shell's syntax check on its script,
// when the shell is installed.
func TestCompletionScriptsParse(t *testing.T) {
	for sh, args := range map[string][]string{"bash": {"-n"}, "zsh": {"-n"}, "fish": {"--no-execute"}} {
		t.Run(sh, func(t *testing.T) {
			itest.Require(t, sh) // fails under HEADROOM_INTEGRATION=1 when missing
			path, err := itest.LookPath(sh)
			if err != nil {
				t.Fatal(err)
			}
			r := run(t, "", "completion", sh)
			cmd := exec.Command(path, args...)
			cmd.Stdin = strings.NewReader(r.stdout)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s %v: %v\n%s", sh, args, err, out)
			}
		})
	}
}

// TestBashCompletion drives the bash script as bash would on TAB.
func TestBashCompletion(t *testing.T) {
	itest.Require(t, "bash")
	bash, err := itest.LookPath("bash")
	if err != nil {
		t.Fatal(err)
	}
	script := run(t, "", "completion", "bash").stdout
	for _, tc := range []struct {
		line string // the words typed, the last one being completed
		want []string
	}{
		{"headroom al", []string{"alerts"}},
		{"headroom alerts ", []string{"backtest"}},
		{"headroom alerts backtest --s", []string{"--slo", "--step"}},
		{"headroom event ", []string{"add", "import"}},
		{"headroom event import --", []string{"--config", "--format", "--kind", "--service"}},
		{"headroom event import --format ", []string{"git", "jsonl"}},
		{"headroom review --lang ", []string{"en", "ja"}},
		{"headroom completion ", []string{"bash", "fish", "zsh"}},
		{"headroom help ev", []string{"event"}},
		{"headroom serve -", []string{"--at", "--config", "--listen", "-v"}},
	} {
		words := strings.Split(tc.line, " ")
		var b strings.Builder
		b.WriteString(script)
		b.WriteString("\nCOMP_WORDS=(")
		for _, w := range words {
			b.WriteString(shellQuote(w) + " ")
		}
		if words[len(words)-1] == "" {
			b.WriteString("''")
		}
		b.WriteString(")\nCOMP_CWORD=" + strconv.Itoa(len(words)-1) + "\n_headroom\nprintf '%s\\n' \"${COMPREPLY[@]}\" | sort\n")
		out, err := exec.Command(bash, "-c", b.String()).CombinedOutput()
		if err != nil {
			t.Fatalf("%q: %v\n%s", tc.line, err, out)
		}
		if got := strings.Fields(string(out)); !cmp.Equal(got, tc.want) {
			t.Errorf("%q completes to %q, want %q", tc.line, got, tc.want)
		}
	}
}

// TestHelpSpellsTheCommandAsRun: help and its examples say `go run
// ./cmd/headroom` when headroom was run that way.
func TestHelpSpellsTheCommandAsRun(t *testing.T) {
	var out bytes.Buffer
	Run(t.Context(), []string{"status", "-h"}, Stdio{Out: &out, Err: &out, Prog: "/tmp/go-build1234/b001/exe/headroom"})
	for _, want := range []string{"Usage: go run ./cmd/headroom status [flags]", "  go run ./cmd/headroom status --at 2026-11-19T15:00:00Z", "| jq"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status -h lacks %q:\n%s", want, out.String())
		}
	}
}

func TestProgName(t *testing.T) {
	for arg0, want := range map[string]string{
		"":                                    "headroom",
		"headroom":                            "headroom",
		"./bin/headroom":                      "./bin/headroom",
		"/tmp/go-build2716/b001/exe/headroom": "go run ./cmd/headroom",
		`C:\Temp\go-build2716\b001\exe\headroom.exe`: "go run ./cmd/headroom",
	} {
		if got := progName(arg0); got != want {
			t.Errorf("progName(%q) = %q, want %q", arg0, got, want)
		}
	}
}
