package importer

import (
	"fmt"
	"time"

	"github.com/sluice-dev/sluice/models"
)

// Watch is where a job with source.expect_every stands: when its last
// new file came (or when the watch began, without one) and whether it
// has waited longer than it should.
type Watch struct {
	ExpectEvery time.Duration
	Since       time.Time // the last new file's import, or the start of the watch
	Due         time.Time // Since + ExpectEvery: overdue from then on
	Overdue     bool
	NoFileYet   bool // Since is the watch's start, not an import
}

// Watch is job j's state at now, counting from since; ok is false when
// the job has no expect_every.
func (j *Job) Watch(since time.Time, noFileYet bool, now time.Time) (w Watch, ok bool) {
	if j.expectEvery <= 0 || since.IsZero() {
		return Watch{}, false
	}
	due := since.Add(j.expectEvery)
	return Watch{ExpectEvery: j.expectEvery, Since: since, Due: due, Overdue: !now.Before(due), NoFileYet: noFileYet}, true
}

// WatchFromLedger is job j's state by the ledger alone (sluice history
// and check): from its last import, else from its first run.
func (j *Job) WatchFromLedger(a models.Activity, now time.Time) (Watch, bool) {
	if !a.LastImport.IsZero() {
		return j.Watch(a.LastImport, false, now)
	}
	return j.Watch(a.FirstRun, true, now)
}

// String says it as a person would, at now.
func (w Watch) String() string {
	what := "no new file since " + stamp(w.Since)
	if w.NoFileYet {
		what = "no file imported since " + stamp(w.Since)
	}
	if w.Overdue {
		return fmt.Sprintf("OVERDUE: %s (source.expect_every: %s)", what, FormatLongDuration(w.ExpectEvery))
	}
	return fmt.Sprintf("next file expected by %s (source.expect_every: %s)", stamp(w.Due), FormatLongDuration(w.ExpectEvery))
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }
