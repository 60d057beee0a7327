package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/importer/notify"
	"github.com/sluice-dev/sluice/models"
)

const importExamples = `  sluice import                                  # every job, every file its source.path matches
  sluice import --job socks                      # one job
  sluice import --job socks dumps/socks-2026-12.csv.gz
  sluice import --dry-run                        # show the counts, change nothing
  sluice import --force --job socks              # re-import files already in the ledger
`

func runImport(ctx context.Context, e *env, args []string) error {
	fs, g := newFlagSet(e, "import", "import [--job NAME] [--force] [--dry-run] [FILE...]", importExamples)
	job := fs.String("job", "", "import only this job (required with FILE arguments when there are several jobs)")
	force := fs.Bool("force", false, "re-import files the ledger says were already imported")
	dryRun := fs.Bool("dry-run", false, "run everything, then roll back: print the counts it would produce")
	lockTimeout := fs.Duration("lock-timeout", importer.DefaultLockTimeout, "how long to wait while another sluice imports the same job, then fail")
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	g.consoleSkip = fileFailure
	cfg, db, log, err := g.setup(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	jobs := cfg.Jobs
	if *job != "" {
		j, err := cfg.Job(*job)
		if err != nil {
			return &usageError{msg: err.Error(), hint: "sluice import --job NAME"}
		}
		jobs = []*importer.Job{j}
	}
	if len(files) > 0 && len(jobs) != 1 {
		return &usageError{msg: "FILE arguments need --job: which table should they go to?", hint: "sluice import --job " + cfg.Jobs[0].Name + " " + files[0]}
	}
	icfg := importer.Config{Log: log, LockTimeout: lockWait(*lockTimeout)}
	var bar *progressLine
	if isTerminal(e.stderr) {
		bar = newProgressLine(e.stderr)
		icfg.Progress = bar.start
	}
	im, err := importer.New(ctx, db, icfg)
	if err != nil {
		return err
	}
	opt := importer.Options{Force: *force, DryRun: *dryRun}
	// Told even when interrupted: that is news too. Bounded by its timeout.
	sender, nctx := notify.New(notify.Options{Log: log}), context.WithoutCancel(ctx)
	failed := false
	for _, j := range jobs {
		var results []importer.Result
		if len(files) > 0 {
			results, err = im.ImportFiles(ctx, j, files, opt)
		} else {
			results, err = im.RunJob(ctx, j, opt)
		}
		bar.clear()
		if !*dryRun {
			importer.Notify(nctx, sender, j, results, err)
		}
		var locked *importer.LockedError
		if errors.As(err, &locked) {
			// The other jobs may still be free to run.
			fmt.Fprintf(e.stderr, "sluice: %v\n", err)
			failed = true
			continue
		}
		if err != nil {
			return err
		}
		for _, r := range results {
			printResult(e.stdout, r)
			failed = failed || r.Status == models.StatusFailed || r.Status == models.StatusInterrupted
		}
	}
	if failed {
		return errFailed
	}
	return ctx.Err()
}

// printResult writes the one-line summary of a file's import.
func printResult(w io.Writer, r importer.Result) {
	name := importer.SafeName(displayPath(r.Path))
	prefix := ""
	if r.DryRun {
		prefix = "dry run: "
	}
	switch r.Status {
	case models.StatusSkipped:
		fmt.Fprintf(w, "%s%s %s: already imported (run %d, %s); use --force to import it again\n",
			prefix, r.Job, name, r.Previous.ID, r.Previous.FinishedAt.UTC().Format(time.DateTime+" UTC"))
	case models.StatusFailed:
		fmt.Fprintf(w, "%s%s %s: FAILED after %d rows: %v\n", prefix, r.Job, name, r.Rows, r.Err)
	case models.StatusInterrupted:
		fmt.Fprintf(w, "%s%s %s: INTERRUPTED after %d rows, rolled back\n", prefix, r.Job, name, r.Rows)
	default:
		c := r.Counts
		rate := float64(r.Rows) / max(r.Duration.Seconds(), 1e-9)
		fmt.Fprintf(w, "%s%s %s: %d rows, %d inserted, %d updated, %d unchanged, %s%d rejected in %s (%.0f rows/s)",
			prefix, r.Job, name, r.Rows, c.Inserted, c.Updated, c.Unchanged, gone(r), r.Rejected, r.Duration.Round(time.Millisecond), rate)
		if c.Duplicates > 0 {
			fmt.Fprintf(w, "; %d duplicate keys (last wins)", c.Duplicates)
			if n := folded(r.Folded); n > 0 {
				fmt.Fprintf(w, ", %d of them spelled differently but one key under the table's collation %s", n, r.Folded[0].Collation)
			}
		}
		if r.RejectFile != "" {
			fmt.Fprintf(w, "; rejects in %s", importer.SafeName(displayPath(r.RejectFile)))
		}
		fmt.Fprintln(w)
		printDrift(w, r.Drift)
	}
}

// printDrift says how the file's columns differed from the job's where
// the table saw it: columns added, columns read as NULL, with the lines to
// add to config.yaml. CSV columns ignored (extra: ignore, the default)
// are the log's warning, as they always were: the sample's Supplier is
// ignored every month, and a line a month would only hide real drift.
func printDrift(w io.Writer, d importer.Drift) {
	if len(d.Missing) > 0 {
		fmt.Fprintf(w, "  drift: declared column(s) missing from the file, read as NULL: %s\n", strings.Join(d.Missing, ", "))
	}
	for _, a := range d.Added {
		fmt.Fprintf(w, "  drift: new CSV column %q added to the table as %s %s; add to config.yaml under columns:\n      %s\n", a.Header, a.Column, a.Type, a.Config)
	}
}

// gone is a sync's count of rows gone from the file, for the summary.
func gone(r importer.Result) string {
	switch r.Missing {
	case models.MissingDelete:
		return fmt.Sprintf("%d deleted, ", r.Counts.Deleted)
	case models.MissingMark:
		return fmt.Sprintf("%d marked gone, ", r.Counts.Deleted)
	}
	return ""
}

// folded counts the lines that a table's collation folded into a later
// line's key.
func folded(groups []models.Folded) int {
	n := 0
	for _, g := range groups {
		n += len(g.Lines) - 1
	}
	return n
}

// displayPath shows paths relative to the working directory when that is
// shorter, as a person typed them.
func displayPath(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if rel, err := filepath.Rel(wd, p); err == nil && len(rel) < len(p) && !filepath.IsAbs(rel) && rel[0] != '.' {
		return rel
	}
	return p
}

// lockWait is --lock-timeout as the importer takes it: 0 tries once.
func lockWait(d time.Duration) time.Duration {
	if d <= 0 {
		return importer.NoWait
	}
	return d
}
