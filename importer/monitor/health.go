package monitor

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Health is the /healthz report.
type Health struct {
	Status    string                `json:"status"` // "ok" or "unhealthy"
	Scheduler bool                  `json:"scheduler_running"`
	Database  DatabaseHealth        `json:"database"`
	Jobs      map[string]*JobHealth `json:"jobs"`
}

// DatabaseHealth is what the last ping or run found of the database.
type DatabaseHealth struct {
	OK        bool      `json:"ok"`
	CheckedAt time.Time `json:"checked_at"`
	Source    string    `json:"source,omitempty"` // "ping" or "run"
	Error     string    `json:"error,omitempty"`
}

// JobHealth is what an operator asks of a job: how is it (State), when
// did it last succeed, when does it run next, and, with
// source.expect_every, when its next file is due.
type JobHealth struct {
	// State is "overdue", else the last run's status ("ok", "failed"),
	// else "scheduled" before its first run.
	State       string    `json:"state"`
	NextRun     time.Time `json:"next_run"`
	LastRun     time.Time `json:"last_run,omitzero"`
	LastStatus  string    `json:"last_status,omitempty"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	Overdue     bool      `json:"overdue,omitempty"`
	ExpectEvery string    `json:"expect_every,omitempty"`
	Due         time.Time `json:"due,omitzero"` // overdue from then on, without a new file
}

// Healthy is the scheduler running and the database answering its last
// ping or run.
func (m *Monitor) Healthy() (Health, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.health
	h.Jobs = make(map[string]*JobHealth, len(m.health.Jobs))
	for n, j := range m.health.Jobs {
		c := *j
		switch {
		case c.Overdue:
			c.State = "overdue"
		case c.LastStatus != "":
			c.State = c.LastStatus
		default:
			c.State = "scheduled"
		}
		h.Jobs[n] = &c
	}
	ok := h.Scheduler && h.Database.OK
	h.Status = "ok"
	if !ok {
		h.Status = "unhealthy"
	}
	return h, ok
}

// Handler serves /healthz (200 when healthy, else 503, with the report as
// JSON) and /metrics.
func (m *Monitor) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		h, ok := m.Healthy()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(h) // the client went away: nothing to do
	})
	return mux
}
