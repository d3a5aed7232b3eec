package logformat

import "strconv"

// jsonNode is a compiled JSON object template: what to do with each key.
type jsonNode struct {
	entries []jsonEntry
}

// jsonEntry is one key of a JSON template.
type jsonEntry struct {
	key   string
	prog  *program  // parses the value; nil for constants and objects
	child *jsonNode // for nested object templates
	list  bool      // the value is an upstream list, possibly bare: 0.1, 0.2
}

// find returns the entry for key, or nil.
func (n *jsonNode) find(key []byte) *jsonEntry {
	for i := range n.entries {
		if n.entries[i].key == string(key) {
			return &n.entries[i]
		}
	}
	return nil
}

// maxTemplateDepth bounds the nesting of JSON templates.
const maxTemplateDepth = 16

// tmpl compiles a JSON template.
type tmpl struct {
	src source
	s   string
	esc Escape
	has uint64
}

// compileJSON compiles the JSON template that starts at src.text[start].
func (p *Parser) compileJSON(src source, start int) error {
	t := &tmpl{src: src, s: src.text, esc: p.esc}
	root, end, err := t.object(start, 0)
	if err != nil {
		return err
	}
	if end = t.skipSpace(end); end < len(t.s) {
		return t.errAt(end, "unexpected text after the JSON object")
	}
	if t.has == 0 && !hasProgram(root) {
		return t.errAt(start, "JSON template has no variables")
	}
	p.root, p.has = root, t.has
	p.errNotObject = newParseError(VarNone, "line is not a JSON object")
	p.errTruncated = newParseError(VarNone, "truncated JSON object")
	p.errSyntax = newParseError(VarNone, "malformed JSON object")
	return nil
}

// hasProgram reports whether any key of n or of its children has a variable.
func hasProgram(n *jsonNode) bool {
	for _, e := range n.entries {
		if e.prog != nil || (e.child != nil && hasProgram(e.child)) {
			return true
		}
	}
	return false
}

// errAt returns a CompileError at t.s[i].
func (t *tmpl) errAt(i int, msg string) error {
	return &CompileError{Pos: t.src.at(i), Msg: msg}
}

func (t *tmpl) skipSpace(i int) int {
	for i < len(t.s) && isConfSpace(t.s[i]) {
		i++
	}
	return i
}

// object compiles the object whose '{' is at t.s[i] and returns the offset
// after its '}'.
func (t *tmpl) object(i, depth int) (*jsonNode, int, error) {
	if depth >= maxTemplateDepth {
		return nil, 0, t.errAt(i, "JSON template nested too deeply")
	}
	n := &jsonNode{}
	i = t.skipSpace(i + 1)
	if i < len(t.s) && t.s[i] == '}' {
		return n, i + 1, nil
	}
	for {
		i = t.skipSpace(i)
		if i >= len(t.s) || t.s[i] != '"' {
			return nil, 0, t.errAt(i, "expected a quoted key in the JSON template")
		}
		end := t.stringEnd(i)
		if end < 0 {
			return nil, 0, t.errAt(i, "unterminated string in the JSON template")
		}
		key := t.s[i+1 : end]
		for j := 0; j < len(key); j++ {
			if key[j] == '$' {
				return nil, 0, t.errAt(i+1+j, "variables in JSON keys are not supported")
			}
		}
		i = t.skipSpace(end + 1)
		if i >= len(t.s) || t.s[i] != ':' {
			return nil, 0, t.errAt(i, `expected ":" after a key in the JSON template`)
		}
		var err error
		if i, err = t.value(n, key, t.skipSpace(i+1), depth); err != nil {
			return nil, 0, err
		}
		i = t.skipSpace(i)
		if i >= len(t.s) {
			return nil, 0, t.errAt(i, "unterminated JSON template")
		}
		switch t.s[i] {
		case ',':
			i++
		case '}':
			return n, i + 1, nil
		default:
			return nil, 0, t.errAt(i, `expected "," or "}" in the JSON template`)
		}
	}
}

// value compiles the value of key at t.s[i] into n and returns the offset
// after it.
func (t *tmpl) value(n *jsonNode, key string, i, depth int) (int, error) {
	if i >= len(t.s) {
		return 0, t.errAt(i, "missing value in the JSON template")
	}
	switch t.s[i] {
	case '"':
		end := t.stringEnd(i)
		if end < 0 {
			return 0, t.errAt(i, "unterminated string in the JSON template")
		}
		return end + 1, t.addValue(n, key, i+1, end)
	case '{':
		child, end, err := t.object(i, depth+1)
		if err != nil {
			return 0, err
		}
		n.entries = append(n.entries, jsonEntry{key: key, child: child})
		return end, nil
	case '[':
		return 0, t.errAt(i, "arrays are not supported in JSON templates")
	}
	end := i
	for end < len(t.s) && t.s[end] != ',' && t.s[end] != '}' && !isConfSpace(t.s[end]) {
		end++
	}
	if end == i {
		return 0, t.errAt(i, "missing value in the JSON template")
	}
	return end, t.addValue(n, key, i, end)
}

// addValue compiles the value template t.s[start:end] of key.
func (t *tmpl) addValue(n *jsonNode, key string, start, end int) error {
	items, err := tokenize(t.src, start, end)
	if err != nil {
		return err
	}
	prog, has, err := buildProgram(t.src, items, t.esc, "JSON value "+strconv.Quote(key))
	if err != nil || prog == nil {
		return err
	}
	t.has |= has
	e := jsonEntry{key: key, prog: prog}
	single := len(prog.lead) == 0 && len(prog.steps) == 1 && len(prog.steps[0].lit) == 0
	e.list = single && prog.steps[0].kind == scanList
	n.entries = append(n.entries, e)
	if single && len(items) == 1 {
		if v, ok := VarByName(items[0].name); ok && v.String() == key {
			alias := e
			alias.key = "$" + key
			n.entries = append(n.entries, alias)
		}
	}
	return nil
}

// stringEnd returns the offset of the '"' that closes the string whose
// opening '"' is at t.s[i], or -1.
func (t *tmpl) stringEnd(i int) int {
	for j := i + 1; j < len(t.s); j++ {
		switch t.s[j] {
		case '\\':
			j++
		case '"':
			return j
		}
	}
	return -1
}
