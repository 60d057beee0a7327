package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/models"
)

const historyExamples = `  sluice history
  sluice history --job socks -n 5
`

func runHistory(ctx context.Context, e *env, args []string) error {
	fs, g := newFlagSet(e, "history", "history [--job NAME] [-n COUNT]", historyExamples)
	job := fs.String("job", "", "only this job's runs")
	n := fs.Int("n", 20, "how many runs, newest first")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *n < 1 {
		return &usageError{msg: "-n must be at least 1", hint: "sluice history -n 20"}
	}
	cfg, db, _, err := g.setup(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	jobs := cfg.Jobs
	if *job != "" {
		j, err := cfg.Job(*job)
		if err != nil {
			return &usageError{msg: err.Error(), hint: "sluice history --job NAME"}
		}
		jobs = []*importer.Job{j}
	}
	l := models.NewLedger(db)
	if err := l.Ensure(ctx); err != nil {
		return err
	}
	runs, err := l.Recent(ctx, *job, *n)
	if err != nil {
		return err
	}
	if len(runs) == 0 {
		fmt.Fprintln(e.stdout, "no runs recorded yet")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tFINISHED (UTC)\tJOB\tFILE\tSTATUS\tROWS\tINSERTED\tUPDATED\tUNCHANGED\tREJECTED\tDELETED\tDURATION\tNOTE")
	for _, r := range runs {
		note := r.Error
		if note == "" && r.RejectFile != "" {
			note = "rejects: " + importer.SafeName(displayPath(r.RejectFile))
		}
		if r.Forced {
			note = "forced " + note
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", r.ID,
			r.FinishedAt.UTC().Format(time.DateTime), r.Job, importer.SafeName(displayPath(r.Path)), r.Status,
			r.Rows, r.Inserted, r.Updated, r.Unchanged, r.Rejected, r.Deleted,
			r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond), note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return printWatch(ctx, e.stdout, db, jobs, time.Now())
}
