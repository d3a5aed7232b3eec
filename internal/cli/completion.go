package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
)

// completionCmd is `headroom completion bash|zsh|fish`. The scripts are
// written from the command table, as -h is, so they offer exactly the
// commands and flags that exist.
type completionCmd struct{}

func (*completionCmd) flags(*flag.FlagSet) {}

func (*completionCmd) run(_ context.Context, args []string, stdio Stdio) error {
	if len(args) != 1 {
		return usagef("want one shell: bash, zsh or fish")
	}
	cmds := completionTable()
	switch args[0] {
	case "bash":
		writeBash(stdio.Out, cmds)
	case "zsh":
		writeZsh(stdio.Out, cmds)
	case "fish":
		writeFish(stdio.Out, cmds)
	default:
		return usagef("shell %q: want bash, zsh or fish", args[0])
	}
	return nil
}

// compCmd is a command path as completion sees it.
type compCmd struct {
	path     string // "" for headroom itself, "alerts backtest"
	summary  string
	subs     []compCmd // its subcommands (for the root: the commands)
	flags    []cmdFlag
	argFiles bool
	argWords []string
	argCmds  bool // the arguments are commands: argWords lists them
}

// completionTable lists headroom itself and every command and subcommand,
// parents first.
func completionTable() []compCmd {
	var walk func(prefix string, cs []command) []compCmd
	walk = func(prefix string, cs []command) []compCmd {
		var out []compCmd
		for i := range cs {
			c := &cs[i]
			path := strings.TrimSpace(prefix + " " + c.name)
			cc := compCmd{path: path, summary: c.summary, flags: flagsOf(c), argFiles: c.argFiles, argWords: c.argWords, argCmds: c.argCmds}
			subs := walk(path, c.subs)
			for _, s := range subs {
				if strings.Count(s.path, " ") == strings.Count(path, " ")+1 {
					cc.subs = append(cc.subs, s)
				}
			}
			out = append(out, cc)
			out = append(out, subs...)
		}
		return out
	}
	all := walk("", commands())
	root := compCmd{}
	for _, c := range all {
		if !strings.Contains(c.path, " ") {
			root.subs = append(root.subs, c)
		}
	}
	for i := range all {
		if all[i].argCmds {
			all[i].argWords = root.subNames()
		}
	}
	return append([]compCmd{root}, all...)
}

// name is the last word of the path.
func (c compCmd) name() string { return c.path[strings.LastIndex(c.path, " ")+1:] }

func (c compCmd) subNames() []string {
	var out []string
	for _, s := range c.subs {
		out = append(out, s.name())
	}
	return out
}

func (c compCmd) flagNames() []string {
	var out []string
	for _, f := range c.flags {
		out = append(out, f.dashes())
	}
	return out
}

// valueFiles says what a flag's value completes to: files, directories, or
// nothing ("").
func (f cmdFlag) valueFiles() string {
	switch f.placeholder {
	case "FILE":
		return "files"
	case "DIR":
		return "dirs"
	}
	return ""
}

// pathLoop is the bash and zsh loop that sets cmd to the command path
// typed: the words from the first, up to the one completed, that extend a
// command path. It leaves i at the word after the path.
func pathLoop(words, first, current string, cmds []compCmd) string {
	return fmt.Sprintf(`    local cmd="" next i
    for ((i = %s; i < %s; i++)); do
        next="${cmd:+$cmd }${%s[i]}"
        case "$next" in
        %s) cmd=$next ;;
        *) break ;;
        esac
    done
`, first, current, words, paths(cmds))
}

// paths lists the command paths but the root's, quoted for a shell case.
func paths(cmds []compCmd) string {
	var out []string
	for _, c := range cmds[1:] {
		out = append(out, "'"+c.path+"'")
	}
	return strings.Join(out, "|")
}

func writeBash(w io.Writer, cmds []compCmd) {
	fmt.Fprintf(w, `# bash completion for headroom, written by `+"`headroom completion bash`"+`.
# Load it from ~/.bashrc: source <(headroom completion bash)

_headroom_reply() { # FLAGS WORDS [files]
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$1" -- "$cur"))
        return
    fi
    COMPREPLY=($(compgen -W "$2" -- "$cur"))
    if [[ $3 == files ]]; then
        compopt -o filenames 2>/dev/null
        COMPREPLY+=($(compgen -f -- "$cur"))
    fi
}

_headroom() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
%s    case "$cmd $prev" in
`, pathLoop("COMP_WORDS", "1", "COMP_CWORD", cmds))
	for _, c := range cmds[1:] {
		for _, f := range c.flags {
			key := "'" + c.path + " " + f.dashes() + "')"
			switch {
			case f.placeholder == "":
				continue
			case len(f.choices) > 0:
				fmt.Fprintf(w, "    %s COMPREPLY=($(compgen -W '%s' -- \"$cur\")); return ;;\n", key, strings.Join(f.choices, " "))
			case f.valueFiles() == "files":
				fmt.Fprintf(w, "    %s compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n", key)
			case f.valueFiles() == "dirs":
				fmt.Fprintf(w, "    %s compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- \"$cur\")); return ;;\n", key)
			default:
				fmt.Fprintf(w, "    %s COMPREPLY=(); return ;; # %s\n", key, f.placeholder)
			}
		}
	}
	fmt.Fprint(w, "    esac\n    case \"$cmd\" in\n")
	for _, c := range cmds {
		files := ""
		if c.argFiles {
			files = " files"
		}
		words := append(c.subNames(), c.argWords...)
		fmt.Fprintf(w, "    '%s') _headroom_reply '%s' '%s'%s ;;\n", c.path, strings.Join(c.flagNames(), " "), strings.Join(words, " "), files)
	}
	fmt.Fprint(w, "    esac\n}\n\ncomplete -F _headroom headroom\n")
}

