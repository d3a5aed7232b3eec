package slodoc_test

import (
	"bytes"
	"io"
	"strings"

	"golang.org/x/net/html"
)

// reporter is the part of testing.TB the checkers use, so that a test can
// see them fail.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

type fakeT struct{ failed bool }

func (*fakeT) Helper()                 {}
func (f *fakeT) Errorf(string, ...any) { f.failed = true }

// rowCells counts the cells of a Markdown table row: the pipes not escaped
// with a backslash, less one (GitHub splits rows on them even inside code
// spans).
func rowCells(row string) int {
	pipes := 0
	for i := 0; i < len(row); i++ {
		switch row[i] {
		case '\\':
			i++
		case '|':
			pipes++
		}
	}
	return pipes - 1
}

// checkTables checks that md has tables and that every row of each has as
// many cells as its header, under a delimiter row of as many.
func checkTables(t reporter, md []byte) {
	t.Helper()
	lines := strings.Split(string(md), "\n")
	tables := 0
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "|") {
			continue
		}
		tables++
		n := rowCells(lines[i])
		if i+1 >= len(lines) || rowCells(lines[i+1]) != n || strings.Trim(lines[i+1], "|-: ") != "" {
			t.Errorf("table at line %d: no delimiter row of %d cells under its header", i+1, n)
		}
		j := i + 2
		for ; j < len(lines) && strings.HasPrefix(lines[j], "|"); j++ {
			if got := rowCells(lines[j]); got != n || !strings.HasSuffix(lines[j], "|") {
				t.Errorf("table at line %d: row at line %d has %d cells, the header %d: %q", i+1, j+1, got, n, lines[j])
			}
		}
		i = j
	}
	if tables == 0 {
		t.Errorf("no Markdown tables found")
	}
}

// void are the HTML elements without an end tag.
var void = map[string]bool{"meta": true, "br": true, "hr": true, "img": true, "link": true, "input": true}

// checkHTML checks that page is a whole HTML document whose every element
// is closed in order, with a title, a table and no script.
func checkHTML(t reporter, page []byte) {
	t.Helper()
	z := html.NewTokenizer(bytes.NewReader(page))
	var stack []string
	seen := map[string]bool{}
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				t.Errorf("HTML: %v", z.Err())
			}
			break
		}
		name, _ := z.TagName()
		tag := string(name)
		switch tt {
		case html.StartTagToken:
			seen[tag] = true
			if !void[tag] {
				stack = append(stack, tag)
			}
		case html.EndTagToken:
			if len(stack) == 0 || stack[len(stack)-1] != tag {
				t.Errorf("HTML: </%s> closes %v", tag, stack)
				return
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) > 0 {
		t.Errorf("HTML: %v left open", stack)
	}
	for _, want := range []string{"html", "title", "h1", "table", "style"} {
		if !seen[want] {
			t.Errorf("HTML: no <%s>", want)
		}
	}
	if seen["script"] {
		t.Errorf("HTML: a <script> element")
	}
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Errorf("HTML: %v", err)
		return
	}
	if doc.FirstChild == nil || doc.FirstChild.Type != html.DoctypeNode {
		t.Errorf("HTML: no doctype")
	}
}
