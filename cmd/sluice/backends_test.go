package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/models/dbtest"
)

// sqlalchemySchemes is how a Python project using SQLAlchemy spells each
// backend's URL scheme, driver included; sluice must accept those URLs as
// they are, so one DATABASE_URL serves both.
var sqlalchemySchemes = map[string]string{
	"sqlite":   "sqlite+pysqlite",
	"postgres": "postgresql+psycopg2",
	"mysql":    "mysql+pymysql",
}

// withScheme returns raw with its scheme replaced.
func withScheme(t *testing.T, raw, scheme string) string {
	t.Helper()
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		t.Fatalf("database URL %q has no scheme", raw)
	}
	return scheme + "://" + rest
}

// TestBinaryBackends is TestBinary on every backend, through DATABASE_URL:
// the real binary imports the sample data into a fresh database, skips
// every file the second time, lists the twelve runs and checks the
// tables, with the URL both as dbtest gives it and in SQLAlchemy's form.
func TestBinaryBackends(t *testing.T) {
	bin := buildSluice(t)
	t.Parallel()
	for _, b := range dbtest.All() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			for _, form := range []string{"plain", "sqlalchemy"} {
				t.Run(form, func(t *testing.T) {
					t.Parallel()
					url := b.New(t)
					if form == "sqlalchemy" {
						url = withScheme(t, url, sqlalchemySchemes[b.Name])
					}
					work := filepath.Join(t.TempDir(), "work")
					copySample(t, work)
					checkSampleRuns(t, newSluiceCmd(bin, work, url), filepath.Join(work, "config.yaml"), b.Name)
				})
			}
		})
	}
}

// TestBinaryLongPaths is the sample run from a folder whose absolute path
// is longer than 255 bytes, as deep project trees and mounted volumes
// give: the ledger must hold such paths (of the files, the reject file and
// in error messages) on every backend.
func TestBinaryLongPaths(t *testing.T) {
	bin := buildSluice(t)
	t.Parallel()
	for _, b := range dbtest.All() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			url := b.New(t)
			// One long name stays under NAME_MAX; the whole path passes 255.
			work := filepath.Join(t.TempDir(), strings.Repeat("deep-folder-", 20), "work")
			if len(work) <= 255 {
				t.Fatalf("work folder %s is only %d bytes long", work, len(work))
			}
			copySample(t, work)
			checkSampleRuns(t, newSluiceCmd(bin, work, url), filepath.Join(work, "config.yaml"), b.Name)
		})
	}
}
