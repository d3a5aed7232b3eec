package review

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"strings"
)

// HTMLBody renders the review as the markup of a page's <main>: an
// <article class="review">, styled by classes only (no style attributes, no
// <style>, no script), for pages served under a Content-Security-Policy
// without inline styles. CSS styles it.
func HTMLBody(r *Review, lang string) (template.HTML, error) {
	d, err := build(r, lang)
	if err != nil {
		return "", err
	}
	return d.body()
}

// HTML renders the review as a complete, self-contained HTML document to
// print or save: HTMLBody in a <main>, with CSS inline.
func HTML(r *Review, lang string) ([]byte, error) {
	d, err := build(r, lang)
	if err != nil {
		return nil, err
	}
	body, err := d.body()
	if err != nil {
		return nil, err
	}
	return Page(d.Lang, d.Title, body)
}

// Page wraps body, an <article class="review"> styled by CSS's classes, in
// a complete, self-contained HTML document with CSS inline: the review's
// and the SLO document's (internal/slodoc) printable page.
func Page(lang, title string, body template.HTML) ([]byte, error) {
	var b bytes.Buffer
	err := pageTemplate.Execute(&b, struct {
		Lang, Title string
		CSS         template.CSS
		Body        template.HTML
	}{lang, title, template.CSS(CSS), body})
	if err != nil {
		return nil, fmt.Errorf("page: %w", err)
	}
	return b.Bytes(), nil
}

// CSS styles HTMLBody's classes, on screen and in print (review.css). HTML
// inlines it; a page served under a Content-Security-Policy without inline
// styles serves it as a stylesheet of its own. It reads the dashboard's
// colour variables (--fg, --muted, --border, --line, --panel, --red, --ok)
// where they are set. It is a variable only because go:embed fills
// variables: treat it as read-only.
//
//go:embed review.css
var CSS string

func (d *doc) body() (template.HTML, error) {
	var b bytes.Buffer
	if err := bodyTemplate.ExecuteTemplate(&b, "body", d); err != nil {
		return "", fmt.Errorf("review: %w", err)
	}
	return template.HTML(b.String()), nil
}

// RichTemplate defines the template "rich", which writes a Rich as HTML:
// the review's and the SLO document's (internal/slodoc) templates start
// with it.
const RichTemplate = `{{define "rich"}}{{range .}}{{if .Code}}<code>{{.Text}}</code>{{else if .Strong}}<strong>{{.Text}}</strong>{{else}}{{.Text}}{{end}}{{end}}{{end}}`

var bodyTemplate = template.Must(template.New("review").Funcs(template.FuncMap{
	"cellClass": func(c col, cl cell) string { return strings.TrimSpace(string(c.Align) + " " + cl.Class) },
	"colClass":  func(c col) string { return string(c.Align) },
	"at":        func(cols []col, i int) col { return cols[i] },
}).Parse(RichTemplate + `
{{- define "block"}}{{if eq .Kind "h3"}}<h3>{{template "rich" .Text}}</h3>
{{else if eq .Kind "table"}}{{$cols := .Table.Cols}}<div class="review-scroll"><table class="review-table {{.Table.Class}}">
<thead><tr>{{range .Table.Cols}}<th{{with colClass .}} class="{{.}}"{{end}}>{{.Head}}</th>{{end}}</tr></thead>
<tbody>
{{range .Table.Rows}}<tr>{{range $i, $c := .}}<td{{with cellClass (at $cols $i) $c}} class="{{.}}"{{end}}>{{template "rich" $c.R}}</td>{{end}}</tr>
{{end}}</tbody>
</table></div>
{{else if eq .Kind "list"}}<ul class="review-list">
{{range .Items}}<li>{{template "rich" .}}</li>
{{end}}</ul>
{{else if eq .Kind "todo"}}<ul class="review-todo">
{{range .Items}}<li>{{template "rich" .}}</li>
{{end}}</ul>
{{else}}<p{{with .Class}} class="{{.}}"{{end}}>{{template "rich" .Text}}</p>
{{end}}{{end}}
{{- define "body"}}<article class="review" lang="{{.Lang}}">
<header class="review-head">
<h1>{{.Title}}</h1>
<p class="review-meta">{{template "rich" .Meta}}</p>
</header>
{{range .Sections}}<section class="review-section {{.Class}}">
<h2><span class="review-letter">{{.Letter}}</span> — {{.Heading}}</h2>
{{range .Blocks}}{{template "block" .}}{{end}}</section>
{{end}}</article>
{{end}}`))

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
{{.CSS}}</style>
</head>
<body class="review-page">
<main>
{{.Body}}</main>
</body>
</html>
`))
