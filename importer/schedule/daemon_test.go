package schedule

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/importer/monitor"
	"github.com/sluice-dev/sluice/models"
	"github.com/sluice-dev/sluice/models/dbtest"
)

// syncBuffer is a log sink the daemon's goroutines and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// world is a folder with config.yaml and in/, and a daemon over it on a
// fake clock: the test moves time, the daemon never sleeps for real.
type world struct {
	t      *testing.T
	dir    string
	url    string
	clock  *clockwork.FakeClock
	logs   *syncBuffer
	mon    *monitor.Monitor
	reload chan struct{}
	d      *Daemon

	pingMu   sync.Mutex
	lastPing time.Time // the main loop's last ping, on the fake clock
	stop     context.CancelFunc
	done     chan error
}

// t0 is when the fake clock starts: a few seconds before a minute's
// tick, so that a settle re-check and a tick can meet.
var t0 = time.Date(2026, 12, 1, 2, 59, 55, 0, time.UTC)

// socksConfig is a config with one job run every minute.
func socksConfig(url, extra string) string {
	return fmt.Sprintf(`database:
  url: %q
daemon:
  retry: {attempts: 20, max_delay: 200ms}
jobs:
  - name: socks
    schedule: "* * * * *"
    source: {path: "in/socks-*.csv", settle: 0s, allow_empty: true}
    table: socks
    key: [sku]
    columns:
      - {name: sku}
      - {name: name}
%s`, url, extra)
}

func newWorld(t *testing.T, url string) *world {
	t.Helper()
	w := &world{t: t, dir: t.TempDir(), url: url, clock: clockwork.NewFakeClockAt(t0), logs: &syncBuffer{}, mon: monitor.New(), reload: make(chan struct{}, 1)}
	w.writeConfig(socksConfig(url, ""))
	if err := os.MkdirAll(filepath.Join(w.dir, "in"), 0o755); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) writeConfig(text string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.dir, "config.yaml"), []byte(text), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// start runs the daemon until the test ends.
func (w *world) start(o Options) {
	w.t.Helper()
	o.ConfigPath = filepath.Join(w.dir, "config.yaml")
	o.Lookup = func(string) (string, bool) { return "", false }
	o.Log = slog.New(slog.NewTextHandler(io.MultiWriter(w.logs, w.t.Output()), &slog.HandlerOptions{Level: slog.LevelDebug}))
	o.Monitor = w.mon
	o.Reload = w.reload
	o.Clock = w.clock
	o.afterPing = func(at time.Time) {
		w.pingMu.Lock()
		defer w.pingMu.Unlock()
		w.lastPing = at
	}
	if o.ShutdownTimeout == 0 {
		o.ShutdownTimeout = 10 * time.Second
	}
	d, err := New(o)
	if err != nil {
		w.t.Fatal(err)
	}
	w.d = d
	ctx, cancel := context.WithCancel(context.Background())
	w.stop, w.done = cancel, make(chan error, 1)
	go func() { w.done <- d.Run(ctx) }()
	w.t.Cleanup(func() { w.shutdown() })
	// Started once it has pinged; the clock may move then.
	w.waitFor("the first ping", 10*time.Second, func() bool { return !w.pinged().IsZero() })
}

// shutdown stops the daemon and returns Run's error.
func (w *world) shutdown() error {
	if w.stop == nil {
		return nil
	}
	w.stop()
	w.stop = nil
	select {
	case err := <-w.done:
		return err
	case <-time.After(30 * time.Second):
		w.t.Fatal("daemon did not stop within 30s")
		return nil
	}
}

// drop writes a source file, dated a minute ago on the fake clock so
// that it is settled.
func (w *world) drop(name, data string) string {
	w.t.Helper()
	return w.write(name, data, w.clock.Now().Add(-time.Minute))
}

// write writes a source file modified at mtime.
func (w *world) write(name, data string, mtime time.Time) string {
	w.t.Helper()
	path := filepath.Join(w.dir, "in", name)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		w.t.Fatal(err)
	}
	w.touch(path, mtime)
	return path
}

