package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// ledgerVersion is the version of sluice_runs this release writes. Each
// release that changes the table adds a migration and bumps it.
const ledgerVersion = 3

// A ledgerMigration brings the ledger to version from the one before.
// Migrations are additive only (new columns with defaults, new indexes),
// so a ledger migrated by a newer sluice still works with an older one.
type ledgerMigration struct {
	version int64
	// columns are added if missing: a migration is safe to run again.
	columns []ledgerColumn
}

type ledgerColumn struct{ name, ddl string }

// ledgerMigrations are in version order. Version 1 is the ledger of the
// releases before versions were kept (no sluice_schema row).
var ledgerMigrations = []ledgerMigration{
	{version: 2, columns: []ledgerColumn{
		{"duplicates", "BIGINT NOT NULL DEFAULT 0"},
		{"deleted", "BIGINT NOT NULL DEFAULT 0"},
	}},
	{version: 3, columns: []ledgerColumn{
		{"source", "VARCHAR(2048) NOT NULL DEFAULT ''"},
		{"file_version", "VARCHAR(255) NOT NULL DEFAULT ''"},
	}},
}

// schemaTable holds the version of each table sluice owns.
const schemaTable = "sluice_schema"

// LedgerVersion returns the version of db's ledger: 1 for one made before
// versions were kept, 0 for none.
func (l *Ledger) Version(ctx context.Context) (int64, error) {
	return schemaVersion(ctx, l.db.Bun, l.db.Dialect, ledgerTable)
}

// migrate applies the migrations the ledger lacks, under a cross-process
// lock: two sluice processes of a new release may start on an old ledger
// at once.
func (l *Ledger) migrate(ctx context.Context) error {
	v, err := l.Version(ctx)
	if err != nil || v >= ledgerVersion {
		return err // a newer ledger is a newer release's, and additive
	}
	// Not a valid job name (they start with a letter or digit): no job's lock.
	release, err := l.db.Dialect.Lock(ctx, l.db, "_ledger", time.Minute)
	if err != nil {
		return fmt.Errorf("migrate ledger %s: take lock: %w", ledgerTable, err)
	}
	defer release() //nolint:errcheck // closing the session lets go too
	if v, err = l.Version(ctx); err != nil || v >= ledgerVersion {
		return err // another process migrated it while this one waited
	}
	info, err := l.db.Dialect.Inspect(ctx, l.db.Bun, ledgerTable)
	if err != nil {
		return fmt.Errorf("inspect ledger table %s: %w", ledgerTable, err)
	}
	for _, m := range ledgerMigrations {
		if m.version <= v {
			continue
		}
		for _, c := range m.columns {
			if slices.ContainsFunc(info.Columns, func(have string) bool { return strings.EqualFold(have, c.name) }) {
				continue
			}
			q := fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", quoteIdent(ledgerTable), quoteIdent(c.name), c.ddl)
			if _, err := l.db.Bun.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("migrate ledger %s to version %d: %w", ledgerTable, m.version, err)
			}
		}
		if err := setSchemaVersion(ctx, l.db.Bun, ledgerTable, m.version); err != nil {
			return err
		}
	}
	return nil
}

// schemaVersion reads table's version from sluice_schema: 1 when the table
// exists with no version kept, 0 when it does not exist.
func schemaVersion(ctx context.Context, db bun.IDB, d Dialect, table string) (int64, error) {
	info, err := d.Inspect(ctx, db, schemaTable)
	if err != nil {
		return 0, fmt.Errorf("inspect %s: %w", schemaTable, err)
	}
	var v int64
	if info.Exists {
		err := db.NewRaw("SELECT version FROM "+quoteIdent(schemaTable)+" WHERE name = ?", table).Scan(ctx, &v)
		switch {
		case err == nil:
			return v, nil
		case !errors.Is(err, sql.ErrNoRows):
			return 0, fmt.Errorf("read %s: %w", schemaTable, err)
		}
	}
	if info, err = d.Inspect(ctx, db, table); err != nil {
		return 0, fmt.Errorf("inspect %s: %w", table, err)
	}
	if info.Exists {
		return 1, nil
	}
	return 0, nil
}

// setSchemaVersion records table's version, making sluice_schema if it
// is missing. Two processes may record the same version at once (both
// creating the ledger): the second insert then fails, and the version
// read back settles it.
func setSchemaVersion(ctx context.Context, db bun.IDB, table string, v int64) error {
	st := quoteIdent(schemaTable)
	create := fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (name VARCHAR(64) NOT NULL PRIMARY KEY, version BIGINT NOT NULL)", st)
	if _, err := db.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("create %s: %w", schemaTable, err)
	}
	res, err := db.ExecContext(ctx, "UPDATE "+st+" SET version = ? WHERE name = ?", v, table)
	if err != nil {
		return fmt.Errorf("record %s version %d in %s: %w", table, v, schemaTable, err)
	}
	if n, err := res.RowsAffected(); err == nil && n > 0 {
		return nil
	}
	_, err = db.ExecContext(ctx, "INSERT INTO "+st+" (name, version) VALUES (?, ?)", table, v)
	if err != nil {
		var have int64
		if db.NewRaw("SELECT version FROM "+st+" WHERE name = ?", table).Scan(ctx, &have) == nil && have >= v {
			return nil
		}
		return fmt.Errorf("record %s version %d in %s: %w", table, v, schemaTable, err)
	}
	return nil
}
