//go:build !cgo

package models

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/uptrace/bun/driver/sqliteshim"
)

// TestSQLiteHintNoDriver: a binary built without cgo where the platform
// has no pure-Go SQLite, or with -tags cgosqlite but without cgo, has no
// driver; the error must say how to build one that has.
func TestSQLiteHintNoDriver(t *testing.T) {
	t.Parallel()
	err := sqliteHint(filepath.Join(t.TempDir(), "x.db"), fmt.Errorf("PRAGMA busy_timeout = 10000: %w", &sqliteshim.UnsupportedError{}))
	want := "PRAGMA busy_timeout = 10000: sqlite driver is not available on the current platform (this binary has no SQLite driver: build it with CGO_ENABLED=1 and a C compiler for the cgo one, or without -tags cgosqlite for the pure-Go one)"
	if err.Error() != want {
		t.Fatalf("error:\n got %q\nwant %q", err, want)
	}
}
