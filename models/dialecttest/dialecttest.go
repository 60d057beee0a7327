// Package dialecttest is the conformance suite every database sluice
// supports passes: the same cases, against a real server, through the
// models API the importer uses (Inspect, Encode and KeyFold, a load's
// counts in each mode, the job lock, the ledger's creation and its
// migration from an earlier release). A new dialect is done when
// Exercise passes on it.
package dialecttest

import (
	"context"
	"testing"

	"github.com/sluice-dev/sluice/models"
)

// Exercise runs the suite. newURL returns the URL of a new, empty
// database for each case (dbtest's backends do); the cases run in
// parallel.
func Exercise(ctx context.Context, t *testing.T, newURL func(t testing.TB) string) {
	t.Helper()
	cases := []struct {
		name string
		run  func(ctx context.Context, t *testing.T, s *suite)
	}{
		{"Inspect", exerciseInspect},
		{"PrimaryKey", exercisePrimaryKey},
		{"KeyFold", exerciseKeyFold},
		{"Encode", exerciseEncode},
		{"LoadCounts", exerciseLoadCounts},
		{"SyncCounts", exerciseSyncCounts},
		{"Lock", exerciseLock},
		{"LedgerCreate", exerciseLedgerCreate},
		{"LedgerMigrateV1", exerciseLedgerMigrate(1, 0)},
		{"LedgerMigrateV2", exerciseLedgerMigrate(2, 2)},
		{"LedgerRemote", exerciseLedgerRemote},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := &suite{url: newURL(t), dir: t.TempDir()}
			db := s.open(ctx, t)
			exec(ctx, t, db, setup[db.Dialect.Name()]...)
			c.run(ctx, t, s)
		})
	}
}

// setup is what each database needs before the cases: PostgreSQL, the
// case-insensitive collation an application's table may use (ICU, at
// level 2: case ignored, accents not).
var setup = map[string][]string{
	"postgres": {`CREATE COLLATION sluice_test_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)`},
}

// suite is one case's database.
type suite struct {
	url, dir string
}

// open connects to the case's database, closing it when the test ends;
// each call is another pool, as another process would have.
func (s *suite) open(ctx context.Context, t *testing.T) *models.DB {
	t.Helper()
	db, err := models.Open(ctx, s.url, s.dir)
	if err != nil {
		t.Fatalf("open %s: %v", s.url, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// exec runs statements on db, failing t on the first error.
func exec(ctx context.Context, t *testing.T, db *models.DB, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := db.Bun.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}
