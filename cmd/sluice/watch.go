package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/models"
)

// printWatch says, for each job with source.expect_every, whether a new
// file is overdue, by the ledger: sluice history and check show what the
// daemon's sluice_job_overdue says.
func printWatch(ctx context.Context, w io.Writer, db *models.DB, jobs []*importer.Job, now time.Time) error {
	l := models.NewLedger(db)
	for _, j := range jobs {
		if j.ExpectEvery() <= 0 {
			continue
		}
		a, err := l.Activity(ctx, j.Name)
		if err != nil {
			return err
		}
		st, ok := j.WatchFromLedger(a, now)
		if !ok {
			fmt.Fprintf(w, "job %s: no run recorded yet (source.expect_every: %s)\n", j.Name, importer.FormatLongDuration(j.ExpectEvery()))
			continue
		}
		fmt.Fprintf(w, "job %s: %s\n", j.Name, st)
	}
	return nil
}
