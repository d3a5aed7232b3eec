package config

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// This file turns the YAML decoder's messages, which name Go types ("field
// fromat not found in type config.LogSource", "cannot unmarshal !!str into
// float64"), into problems in the config's own words: the field's path, the
// key or value as written, what was wanted, and for a key that looks like a
// typo the key that was probably meant.

// decodeProblem is one problem found while decoding, before validation.
type decodeProblem struct {
	line  int
	field string // the field's path, when known
	msg   string // "field: problem", or "problem" at the top level
}

// keyChecker walks a YAML document along the Go type it decodes into and
// reports the keys the type does not have. It also notes where each value
// is, so that the decoder's other messages can name the field.
type keyChecker struct {
	problems []decodeProblem
	unknown  map[lineKey]bool // reported, so the decoder's own message is dropped
	values   []valueAt
	seen     map[walked]bool // anchors used more than once are checked once
}

type lineKey struct {
	line int
	key  string
}

type valueAt struct {
	line  int
	kind  yaml.Kind
	value string
	want  string // what the field holds, in goKind's words ("" for a value that reads itself)
	path  string
}

type walked struct {
	n *yaml.Node
	t reflect.Type
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

func (k *keyChecker) walk(n *yaml.Node, t reflect.Type, path string) {
	for n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return
		}
		n = n.Alias
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if k.seen[walked{n, t}] {
		return
	}
	k.seen[walked{n, t}] = true
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		// A value that reads itself (Duration, Regexp, StatusSet, …).
		k.values = append(k.values, valueAt{line: n.Line, kind: n.Kind, value: n.Value, path: path})
		return
	}
	k.values = append(k.values, valueAt{line: n.Line, kind: n.Kind, value: n.Value, want: goKind(t.String()), path: path})
	if (t.Kind() == reflect.Float64 || t.Kind() == reflect.Float32) && n.Kind == yaml.ScalarNode {
		k.finite(n, path)
	}
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			if key.Tag == "!!merge" {
				k.merge(val, t, path)
				continue
			}
			j := slices.IndexFunc(fields, func(f yamlField) bool { return f.key == key.Value })
			if j < 0 {
				k.unknownKey(key, path, fields)
				continue
			}
			k.walk(val, fields[j].typ, join(path, key.Value))
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, e := range n.Content {
			k.walk(e, t.Elem(), path+"["+strconv.Itoa(i)+"]")
		}
	case t.Kind() == reflect.Map && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k.walk(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value))
		}
	}
}

// finite reports a float written as .nan, .inf or -.inf: YAML reads them
// as numbers, but no objective, share, rate or count of the config can be
// one, and NaN would pass every range check (it compares false).
func (k *keyChecker) finite(n *yaml.Node, path string) {
	var f float64
	if err := n.Decode(&f); err != nil {
		return // the decoder reports it
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		k.problems = append(k.problems, decodeProblem{n.Line, path, field(path, fmt.Sprintf("%s: want a finite number", n.Value))})
	}
}

// merge checks the mappings merged in with `<<: *anchor` (or a list of
// them) as keys of the mapping that merges them.
func (k *keyChecker) merge(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind == yaml.SequenceNode {
		for _, e := range n.Content {
			k.merge(e, t, path)
		}
		return
	}
	k.walk(n, t, path)
}

func (k *keyChecker) unknownKey(key *yaml.Node, path string, fields []yamlField) {
	k.unknown[lineKey{key.Line, key.Value}] = true
	known := make([]string, len(fields))
	for i, f := range fields {
		known[i] = f.key
	}
	msg := fmt.Sprintf("unknown key `%s`", key.Value)
	if s, ok := Closest(key.Value, known); ok {
		msg += fmt.Sprintf(" (did you mean `%s`?)", s)
	} else {
		msg += " (known keys: " + strings.Join(known, ", ") + ")"
	}
	k.problems = append(k.problems, decodeProblem{key.Line, "", field(path, msg)})
}

// yamlField is a key of a struct type and the type of its value.
type yamlField struct {
	key string
	typ reflect.Type
}

// yamlFields lists the keys of a struct type, in the order declared.
func yamlFields(t reflect.Type) []yamlField {
	var out []yamlField
	for i := range t.NumField() {
		f := t.Field(i)
		name, inline, ok := yamlKey(f)
		switch {
		case !ok:
		case inline && f.Type.Kind() == reflect.Struct:
			out = append(out, yamlFields(f.Type)...)
		default:
			out = append(out, yamlField{name, f.Type})
		}
	}
	return out
}

