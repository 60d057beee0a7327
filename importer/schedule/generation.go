package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/models"
)

// generation is one loaded config with its scheduler and database. A
// reload makes a new one; the old one's running imports finish on its own
// database, which is closed after them.
type generation struct {
	d         *Daemon
	cfg       *importer.ConfigFile
	schedules map[string]cron.Schedule // by job name

	quit     chan struct{} // closed when the generation retires or the daemon stops
	quitOnce sync.Once

	recheckMu sync.Mutex
	rechecks  map[string]time.Time // by job name: the pending settle re-check

	dbMu sync.Mutex
	db   *models.DB
	im   *importer.Importer // on db; shared by the runs, which only read it

	// Guarded by d.mu.
	active  int
	retired bool
}

func (d *Daemon) newGeneration(cfg *importer.ConfigFile) (*generation, error) {
	g := &generation{d: d, cfg: cfg, schedules: map[string]cron.Schedule{}, quit: make(chan struct{}), rechecks: map[string]time.Time{}}
	parser := cfg.ScheduleParser()
	for _, j := range cfg.Jobs {
		if j.Schedule == "" {
			continue
		}
		s, err := parser.Parse(j.Schedule)
		if err != nil { // validated already; kept for safety
			return nil, fmt.Errorf("job %s: schedule %q: %w", j.Name, j.Schedule, err)
		}
		g.schedules[j.Name] = s
	}
	return g, nil
}

// start starts the scheduler and says what it will do.
func (g *generation) start() {
	names := make([]string, 0, len(g.cfg.Jobs))
	for _, j := range g.cfg.Jobs {
		names = append(names, j.Name)
	}
	g.d.mon.SetJobs(names)
	for _, j := range g.cfg.Jobs {
		if s, ok := g.schedules[j.Name]; ok {
			g.d.log.Info("job scheduled", "job", j.Name, "schedule", j.Schedule, "next_run", s.Next(g.d.clock.Now()).Format(time.RFC3339))
			g.schedule(j, s)
		} else {
			g.d.log.Info("job has no schedule; the daemon runs it only with --run-now", "job", j.Name)
		}
	}
}

// runAll starts every job once, now.
func (g *generation) runAll() {
	for _, j := range g.cfg.Jobs {
		go g.run(j)
	}
}

func (g *generation) summary() string {
	return fmt.Sprintf("%d job(s) from %s", len(g.cfg.Jobs), g.cfg.Path)
}

// retire stops scheduling; the database closes when the last run ends.
func (g *generation) retire() {
	g.halt()
	g.d.mu.Lock()
	g.retired = true
	idle := g.active == 0
	g.d.mu.Unlock()
	if idle {
		g.closeDB()
	}
}

func (g *generation) closeDB() {
	g.dbMu.Lock()
	defer g.dbMu.Unlock()
	if g.db != nil {
		g.db.Close()
		g.db, g.im = nil, nil
	}
}

// connect opens the database on first use, with the importer on it (which
// makes the ledger: here, once, rather than by jobs starting together), and
// pings it, so a daemon started while the database is down comes up and
// waits for it.
func (g *generation) connect(ctx context.Context) (*importer.Importer, error) {
	g.dbMu.Lock()
	defer g.dbMu.Unlock()
	if g.db == nil {
		db, err := models.Open(ctx, g.cfg.Database.URL, g.cfg.Dir())
		if err != nil {
			return nil, err
		}
		im, err := importer.New(ctx, db, importer.Config{Log: g.d.log, LockTimeout: g.d.o.LockTimeout, Now: g.d.clock.Now})
		if err != nil {
			db.Close()
			return nil, models.Diagnose(db.Target, err)
		}
		g.db, g.im = db, im
	}
	if err := g.db.Ping(ctx); err != nil {
		return nil, models.Diagnose(g.db.Target, err)
	}
	return g.im, nil
}

// run is one scheduled run of job j: skipped while the job's previous run
// is still going, retried while the database is unreachable, and never
// allowed to take the daemon down. Its outcome goes to the monitor and to
// the job's notify: targets.
func (g *generation) run(j *importer.Job) {
	d := g.d
	log := d.log.With("job", j.Name)
	if !d.begin(g, j.Name, log) {
		return
	}
	defer d.end(g, j.Name)
	var results []importer.Result
	var err error
	defer func() {
		if v := recover(); v != nil {
			err = errPanic{v}
			log.Error("job panicked; the daemon goes on", "panic", v, "stack", string(debug.Stack()))
			g.recordPanic(j, err)
			d.mon.JobFailed(j.Name)
		}
		d.mon.JobDone(j.Name, d.clock.Now(), err)
		importer.Notify(context.WithoutCancel(d.runCtx), d.sender, j, results, err)
		d.checkJobOverdue(d.runCtx, g, j, importedNew(results))
	}()
	if d.o.beforeRun != nil {
		d.o.beforeRun(j.Name)
	}
	results, err = g.runRetrying(j, log)
}

