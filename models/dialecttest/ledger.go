package dialecttest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/models"
)

// ledgerVersion is the version this release's ledger has.
const ledgerVersion = 3

// exerciseLedgerCreate: a new ledger has this release's version and
// columns, also when several processes make it at once.
func exerciseLedgerCreate(ctx context.Context, t *testing.T, s *suite) {
	ensureAtOnce(ctx, t, s, 3)
	db := s.open(ctx, t)
	checkLedger(ctx, t, db)
	l := models.NewLedger(db)
	run := newRun("/srv/dumps/socks-2026-10.csv", strings.Repeat("b", 64))
	run.Duplicates = 3
	if err := l.Record(ctx, db.Bun, run); err != nil {
		t.Fatal(err)
	}
	runs, err := l.Recent(ctx, "socks", 10)
	if err != nil || len(runs) != 1 || runs[0].Duplicates != 3 || runs[0].Path != run.Path {
		t.Errorf("Recent = %+v, %v; want the run with 3 duplicates", runs, err)
	}
}

// exerciseLedgerMigrate: a ledger made by the releases before versions
// (testdata/ledger-v1, its DDL as they ran it) and one of version 2
// (testdata/ledger-v2) are migrated in place by several processes at
// once; their runs stay, still count for skipping, and new runs go in
// beside them.
func exerciseLedgerMigrate(from, duplicates int64) func(ctx context.Context, t *testing.T, s *suite) {
	return func(ctx context.Context, t *testing.T, s *suite) {
		db := s.open(ctx, t)
		exec(ctx, t, db, fixture(t, fmt.Sprintf("ledger-v%d", from), db.Dialect.Name())...)
		l := models.NewLedger(db)
		if v, err := l.Version(ctx); err != nil || v != from {
			t.Fatalf("Version of the old ledger = %d, %v; want %d", v, err, from)
		}
		ensureAtOnce(ctx, t, s, 3)
		checkLedger(ctx, t, db)
		old, err := l.Imported(ctx, db.Bun, "socks", strings.Repeat("a", 64))
		if err != nil || old == nil || old.Path != "/srv/dumps/socks-2026-09.csv" || old.Inserted != 300 || old.Duplicates != duplicates ||
			old.Source != "" || old.FileVersion != "" ||
			!old.StartedAt.Equal(time.Date(2026, 10, 1, 3, 0, 0, 123456000, time.UTC)) {
			t.Fatalf("the old run after the migration = %+v, %v; want it as it was, %d duplicates, no source", old, err, duplicates)
		}
		if err := l.Record(ctx, db.Bun, newRun("/srv/dumps/socks-2026-10.csv", strings.Repeat("b", 64))); err != nil {
			t.Fatal(err)
		}
		if runs, err := l.Recent(ctx, "", 10); err != nil || len(runs) != 2 || runs[1].ID != old.ID {
			t.Errorf("Recent = %+v, %v; want the new run, then the old one", runs, err)
		}
	}
}

// exerciseLedgerRemote: a remote file's run keeps its source and version,
// and ImportedAs finds it by name, size and version only.
func exerciseLedgerRemote(ctx context.Context, t *testing.T, s *suite) {
	db := s.open(ctx, t)
	l := models.NewLedger(db)
	if err := l.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	name := "s3://dumps/monthly/socks-2026-10.csv"
	run := newRun(name, strings.Repeat("c", 64))
	run.Source, run.FileVersion = "s3://dumps/monthly/socks-*.csv?region=eu-west-1", `"0123abcd"`
	failed := newRun(name, strings.Repeat("d", 64))
	failed.Status, failed.FileVersion = models.StatusFailed, `"ffff"`
	for _, r := range []*models.Run{run, failed} {
		if err := l.Record(ctx, db.Bun, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		path, version string
		size          int64
		want          bool
	}{
		{name, `"0123abcd"`, 100, true},
		{name, `"0123abce"`, 100, false},
		{name, `"0123abcd"`, 101, false},
		{"s3://dumps/monthly/socks-2026-11.csv", `"0123abcd"`, 100, false},
		{name, `"ffff"`, 100, false}, // a failed run is no reason to skip
	} {
		got, err := l.ImportedAs(ctx, db.Bun, "socks", c.path, c.size, c.version)
		if err != nil || (got != nil) != c.want || (got != nil && (got.Source != run.Source || got.SHA256 != run.SHA256)) {
			t.Errorf("ImportedAs(%s, %d, %s) = %+v, %v; want found %v", c.path, c.size, c.version, got, err, c.want)
		}
	}
}

// ensureAtOnce runs Ledger.Ensure from n pools at the same moment, as n
// sluice processes starting together would.
func ensureAtOnce(ctx context.Context, t *testing.T, s *suite, n int) {
	t.Helper()
	dbs := make([]*models.DB, n)
	for i := range dbs {
		dbs[i] = s.open(ctx, t)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, db := range dbs {
		wg.Go(func() { errs[i] = models.NewLedger(db).Ensure(ctx) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Ensure #%d of %d at once: %v", i+1, n, err)
		}
	}
}

// checkLedger requires this release's version and its columns.
func checkLedger(ctx context.Context, t *testing.T, db *models.DB) {
	t.Helper()
	if v, err := models.NewLedger(db).Version(ctx); err != nil || v != ledgerVersion {
		t.Errorf("ledger version = %d, %v; want %d", v, err, ledgerVersion)
	}
	info, err := db.Dialect.Inspect(ctx, db.Bun, "sluice_runs")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"id", "job", "path", "sha256", "status", "inserted", "duplicates", "deleted", "source", "file_version"} {
		if !slices.Contains(info.Columns, c) {
			t.Errorf("sluice_runs lacks column %s: %v", c, info.Columns)
		}
	}
}

func newRun(path, sum string) *models.Run {
	now := time.Date(2026, 11, 1, 3, 0, 0, 0, time.UTC)
	return &models.Run{Job: "socks", Path: path, Size: 100, SHA256: sum, StartedAt: now, FinishedAt: now.Add(time.Second),
		Status: models.StatusOK, Rows: 10, Inserted: 10}
}

// fixture returns the statements of testdata/<dir>/<dialect>.sql.
func fixture(t *testing.T, dir, dialect string) []string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(here), "testdata", dir, dialect+".sql"))
	if err != nil {
		t.Fatal(err)
	}
	var stmts []string
	for _, s := range strings.Split(string(b), ";\n") {
		var lines []string
		for _, l := range strings.Split(s, "\n") {
			if !strings.HasPrefix(l, "--") {
				lines = append(lines, l)
			}
		}
		if q := strings.TrimSpace(strings.Join(lines, "\n")); q != "" {
			stmts = append(stmts, q)
		}
	}
	return stmts
}
