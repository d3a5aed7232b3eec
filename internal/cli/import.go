package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/ingest"
	"github.com/headroom-slo/headroom/internal/store"
)

// pipeline is the ingestion side wired from a config.
type pipeline struct {
	cfg     *config.Config
	st      *store.Store
	sources []*ingest.Source
	refs    map[*ingest.Source]logRef // where each source is configured
}

func openPipeline(ctx context.Context, cfg *config.Config) (*pipeline, error) {
	st, err := store.Open(cfg.Storage.Dir, store.Options{})
	if err != nil {
		return nil, err
	}
	p := &pipeline{cfg: cfg, st: st, refs: map[*ingest.Source]logRef{}}
	// A log listed under several services is one source: read once, each
	// line counted for every service whose match takes it.
	if p.sources, err = ingest.NewSources(ctx, cfg, st, 0); err != nil {
		st.Close()
		return nil, err
	}
	for _, src := range p.sources {
		p.refs[src] = refOf(cfg, src.Refs)
	}
	return p, nil
}

// matching reports whether a service of the pipeline matches lines
// (services[].match): the import summary then counts the unmatched ones.
func (p *pipeline) matching() bool {
	for _, s := range p.cfg.Services {
		if s.Match != nil && len(s.Logs) > 0 {
			return true
		}
	}
	return false
}

// sourceFor picks the configured log a path belongs to. With service, one
// of the service's logs: a log it shares with other services is read for
// all of them.
func (p *pipeline) sourceFor(path, service string) (*ingest.Source, error) {
	abs, _ := filepath.Abs(path)
	for _, s := range p.sources {
		if service != "" && !s.Reads(service) {
			continue
		}
		pat, _ := filepath.Abs(s.Log)
		if ingest.Matches(s.Log, path) || ingest.Matches(pat, abs) {
			return s, nil
		}
	}
	var candidates []*ingest.Source
	for _, s := range p.sources {
		if service == "" || s.Reads(service) {
			candidates = append(candidates, s)
		}
	}
	switch {
	case service != "" && len(candidates) == 0:
		if err := p.cfg.CheckService(service); err != nil {
			return nil, usagef("--service: %v", err)
		}
		return nil, usagef("--service %q: the service has no logs", service)
	case len(candidates) == 1 || service != "":
		return candidates[0], nil
	}
	return nil, usagef("%s matches no configured log path; pass --service to say which service it belongs to", path)
}

type importFile struct {
	path string
	src  *ingest.Source
	size int64
}

// importCmd is `headroom import`.
type importCmd struct {
	config, service, cpuprofile string
	quiet                       bool
}

func (c *importCmd) flags(fs *flag.FlagSet) {
	configFlag(fs, &c.config)
	fs.StringVar(&c.service, "service", "", "read the paths given as logs of service `NAME` (when they match no configured log)")
	fs.BoolVar(&c.quiet, "quiet", false, "print no progress bar and no summary")
	fs.StringVar(&c.cpuprofile, "cpuprofile", "", "write a CPU profile to `FILE` (for performance work)")
}

