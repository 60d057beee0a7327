// Command sluice-bench is the reproducible benchmark behind BENCHMARKS.md: it
// generates a base and a next-month socks dump, imports both with sluice and
// loads the same files into the same schema with the sqlite3 CLI as the
// reference, then prints a markdown table. The whole sequence runs -runs
// times, interleaved, and the table shows each step's median.
//
//	go run ./cmd/sluice-bench -rows 1000000 -change 10 -new 5 -runs 3 -out /tmp/sluice-bench
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"

	"github.com/sluice-dev/sluice/importer/sockgen"
)

// config is everything the flags decide.
type config struct {
	opts    sockgen.Options
	out     string // absolute
	sluice  string // prebuilt binary; empty means build it
	tags    string
	sqlite3 string
	runs    int // times the whole sequence runs, at least 1
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sluice-bench:", err)
		os.Exit(2)
	}
	if err := run(ctx, log, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "sluice-bench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("sluice-bench", flag.ContinueOnError)
	var c config
	fs.IntVar(&c.opts.Rows, "rows", 1_000_000, "rows in the base month")
	fs.Uint64Var(&c.opts.Seed, "seed", 1, "generator seed")
	fs.Float64Var(&c.opts.ChangePct, "change", 10, "next month: percentage of rows whose price/quantity change")
	fs.Float64Var(&c.opts.NewPct, "new", 5, "next month: new rows, as a percentage of -rows")
	fs.StringVar(&c.out, "out", filepath.Join(os.TempDir(), "sluice-bench"), "working directory for dumps, databases and logs")
	fs.StringVar(&c.sluice, "sluice", "", "prebuilt sluice binary (default: go build ./cmd/sluice into -out)")
	fs.StringVar(&c.tags, "tags", "", "build tags for sluice, e.g. cgosqlite")
	fs.StringVar(&c.sqlite3, "sqlite3", "sqlite3", "sqlite3 CLI for the reference steps")
	fs.IntVar(&c.runs, "runs", 3, "run the whole sequence this many times, interleaved, and report each step's median")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q (all options are flags)", fs.Arg(0))
	}
	if c.runs < 1 {
		return c, fmt.Errorf("-runs %d: must be at least 1", c.runs)
	}
	var err error
	if c.out, err = filepath.Abs(c.out); err != nil {
		return c, fmt.Errorf("-out: %w", err)
	}
	if c.sluice != "" {
		// A bare name is looked up in PATH, like exec would; a path is made
		// absolute because children do not share our working directory.
		if c.sluice, err = exec.LookPath(c.sluice); err != nil {
			return c, fmt.Errorf("-sluice: %w", err)
		}
		if c.sluice, err = filepath.Abs(c.sluice); err != nil {
			return c, fmt.Errorf("-sluice: %w", err)
		}
	}
	return c, nil
}

// run performs the whole benchmark. A failing sluice step is reported in the
// table rather than ending the run, so the reference numbers are still
// useful; run returns an error afterwards if any step failed in any run. The
// report goes to stdout, progress to log.
func run(ctx context.Context, log *slog.Logger, cfg config, stdout io.Writer) error {
	if cfg.runs < 1 {
		return fmt.Errorf("runs = %d, want at least 1", cfg.runs)
	}
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return err
	}
	if _, err := ensureDumps(ctx, log, cfg.out, cfg.opts); err != nil {
		return err
	}
	if err := writeBenchConfig(cfg.out); err != nil {
		return err
	}
	b := newBench(cfg, log)
	b.measure(ctx)
	results := summarize(b.runs)
	env := environment(ctx, cfg)
	if err := printReport(stdout, env, cfg.opts, cfg.runs, results, b.schema); err != nil {
		return err
	}
	if n := countFailed(results); n > 0 {
		return fmt.Errorf("%d of %d steps failed (logs in %s)", n, len(results), filepath.Join(cfg.out, "logs"))
	}
	return nil
}
