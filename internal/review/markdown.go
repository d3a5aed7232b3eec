package review

import "strings"

// Markdown renders the review as Markdown (GitHub flavoured: tables and
// task lists) in lang, "en" or "ja".
func Markdown(r *Review, lang string) ([]byte, error) {
	d, err := build(r, lang)
	if err != nil {
		return nil, err
	}
	return d.markdown(), nil
}

func (d *doc) markdown() []byte {
	var b strings.Builder
	b.WriteString("# " + MDText(d.Title) + "\n\n")
	b.WriteString(MDRich(d.Meta, false) + "\n")
	for _, s := range d.Sections {
		b.WriteString("\n## " + s.Letter + " — " + s.Heading + "\n")
		for _, bl := range s.Blocks {
			b.WriteString("\n")
			switch bl.Kind {
			case blockH3:
				b.WriteString("### " + MDRich(bl.Text, false) + "\n")
			case blockTable:
				mdTable(&b, bl.Table)
			case blockList, blockTodo:
				mark := "- "
				if bl.Kind == blockTodo {
					mark = "- [ ] "
				}
				for _, it := range bl.Items {
					b.WriteString(mark + MDRich(it, false) + "\n")
				}
			default:
				b.WriteString(MDRich(bl.Text, false) + "\n")
			}
		}
	}
	return []byte(b.String())
}

func mdTable(b *strings.Builder, t *table) {
	b.WriteString("|")
	for _, c := range t.Cols {
		b.WriteString(" " + MDText(c.Head) + " |")
	}
	b.WriteString("\n|")
	for _, c := range t.Cols {
		switch c.Align {
		case alignNum:
			b.WriteString("---:|")
		case alignMark:
			b.WriteString(":-:|")
		default:
			b.WriteString("---|")
		}
	}
	b.WriteString("\n")
	for _, row := range t.Rows {
		b.WriteString("|")
		for _, c := range row {
			b.WriteString(" " + MDRich(c.R, true) + " |")
		}
		b.WriteString("\n")
	}
}

// MDRich writes r as Markdown: its code spans as MDCode does, its strong
// spans in **, its text escaped (MDText).
func MDRich(r Rich, inTable bool) string {
	var b strings.Builder
	for _, s := range r {
		switch {
		case s.Code:
			b.WriteString(MDCode(s.Text, inTable))
		case s.Strong:
			b.WriteString("**" + MDText(s.Text) + "**")
		default:
			b.WriteString(MDText(s.Text))
		}
	}
	return b.String()
}

// mdEscaper escapes what Markdown would read as markup in text, and keeps
// text on one line.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`, `<`, `\<`, `>`, `\>`, `|`, `\|`, `#`, `\#`,
	"\r\n", " ", "\n", " ", "\r", " ",
)

// MDText escapes s as Markdown text: nothing in it reads as markup.
func MDText(s string) string { return mdEscaper.Replace(s) }

// MDCode writes a code span, with a fence longer than any run of backticks
// in s; in a table, | is escaped (GitHub reads \| in a code span as |).
func MDCode(s string, inTable bool) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	if s == "" {
		return ""
	}
	if inTable {
		s = strings.ReplaceAll(s, "|", `\|`)
	}
	longest, run := 0, 0
	for _, c := range s {
		if c == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if longest > 0 || strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}
