package review

// The renderers first build a doc: the review's text in one language,
// numbers formatted, as blocks that the Markdown and HTML backends print
// the same way. Nothing in a doc depends on the backend.
type doc struct {
	Lang, Title string
	Meta        rich
	Sections    []section
}

// section is Y, W or T.
type section struct {
	Letter, Heading, Class string
	Blocks                 []block
}

// blockKind is what a block is; the HTML template compares it with these
// values.
type blockKind string

const (
	blockH3    blockKind = "h3"    // a subheading: Text
	blockPara  blockKind = "p"     // a paragraph: Text, with its Class
	blockTable blockKind = "table" // Table
	blockList  blockKind = "list"  // a bulleted list: Items
	blockTodo  blockKind = "todo"  // suggestions, as a task list: Items
)

// block is a subheading, a paragraph (Class "review-note" for notes,
// "review-none" for the lines that say there is nothing, "review-edit" for
// the suggestions' heading), a table, a list or a list of suggestions.
type block struct {
	Kind  blockKind
	Class string
	Text  rich
	Table *table
	Items []rich
}

type table struct {
	Class string
	Cols  []col
	Rows  [][]cell
}

// align is how a column's cells are set (the zero value: left, for text);
// its value is also their CSS class.
type align string

const (
	alignNum    align = "num"    // numbers, right
	alignMark   align = "mark"   // ✓ and ✗, centred
	alignNowrap align = "nowrap" // times
)

// col is a column: its heading and alignment.
type col struct {
	Head  string
	Align align
}

type cell struct {
	R     rich
	Class string
}

// Rich is text with code spans (names, routes, versions) and strong
// spans: what the review and the SLO document (internal/slodoc) are
// written in, printed by MDRich and the HTML templates' "rich".
type Rich []Seg

// Seg is a run of Rich text.
type Seg struct {
	Text         string
	Code, Strong bool
}

type (
	rich = Rich
	seg  = Seg
)

func txt(s string) seg  { return seg{Text: s} }
func code(s string) seg { return seg{Text: s, Code: true} }
func bold(s string) seg { return seg{Text: s, Strong: true} }

func h3(s string) block         { return block{Kind: blockH3, Text: rich{txt(s)}} }
func para(r ...seg) block       { return block{Kind: blockPara, Text: r} }
func note(s string) block       { return block{Kind: blockPara, Class: "review-note", Text: rich{txt(s)}} }
func none(s string) block       { return block{Kind: blockPara, Class: "review-none", Text: rich{txt(s)}} }
func list(items []rich) block   { return block{Kind: blockList, Items: items} }
func todo(items []rich) block   { return block{Kind: blockTodo, Items: items} }
func tableBlock(t *table) block { return block{Kind: blockTable, Table: t} }
func plain(s string) cell       { return cell{R: rich{txt(s)}} }
func codeCell(s string) cell    { return cell{R: rich{code(s)}} }
func classed(c cell, cls string) cell {
	c.Class = cls
	return c
}

// each turns every item into a line of a list.
func each[T any](items []T, line func(T) rich) []rich {
	out := make([]rich, len(items))
	for i, it := range items {
		out[i] = line(it)
	}
	return out
}