func (c *importCmd) run(ctx context.Context, paths []string, stdio Stdio) error {
	if c.cpuprofile != "" {
		f, err := os.Create(c.cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	cfg, err := loadConfig(c.config)
	if err != nil {
		return err
	}
	p, err := openPipeline(ctx, cfg)
	if err != nil {
		return err
	}
	defer p.st.Close()
	sum, err := p.importPaths(ctx, paths, c.service, stdio, !c.quiet)
	if err != nil {
		return err
	}
	if !c.quiet {
		sum.print(stdio.Out)
	}
	if sum.firstTS != 0 {
		warnRetention(stdio.Err, cfg, time.UnixMilli(sum.firstTS), time.Now())
	}
	return sum.err()
}

// err sums up what went wrong, if anything: the exit status is then 1.
func (s *importSummary) err() error {
	var parts []string
	if s.missing > 0 {
		parts = append(parts, fmt.Sprintf("%d path%s matched no file", s.missing, plural(s.missing)))
	}
	if s.refused > 0 {
		parts = append(parts, fmt.Sprintf("%d file%s refused: lines that do not fit the format", s.refused, plural(s.refused)))
	}
	if s.failed > 0 {
		parts = append(parts, fmt.Sprintf("%d file%s could not be read", s.failed, plural(s.failed)))
	}
	if len(parts) == 0 {
		return nil
	}
	return errors.New(strings.Join(parts, "; "))
}

// importPaths imports the given paths, or every configured log. A path
// matching no file and a file whose lines do not fit the format are
// reported, counted in the summary, and do not stop the other files.
func (p *pipeline) importPaths(ctx context.Context, paths []string, service string, stdio Stdio, progress bool) (*importSummary, error) {
	var files []importFile
	stdin := false
	sum := &importSummary{start: time.Now(), matching: p.matching()}
	if len(paths) == 0 {
		for _, s := range p.sources {
			if service != "" && !s.Reads(service) || s.Log == "-" {
				continue
			}
			m, outside, err := s.Glob().ExpandAll()
			if err != nil {
				return nil, err
			}
			for _, f := range outside {
				fmt.Fprintf(stdio.Err, "headroom import: skipped %s: a symbolic link out of the log's directory (name the file in the config, or set follow_symlinks: true, to read it)\n", f)
			}
			if len(m) == 0 {
				sum.missing++
				fmt.Fprintf(stdio.Err, "headroom import: %s\n", p.refs[s].noFile(p.cfg))
			}
			for _, f := range m {
				files = append(files, importFile{path: f, src: s})
			}
		}
	}
	for _, arg := range paths {
		if arg == "-" {
			stdin = true
			continue
		}
		m, err := filepath.Glob(arg)
		if err != nil {
			return nil, usagef("bad glob %q: %v", arg, err)
		}
		if len(m) == 0 {
			sum.missing++
			fmt.Fprintf(stdio.Err, "headroom import: %s: no such file\n", arg)
			continue
		}
		for _, f := range m {
			src, err := p.sourceFor(f, service)
			if err != nil {
				return nil, err
			}
			files = append(files, importFile{path: f, src: src})
		}
	}
	var total int64
	for i := range files {
		if fi, err := os.Stat(files[i].path); err == nil {
			files[i].size = fi.Size()
			total += fi.Size()
		}
	}
	var bar *progressBar
	if f, ok := stdio.Err.(*os.File); ok && progress && term.IsTerminal(int(f.Fd())) {
		bar = newProgressBar(stdio.Err, total)
		defer bar.stop()
	}
	for _, f := range files {
		var done, lines int64
		opts := ingest.Options{}
		if bar != nil {
			done, lines = bar.done.Load(), bar.lines.Load()
			opts.Progress = func(n, l int64) {
				bar.done.Store(done + min(n, f.size))
				bar.lines.Store(lines + l)
			}
		}
		res, err := ingest.IngestFile(ctx, p.st, f.src, f.path, opts)
		if bar != nil {
			bar.done.Store(done + f.size)
			bar.lines.Store(lines + res.Lines)
		}
		p.add(sum, f.src, res, err, stdio.Err)
		if ctx.Err() != nil {
			return sum, ctx.Err()
		}
	}
	if stdin {
		src, err := p.sourceFor("-", service)
		if err != nil {
			return nil, err
		}
		res, err := ingest.IngestStdin(ctx, p.st, src, stdio.In, ingest.Options{})
		p.add(sum, src, res, err, stdio.Err)
	}
	return sum, nil
}

// add counts what reading a file of src did, reporting a refused file with
// the config field of its format and its first malformed lines.
func (p *pipeline) add(sum *importSummary, src *ingest.Source, r ingest.FileResult, err error, w io.Writer) {
	var fe *ingest.FormatError
	if !errors.As(err, &fe) {
		sum.add(r, err, w)
		return
	}
	sum.refused++
	fmt.Fprintf(w, "headroom import: %s: refused, nothing imported: %s\n  fix the format, then run `headroom import` again\n",
		fe.Path, p.refs[src].refused(p.cfg, fe))
}

type importSummary struct {
	start                                time.Time
	matching                             bool // a service matches lines: say how many none took
	files, known, complete, failed, busy int
	notReady, missing, refused           int
	lines, malformed, excluded, partial  int64
	unmatched                            int64
	bytes                                int64
	firstTS, lastTS                      int64
	samples, unmatchedSamples            []store.MalformedLine
}

func (s *importSummary) add(r ingest.FileResult, err error, w io.Writer) {
	switch {
	case errors.Is(err, ingest.ErrNotReady):
		s.notReady++
		return
	case errors.Is(err, store.ErrConflict):
		s.busy++
		fmt.Fprintf(w, "headroom import: %s: being read by another headroom process right now; skipped\n", r.Path)
		return
	case err != nil:
		s.failed++
		fmt.Fprintf(w, "headroom import: %v\n", err)
		// What was committed before the error stands; count it.
	}
	s.files++
	if r.Known {
		s.known++
		if r.Lines == 0 {
			s.complete++
		}
	}
	s.lines += r.Lines
	s.malformed += r.Malformed
	s.excluded += r.Excluded
	s.unmatched += r.Unmatched
	s.partial += r.Partial
	s.bytes += r.To - r.From
	if r.FirstTS != 0 && (s.firstTS == 0 || r.FirstTS < s.firstTS) {
		s.firstTS = r.FirstTS
	}
	s.lastTS = max(s.lastTS, r.LastTS)
	for _, m := range r.Samples {
		if len(s.samples) < 5 {
			s.samples = append(s.samples, m)
		}
	}
	for _, m := range r.UnmatchedSamples {
		if len(s.unmatchedSamples) < 3 && !slices.ContainsFunc(s.unmatchedSamples, func(o store.MalformedLine) bool { return o.Reason == m.Reason }) {
			s.unmatchedSamples = append(s.unmatchedSamples, m)
		}
	}
}

func (s *importSummary) print(w io.Writer) {
	el := time.Since(s.start)
	fmt.Fprintf(w, "imported %d file%s in %s", s.files, plural(s.files), el.Round(time.Millisecond))
	if s.complete > 0 {
		fmt.Fprintf(w, " (%d already fully imported: nothing added)", s.complete)
	}
	fmt.Fprintln(w)
	if s.complete > 0 && s.lines == 0 {
		fmt.Fprintln(w, "  (changed the log format or the exclusions? `headroom reset --service NAME` forgets what was imported)")
	}
	secs := max(el.Seconds(), 1e-9)
	fmt.Fprintf(w, "  lines      %s (%s lines/s, %.1f MB/s)\n", thousands(s.lines), thousands(int64(float64(s.lines)/secs)), float64(s.bytes)/1e6/secs)
	fmt.Fprintf(w, "  parsed     %s\n", thousands(s.lines-s.malformed-s.excluded-s.unmatched))
	fmt.Fprintf(w, "  malformed  %s\n", thousands(s.malformed))
	fmt.Fprintf(w, "  excluded   %s\n", thousands(s.excluded))
	if s.matching || s.unmatched > 0 {
		fmt.Fprintf(w, "  unmatched  %s (no service's match took them)\n", thousands(s.unmatched))
	}
	if s.firstTS != 0 {
		fmt.Fprintf(w, "  time range %s … %s\n", time.UnixMilli(s.firstTS).UTC().Format(time.RFC3339), time.UnixMilli(s.lastTS).UTC().Format(time.RFC3339))
	}
	if s.partial > 0 {
		fmt.Fprintf(w, "  left       %d bytes of incomplete last lines, read once they end\n", s.partial)
	}
	if s.notReady > 0 {
		fmt.Fprintf(w, "  waiting    %d file%s whose first line is not complete yet\n", s.notReady, plural(s.notReady))
	}
	for _, m := range s.samples {
		fmt.Fprintf(w, "  malformed  %s:%d: %s: %q\n", m.Path, m.Line, m.Reason, m.Excerpt)
	}
	for _, m := range s.unmatchedSamples {
		fmt.Fprintf(w, "  unmatched  %s:%d: %s: %q\n", m.Path, m.Line, m.Reason, m.Excerpt)
	}
}

// progressBar draws bytes done, lines/s and ETA on a terminal.
type progressBar struct {
	w     io.Writer
	total int64
	done  atomic.Int64
	lines atomic.Int64
	start time.Time
	quit  chan struct{}
	exit  chan struct{}
}

func newProgressBar(w io.Writer, total int64) *progressBar {
	b := &progressBar{w: w, total: total, start: time.Now(), quit: make(chan struct{}), exit: make(chan struct{})}
	go b.loop()
	return b
}

func (b *progressBar) loop() {
	defer close(b.exit)
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-b.quit:
			b.draw()
			fmt.Fprintln(b.w)
			return
		case <-t.C:
			b.draw()
		}
	}
}

func (b *progressBar) draw() {
	done, el := b.done.Load(), time.Since(b.start).Seconds()
	frac := 1.0
	if b.total > 0 {
		frac = min(float64(done)/float64(b.total), 1)
	}
	const width = 30
	filled := int(frac * width)
	bar := make([]byte, width)
	for i := range bar {
		bar[i] = '-'
		if i < filled {
			bar[i] = '#'
		}
	}
	eta := "?"
	if frac > 0 && frac < 1 {
		eta = time.Duration(el / frac * (1 - frac) * float64(time.Second)).Round(time.Second).String()
	} else if frac >= 1 {
		eta = "0s"
	}
	rate := 0.0
	if el > 0 {
		rate = float64(b.lines.Load()) / el
	}
	fmt.Fprintf(b.w, "\r[%s] %5.1f%% %s/%s  %s lines/s  ETA %s   ", bar, frac*100,
		bytesHuman(done), bytesHuman(b.total), thousands(int64(rate)), eta)
}

func (b *progressBar) stop() {
	close(b.quit)
	<-b.exit
}

func bytesHuman(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
