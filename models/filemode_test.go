package models

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/models/dbtest"
)

// TestSQLiteFileModes: a database sluice creates, its WAL files and its
// job lock file are 0640 (less what the umask takes), never world-readable;
// an existing database keeps its mode.
func TestSQLiteFileModes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, "sqlite:///new.db", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Bun.ExecContext(ctx, "CREATE TABLE socks (sku TEXT PRIMARY KEY); INSERT INTO socks VALUES ('SK-1')"); err != nil {
		t.Fatal(err)
	}
	release, err := db.Dialect.Lock(ctx, db, "socks", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	path := filepath.Join(dir, "new.db")
	// The database is open, in WAL mode, with a write done: -wal and
	// -shm exist now.
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-sluice-socks.lock"} {
		dbtest.CheckMode(t, p, PrivateFileMode)
	}

	// An application's database, made world-readable on purpose, stays so.
	app := filepath.Join(dir, "app.db")
	if err := os.WriteFile(app, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(app, 0o644); err != nil {
		t.Fatal(err)
	}
	adb, err := Open(ctx, "sqlite:///app.db", dir)
	if err != nil {
		t.Fatal(err)
	}
	adb.Close()
	dbtest.CheckMode(t, app, 0o644)
}
