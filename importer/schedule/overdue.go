package schedule

import (
	"context"
	"time"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/importer/notify"
	"github.com/sluice-dev/sluice/models"
)

// watch is the daemon's view of a job with source.expect_every.
type watch struct {
	firstSeen time.Time // when this daemon began watching the job
	last      time.Time // the last import known (the ledger's or this daemon's); zero for none
	loaded    bool      // the ledger has been read once
	overdue   bool      // said already: the log line and notification go once
}

// checkOverdue looks at every job of the config in force: on start, on
// each ping and after each run.
func (d *Daemon) checkOverdue(ctx context.Context) {
	g := d.generation()
	for _, j := range g.cfg.Jobs {
		d.checkJobOverdue(ctx, g, j, false)
	}
}

// checkJobOverdue updates job j's overdue state; imported says a run
// has just imported a new file. A job becomes overdue when no new file
// was imported for source.expect_every, counted from the last import (in
// the ledger, by this daemon or by hand), else from when the daemon first
// saw the job. Becoming overdue is logged and notified once; a new file
// ends it.
func (d *Daemon) checkJobOverdue(ctx context.Context, g *generation, j *importer.Job, imported bool) {
	if j.ExpectEvery() <= 0 {
		d.mon.SetWatch(j.Name, importer.Watch{}, false)
		return
	}
	now := d.clock.Now()
	w := d.watchOf(j.Name, now)
	state, due := d.watchState(j, w, now, imported)
	d.watchMu.Lock()
	read := !w.loaded || due
	d.watchMu.Unlock()
	if read && !imported {
		// The ledger once, and again before saying the job is overdue: a
		// file imported by hand (sluice import) counts too. Outside the
		// lock, since the database may be slow; one that cannot be read
		// now is read at the next check, the daemon's own view standing
		// meanwhile.
		if a, err := g.activity(ctx, j.Name); err == nil {
			d.watchMu.Lock()
			w.loaded = true
			if a.LastImport.After(w.last) {
				w.last = a.LastImport
			}
			d.watchMu.Unlock()
			state, _ = d.watchState(j, w, now, false)
		}
	}
	d.watchMu.Lock()
	became := state.Overdue && !w.overdue
	ended := !state.Overdue && w.overdue
	w.overdue = state.Overdue
	d.watchMu.Unlock()
	d.mon.SetWatch(j.Name, state, true)
	switch {
	case became:
		d.log.Warn("job overdue: no new file for longer than source.expect_every", "job", j.Name,
			"since", state.Since.UTC().Format(time.RFC3339), "expect_every", importer.FormatLongDuration(state.ExpectEvery), "no_file_yet", state.NoFileYet)
		m := notify.Message{Event: notify.Overdue, Job: j.Name, Status: "overdue", Since: state.Since.UTC(),
			ExpectEvery: importer.FormatLongDuration(state.ExpectEvery)}
		d.background(func() { d.sender.Send(context.WithoutCancel(ctx), j.Notify(), m) })
	case ended:
		d.log.Info("job no longer overdue: a new file was imported", "job", j.Name)
	}
}

// watchState is job j's state by w at now; imported records a new
// file first. due says it is overdue by what the daemon knows.
func (d *Daemon) watchState(j *importer.Job, w *watch, now time.Time, imported bool) (importer.Watch, bool) {
	d.watchMu.Lock()
	defer d.watchMu.Unlock()
	if imported {
		w.last = now
	}
	since, noFile := w.last, w.last.IsZero()
	if noFile {
		since = w.firstSeen
	}
	state, _ := j.Watch(since, noFile, now)
	return state, state.Overdue
}

// watchOf returns job's watch, starting it at now if it is new.
func (d *Daemon) watchOf(job string, now time.Time) *watch {
	d.watchMu.Lock()
	defer d.watchMu.Unlock()
	w, ok := d.watches[job]
	if !ok {
		w = &watch{firstSeen: now}
		d.watches[job] = w
	}
	return w
}

// background runs f on its own; a stop waits for it.
func (d *Daemon) background(f func()) { d.bg.Go(f) }

// activity reads job's history from the ledger.
func (g *generation) activity(ctx context.Context, job string) (models.Activity, error) {
	if _, err := g.connect(ctx); err != nil {
		return models.Activity{}, err
	}
	g.dbMu.Lock()
	db := g.db
	g.dbMu.Unlock()
	if db == nil {
		return models.Activity{}, context.Canceled // closed meanwhile
	}
	return models.NewLedger(db).Activity(ctx, job)
}