// yamlKey is the key of a struct field as go.yaml.in/yaml/v3 reads it.
func yamlKey(f reflect.StructField) (name string, inline, ok bool) {
	if !f.IsExported() {
		return "", false, false
	}
	tag := f.Tag.Get("yaml")
	if tag == "-" {
		return "", false, false
	}
	name, opts, _ := strings.Cut(tag, ",")
	inline = slices.Contains(strings.Split(opts, ","), "inline")
	if name == "" {
		name = strings.ToLower(f.Name)
	}
	return name, inline, true
}

var (
	notFoundRE = regexp.MustCompile(`^line (\d+): field (.+) not found in type \S+$`)
	typeRE     = regexp.MustCompile("^line (\\d+): cannot unmarshal !!(\\w+) (?:`(.*)` )?into (\\S+)$")
	lineRE     = regexp.MustCompile(`^line (\d+): (.*)$`)
	quotedRE   = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"`)
)

// rewrite turns one of the decoder's messages into a problem in the
// config's words, or drops it (ok false) when the key checker already
// reported it.
func (k *keyChecker) rewrite(m string) (p decodeProblem, ok bool) {
	if s := notFoundRE.FindStringSubmatch(m); s != nil {
		line, _ := strconv.Atoi(s[1])
		if k.unknown[lineKey{line, s[2]}] {
			return p, false
		}
		return decodeProblem{line, "", fmt.Sprintf("unknown key `%s`", s[2])}, true
	}
	if s := typeRE.FindStringSubmatch(m); s != nil {
		line, _ := strconv.Atoi(s[1])
		got, want := yamlKinds[s[2]], goKind(s[4])
		if got.name == "" {
			got.name = "a " + s[2]
		}
		value := got.name
		if got.kind == yaml.ScalarNode && s[2] == "str" {
			value = strconv.Quote(s[3])
		} else if got.kind == yaml.ScalarNode {
			value = s[3]
		}
		path := k.pathOf(line, got.kind, s[3], want)
		return decodeProblem{line, path, field(path, "want "+want+", not "+value)}, true
	}
	if s := lineRE.FindStringSubmatch(m); s != nil {
		line, _ := strconv.Atoi(s[1])
		value := ""
		if q := quotedRE.FindStringSubmatch(s[2]); q != nil {
			value, _ = strconv.Unquote(q[0])
		}
		path := k.pathOf(line, yaml.ScalarNode, value, "")
		return decodeProblem{line, path, field(path, s[2])}, true
	}
	return decodeProblem{0, "", m}, true
}

// pathOf returns the path of the one value on line of kind (and value, for
// a scalar) in a field that holds want (any, when ""), or "" when there is
// none or more than one.
func (k *keyChecker) pathOf(line int, kind yaml.Kind, value, want string) string {
	path, n := "", 0
	for _, v := range k.values {
		if v.line != line || v.kind != kind || (kind == yaml.ScalarNode && v.value != value) {
			continue
		}
		if want != "" && v.want != "" && v.want != want {
			continue
		}
		if v.path != path {
			path, n = v.path, n+1
		}
	}
	if n != 1 {
		return ""
	}
	return path
}

var yamlKinds = map[string]struct {
	name string
	kind yaml.Kind
}{
	"str": {"text", yaml.ScalarNode}, "int": {"a number", yaml.ScalarNode}, "float": {"a number", yaml.ScalarNode},
	"bool": {"true or false", yaml.ScalarNode}, "null": {"nothing", yaml.ScalarNode}, "timestamp": {"a time", yaml.ScalarNode},
	"binary": {"binary data", yaml.ScalarNode}, "seq": {"a list", yaml.SequenceNode}, "map": {"a mapping", yaml.MappingNode},
}

// goKind says what a Go type the decoder names holds, in YAML's words.
func goKind(t string) string {
	t = strings.TrimLeft(t, "*")
	switch {
	case t == "string":
		return "text"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"), strings.HasPrefix(t, "float"):
		return "a number"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	default: // maps and the config's structs
		return "a mapping"
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// field prefixes msg with the field's path, when there is one.
func field(path, msg string) string {
	if path == "" {
		return msg
	}
	return path + ": " + msg
}

// Closest returns the candidate nearest to word, when it is near enough for
// word to be a typo of it: at most one edit for words up to five letters,
// two for longer ones (a transposition, as in fromat, is one edit).
func Closest(word string, candidates []string) (string, bool) {
	limit := max(1, min(2, len([]rune(word))/3))
	best, bestD := "", limit+1
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(word), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best, bestD <= limit
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and transpositions of adjacent
// letters.
func editDistance(a, b string) int {
	s, t := []rune(a), []rune(b)
	d := make([][]int, len(s)+1)
	for i := range d {
		d[i] = make([]int, len(t)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(s); i++ {
		for j := 1; j <= len(t); j++ {
			cost := 1
			if s[i-1] == t[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && s[i-1] == t[j-2] && s[i-2] == t[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(s)][len(t)]
}