func (w *world) touch(path string, mtime time.Time) {
	w.t.Helper()
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		w.t.Fatal(err)
	}
}

// idle waits until no run is going.
func (w *world) idle() {
	w.t.Helper()
	w.waitFor("the runs going to end", 20*time.Second, func() bool {
		w.d.mu.Lock()
		defer w.d.mu.Unlock()
		return w.d.active == 0
	})
}

// tick waits for the runs going to end, then moves the clock to job's
// next scheduled run (its timer is set by then: the next run is published
// after it) and waits for that run to end.
func (w *world) tick(job string) {
	w.t.Helper()
	w.idle()
	var next time.Time
	w.waitFor("the next run of "+job+" scheduled", 10*time.Second, func() bool {
		h, _ := w.mon.Healthy()
		if j := h.Jobs[job]; j != nil {
			next = j.NextRun
		}
		return next.After(w.clock.Now())
	})
	w.clock.Advance(next.Sub(w.clock.Now()))
	w.waitFor("the run of "+job+" at "+next.String(), 20*time.Second, func() bool {
		h, _ := w.mon.Healthy()
		return h.Jobs[job] != nil && !h.Jobs[job].LastRun.Before(next)
	})
	w.idle()
}

// advanceUntil moves the clock on by step until cond holds: for the
// retries' backoff, whose waits are drawn at random.
func (w *world) advanceUntil(what string, step time.Duration, cond func() bool) {
	w.t.Helper()
	w.waitFor(what, 30*time.Second, func() bool {
		if cond() {
			return true
		}
		w.clock.Advance(step)
		return false
	})
}

// waitFor polls cond until it holds or the deadline passes.
func (w *world) waitFor(what string, within time.Duration, cond func() bool) {
	w.t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			w.t.Fatalf("%s: not within %s; logs:\n%s", what, within, w.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// runs reads the ledger through a connection of the test's own.
func (w *world) runs() []models.Run {
	w.t.Helper()
	ctx := context.Background()
	db, err := models.Open(ctx, w.url, w.dir)
	if err != nil {
		w.t.Fatal(err)
	}
	defer db.Close()
	var runs []models.Run
	if err := db.Bun.NewRaw("SELECT * FROM sluice_runs ORDER BY id").Scan(ctx, &runs); err != nil && !strings.Contains(err.Error(), "sluice_runs") {
		w.t.Fatal(err)
	}
	return runs
}

func (w *world) okRuns() int {
	n := 0
	for _, r := range w.runs() {
		if r.Status == models.StatusOK {
			n++
		}
	}
	return n
}

// TestDaemonImportsDroppedFile: a file dropped into the folder is imported
// on the next tick, and the ticks after skip it without recording it.
func TestDaemonImportsDroppedFile(t *testing.T) {
	t.Parallel()
	for _, b := range dbtest.All() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, b.New(t))
			w.start(Options{})
			w.drop("socks-1.csv", "sku,name\nA,x\nB,y\n")
			w.tick("socks")
			w.waitFor("first file imported", 10*time.Second, func() bool { return w.okRuns() == 1 })
			w.tick("socks")
			w.waitFor("a later tick skips it", 10*time.Second, func() bool { return strings.Contains(w.logs.String(), "already imported") })
			w.drop("socks-2.csv", "sku,name\nB,changed\nC,z\n")
			w.tick("socks")
			w.waitFor("second file imported", 10*time.Second, func() bool { return w.okRuns() == 2 })
			if err := w.shutdown(); err != nil {
				t.Fatalf("Run: %v", err)
			}
			runs := w.runs()
			if len(runs) != 2 {
				t.Errorf("ledger has %d runs, want the 2 imports only (skips are not recorded by the daemon): %+v", len(runs), runs)
			}
			if r := runs[len(runs)-1]; r.Inserted != 1 || r.Updated != 1 || !r.StartedAt.Equal(t0.Add(2*time.Minute+5*time.Second)) {
				t.Errorf("second file: %d inserted, %d updated, started %s; want 1 and 1, at the third tick", r.Inserted, r.Updated, r.StartedAt)
			}
		})
	}
}

