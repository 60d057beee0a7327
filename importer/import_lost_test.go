package importer

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sluice-dev/sluice/models"
	"github.com/sluice-dev/sluice/models/dbtest"
)

// TestServerDiesMidImport kills a server of the test's own by its PID
// while a file is being loaded into it: the file fails saying the
// connection was lost during the import and its transaction rolled back,
// with what to look at, and still counts as unreachable (the daemon
// retries it). On MariaDB the driver's own complaint goes through slog.
func TestServerDiesMidImport(t *testing.T) {
	t.Parallel()
	cases := []struct {
		kind  string
		start func(testing.TB, dbtest.ServerOptions) *dbtest.Server
		url   string // with the port and the database
		hint  string
	}{
		{"PostgreSQL", dbtest.StartPostgres, "postgresql://postgres@127.0.0.1:%d/%s?sslmode=disable", "pg_terminate_backend"},
		{"MySQL/MariaDB", dbtest.StartMariaDB, "mysql://root@127.0.0.1:%d/%s", "max_allowed_packet"},
	}
	var data strings.Builder
	data.WriteString("sku,name\n")
	for i := range 200000 {
		fmt.Fprintf(&data, "SKU-%06d,sock number %d\n", i, i)
	}
	for _, c := range cases {
		t.Run(c.kind, func(t *testing.T) {
			t.Parallel()
			srv := c.start(t, dbtest.ServerOptions{})
			dir := t.TempDir()
			url := fmt.Sprintf(c.url, srv.Port, srv.NewDatabase(t))
			path := filepath.Join(dir, "config.yaml")
			cfgText := fmt.Sprintf("database: {url: %q}\njobs:\n  - name: socks\n    source: {path: \"in/*.csv\"}\n    table: socks\n    key: [sku]\n    columns: [{name: sku}, {name: name}]\n", url)
			if err := os.WriteFile(path, []byte(cfgText), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(dir, "in"), 0o755); err != nil {
				t.Fatal(err)
			}
			csv := filepath.Join(dir, "in", "socks-1.csv")
			if err := os.WriteFile(csv, []byte(data.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := LoadConfig(path, func(string) (string, bool) { return "", false })
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil))
			models.SetDriverLog(log) // before Open: each connection's config takes the logger then
			ctx := t.Context()
			db, err := models.Open(ctx, cfg.Database.URL, cfg.Dir())
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var once sync.Once
			im, err := New(ctx, db, Config{Log: log, BatchRows: 1000, Progress: func(string, int64) func(Progress) {
				return func(p Progress) {
					if p.Rows >= 20000 {
						once.Do(func() { srv.Kill(t) }) // mid-import, by its PID
					}
				}
			}})
			if err != nil {
				t.Fatal(err)
			}
			results, err := im.RunJob(ctx, cfg.Jobs[0], Options{})
			if err != nil || len(results) != 1 {
				t.Fatalf("RunJob: %v %+v", err, results)
			}
			r := results[0]
			want := fmt.Sprintf("the connection to %s at %s was lost during the import; the file's transaction was rolled back", c.kind, db.Target.Host)
			if r.Status != models.StatusFailed || r.Err == nil || !strings.Contains(r.Err.Error(), want) || !strings.Contains(r.Err.Error(), c.hint) {
				t.Fatalf("result %s: %v\nwant %q with a hint naming %s", r.Status, r.Err, want, c.hint)
			}
			t.Logf("%s", r.Err)
			if !models.Unreachable(r.Err) {
				t.Errorf("%v is not unreachable: the daemon would not retry it", r.Err)
			}
			if c.kind == "MySQL/MariaDB" && !strings.Contains(logs.String(), `level=WARN msg="mysql driver" said=`) {
				t.Errorf("the driver's own messages did not go through slog:\n%s", logs.String())
			}
		})
	}
}

// syncWriter serialises writes from the driver's and the importer's
// goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
