// Command sluice-bench is the reproducible benchmark behind BENCHMARKS.md: it
// generates a base and a next-month socks dump, imports both with sluice and
// loads the same files into the same schema with the database's own CLI as
// the reference (sqlite3, psql or mariadb), then prints a markdown table.
// The whole sequence runs -runs times, interleaved, and the table shows
// each step's median.
//
//	go run ./cmd/sluice-bench -rows 1000000 -change 10 -new 5 -runs 3 -out /tmp/sluice-bench
//	go run ./cmd/sluice-bench -db postgres -url postgres://postgres@127.0.0.1:5432/test
//	go run ./cmd/sluice-bench -db mysql -url mysql://root@127.0.0.1:3306/test
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

	"github.com/sluice-dev/sluice/cmd/internal/sockgen"
)

// config is everything the flags decide.
type config struct {
	opts   sockgen.Options
	out    string // absolute
	sluice string // prebuilt binary; empty means build it
	// alt is a second prebuilt sluice binary timed beside the first in
	// every run (SQLite only), labelled altName: the pure-Go build beside
	// the cgo one, say.
	alt, altName string
	tags         string
	sqlite3      string
	runs         int     // times the whole sequence runs, at least 1
	syncPct      float64 // -sync: the share of next.csv's rows gone.csv lacks; 0 times no sync

	// A server target: db is "postgres" or "mysql" ("sqlite" otherwise),
	// url the admin URL of the server and client its CLI.
	db, url, client string
}

// defaultURLs are the admin URLs of the local servers, by -db.
var defaultURLs = map[string]string{
	"postgres": "postgres://postgres@127.0.0.1:5432/test",
	"mysql":    "mysql://root@127.0.0.1:3306/test",
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
	fs.StringVar(&c.alt, "alt", "", "a second prebuilt sluice binary, timed beside the first in every run (-db sqlite only)")
	fs.StringVar(&c.altName, "alt-name", "alt", "what the report calls the -alt binary, e.g. \"pure Go\"")
	fs.StringVar(&c.sqlite3, "sqlite3", "sqlite3", "sqlite3 CLI for the reference steps")
	fs.Float64Var(&c.syncPct, "sync", 0, "also time a full-dump sync: gone.csv (next.csv without this percentage of its rows) imported in mode: upsert, then in mode: sync; 0: off")
	fs.IntVar(&c.runs, "runs", 3, "run the whole sequence this many times, interleaved, and report each step's median")
	fs.StringVar(&c.db, "db", "sqlite", "target database: sqlite, postgres or mysql (MariaDB)")
	fs.StringVar(&c.url, "url", "", "admin URL of the server for -db postgres or mysql; each run creates and drops its own databases there\n(default "+defaultURLs["postgres"]+" resp. "+defaultURLs["mysql"]+")")
	fs.StringVar(&c.client, "client", "", "CLI for the reference steps on a server (default psql resp. mariadb)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q (all options are flags)", fs.Arg(0))
	}
	if c.runs < 1 {
		return c, fmt.Errorf("-runs %d: must be at least 1", c.runs)
	}
	if c.syncPct < 0 || c.syncPct >= 10 {
		return c, fmt.Errorf("-sync %g: must be from 0 to under 10 (the sync job's max_missing)", c.syncPct)
	}
	if err := c.checkTarget(); err != nil {
		return c, err
	}
	var err error
	if c.out, err = filepath.Abs(c.out); err != nil {
		return c, fmt.Errorf("-out: %w", err)
	}
	if c.alt != "" && c.db != "sqlite" {
		return c, fmt.Errorf("-alt: only with -db sqlite")
	}
	for _, b := range []struct {
		flag string
		path *string
	}{{"-sluice", &c.sluice}, {"-alt", &c.alt}} {
		if *b.path == "" {
			continue
		}
		// A bare name is looked up in PATH, like exec would; a path is made
		// absolute because children do not share our working directory.
		if *b.path, err = exec.LookPath(*b.path); err != nil {
			return c, fmt.Errorf("%s: %w", b.flag, err)
		}
		if *b.path, err = filepath.Abs(*b.path); err != nil {
			return c, fmt.Errorf("%s: %w", b.flag, err)
		}
	}
	return c, nil
}

// checkTarget validates -db, -url and -client and fills in their defaults.
func (c *config) checkTarget() error {
	switch c.db {
	case "sqlite":
		if c.url != "" || c.client != "" {
			return errors.New("-url and -client are for -db postgres or mysql; the SQLite target uses files in -out and -sqlite3")
		}
		return nil
	case "postgres", "mysql":
	default:
		return fmt.Errorf("-db %q: want sqlite, postgres or mysql", c.db)
	}
	if c.url == "" {
		c.url = defaultURLs[c.db]
	}
	if c.client == "" {
		c.client = map[string]string{"postgres": "psql", "mysql": "mariadb"}[c.db]
	}
	_, err := newServer(c.db, c.url, c.client)
	return err
}

// run performs the whole benchmark. A failing sluice step is reported in the
// table rather than ending the run, so the reference numbers are still
// useful; run returns an error afterwards if any step failed in any run. The
// report goes to stdout, progress to log.
func run(ctx context.Context, log *slog.Logger, cfg config, stdout io.Writer) error {
	if cfg.runs < 1 {
		return fmt.Errorf("runs = %d, want at least 1", cfg.runs)
	}
	var srv server
	if cfg.db != "" && cfg.db != "sqlite" {
		var err error
		if srv, err = newServer(cfg.db, cfg.url, cfg.client); err != nil {
			return err
		}
	}
	b := newBench(cfg, log, srv)
	var info serverInfo
	if srv != nil {
		var err error
		if info, err = b.preflight(ctx); err != nil {
			return err
		}
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
	if cfg.syncPct > 0 {
		var err error
		if b.goneRows, err = writeGone(cfg.out, cfg.syncPct); err != nil {
			return fmt.Errorf("write %s: %w", goneCSV, err)
		}
		if err := appendFile(filepath.Join(cfg.out, benchConfig), syncJobYAML(cfg.out)); err != nil {
			return err
		}
	}
	b.measure(ctx)
	results := summarize(b.runs)
	env := environment(ctx, cfg, srv, info)
	if err := printReport(stdout, env, cfg.opts, cfg.runs, results, b.schema); err != nil {
		return err
	}
	if n := countFailed(results); n > 0 {
		return fmt.Errorf("%d of %d steps failed (logs in %s)", n, len(results), filepath.Join(cfg.out, "logs"))
	}
	return nil
}