// TestDaemonSettle: a file modified within source.settle is imported as
// soon as it can have settled (its mtime + settle), not at the next tick
// (a month later for @monthly), and once however the re-checks and the
// ticks meet.
func TestDaemonSettle(t *testing.T) {
	t.Parallel()
	const settle = 5 * time.Second
	cases := []struct {
		name     string
		schedule string
		// steps move the clock (and the file) after the first run.
		steps    func(w *world, path string)
		imported time.Time // the run's start on the fake clock
		notices  int       // "still being written" lines
	}{
		{"re-checked at mtime + settle", "@monthly", func(w *world, _ string) {
			w.clock.Advance(settle - time.Second)
			w.idle()
			if n := w.okRuns(); n != 0 {
				w.t.Errorf("%d runs before the file settled", n)
			}
			w.clock.Advance(time.Second)
		}, t0.Add(settle), 1},
		{"written to again while settling", "@monthly", func(w *world, path string) {
			w.touch(path, t0.Add(3*time.Second))
			w.clock.Advance(settle) // it has 2 s to go then
			w.waitFor("the second notice", 10*time.Second, func() bool {
				return strings.Count(w.logs.String(), "file still being written") == 2
			})
			w.idle()
			w.clock.Advance(3 * time.Second)
		}, t0.Add(8 * time.Second), 2},
		{"a reload while it settles", "@monthly", func(w *world, _ string) {
			w.reload <- struct{}{}
			w.waitFor("config reloaded", 10*time.Second, func() bool { return strings.Contains(w.logs.String(), "config reloaded") })
			w.clock.Advance(settle)
		}, t0.Add(settle), 1},
		{"a tick at the same moment", "* * * * *", func(w *world, _ string) {
			w.clock.Advance(settle) // t0 + 5 s is 03:00:00, the tick
		}, t0.Add(settle), 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, "sqlite:///d.db")
			w.writeConfig(strings.NewReplacer("settle: 0s", "settle: 5s", `"* * * * *"`, `"`+c.schedule+`"`).Replace(socksConfig("sqlite:///d.db", "")))
			path := w.write("socks-1.csv", "sku,name\nA,x\n", t0) // copied in just now
			w.start(Options{RunNow: true})
			w.waitFor("the fresh file noticed and left", 10*time.Second, func() bool {
				return strings.Contains(w.logs.String(), "file still being written; checked again once settled")
			})
			w.idle()
			c.steps(w, path)
			w.waitFor("imported once settled", 10*time.Second, func() bool { return w.okRuns() == 1 })
			w.idle()
			runs := w.runs()
			if len(runs) != 1 || !runs[0].StartedAt.Equal(c.imported) {
				t.Errorf("ledger: %+v; want one run, started at %s", runs, c.imported)
			}
			if n := strings.Count(w.logs.String(), "file still being written"); n != c.notices {
				t.Errorf("%d notices of the file settling, want %d", n, c.notices)
			}
		})
	}
}

