package schedule

import (
	"log/slog"
	"math/rand/v2"
	"time"
)

// begin admits a run of job unless the daemon is stopping or the job's
// previous run is still going (the tick is then skipped and logged, as
// cron's SkipIfStillRunning would, across reloads too).
func (d *Daemon) begin(g *generation, job string, log *slog.Logger) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	select {
	case <-d.stopping:
		return false
	default:
	}
	if d.running[job] {
		log.Warn("previous run still going; this tick is skipped")
		return false
	}
	d.running[job] = true
	d.active++
	g.active++
	return true
}

// end marks a run finished; the last run of a retired generation closes
// its database, and the last run of all lets a stop complete.
func (d *Daemon) end(g *generation, job string) {
	d.mu.Lock()
	delete(d.running, job)
	d.active--
	g.active--
	closeDB := g.retired && g.active == 0
	if d.active == 0 && d.idle != nil {
		close(d.idle)
		d.idle = nil
	}
	d.mu.Unlock()
	if closeDB {
		g.closeDB()
	}
}

// waitIdle returns a channel closed when no run is going.
func (d *Daemon) waitIdle() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	ch := make(chan struct{})
	if d.active == 0 {
		close(ch)
		return ch
	}
	if d.idle == nil {
		d.idle = ch
	}
	return d.idle
}

// backoff is the wait before retry number attempt: doubling from one
// second up to max, with jitter so that many daemons do not reconnect in
// step after an outage.
func backoff(attempt int, max time.Duration) time.Duration {
	d := time.Second << min(attempt-1, 30)
	if d > max || d <= 0 {
		d = max
	}
	return d/2 + rand.N(d/2+1)
}