// runRetrying runs the job, retrying with exponential backoff and jitter
// while the database cannot be reached. Its results are the files
// imported by any attempt and the failures of the last one: a retry that
// skips what an earlier attempt imported still reports it once.
func (g *generation) runRetrying(j *importer.Job, log *slog.Logger) ([]importer.Result, error) {
	d := g.d
	retry := g.cfg.Daemon.Retry
	var kept []importer.Result
	for attempt := 1; ; attempt++ {
		results, err := g.runOnce(j)
		g.reportDatabase(err)
		final := err == nil || !retryable(err) || d.runCtx.Err() != nil || attempt >= retry.Attempts
		for _, r := range results {
			if r.Status == models.StatusOK || final {
				kept = append(kept, r)
			}
		}
		switch {
		case err == nil:
			return kept, nil
		case !retryable(err) || d.runCtx.Err() != nil:
			log.Error("run failed", "err", err)
			return kept, err
		case attempt >= retry.Attempts:
			log.Error("run failed: "+unreachable(err)+" after every attempt; the next tick tries again", "attempts", attempt, "err", err)
			d.mon.JobFailed(j.Name)
			return kept, err
		}
		delay := backoff(attempt, retry.MaxDelay)
		log.Warn(unreachable(err)+"; retrying", "attempt", attempt, "of", retry.Attempts, "in", delay.Round(time.Millisecond), "err", err)
		select {
		case <-d.clock.After(delay):
		case <-d.stopping:
			log.Warn("stopping: no more retries", "err", err)
			return kept, err
		}
	}
}

// runOnce imports the job's files once. A file that failed because the
// database went away makes the whole run fail as unreachable, so it is
// retried; files already done are skipped then by the ledger.
func (g *generation) runOnce(j *importer.Job) ([]importer.Result, error) {
	d := g.d
	ctx := d.runCtx
	im, err := g.connect(ctx)
	if err != nil {
		return nil, err
	}
	results, err := im.RunJob(ctx, j, importer.Options{Settle: j.Settle(), QuietSkips: true,
		Unsettled: func(_ importer.File, at time.Time) { g.recheck(j, at) }})
	var failed []string
	var unreachable error
	for _, r := range results {
		d.mon.FileDone(r)
		if r.Err == nil {
			continue
		}
		failed = append(failed, fmt.Sprintf("%s: %v", r.Path, r.Err))
		if retryable(r.Err) && unreachable == nil {
			unreachable = r.Err
		}
	}
	switch {
	case err != nil:
		return results, err
	case unreachable != nil:
		return results, unreachable
	case len(failed) == 1:
		return results, errors.New(failed[0])
	case len(failed) > 0:
		return results, fmt.Errorf("%d file(s) failed: %s", len(failed), strings.Join(failed, "; "))
	}
	return results, nil
}

// retryable is a failure a later attempt may not meet: the database
// unreachable, or a remote source's server. A remote source's failure
// says so itself (importer.Retryable): the network error inside a
// refused login must not make it look like an outage.
func retryable(err error) bool {
	var se *importer.SourceError
	if errors.As(err, &se) {
		return importer.Retryable(err)
	}
	return models.Unreachable(err)
}

// unreachable says what a retryable failure could not reach.
func unreachable(err error) string {
	var se *importer.SourceError
	if errors.As(err, &se) {
		return "source unreachable"
	}
	return "database unreachable"
}

// recordPanic puts the panic in the ledger, where an operator looks for
// failed runs.
func (g *generation) recordPanic(j *importer.Job, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	im, lerr := g.connect(ctx)
	if lerr == nil {
		lerr = im.RecordFailure(ctx, j, err)
	}
	if lerr != nil {
		g.d.log.Error("could not record the panic in the ledger", "job", j.Name, "err", lerr)
	}
}

// importedNew reports whether a run imported a file (not only skipped).
func importedNew(results []importer.Result) bool {
	for _, r := range results {
		if r.Status == models.StatusOK && !r.DryRun {
			return true
		}
	}
	return false
}

// reportDatabase tells /healthz what a run found of the database at
// once, not at the next ping: unreachable (503), or reached (any other
// outcome, a failed file's bad data included).
func (g *generation) reportDatabase(err error) {
	if !models.Unreachable(err) {
		err = nil
	}
	g.d.mon.DatabaseSeen(g.d.clock.Now(), err)
}
