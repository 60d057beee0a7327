package schedule

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestDaemonRetriesRemoteSource: a remote source whose server fails
// (503) the first attempts is retried like an unreachable database, and
// imports once the server answers.
func TestDaemonRetriesRemoteSource(t *testing.T) {
	t.Parallel()
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) <= 3 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		http.ServeContent(w, r, "socks-1.csv", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), strings.NewReader("sku,name\nA,x\nB,y\n"))
	}))
	t.Cleanup(srv.Close)
	w := newWorld(t, "sqlite:///d.db")
	w.writeConfig(strings.Replace(socksConfig("sqlite:///d.db", ""),
		`source: {path: "in/socks-*.csv", settle: 0s, allow_empty: true}`,
		`source: {path: "`+srv.URL+`/socks-1.csv", settle: 0s}`, 1))
	w.start(Options{RunNow: true})
	w.advanceUntil("imported once the server answered", 200*time.Millisecond, func() bool { return w.okRuns() == 1 })
	if logs := w.logs.String(); strings.Count(logs, "source unreachable; retrying") < 3 || !strings.Contains(logs, "503 Service Unavailable") {
		t.Errorf("want three retries of the 503 logged:\n%s", logs)
	}
}
