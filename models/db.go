// Package models is sluice's database side: opening a database by URL,
// the Bun models for each job's table and for the run ledger, and the
// dialect seam behind which everything that differs between databases
// lives (column types, the bulk path, the upsert statement).
package models

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

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
	case "postgres":
		d = postgresDialect{}
	case "mysql":
		d = &mysqlDialect{}
	}
	bdb, err := d.Open(ctx, t)
	var se *ServerError
	if errors.As(err, &se) {
		return nil, err // it names the database already
	}
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
