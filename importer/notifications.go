package importer

import (
	"context"

	"github.com/sluice-dev/sluice/importer/notify"
	"github.com/sluice-dev/sluice/models"
)

// Notify tells job j's notify: targets how a run went: one message per
// file imported or failed (skips and dry runs are news to no one), and a
// failed one for err, the run's failure before or besides its files (a
// lock held, a database unreachable), when no file's failure says it
// already. It returns once every target got its messages or was given up
// on; it never fails.
func Notify(ctx context.Context, s *notify.Sender, j *Job, results []Result, err error) {
	targets := j.Notify()
	if len(targets) == 0 {
		return
	}
	told := false
	for _, r := range results {
		if m, ok := message(r); ok {
			s.Send(ctx, targets, m)
			told = told || m.Event == notify.Failed
		}
	}
	if err != nil && !told {
		s.Send(ctx, targets, notify.Message{Event: notify.Failed, Job: j.Name, Status: models.StatusFailed, Error: err.Error()})
	}
}

// message is the notification of one file's import; false for none.
func message(r Result) (notify.Message, bool) {
	m := notify.Message{
		Job: r.Job, File: r.Path, Status: r.Status, Rows: r.Rows,
		Inserted: r.Counts.Inserted, Updated: r.Counts.Updated, Unchanged: r.Counts.Unchanged,
		Rejected: r.Rejected, Deleted: r.Counts.Deleted, RejectFile: r.RejectFile, Duration: r.Duration.Seconds(),
		Drift: r.Drift.message(),
	}
	switch {
	case r.DryRun || r.Status == models.StatusSkipped:
		return m, false
	case r.Err != nil:
		m.Event, m.Error = notify.Failed, r.Err.Error()
	case r.Rejected > 0:
		m.Event = notify.Rejects
	default:
		m.Event = notify.OK
	}
	return m, true
}
