package models

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/uptrace/bun/driver/sqliteshim"
)

const urlHint = " (expected e.g. sqlite:///relative.db or sqlite:////absolute/path.db)"

func TestParseURL(t *testing.T) {
	t.Parallel()
	const base = "/srv/app"
	tests := []struct {
		raw  string
		path string // Target.Path on success
		err  string // *URLError text; "" means success
	}{
		{raw: "sqlite:///rel.db", path: "/srv/app/rel.db"},
		{raw: "sqlite:///data/sub/rel.db", path: "/srv/app/data/sub/rel.db"},
		{raw: "sqlite:///../up.db", path: "/srv/up.db"},
		{raw: "sqlite:////abs/x.db", path: "/abs/x.db"},
		{raw: "sqlite:///rel.db?mode=ro", path: "/srv/app/rel.db"},
		{raw: "sqlite:///with%20space.db", path: "/srv/app/with space.db"},
		{raw: "SQLite:///rel.db", path: "/srv/app/rel.db"},
		{raw: "sqlite3:///rel.db", path: "/srv/app/rel.db"},
		{raw: "sqlite+pysqlite:////abs/x.db", path: "/abs/x.db"},
		{raw: "sqlite://", path: ":memory:"},
		{raw: "sqlite:///", path: ":memory:"},
		{raw: "sqlite:///:memory:", path: ":memory:"},
		{raw: "sqlite:rel.db", err: `database url "sqlite:rel.db": a SQLite URL is sqlite:/// followed by the path` + urlHint},
		{raw: "rel.db", err: `database url "rel.db": no scheme (the part before ://)` + urlHint},
		{raw: "", err: `database url "": no scheme (the part before ://)` + urlHint},
		{raw: "sqlite://rel.db", err: `database url "sqlite://rel.db": a SQLite URL has three slashes before a relative path and four before an absolute one` + urlHint},
		{raw: "sqlite:///bad%zz.db", err: `database url "sqlite:///bad%zz.db": invalid URL escape "%zz"` + urlHint},
		{raw: "ftp://files.example/x.db", err: `database url "ftp://files.example/x.db": unsupported scheme "ftp" (this build supports sqlite)` + urlHint},
		{raw: "postgresql://user:p%40ss@host/db", err: `database url "postgresql://user:xxxxx@host/db": unsupported scheme "postgresql" (this build supports sqlite)` + urlHint},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			t.Parallel()
			got, err := ParseURL(tt.raw, base)
			if tt.err != "" {
				var ue *URLError
				if !errors.As(err, &ue) {
					t.Fatalf("ParseURL(%q) = %+v, %v; want a *URLError", tt.raw, got, err)
				}
				if err.Error() != tt.err {
					t.Fatalf("ParseURL(%q) error:\n got %q\nwant %q", tt.raw, err, tt.err)
				}
				if strings.Contains(ue.URL, "p%40ss") {
					t.Errorf("URLError.URL %q holds the password", ue.URL)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseURL(%q): %v", tt.raw, err)
			}
			if got.Driver != "sqlite" || got.Path != tt.path {
				t.Errorf("ParseURL(%q) = {Driver:%q Path:%q}, want {Driver:sqlite Path:%q}", tt.raw, got.Driver, got.Path, tt.path)
			}
			// Without a password, String is the URL as given (the scheme's
			// case aside).
			if !strings.EqualFold(got.String(), tt.raw) {
				t.Errorf("String() = %q, want the URL as given, %q", got.String(), tt.raw)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	tests := []struct{ raw, want string }{
		{"postgresql://user:p%40ss@host/db", "postgresql://user:xxxxx@host/db"},
		{"postgres://user:secret@host:5432/db?sslmode=disable", "postgres://user:xxxxx@host:5432/db?sslmode=disable"},
		{"mysql://root:p@ss@db/app", "mysql://root:xxxxx@db/app"},
		{"postgres://user@host/db", "postgres://user@host/db"},
		{"sqlite:///rel.db", "sqlite:///rel.db"},
		{"sqlite:////abs/x.db", "sqlite:////abs/x.db"},
		// Without a password the URL is printed as given, not re-encoded:
		// "sqlite:" is not a URL sluice would accept.
		{"sqlite://", "sqlite://"},
		// Unparsable: everything between "://" and the last "@" goes.
		{"postgres://user:pa%zz@host/db", "postgres://xxxxx@host/db"},
		{"postgres://user:p#ss@host/db", "postgres://xxxxx@host/db"},
		{"postgres://user:pa/ss@host/db", "postgres://xxxxx@host/db"},
		{"postgres://user:pa ss%@host/db", "postgres://xxxxx@host/db"},
		{"not a url %zz", "not a url %zz"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Redact(tt.raw); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

func TestOpenMissingFolder(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	db, err := Open(context.Background(), "sqlite:///missing/x.db", base)
	if err == nil {
		db.Close()
		t.Fatal("Open succeeded on a folder that does not exist")
	}
	msg := err.Error()
	if prefix := "open sqlite:///missing/x.db: "; !strings.HasPrefix(msg, prefix) {
		t.Errorf("error %q does not start with %q", msg, prefix)
	}
	want := "(the folder " + filepath.Join(base, "missing") + " does not exist; create it or fix the URL)"
	if !strings.HasSuffix(msg, want) {
		t.Errorf("error %q does not end with %q", msg, want)
	}
	if _, err := os.Stat(filepath.Join(base, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open created the missing folder (stat: %v)", err)
	}
}

func TestOpenURLError(t *testing.T) {
	t.Parallel()
	_, err := Open(context.Background(), "postgresql://user:p%40ss@host/db", t.TempDir())
	var ue *URLError
	if !errors.As(err, &ue) || ue.URL != "postgresql://user:xxxxx@host/db" {
		t.Fatalf("Open error = %v, want a *URLError for the redacted URL", err)
	}
}

func TestOpenPing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "x.db")
	for _, raw := range []string{"sqlite:///x.db", "sqlite:///" + path /* four slashes */, "sqlite://"} {
		t.Run(raw, func(t *testing.T) {
			db, err := Open(ctx, raw, dir)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Ping(ctx); err != nil {
				t.Fatalf("Ping: %v", err)
			}
			if db.Dialect.Name() != "sqlite" || db.Target.Driver != "sqlite" {
				t.Errorf("dialect %q, driver %q; want sqlite", db.Dialect.Name(), db.Target.Driver)
			}
			if raw == "sqlite://" {
				if db.Target.Path != ":memory:" {
					t.Errorf("Target.Path = %q, want :memory:", db.Target.Path)
				}
				return
			}
			if db.Target.Path != path {
				t.Errorf("Target.Path = %q, want %q", db.Target.Path, path)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("database file: %v", err)
			}
			var mode string
			if err := db.Bun.NewRaw("PRAGMA journal_mode").Scan(ctx, &mode); err != nil || mode != "wal" {
				t.Errorf("journal_mode = %q, %v; want wal", mode, err)
			}
			var timeout int
			if err := db.Bun.NewRaw("PRAGMA busy_timeout").Scan(ctx, &timeout); err != nil || timeout != 10000 {
				t.Errorf("busy_timeout = %d, %v; want 10000", timeout, err)
			}
		})
	}
}

// openTempDB opens a fresh SQLite file in a temporary folder.
func openTempDB(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), "sqlite:///test.db", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestSQLiteHintNoDriver: a binary built with -tags cgosqlite but without
// cgo has no driver; the error must say how to build one that has.
func TestSQLiteHintNoDriver(t *testing.T) {
	t.Parallel()
	err := sqliteHint(filepath.Join(t.TempDir(), "x.db"), fmt.Errorf("PRAGMA busy_timeout = 10000: %w", &sqliteshim.UnsupportedError{}))
	want := "PRAGMA busy_timeout = 10000: sqlite driver is not available on the current platform (this binary has no SQLite driver: -tags cgosqlite needs cgo, so build with CGO_ENABLED=1 and gcc, or without the tag for the pure-Go driver)"
	if err.Error() != want {
		t.Fatalf("error:\n got %q\nwant %q", err, want)
	}
}

// TestOpenJournalMode: a database sluice creates is put in WAL mode; an
// existing one keeps the journal mode its owner chose.
func TestOpenJournalMode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mode := func(t *testing.T, db *DB) string {
		t.Helper()
		var m string
		if err := db.Bun.NewRaw("PRAGMA journal_mode").Scan(ctx, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	dir := t.TempDir()
	db, err := Open(ctx, "sqlite:///new.db", dir)
	if err != nil {
		t.Fatal(err)
	}
	if m := mode(t, db); m != "wal" {
		t.Errorf("new database: journal_mode %q, want wal", m)
	}
	db.Close()

	// An application's database in rollback-journal mode, with a table.
	db, err = Open(ctx, "sqlite:///app.db", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"PRAGMA journal_mode = DELETE", "CREATE TABLE socks (sku TEXT)"} {
		if _, err := db.Bun.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	db, err = Open(ctx, "sqlite:///app.db", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if m := mode(t, db); m != "delete" {
		t.Errorf("existing database: journal_mode %q, want delete (left as it was)", m)
	}
}
