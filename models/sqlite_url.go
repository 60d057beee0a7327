package models

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const sqliteForm = "sqlite:///relative.db or sqlite:////absolute/path.db"

var sqliteFamily = family{
	name: "sqlite", kind: "SQLite", label: "sqlite",
	schemes:     []string{"sqlite", "sqlite3"},
	form:        sqliteForm,
	parse:       parseSQLite,
	unreachable: sqliteUnreachable,
}

// parseSQLite reads SQLAlchemy's sqlite:// (memory), sqlite:///rel and
// sqlite:////abs, and pysqlite's timeout option (seconds).
func parseSQLite(t *Target, rest, baseDir string) (Dialect, error) {
	path, query, _ := strings.Cut(rest, "?")
	d := newSQLite()
	if q, err := url.ParseQuery(query); err == nil && q.Has("timeout") {
		secs, err := strconv.ParseFloat(q.Get("timeout"), 64)
		if err != nil || secs < 0 || secs > 3600 {
			return nil, t.fail(sqliteForm, "timeout %q is not a number of seconds", q.Get("timeout"))
		}
		d.busyTimeout = time.Duration(secs * float64(time.Second))
	}
	switch {
	case path == "" || path == "/" || path == "/:memory:":
		t.Path = ":memory:"
	case !strings.HasPrefix(path, "/"):
		return nil, t.fail(sqliteForm, "a SQLite URL has three slashes before a relative path and four before an absolute one")
	default:
		p, err := url.PathUnescape(path[1:])
		if err != nil {
			return nil, t.fail(sqliteForm, "%v", err)
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(baseDir, p)
		}
		t.Path = p
	}
	return d, nil
}

// sqliteHint explains the usual reasons a SQLite file cannot be opened:
// the folder is missing, or the file or folder is not writable.
func sqliteHint(path string, err error) error {
	if sqliteUnsupported(err) {
		return fmt.Errorf("%w (this binary has no SQLite driver: build it with CGO_ENABLED=1 and a C compiler for the cgo one, or without -tags cgosqlite for the pure-Go one)", err)
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