// TestDaemonOutageSQLite: while another process holds the SQLite file's
// write lock longer than the URL's timeout, the run is retried with
// backoff, and imports once the lock is gone; /healthz follows the runs
// at once: 503 while they cannot write, 200 when one could.
func TestDaemonOutageSQLite(t *testing.T) {
	t.Parallel()
	url := "sqlite:///d.db?timeout=0.1"
	w := newWorld(t, url)
	ctx := context.Background()
	holder, err := models.Open(ctx, "sqlite:///d.db", w.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	// The ledger must exist for the lock to be the only obstacle.
	if err := models.NewLedger(holder).Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err := holder.Bun.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	w.drop("socks-1.csv", "sku,name\nA,x\n")
	w.start(Options{RunNow: true})
	w.waitFor("a retry logged", 10*time.Second, func() bool {
		return strings.Contains(w.logs.String(), "database unreachable; retrying")
	})
	// At once, with no ping since the one at start that found it well.
	if h, ok := w.mon.Healthy(); ok || h.Database.Source != "run" || !strings.Contains(h.Database.Error, "locked") {
		t.Errorf("while the run cannot write: healthy %t, %+v; want 503 from the run", ok, h.Database)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	w.advanceUntil("imported after the lock went", 200*time.Millisecond, func() bool { return w.okRuns() == 1 })
	w.idle()
	if h, ok := w.mon.Healthy(); !ok || h.Database.Source != "run" {
		t.Errorf("after the import: healthy %t, %+v; want 200 from the run", ok, h.Database)
	}
}

// TestDaemonOutagePostgres: the server is unreachable for the first
// attempts (nothing listens on the URL's port), then a proxy to the real
// server comes up there: the run is retried and imports.
func TestDaemonOutagePostgres(t *testing.T) {
	t.Parallel()
	real := dbtest.Postgres(t)
	u, err := url.Parse(real)
	if err != nil {
		t.Fatal(err)
	}
	// A free port, closed again: connections to it are refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().String()
	ln.Close()
	target := u.Host
	u.Host = port
	w := newWorld(t, u.String())
	w.drop("socks-1.csv", "sku,name\nA,x\nB,y\n")
	w.start(Options{RunNow: true})
	w.waitFor("a retry logged", 10*time.Second, func() bool {
		return strings.Contains(w.logs.String(), "database unreachable; retrying")
	})
	if _, ok := w.mon.Healthy(); ok {
		t.Error("healthy while the database is down")
	}
	proxy(t, port, target)
	// The test reads the ledger through the proxy too.
	w.advanceUntil("imported once the server answered", 200*time.Millisecond, func() bool { return w.okRuns() == 1 })
}

// proxy forwards connections on addr to target until the test ends.
func proxy(t *testing.T, addr, target string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				s, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer s.Close()
				go io.Copy(s, c)
				io.Copy(c, s)
			}()
		}
	}()
}

// TestDaemonReload: a bad config on SIGHUP is refused and the old one
// keeps running; a good one replaces it.
func TestDaemonReload(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "sqlite:///d.db")
	w.start(Options{})
	w.writeConfig("jobs: [}")
	w.reload <- struct{}{}
	w.waitFor("bad config refused", 5*time.Second, func() bool {
		return strings.Contains(w.logs.String(), "config reload refused; the running config stays")
	})
	w.drop("socks-1.csv", "sku,name\nA,x\n")
	w.tick("socks")
	w.waitFor("old config still imports", 10*time.Second, func() bool { return w.okRuns() == 1 })

	// The new config adds a job reading other files.
	w.writeConfig(socksConfig("sqlite:///d.db", `  - name: stock
    schedule: "* * * * *"
    source: {path: "in/stock-*.csv", settle: 0s}
    table: stock
    key: [sku]
    columns:
      - {name: sku}
      - {name: on_hand, type: integer}
`))
	w.reload <- struct{}{}
	w.waitFor("config reloaded", 5*time.Second, func() bool { return strings.Contains(w.logs.String(), "config reloaded") })
	w.drop("stock-1.csv", "sku,on_hand\nA,3\n")
	w.tick("stock")
	w.waitFor("new job imports", 10*time.Second, func() bool { return w.okRuns() == 2 })
}

// TestDaemonPanic: a job that panics is recovered, logged and recorded as
// a failed run; the daemon keeps scheduling.
func TestDaemonPanic(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "sqlite:///d.db")
	var once sync.Once
	w.start(Options{RunNow: true, beforeRun: func(job string) {
		once.Do(func() { panic("boom in " + job) })
	}})
	w.waitFor("panic recorded", 10*time.Second, func() bool {
		for _, r := range w.runs() {
			if r.Status == models.StatusFailed && strings.Contains(r.Error, "panic: boom in socks") {
				return true
			}
		}
		return false
	})
	w.drop("socks-1.csv", "sku,name\nA,x\n")
	w.tick("socks")
	w.waitFor("later ticks still import", 10*time.Second, func() bool { return w.okRuns() == 1 })
}

