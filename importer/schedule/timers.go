package schedule

import (
	"maps"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/robfig/cron/v3"

	"github.com/sluice-dev/sluice/importer"
)

// The daemon keeps its own timers on its clock rather than robfig/cron's
// runner, which reads the wall clock: tests move a fake clock and see
// every tick and every settle re-check happen without sleeping.

// schedule runs job j at each time its schedule gives until the
// generation retires. The first timer is set before it returns, so that a
// reload's or a start's ticks are never missed. A tick that finds the
// job's previous run still going is skipped by begin, as cron's
// SkipIfStillRunning would. Times missed while the machine slept are not
// caught up: the next one is.
func (g *generation) schedule(j *importer.Job, s cron.Schedule) {
	clock := g.d.clock
	arm := func() clockwork.Timer {
		now := clock.Now()
		next := s.Next(now)
		t := clock.NewTimer(next.Sub(now))
		g.d.mon.SetNext(j.Name, next)
		return t
	}
	t := arm()
	go func() {
		for {
			select {
			case <-t.Chan():
				go g.run(j)
				t = arm()
			case <-g.quit:
				t.Stop()
				return
			}
		}
	}()
}

// recheck runs job j once more at the time a file it left settling can
// have settled. One re-check per job is pending at a time, the earliest
// asked for: the run it makes finds the others still settling and asks
// again. A run already going then is not doubled (begin skips it) and
// lists the files after the re-check was asked for, so it sees the file;
// the ledger skips what is already imported.
func (g *generation) recheck(j *importer.Job, at time.Time) {
	g.recheckMu.Lock()
	if pending, ok := g.rechecks[j.Name]; ok && !pending.After(at) {
		g.recheckMu.Unlock()
		return
	}
	g.rechecks[j.Name] = at
	g.recheckMu.Unlock()
	clock := g.d.clock
	t := clock.NewTimer(at.Sub(clock.Now()))
	go func() {
		select {
		case <-t.Chan():
		case <-g.quit:
			t.Stop()
			return
		}
		g.recheckMu.Lock()
		if g.rechecks[j.Name].Equal(at) {
			delete(g.rechecks, j.Name)
		}
		g.recheckMu.Unlock()
		g.d.log.Info("re-checking the files that were settling", "job", j.Name)
		g.run(j)
	}()
}

// pendingRechecks are the re-checks not done yet, by job name.
func (g *generation) pendingRechecks() map[string]time.Time {
	g.recheckMu.Lock()
	defer g.recheckMu.Unlock()
	return maps.Clone(g.rechecks)
}

// halt stops the generation's timers: no more ticks nor re-checks.
func (g *generation) halt() { g.quitOnce.Do(func() { close(g.quit) }) }
