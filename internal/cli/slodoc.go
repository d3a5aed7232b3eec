package cli

import (
	"context"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/headroom-slo/headroom/internal/slodoc"
	"github.com/headroom-slo/headroom/internal/store"
)

// sloDocCmd is `headroom slo-doc`.
type sloDocCmd struct {
	config, slo  string
	format, lang choice
	at           instant
}

func (c *sloDocCmd) flags(fs *flag.FlagSet) {
	configFlag(fs, &c.config)
	fs.StringVar(&c.slo, "slo", "", "document SLO `NAME` (required)")
	c.format = choice{value: "md", options: []string{"md", "html"}}
	fs.Var(&c.format, "format", "print `FORMAT`: md (Markdown) or html")
	c.lang = choice{value: "en", options: slodoc.Languages}
	fs.Var(&c.lang, "lang", "write in `LANG`: en (English) or ja (Japanese)")
	atFlag(fs, &c.at, "document as of")
}

func (c *sloDocCmd) run(ctx context.Context, _ []string, stdio Stdio) error {
	now := c.at.or(time.Now())
	if c.slo == "" {
		return usagef("--slo is required")
	}
	cfg, err := loadConfig(c.config)
	if err != nil {
		return err
	}
	if err := slodoc.CheckSLO(cfg, c.slo); err != nil {
		return usagef("--slo: %v", err)
	}
	in := slodoc.Inputs{Config: cfg}
	// Without a store the document is written from the config alone, and
	// says where history would go.
	if _, err := os.Stat(filepath.Join(cfg.Storage.Dir, store.DBFile)); err == nil {
		st, eng, err := openEngine(cfg)
		if err != nil {
			return err
		}
		defer st.Close()
		in.Engine, in.Store = eng, st
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	d, err := slodoc.Build(ctx, in, slodoc.Options{SLO: c.slo, At: now, Command: c.commandLine()})
	if err != nil {
		return err
	}
	var out []byte
	if c.format.value == "html" {
		out, err = slodoc.HTML(d, c.lang.value)
	} else {
		out, err = slodoc.Markdown(d, c.lang.value)
	}
	if err != nil {
		return err
	}
	_, err = stdio.Out.Write(out)
	return err
}

// commandLine is the command that makes the document again: the config's
// file name (the document is committed next to it), the SLO, and the flags
// given; --at only when given, so that a document made without it says to
// make it as of now.
func (c *sloDocCmd) commandLine() string {
	cfg := c.config
	if cfg == "" {
		cfg = DefaultConfig
	}
	parts := []string{"headroom slo-doc --config", filepath.Base(cfg), "--slo", c.slo}
	if c.lang.value != "en" {
		parts = append(parts, "--lang", c.lang.value)
	}
	if c.format.value != "md" {
		parts = append(parts, "--format", c.format.value)
	}
	if !c.at.t.IsZero() {
		parts = append(parts, "--at", c.at.String())
	}
	return strings.Join(parts, " ")
}
