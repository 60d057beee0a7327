package monitor

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/models"
)

// TestHealth walks the health report through a daemon's life: unhealthy
// until the scheduler runs and the database answered, unhealthy again
// as soon as a ping or a run finds it gone, healthy when one reaches it, and jobs dropped by a reload gone from the report.
func TestHealth(t *testing.T) {
	t.Parallel()
	m := New()
	at := time.Date(2026, 11, 1, 3, 0, 0, 0, time.UTC)
	steps := []struct {
		name string
		do   func()
		ok   bool
	}{
		{"new", func() {}, false},
		{"scheduler running, no ping yet", func() { m.SetScheduler(true); m.SetJobs([]string{"socks", "stock"}) }, false},
		{"ping ok", func() { m.SetPing(at, nil) }, true},
		{"ping failed", func() { m.SetPing(at.Add(time.Minute), errors.New("connection refused")) }, false},
		{"ping ok again", func() { m.SetPing(at.Add(2*time.Minute), nil) }, true},
		{"a run lost the database", func() { m.DatabaseSeen(at.Add(3*time.Minute), errors.New("unexpected EOF")) }, false},
		{"a later run reached it", func() { m.DatabaseSeen(at.Add(4*time.Minute), nil) }, true},
		{"stopping", func() { m.SetScheduler(false) }, false},
	}
	for _, s := range steps {
		s.do()
		if _, ok := m.Healthy(); ok != s.ok {
			t.Errorf("%s: healthy %t, want %t", s.name, ok, s.ok)
		}
	}
	m.JobDone("socks", at, nil)
	m.JobDone("stock", at, errors.New("1 file(s) failed"))
	m.SetJobs([]string{"socks"}) // a reload dropped stock
	h, _ := m.Healthy()
	if len(h.Jobs) != 1 || h.Jobs["socks"] == nil || !h.Jobs["socks"].LastSuccess.Equal(at) || h.Jobs["socks"].LastStatus != models.StatusOK {
		t.Errorf("jobs after the reload: %+v", h.Jobs)
	}
}

// TestMetrics checks the series a file's import and a failed job add.
func TestMetrics(t *testing.T) {
	t.Parallel()
	m := New()
	m.FileDone(importer.Result{Job: "socks", Status: models.StatusOK, Duration: 2 * time.Second, Rejected: 1,
		Counts: models.Counts{Inserted: 3, Updated: 2, Unchanged: 5, Deleted: 4}})
	m.FileDone(importer.Result{Job: "socks", Status: models.StatusSkipped})
	m.JobFailed("stock")
	m.SetNext("socks", time.Unix(1800000000, 0))
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`sluice_runs_total{job="socks",status="ok"} 1`,
		`sluice_runs_total{job="socks",status="skipped"} 1`,
		`sluice_runs_total{job="stock",status="failed"} 1`,
		`sluice_rows_total{job="socks",outcome="inserted"} 3`,
		`sluice_rows_total{job="socks",outcome="updated"} 2`,
		`sluice_rows_total{job="socks",outcome="unchanged"} 5`,
		`sluice_rows_total{job="socks",outcome="rejected"} 1`,
		`sluice_rows_total{job="socks",outcome="deleted"} 4`,
		`sluice_import_duration_seconds_count{job="socks"} 1`,
		`sluice_next_run_timestamp_seconds{job="socks"} 1.8e+09`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
