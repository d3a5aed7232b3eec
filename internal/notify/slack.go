package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

// Slack's limits on block texts.
const (
	slackHeaderMax = 150
	slackTextMax   = 3000
	slackFieldMax  = 2000
	slackMaxGroups = 10 // top routes or statuses shown
)

// slackMessage is an incoming-webhook message: text is the fallback shown
// in notifications, blocks the message.
type slackMessage struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Fields   []slackText `json:"fields,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackText struct {
	Type  string `json:"type"` // plain_text or mrkdwn
	Text  string `json:"text"`
	Emoji bool   `json:"emoji,omitempty"`
}

func mrkdwn(s string) slackText { return slackText{Type: "mrkdwn", Text: truncate(s, slackTextMax)} }

// slackEscape escapes what Slack's mrkdwn gives a meaning to: &, < and >.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

// slackBody encodes a as a Slack message. Its output depends only on a.
func slackBody(a *Alert) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(toSlack(a)); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func toSlack(a *Alert) slackMessage {
	title := fmt.Sprintf(":rotating_light: FIRING %s: %s", a.Severity, a.SLO)
	fallback := fmt.Sprintf("FIRING %s: %s", a.Severity, a.SLO)
	if a.State == Resolved {
		title = fmt.Sprintf(":white_check_mark: RESOLVED %s: %s", a.Severity, a.SLO)
		fallback = fmt.Sprintf("RESOLVED %s: %s", a.Severity, a.SLO)
	}
	if a.Summary != "" {
		fallback += " — " + a.Summary
	}
	m := slackMessage{Text: fallback}
	add := func(b slackBlock) { m.Blocks = append(m.Blocks, b) }
	add(slackBlock{Type: "header", Text: &slackText{Type: "plain_text", Text: truncate(title, slackHeaderMax), Emoji: true}})

	if text := strings.TrimSpace(a.Summary + "\n" + a.Description); text != "" {
		add(slackBlock{Type: "section", Text: ptr(mrkdwn(slackEscape(text)))})
	}

	var fields []slackText
	field := func(name, value string) {
		if value != "" {
			fields = append(fields, slackText{Type: "mrkdwn", Text: truncate("*"+name+"*\n"+slackEscape(value), slackFieldMax)})
		}
	}
	field("Service", a.Service)
	field("Severity", a.Severity)
	field("Tier", a.Tier)
	field("Budget left", budgetText(a.BudgetRemaining))
	obj := fmtPercent(a.Objective) + "%"
	if a.Window != "" {
		obj += " over " + a.Window
	}
	field("Objective", obj)
	add(slackBlock{Type: "section", Fields: fields})

	if len(a.BurnRates) > 0 {
		var b strings.Builder
		b.WriteString("*Burn rate*")
		for _, w := range windows(a.BurnRates) {
			fmt.Fprintf(&b, "\n`%s` %s×", slackEscape(w), fmtRate(a.BurnRates[w]))
			if t, ok := a.Thresholds[w]; ok {
				fmt.Fprintf(&b, " (threshold %s×)", fmtRate(t))
			}
		}
		add(slackBlock{Type: "section", Text: ptr(mrkdwn(b.String()))})
	}
	for _, g := range []struct {
		name   string
		counts []Count
	}{{"Top routes", a.TopRoutes}, {"Top statuses", a.TopStatuses}} {
		if len(g.counts) > 0 {
			add(slackBlock{Type: "section", Text: ptr(mrkdwn("*" + g.name + "* (bad events)\n" + codeBlock(g.counts)))})
		}
	}

	var links []string
	if a.DashboardURL != "" {
		links = append(links, "<"+slackURL(a.DashboardURL)+"|Dashboard>")
	}
	if a.RunbookURL != "" {
		links = append(links, "<"+slackURL(a.RunbookURL)+"|Runbook>")
	}
	if len(links) > 0 {
		add(slackBlock{Type: "context", Elements: []slackText{mrkdwn(strings.Join(links, " · "))}})
	}
	return m
}

// budgetText is the budget left as a percentage ("12.5%", "-40%" when
// overspent); BudgetRemaining is a share (1: all of it).
func budgetText(share float64) string {
	if math.IsNaN(share) || math.IsInf(share, 0) {
		return "n/a"
	}
	return fmtPercent(math.Round(share*1000)/10) + "%"
}

// codeBlock lists counts in a code block, counts aligned.
func codeBlock(cs []Count) string {
	if len(cs) > slackMaxGroups {
		cs = cs[:slackMaxGroups]
	}
	width := 0
	for _, c := range cs {
		width = max(width, len(fmtCount(c.Bad)))
	}
	var b strings.Builder
	b.WriteString("```\n")
	for _, c := range cs {
		fmt.Fprintf(&b, "%*s  %s\n", width, fmtCount(c.Bad), slackEscape(c.Key))
	}
	b.WriteString("```")
	return b.String()
}

// slackURL escapes a URL for a <url|text> link: | would end it.
func slackURL(u string) string { return strings.ReplaceAll(slackEscape(u), "|", "%7C") }

func ptr[T any](v T) *T { return &v }
