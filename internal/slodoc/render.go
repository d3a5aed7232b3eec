package slodoc

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"

	"github.com/headroom-slo/headroom/internal/review"
)

// The document is first written as a doc in one language, numbers
// formatted, as blocks that the Markdown and HTML backends print the same
// way: nothing in a doc depends on the backend.
type doc struct {
	Lang, Title string
	Meta        []rich
	Sections    []section
}

type section struct {
	Heading string
	Blocks  []block
}

// blockKind is what a block is; the HTML template compares it with these
// values.
type blockKind string

const (
	blockPara  blockKind = "p"     // a paragraph: Text, with its Class
	blockTable blockKind = "table" // Table
	blockList  blockKind = "list"  // a bulleted list: Items
)

type block struct {
	Kind  blockKind
	Class string // review-note for notes
	Text  rich
	Table *table
	Items []rich
}

type table struct {
	Cols []col
	Rows [][]rich
}

// col is a column: its heading, and whether it holds numbers (set right).
type col struct {
	Head string
	Num  bool
}

// rich is text with code spans (names, routes, config keys) and strong
// spans, as the review writes it.
type (
	rich = review.Rich
	seg  = review.Seg
)

func txt(s string) seg  { return seg{Text: s} }
func code(s string) seg { return seg{Text: s, Code: true} }
func bold(s string) seg { return seg{Text: s, Strong: true} }

func para(r ...seg) block     { return block{Kind: blockPara, Text: r} }
func paraR(r rich) block      { return block{Kind: blockPara, Text: r} }
func note(r rich) block       { return block{Kind: blockPara, Class: "review-note", Text: r} }
func list(items []rich) block { return block{Kind: blockList, Items: items} }
func tbl(t *table) block      { return block{Kind: blockTable, Table: t} }

// join joins riches with sep between them.
func join(parts []rich, sep string) rich {
	var out rich
	for i, p := range parts {
		if i > 0 {
			out = append(out, txt(sep))
		}
		out = append(out, p...)
	}
	return out
}

// markdown writes the doc as GitHub-flavoured Markdown.
func (d *doc) markdown() []byte {
	var b strings.Builder
	b.WriteString("# " + mdText(d.Title) + "\n\n")
	for _, m := range d.Meta {
		b.WriteString(mdRich(m, false) + "\n")
	}
	for _, s := range d.Sections {
		b.WriteString("\n## " + mdText(s.Heading) + "\n")
		for _, bl := range s.Blocks {
			b.WriteString("\n")
			switch bl.Kind {
			case blockTable:
				mdTable(&b, bl.Table)
			case blockList:
				for _, it := range bl.Items {
					b.WriteString("- " + mdRich(it, false) + "\n")
				}
			default:
				b.WriteString(mdRich(bl.Text, false) + "\n")
			}
		}
	}
	return []byte(b.String())
}

func mdTable(b *strings.Builder, t *table) {
	b.WriteString("|")
	for _, c := range t.Cols {
		b.WriteString(" " + mdText(c.Head) + " |")
	}
	b.WriteString("\n|")
	for _, c := range t.Cols {
		if c.Num {
			b.WriteString("---:|")
		} else {
			b.WriteString("---|")
		}
	}
	b.WriteString("\n")
	for _, row := range t.Rows {
		b.WriteString("|")
		for _, c := range row {
			b.WriteString(" " + mdRich(c, true) + " |")
		}
		b.WriteString("\n")
	}
}

// The review's Markdown writers.
var (
	mdRich = review.MDRich
	mdText = review.MDText
)

// html writes the doc as a self-contained page, styled by the review's CSS
// (the same classes), with no script: its article in the review's page.
func (d *doc) html() ([]byte, error) {
	var b bytes.Buffer
	if err := articleTemplate.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("slo-doc: %w", err)
	}
	return review.Page(d.Lang, d.Title, template.HTML(b.String()))
}

var articleTemplate = template.Must(template.New("article").Parse(review.RichTemplate + `
{{- define "block"}}{{if eq .Kind "table"}}<div class="review-scroll"><table class="review-table">
<thead><tr>{{range .Table.Cols}}<th{{if .Num}} class="num"{{end}}>{{.Head}}</th>{{end}}</tr></thead>
<tbody>
{{$cols := .Table.Cols}}{{range .Table.Rows}}<tr>{{range $i, $c := .}}<td{{if (index $cols $i).Num}} class="num"{{end}}>{{template "rich" $c}}</td>{{end}}</tr>
{{end}}</tbody>
</table></div>
{{else if eq .Kind "list"}}<ul class="review-list">
{{range .Items}}<li>{{template "rich" .}}</li>
{{end}}</ul>
{{else}}<p{{with .Class}} class="{{.}}"{{end}}>{{template "rich" .Text}}</p>
{{end}}{{end -}}
<article class="review" lang="{{.Lang}}">
<header class="review-head">
<h1>{{.Title}}</h1>
{{range .Meta}}<p class="review-meta">{{template "rich" .}}</p>
{{end}}</header>
{{range .Sections}}<section class="review-section">
<h2>{{.Heading}}</h2>
{{range .Blocks}}{{template "block" .}}{{end}}</section>
{{end}}</article>
`))