func writeZsh(w io.Writer, cmds []compCmd) {
	fmt.Fprintf(w, `#compdef headroom
# zsh completion for headroom, written by `+"`headroom completion zsh`"+`.
# Save it as _headroom in a directory of $fpath, or load it: source <(headroom completion zsh)

_headroom() {
%s    if (( i > 2 )); then
        shift $((i - 2)) words
        (( CURRENT -= i - 2 ))
    fi
    local -a subs
    case "$cmd" in
`, pathLoop("words", "2", "CURRENT", cmds))
	for _, c := range cmds {
		fmt.Fprintf(w, "    '%s')\n", c.path)
		var specs []string
		for _, f := range c.flags {
			desc := zshQuote(f.usage)
			switch {
			case f.placeholder == "":
				specs = append(specs, "'"+f.dashes()+"["+desc+"]'")
			case len(f.choices) > 0:
				specs = append(specs, "'"+f.dashes()+"=["+desc+"]:"+f.placeholder+":("+strings.Join(f.choices, " ")+")'")
			case f.valueFiles() == "files":
				specs = append(specs, "'"+f.dashes()+"=["+desc+"]:"+f.placeholder+":_files'")
			case f.valueFiles() == "dirs":
				specs = append(specs, "'"+f.dashes()+"=["+desc+"]:"+f.placeholder+":_files -/'")
			default:
				specs = append(specs, "'"+f.dashes()+"=["+desc+"]:"+f.placeholder+": '")
			}
		}
		switch {
		case len(c.subs) > 0 && len(c.flags) == 0 && !c.argFiles && len(c.argWords) == 0:
			fmt.Fprintf(w, "        subs=(%s)\n        _describe -t commands '%s' subs ;;\n", zshDescribe(c.subs), strings.Join(strings.Fields("headroom "+c.path+" command"), " "))
			continue
		case len(c.subs) > 0:
			specs = append(specs, "'1: :("+strings.Join(c.subNames(), " ")+")'")
		case len(c.argWords) > 0:
			specs = append(specs, "'*: :("+strings.Join(c.argWords, " ")+")'")
		case c.argFiles:
			specs = append(specs, "'*:file:_files'")
		}
		if len(specs) == 0 {
			fmt.Fprint(w, "        ;;\n")
			continue
		}
		fmt.Fprintf(w, "        _arguments -s \\\n            %s ;;\n", strings.Join(specs, " \\\n            "))
	}
	fmt.Fprint(w, "    esac\n}\n\nif [[ $zsh_eval_context[-1] == loadautofunc ]]; then\n    _headroom \"$@\"\nelse\n    compdef _headroom headroom\nfi\n")
}

// zshDescribe is an array of name:summary words for _describe.
func zshDescribe(cmds []compCmd) string {
	var out []string
	for _, c := range cmds {
		out = append(out, "'"+c.name()+":"+strings.ReplaceAll(c.summary, "'", `'\''`)+"'")
	}
	return strings.Join(out, " ")
}

// zshQuote makes text fit in a single-quoted _arguments description.
func zshQuote(s string) string {
	return strings.NewReplacer(`\`, `\\`, "[", `\[`, "]", `\]`, ":", `\:`, "'", `'\''`).Replace(s)
}

func writeFish(w io.Writer, cmds []compCmd) {
	fmt.Fprintf(w, `# fish completion for headroom, written by `+"`headroom completion fish`"+`.
# Save it as ~/.config/fish/completions/headroom.fish

function __headroom_cmd
    set -l cmd ""
    for word in (commandline -opc)[2..-1]
        set -l next (string trim -- "$cmd $word")
        switch $next
            case %s
                set cmd $next
            case '*'
                break
        end
    end
    echo $cmd
end

function __headroom_is
    set -l cmd (__headroom_cmd)
    test "$cmd" = "$argv"
end

complete -c headroom -f
`, strings.ReplaceAll(paths(cmds), "|", " "))
	for _, c := range cmds {
		cond := `-n "__headroom_is '` + c.path + `'"`
		for _, s := range c.subs {
			fmt.Fprintf(w, "complete -c headroom %s -a %s -d %s\n", cond, s.name(), fishQuote(s.summary))
		}
		for _, f := range c.flags {
			opt := "-l " + f.name
			if len(f.name) == 1 {
				opt = "-s " + f.name
			}
			switch {
			case f.placeholder == "":
			case len(f.choices) > 0:
				opt += " -x -a " + fishQuote(strings.Join(f.choices, " "))
			case f.valueFiles() != "":
				opt += " -r -F"
			default:
				opt += " -x"
			}
			fmt.Fprintf(w, "complete -c headroom %s %s -d %s\n", cond, opt, fishQuote(f.usage))
		}
		if len(c.argWords) > 0 {
			fmt.Fprintf(w, "complete -c headroom %s -a %s\n", cond, fishQuote(strings.Join(c.argWords, " ")))
		}
		if c.argFiles {
			fmt.Fprintf(w, "complete -c headroom %s -F\n", cond)
		}
	}
}

// fishQuote quotes s for fish: single quotes, with \ and ' escaped.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, "'", `\'`).Replace(s) + "'"
}
