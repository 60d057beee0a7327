// Package schedule is sluice's daemon: it runs every job of config.yaml on
// its cron schedule (read by robfig/cron), re-checks files left settling
// as soon as they can have settled, retries runs whose database is
// unreachable, reloads the config on request and stops cleanly, letting a
// running import finish or rolling it back.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/importer/monitor"
	"github.com/sluice-dev/sluice/importer/notify"
)

// Options configure a daemon.
type Options struct {
	ConfigPath string
	// Lookup reads the environment (os.LookupEnv outside tests).
	Lookup func(string) (string, bool)
	Log    *slog.Logger
	// Monitor receives every run's outcome; nil keeps none.
	Monitor *monitor.Monitor
	// RunNow runs every job once at start, then keeps the schedule.
	RunNow bool
	// ShutdownTimeout is how long a stop waits for running imports before
	// cancelling them (they roll back and are recorded as interrupted).
	ShutdownTimeout time.Duration
	// LockTimeout is how long a run waits for the job lock held by another
	// process (a manual sluice import) before giving up until next tick.
	LockTimeout time.Duration
	// PingEvery is how often the database is pinged for /healthz.
	PingEvery time.Duration
	// Reload asks for config.yaml to be read again (SIGHUP).
	Reload <-chan struct{}
	// Clock is the daemon's time: schedules, settle re-checks, retries,
	// pings and the ledger's times. nil is the real clock; tests move a
	// fake one.
	Clock clockwork.Clock
	// Notify tells the service manager the daemon's state ("READY=1",
	// "STOPPING=1", "STATUS=…"); nil tells no one.
	Notify func(state string)

	// beforeRun, in tests, runs at the start of every run.
	beforeRun func(job string)
	// afterPing, in tests, is told of each ping's time.
	afterPing func(at time.Time)
}

// DefaultPingEvery is how often the daemon pings its database when
// Options do not say. Runs report what they find at once besides.
const DefaultPingEvery = 10 * time.Second

// Daemon is a running scheduler. Run drives it.
type Daemon struct {
	o      Options
	log    *slog.Logger
	mon    *monitor.Monitor
	clock  clockwork.Clock
	sender *notify.Sender

	// runCtx is what imports run under: not the caller's context, so that
	// a signal first stops the scheduling and only a timeout cancels them.
	runCtx    context.Context
	cancelRun context.CancelFunc

	// stopping is closed when a stop begins: no new runs, no more retries.
	stopping chan struct{}

	watchMu sync.Mutex
	watches map[string]*watch // by job name, across reloads
	bg      sync.WaitGroup    // notifications sent from the main loop

	mu      sync.Mutex
	cur     *generation     // the config in force
	running map[string]bool // jobs with a run going
	active  int             // runs going, all generations
	idle    chan struct{}   // closed when active drops to 0
}

// New loads the config and prepares the daemon; a bad config is an error
// here, before anything runs.
func New(o Options) (*Daemon, error) {
	if o.Monitor == nil {
		o.Monitor = monitor.New()
	}
	if o.PingEvery <= 0 {
		o.PingEvery = DefaultPingEvery
	}
	if o.Notify == nil {
		o.Notify = func(string) {}
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	d := &Daemon{o: o, log: o.Log, mon: o.Monitor, clock: o.Clock, stopping: make(chan struct{}), running: map[string]bool{},
		watches: map[string]*watch{}, sender: notify.New(notify.Options{Log: o.Log, Clock: o.Clock})}
	d.runCtx, d.cancelRun = context.WithCancel(context.Background())
	cfg, err := importer.LoadConfig(o.ConfigPath, o.Lookup)
	if err != nil {
		return nil, err
	}
	g, err := d.newGeneration(cfg)
	if err != nil {
		return nil, err
	}
	d.cur = g
	return d, nil
}

// Run schedules the jobs until ctx is done, then stops: no new runs, the
// running ones get ShutdownTimeout to finish before they are cancelled.
// It returns nil after a clean stop.
func (d *Daemon) Run(ctx context.Context) error {
	defer d.cancelRun()
	g := d.generation()
	g.start()
	d.mon.SetScheduler(true)
	d.checkOverdue(ctx)
	d.ping(ctx)
	d.o.Notify("READY=1")
	d.o.Notify("STATUS=scheduling " + g.summary())
	if d.o.RunNow {
		g.runAll()
	}
	tick := d.clock.NewTicker(d.o.PingEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return d.stop()
		case <-d.o.Reload:
			d.reload()
		case <-tick.Chan():
			d.checkOverdue(ctx) // before the ping: a ping's time says both were done
			d.ping(ctx)
		}
	}
}

func (d *Daemon) generation() *generation {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cur
}

// reload reads config.yaml again. A config that does not load is refused
// and the running one stays; a good one replaces it, and runs already
// going finish under the old one.
func (d *Daemon) reload() {
	cfg, err := importer.LoadConfig(d.o.ConfigPath, d.o.Lookup)
	var g *generation
	if err == nil {
		g, err = d.newGeneration(cfg)
	}
	if err != nil {
		d.log.Error("config reload refused; the running config stays", "config", d.o.ConfigPath, "err", err)
		return
	}
	d.mu.Lock()
	old := d.cur
	d.cur = g
	d.mu.Unlock()
	old.retire()
	g.start()
	// A file left settling is still checked when it can have settled.
	for job, at := range old.pendingRechecks() {
		if j, err := cfg.Job(job); err == nil {
			g.recheck(j, at)
		}
	}
	d.log.Info("config reloaded", "config", d.o.ConfigPath, "jobs", len(cfg.Jobs))
	d.o.Notify("STATUS=scheduling " + g.summary())
}

// stop stops scheduling and waits for the running imports, cancelling
// them after ShutdownTimeout.
func (d *Daemon) stop() error {
	d.o.Notify("STOPPING=1")
	d.mon.SetScheduler(false)
	d.mu.Lock()
	close(d.stopping)
	d.mu.Unlock()
	g := d.generation()
	g.halt()
	done := d.waitIdle()
	select {
	case <-done:
	case <-d.clock.After(d.o.ShutdownTimeout):
		d.log.Warn("shutdown timeout: cancelling the running imports; they roll back", "timeout", d.o.ShutdownTimeout)
		d.cancelRun()
		<-done
	}
	d.bg.Wait()
	g.closeDB()
	d.log.Info("stopped")
	return nil
}

// ping checks the database for /healthz.
func (d *Daemon) ping(ctx context.Context) {
	g := d.generation()
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := g.connect(pctx)
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return // stopping
	}
	if err != nil {
		d.log.Warn("database ping failed", "err", err)
	}
	now := d.clock.Now()
	d.mon.SetPing(now, err)
	if d.o.afterPing != nil {
		d.o.afterPing(now)
	}
}

// errPanic is a run that panicked; the daemon recovers and lives on.
type errPanic struct{ value any }

func (e errPanic) Error() string { return fmt.Sprintf("panic: %v", e.value) }
