// Package models is sluice's database side: opening a database by URL,
// the Bun models for each job's table and for the run ledger, and the
// dialect seam behind which everything that differs between databases
// lives (column types, the bulk path, the upsert statement).
package models

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/sqliteshim"
)

// DB is an open database with the dialect that knows how to load into it.
type DB struct {
	Bun     *bun.DB
	Dialect Dialect
	// Target is the parsed URL; its String is safe to print.
	Target Target
}

// Close closes the connection pool.
func (db *DB) Close() error { return db.Bun.Close() }

// Target is a parsed DATABASE_URL.
type Target struct {
	// Driver is the dialect family: "sqlite" (later also postgres, mysql).
	Driver string
	// Path is the SQLite file (absolute), or ":memory:".
	Path string
	// raw is the URL as given; never printed, since it may hold a password.
	raw string
}

// String is the URL with any password replaced, fit for logs and errors.
func (t Target) String() string { return Redact(t.raw) }

// Redact replaces the password in a URL with "xxxxx". Strings that do not
// parse as URLs are returned with everything between "://" and "@" hidden.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err == nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			return u.String()
		}
		return raw
	}
	if i, j := strings.Index(raw, "://"), strings.LastIndex(raw, "@"); i >= 0 && j > i {
		return raw[:i+3] + "xxxxx" + raw[j:]
	}
	return raw
}

// URLError is a database URL that cannot be used, with a hint of the form
// expected.
type URLError struct {
	URL    string // redacted
	Reason string
}

func (e *URLError) Error() string {
	return fmt.Sprintf("database url %q: %s (expected e.g. sqlite:///relative.db or sqlite:////absolute/path.db)", e.URL, e.Reason)
}

// ParseURL parses a database URL in the SQLAlchemy forms. Relative SQLite
// paths resolve against baseDir (the config file's directory), so a timer
// running from / finds the same file as a user in the project folder.
func ParseURL(raw, baseDir string) (Target, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		reason := "no scheme (the part before ://)"
		if s, _, found := strings.Cut(raw, ":"); found && strings.HasPrefix(strings.ToLower(s), "sqlite") {
			reason = "a SQLite URL is sqlite:/// followed by the path"
		}
		return Target{}, &URLError{URL: Redact(raw), Reason: reason}
	}
	t := Target{raw: raw}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3", "sqlite+pysqlite":
		t.Driver = "sqlite"
		// SQLAlchemy: sqlite:// (memory), sqlite:///rel, sqlite:////abs.
		path, _, _ := strings.Cut(rest, "?")
		switch {
		case path == "" || path == "/" || path == "/:memory:":
			t.Path = ":memory:"
		case !strings.HasPrefix(path, "/"):
			return Target{}, &URLError{URL: Redact(raw), Reason: "a SQLite URL has three slashes before a relative path and four before an absolute one"}
		default:
			p, err := url.PathUnescape(path[1:])
			if err != nil {
				return Target{}, &URLError{URL: Redact(raw), Reason: err.Error()}
			}
			if !filepath.IsAbs(p) {
				p = filepath.Join(baseDir, p)
			}
			t.Path = p
		}
	default:
		return Target{}, &URLError{URL: Redact(raw), Reason: fmt.Sprintf("unsupported scheme %q (this build supports sqlite)", scheme)}
	}
	return t, nil
}

// Open connects to the database the URL names and checks the connection.
func Open(ctx context.Context, raw, baseDir string) (*DB, error) {
	t, err := ParseURL(raw, baseDir)
	if err != nil {
		return nil, err
	}
	var d Dialect
	switch t.Driver {
	case "sqlite":
		d = newSQLite()
	}
	bdb, err := d.Open(ctx, t)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", t, err)
	}
	return &DB{Bun: bdb, Dialect: d, Target: t}, nil
}

// Ping runs SELECT 1, the seed's "it works" check.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.Bun.NewRaw("SELECT 1").Scan(ctx, &one); err != nil {
		return fmt.Errorf("SELECT 1 on %s: %w", db.Target, err)
	}
	if one != 1 {
		return fmt.Errorf("SELECT 1 on %s returned %d", db.Target, one)
	}
	return nil
}

// sqliteHint explains the usual reasons a SQLite file cannot be opened:
// the folder is missing, or the file or folder is not writable.
func sqliteHint(path string, err error) error {
	var unsupported *sqliteshim.UnsupportedError
	if errors.As(err, &unsupported) {
		return fmt.Errorf("%w (this binary has no SQLite driver: -tags cgosqlite needs cgo, so build with CGO_ENABLED=1 and gcc, or without the tag for the pure-Go driver)", err)
	}
	dir := filepath.Dir(path)
	st, serr := os.Stat(dir)
	switch {
	case errors.Is(serr, os.ErrNotExist):
		return fmt.Errorf("%w (the folder %s does not exist; create it or fix the URL)", err, dir)
	case serr == nil && !st.IsDir():
		return fmt.Errorf("%w (%s is not a folder)", err, dir)
	}
	if _, serr := os.Stat(path); serr == nil {
		f, ferr := os.OpenFile(path, os.O_RDWR, 0)
		if ferr != nil {
			return fmt.Errorf("%w (cannot write %s: %v)", err, path, ferr)
		}
		f.Close()
		return err
	}
	f, ferr := os.CreateTemp(dir, ".sluice-check-*")
	if ferr != nil {
		return fmt.Errorf("%w (cannot create files in %s: %v)", err, dir, ferr)
	}
	f.Close()
	os.Remove(f.Name())
	return err
}