// TestDaemonHealthAndMetrics scrapes /healthz and /metrics over HTTP.
func TestDaemonHealthAndMetrics(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "sqlite:///d.db")
	srv := httptest.NewServer(w.mon.Handler())
	defer srv.Close()
	get := func(path string) (int, string) {
		t.Helper()
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != http.StatusServiceUnavailable || !strings.Contains(body, `"status": "unhealthy"`) {
		t.Errorf("before start: /healthz %d %s; want 503 unhealthy", code, body)
	}
	w.drop("socks-1.csv", "sku,name\nA,x\nB,y\nC,bad,extra\n")
	w.start(Options{RunNow: true})
	w.waitFor("imported", 10*time.Second, func() bool { return w.okRuns() == 1 })
	w.waitFor("healthy", 5*time.Second, func() bool { code, _ := get("/healthz"); return code == http.StatusOK })
	_, body := get("/healthz")
	for _, want := range []string{`"status": "ok"`, `"scheduler_running": true`, `"ok": true`, `"socks": {`, `"next_run": "`, `"last_status": "ok"`, `"last_success": "`} {
		if !strings.Contains(body, want) {
			t.Errorf("/healthz lacks %s:\n%s", want, body)
		}
	}
	_, metrics := get("/metrics")
	for _, want := range []string{
		`sluice_runs_total{job="socks",status="ok"} 1`,
		`sluice_rows_total{job="socks",outcome="inserted"} 2`,
		`sluice_rows_total{job="socks",outcome="rejected"} 1`,
		`sluice_import_duration_seconds_count{job="socks"} 1`,
		`sluice_last_success_timestamp_seconds{job="socks"} `,
		`sluice_next_run_timestamp_seconds{job="socks"} `,
		`sluice_database_up 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if err := w.shutdown(); err != nil {
		t.Fatal(err)
	}
	if code, _ := get("/healthz"); code != http.StatusServiceUnavailable {
		t.Errorf("after stop: /healthz %d, want 503", code)
	}
}

// TestDaemonNoFiles: a job whose source matches no file (here its folder
// is gone) fails each run, with the reason in /healthz's last_error, in
// the failed runs of /metrics and in the ledger; it is not an empty
// success a monthly schedule would repeat forever.
func TestDaemonNoFiles(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "sqlite:///d.db")
	w.writeConfig(strings.Replace(socksConfig(w.url, ""), `source: {path: "in/socks-*.csv", settle: 0s, allow_empty: true}`,
		`source: {path: "gone/socks-*.csv", settle: 0s}`, 1))
	w.start(Options{RunNow: true})
	reason := "no file matches source.path " + filepath.Join(w.dir, "gone", "socks-*.csv") + " (the folder " + filepath.Join(w.dir, "gone") + " does not exist)"
	w.waitFor("a failed run in the ledger", 10*time.Second, func() bool {
		runs := w.runs()
		return len(runs) > 0 && runs[0].Status == models.StatusFailed && strings.HasPrefix(runs[0].Error, reason)
	})
	w.waitFor("the failure in /healthz", 5*time.Second, func() bool {
		h, _ := w.mon.Healthy()
		j := h.Jobs["socks"]
		return j != nil && j.LastStatus == models.StatusFailed && strings.Contains(j.LastError, reason)
	})
	var metrics strings.Builder
	srv := httptest.NewServer(w.mon.Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if _, err := io.Copy(&metrics, res.Body); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(metrics.String(), `sluice_runs_total{job="socks",status="failed"} `) {
		t.Errorf("/metrics counts no failed run of socks:\n%s", metrics.String())
	}
}

// hook is a webhook on loopback keeping the messages it got.
type hook struct {
	*httptest.Server
	mu   sync.Mutex
	msgs []map[string]any
}

func newHook(t *testing.T) *hook {
	h := &hook{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.msgs = append(h.msgs, m)
		h.mu.Unlock()
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hook) got() []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]map[string]any(nil), h.msgs...)
}

// TestDaemonNotify: the daemon tells the notify: targets of each file
// imported (with its counts and reject file) and of a job that failed;
// the ticks that only skip tell nothing.
func TestDaemonNotify(t *testing.T) {
	t.Parallel()
	h := newHook(t)
	w := newWorld(t, "sqlite:///d.db")
	w.writeConfig(strings.Replace(socksConfig(w.url, `  - name: gone
    source: {path: "gone/*.csv", settle: 0s}
    table: gone
    key: [sku]
    columns: [{name: sku}]
`), "daemon:", "notify: [{url: \""+h.URL+"/hook/s3cr3t\", on: [failed, rejects, ok]}]\ndaemon:", 1))
	w.drop("socks-1.csv", "sku,name\nA,x\nB,y\nC,bad,extra\n")
	w.start(Options{RunNow: true})
	w.waitFor("two messages", 10*time.Second, func() bool { return len(h.got()) == 2 })
	w.tick("socks")
	w.idle()
	byJob := map[string]map[string]any{}
	for _, m := range h.got() {
		byJob[m["job"].(string)] = m
	}
	if got := len(h.got()); got != 2 {
		t.Errorf("%d messages after a tick that skipped, want 2", got)
	}
	s := byJob["socks"]
	if s == nil || s["event"] != "rejects" || s["status"] != "ok" || s["rows"] != 3.0 || s["inserted"] != 2.0 || s["rejected"] != 1.0 ||
		s["deleted"] != 0.0 || !strings.HasSuffix(s["file"].(string), "socks-1.csv") || !strings.Contains(s["reject_file"].(string), "rejects") || s["host"] == "" {
		t.Errorf("socks's message: %v", s)
	}
	g := byJob["gone"]
	if g == nil || g["event"] != "failed" || g["status"] != "failed" || !strings.HasPrefix(g["error"].(string), "no file matches source.path") {
		t.Errorf("gone's message: %v", g)
	}
	if strings.Contains(w.logs.String(), "s3cr3t") {
		t.Error("the logs show the webhook's secret")
	}
}

// advance moves the clock by d and waits for the main loop's ping at the
// new time, which comes after its overdue check.
func (w *world) advance(d time.Duration) {
	w.t.Helper()
	w.idle()
	w.clock.Advance(d)
	now := w.clock.Now()
	w.waitFor("the ping at "+now.String(), 10*time.Second, func() bool { return !w.pinged().Before(now) })
	w.idle()
}

func (w *world) pinged() time.Time {
	w.pingMu.Lock()
	defer w.pingMu.Unlock()
	return w.lastPing
}

// metric reads one series' line from /metrics.
func (w *world) metric(series string) string {
	w.t.Helper()
	srv := httptest.NewServer(w.mon.Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, series+" ") {
			return line
		}
	}
	return ""
}

// TestDaemonOverdue: with source.expect_every, a job with no new file for
// that long becomes overdue (counted from its last import, else from the
// daemon's start): the gauge, /healthz, one log line and one overdue
// notification however many checks follow; a new file ends it. A file
// imported by hand meanwhile counts as a new one.
func TestDaemonOverdue(t *testing.T) {
	t.Parallel()
	const every = 35 * 24 * time.Hour
	cases := []struct {
		name     string
		imported time.Time // a file imported before the daemon starts; zero for none
		byHand   time.Time // a file imported by sluice import while it runs; zero for none
	}{
		{"no file yet", time.Time{}, time.Time{}},
		{"since the last import", t0.Add(-10 * 24 * time.Hour), time.Time{}},
		{"a file imported by hand counts", time.Time{}, t0.Add(20 * 24 * time.Hour)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newHook(t)
			w := newWorld(t, "sqlite:///d.db")
			w.writeConfig(strings.NewReplacer(`"* * * * *"`, `"@monthly"`, "allow_empty: true", "allow_empty: true, expect_every: 5w",
				"daemon:", "notify: [{url: \""+h.URL+"\", on: [overdue]}]\ndaemon:").Replace(socksConfig(w.url, "")))
			since := t0
			if !c.imported.IsZero() {
				since = c.imported
				w.importAt(w.write("socks-0.csv", "sku,name\nA,x\n", c.imported.Add(-time.Hour)), c.imported)
			}
			w.start(Options{})
			if !c.byHand.IsZero() {
				since = c.byHand
				w.importAt(w.write("socks-0.csv", "sku,name\nA,x\n", c.byHand.Add(-time.Hour)), c.byHand)
			}
			due := since.Add(every)
			w.advance(due.Add(-time.Minute).Sub(w.clock.Now()))
			if h, _ := w.mon.Healthy(); h.Jobs["socks"].Overdue || h.Jobs["socks"].State == "overdue" || !h.Jobs["socks"].Due.Equal(due) {
				t.Errorf("a minute before due: %+v", h.Jobs["socks"])
			}
			if got := w.metric(`sluice_job_overdue{job="socks"}`); got != `sluice_job_overdue{job="socks"} 0` {
				t.Errorf("a minute before due: %q", got)
			}
			w.advance(time.Minute)
			w.advance(time.Minute) // a later check says nothing more
			if h, _ := w.mon.Healthy(); !h.Jobs["socks"].Overdue || h.Jobs["socks"].State != "overdue" || h.Jobs["socks"].ExpectEvery != "35d" {
				t.Errorf("when due: %+v", h.Jobs["socks"])
			}
			if got := w.metric(`sluice_job_overdue{job="socks"}`); got != `sluice_job_overdue{job="socks"} 1` {
				t.Errorf("when due: %q", got)
			}
			if n := strings.Count(w.logs.String(), "job overdue"); n != 1 {
				t.Errorf("%d overdue log lines, want 1", n)
			}
			w.waitFor("the notification", 10*time.Second, func() bool { return len(h.got()) > 0 })
			if msgs := h.got(); len(msgs) != 1 || msgs[0]["event"] != "overdue" || msgs[0]["since"] != since.Format(time.RFC3339) || msgs[0]["expect_every"] != "35d" {
				t.Errorf("notifications: %v", msgs)
			}
			w.drop("socks-1.csv", "sku,name\nB,y\n")
			w.tick("socks")
			w.idle()
			if h, _ := w.mon.Healthy(); h.Jobs["socks"].Overdue || h.Jobs["socks"].State != "ok" {
				t.Errorf("after a new file: %+v", h.Jobs["socks"])
			}
			if !strings.Contains(w.logs.String(), "job no longer overdue") {
				t.Error("the end of the overdue state is not logged")
			}
		})
	}
}

// importAt imports path for the socks job as sluice import would, at the
// given time, before the daemon starts.
func (w *world) importAt(path string, at time.Time) {
	w.t.Helper()
	ctx := context.Background()
	cfg, err := importer.LoadConfig(filepath.Join(w.dir, "config.yaml"), func(string) (string, bool) { return "", false })
	if err != nil {
		w.t.Fatal(err)
	}
	db, err := models.Open(ctx, cfg.Database.URL, cfg.Dir())
	if err != nil {
		w.t.Fatal(err)
	}
	defer db.Close()
	im, err := importer.New(ctx, db, importer.Config{Now: func() time.Time { return at }})
	if err != nil {
		w.t.Fatal(err)
	}
	results, err := im.ImportFiles(ctx, cfg.Jobs[0], []string{path}, importer.Options{})
	if err != nil || len(results) != 1 || results[0].Err != nil {
		w.t.Fatalf("import: %v %+v", err, results)
	}
}
