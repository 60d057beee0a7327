package models

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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
		{"postgresql://app@db/shop?sslmode=verify-full&sslcert=/c.pem&sslkey=/k.pem&sslpassword=s3cret", "postgresql://app@db/shop?sslmode=verify-full&sslcert=/c.pem&sslkey=/k.pem&sslpassword=xxxxx"},
		{"postgresql://app@db/shop?password=s3cret&sslmode=require", "postgresql://app@db/shop?password=xxxxx&sslmode=require"},
		{"postgres://user:pa%zz@host/db?SSLPassword=x#y", "postgres://xxxxx@host/db?SSLPassword=xxxxx#y"},
		{"mysql://root:p?ss@db/app", "mysql://xxxxx@db/app"},
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
	_, err := Open(context.Background(), "postgresql://user:p%40ss@host:port/db", t.TempDir())
	var ue *URLError
	if !errors.As(err, &ue) || ue.URL != "postgresql://xxxxx@host:port/db" {
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
