// Package models is sluice's database side: opening a database by URL,
// the Bun models for each job's table and for the run ledger, and the
// dialect seam behind which everything that differs between databases
// lives (URL options, column types, the bulk path, the merge, errors).
package models

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/uptrace/bun"
)

// A family is one kind of database sluice loads into: the URL schemes it
// answers to and how it reads them. Everything else it knows is its
// Dialect's. Adding a database is a new family in families and the dialect
// files beside it (sqlite*.go, postgres*.go, mysql*.go).
type family struct {
	name    string   // Target.Driver
	kind    string   // for people: "PostgreSQL"
	label   string   // in the list of supported schemes
	schemes []string // before any "+pythondriver"
	form    string   // an example URL, for errors
	// parse reads the URL after "scheme://" into t (Path, Host, Database,
	// User) and returns the dialect holding the connection settings.
	parse func(t *Target, rest, baseDir string) (Dialect, error)
	// unreachable reports whether err is this database going away or
	// not answering yet, beyond the network errors all share.
	unreachable func(err error) bool
}

// families lists the databases sluice supports, the embedded default first.
var families = []*family{&sqliteFamily, &postgresFamily, &mysqlFamily}

func familyFor(scheme string) *family {
	for _, d := range families {
		if slices.Contains(d.schemes, scheme) {
			return d
		}
	}
	return nil
}

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
	bdb, err := t.dialect.Open(ctx, t)
	var se *ServerError
	if errors.As(err, &se) {
		return nil, err // it names the database already
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", t, err)
	}
	return &DB{Bun: bdb, Dialect: t.dialect, Target: t}, nil
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
