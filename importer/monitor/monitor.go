// Package monitor is what the daemon shows of itself: Prometheus metrics
// of its runs and a health report, served over HTTP at /metrics and
// /healthz.
package monitor

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/models"
)

// Monitor records runs as they finish. Its registry is its own, not
// Prometheus' global one: two daemons in one test process stay apart.
type Monitor struct {
	reg         *prometheus.Registry
	runs        *prometheus.CounterVec
	rows        *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	lastSuccess *prometheus.GaugeVec
	nextRun     *prometheus.GaugeVec
	overdue     *prometheus.GaugeVec
	databaseUp  prometheus.Gauge

	mu     sync.Mutex
	health Health
}

// New returns a Monitor with every metric registered.
func New() *Monitor {
	m := &Monitor{
		reg: prometheus.NewRegistry(),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_runs_total",
			Help: "File imports by job and status (ok, skipped, failed, interrupted); a job run that failed before reaching its files counts once as failed.",
		}, []string{"job", "status"}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_rows_total",
			Help: "Rows of imported files by job and outcome (inserted, updated, unchanged, rejected; deleted: rows a sync deleted or marked as gone from the file).",
		}, []string{"job", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "sluice_import_duration_seconds",
			Help: "Time to import one file, by job.",
			// From a small daily file to a large monthly dump.
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 10),
		}, []string{"job"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sluice_last_success_timestamp_seconds",
			Help: "Unix time of the job's last run that ended with every file imported or skipped.",
		}, []string{"job"}),
		nextRun: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sluice_next_run_timestamp_seconds",
			Help: "Unix time of the job's next scheduled run.",
		}, []string{"job"}),
		overdue: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sluice_job_overdue",
			Help: "1 if the job has had no new file for longer than its source.expect_every, else 0; only jobs with expect_every.",
		}, []string{"job"}),
		databaseUp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sluice_database_up",
			Help: "1 if the database answered the last ping or run, else 0.",
		}),
		health: Health{Jobs: map[string]*JobHealth{}},
	}
	m.reg.MustRegister(m.runs, m.rows, m.duration, m.lastSuccess, m.nextRun, m.overdue, m.databaseUp,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is where the metrics live.
func (m *Monitor) Registry() *prometheus.Registry { return m.reg }

// SetJobs names the scheduled jobs (on start and after a reload); jobs no
// longer in the config drop out of the health report and next-run gauge.
func (m *Monitor) SetJobs(names []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	keep := map[string]*JobHealth{}
	for _, n := range names {
		if h, ok := m.health.Jobs[n]; ok {
			keep[n] = h
		} else {
			keep[n] = &JobHealth{}
		}
	}
	for n := range m.health.Jobs {
		if _, ok := keep[n]; !ok {
			m.nextRun.DeleteLabelValues(n)
			m.overdue.DeleteLabelValues(n)
		}
	}
	m.health.Jobs = keep
}

// FileDone records one file's import.
func (m *Monitor) FileDone(r importer.Result) {
	m.runs.WithLabelValues(r.Job, r.Status).Inc()
	if r.Status != models.StatusOK {
		return
	}
	m.duration.WithLabelValues(r.Job).Observe(r.Duration.Seconds())
	for outcome, n := range map[string]int64{
		"inserted": r.Counts.Inserted, "updated": r.Counts.Updated,
		"unchanged": r.Counts.Unchanged, "rejected": r.Rejected, "deleted": r.Counts.Deleted,
	} {
		m.rows.WithLabelValues(r.Job, outcome).Add(float64(n))
	}
}

// JobDone records the end of a job's run: err nil is a success (every
// file imported or skipped).
func (m *Monitor) JobDone(job string, at time.Time, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.job(job)
	h.LastRun = at.UTC()
	if err != nil {
		h.LastStatus, h.LastError = models.StatusFailed, err.Error()
		return
	}
	h.LastStatus, h.LastError, h.LastSuccess = models.StatusOK, "", at.UTC()
	m.lastSuccess.WithLabelValues(job).Set(float64(at.Unix()))
}

// JobFailed counts a run that failed before any file was imported (the
// database unreachable after every retry, a panic).
func (m *Monitor) JobFailed(job string) { m.runs.WithLabelValues(job, models.StatusFailed).Inc() }

// SetNext records when the job runs next.
func (m *Monitor) SetNext(job string, next time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.job(job).NextRun = next.UTC()
	m.nextRun.WithLabelValues(job).Set(float64(next.Unix()))
}

// SetWatch records where a job with source.expect_every stands; watched
// false is a job without one.
func (m *Monitor) SetWatch(job string, w importer.Watch, watched bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.job(job)
	if !watched {
		h.Overdue, h.ExpectEvery, h.Due = false, "", time.Time{}
		m.overdue.DeleteLabelValues(job)
		return
	}
	h.Overdue, h.ExpectEvery, h.Due = w.Overdue, importer.FormatLongDuration(w.ExpectEvery), w.Due.UTC()
	v := 0.0
	if w.Overdue {
		v = 1
	}
	m.overdue.WithLabelValues(job).Set(v)
}

// SetScheduler records whether the scheduler is running.
func (m *Monitor) SetScheduler(running bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.health.Scheduler = running
}

// SetPing records a database ping's outcome.
func (m *Monitor) SetPing(at time.Time, err error) { m.setDatabase(at, err, "ping") }

// DatabaseSeen records what a run found of the database: err is it
// unreachable (or gone mid-import), nil is it answering. /healthz follows
// it at once rather than at the next ping.
func (m *Monitor) DatabaseSeen(at time.Time, err error) { m.setDatabase(at, err, "run") }

func (m *Monitor) setDatabase(at time.Time, err error, source string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.health.Database = DatabaseHealth{OK: err == nil, CheckedAt: at.UTC(), Source: source}
	if err != nil {
		m.health.Database.Error = err.Error()
		m.databaseUp.Set(0)
		return
	}
	m.databaseUp.Set(1)
}

func (m *Monitor) job(name string) *JobHealth {
	h, ok := m.health.Jobs[name]
	if !ok {
		h = &JobHealth{}
		m.health.Jobs[name] = h
	}
	return h
}
