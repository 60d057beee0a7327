package models

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/uptrace/bun"
)

// ensureTable creates the table with a unique index on the key if it does
// not exist. An existing table is used as it is, after checking that every
// declared column is there and the key has a unique index, which the
// upsert needs to find existing rows.
func ensureTable(ctx context.Context, db bun.IDB, d Dialect, ds *Dataset) (created bool, err error) {
	info, err := d.Inspect(ctx, db, ds.Table)
	if err != nil {
		return false, fmt.Errorf("inspect table %s: %w", ds.Table, err)
	}
	if info.Exists {
		return false, ds.Check(info)
	}
	if _, err := db.NewCreateTable().Model(ds.Model()).IfNotExists().Exec(ctx); err != nil {
		return false, fmt.Errorf("create table %s: %w", ds.Table, err)
	}
	if !d.TransactionalDDL() {
		return true, nil // the key came with CREATE TABLE
	}
	_, err = db.NewCreateIndex().Model(ds.Model()).Unique().IfNotExists().
		Index(ds.KeyIndexName()).Column(ds.Key...).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("create unique index on %s(%s): %w", ds.Table, strings.Join(ds.Key, ", "), err)
	}
	return true, nil
}

// createTempTable creates the table as a temporary one, for a dry run
// where creating the real table would commit (MySQL). It shadows the name
// for the transaction's session, and is dropped when the transaction
// ends: a rollback does not undo it, and the pooled session would
// otherwise keep it in front of the real table.
func createTempTable(ctx context.Context, tx *Tx, ds *Dataset) error {
	// Bun's Temp() writes CREATE TEMP TABLE, which MySQL does not know.
	create := tx.NewCreateTable().Model(ds.Model()).String()
	create = "CREATE TEMPORARY TABLE " + strings.TrimPrefix(create, "CREATE TABLE ")
	if _, err := tx.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("create temporary table %s: %w", ds.Table, err)
	}
	tx.onRelease = append(tx.onRelease, "DROP TEMPORARY TABLE IF EXISTS "+quoteIdent(ds.Table))
	return nil
}

// TableStatus is what sluice check reports of a job's table.
type TableStatus struct {
	Exists  bool
	Columns int // columns of the existing table
	// Problem says why the existing table cannot take the import as
	// declared (a *SchemaError); nil when it can.
	Problem error
}

// TableStatus looks at ds's table without changing anything.
func (db *DB) TableStatus(ctx context.Context, ds *Dataset) (TableStatus, error) {
	info, err := db.Dialect.Inspect(ctx, db.Bun, ds.Table)
	if err != nil {
		return TableStatus{}, fmt.Errorf("inspect table %s: %w", ds.Table, err)
	}
	if !info.Exists {
		return TableStatus{}, nil
	}
	return TableStatus{Exists: true, Columns: len(info.Columns), Problem: ds.Check(info)}, nil
}

// Check compares an existing table with the declaration.
func (ds *Dataset) Check(info TableInfo) error {
	if !info.Exists {
		return &SchemaError{Table: ds.Table, Reason: "does not exist (sluice import creates it)"}
	}
	have := map[string]bool{}
	for _, c := range info.Columns {
		have[strings.ToLower(c)] = true
	}
	var missing []string
	for _, c := range ds.Columns {
		if !have[strings.ToLower(c.Name)] {
			missing = append(missing, c.Name)
		}
	}
	if len(missing) > 0 {
		return &SchemaError{Table: ds.Table, Reason: fmt.Sprintf(
			"declared column(s) %s missing from the existing table (it has %s); add them or fix config.yaml",
			strings.Join(missing, ", "), strings.Join(info.Columns, ", "))}
	}
	want := normalizedSet(ds.Key)
	for _, u := range info.Unique {
		if slices.Equal(normalizedSet(u), want) {
			return nil
		}
	}
	return &SchemaError{Table: ds.Table, Reason: fmt.Sprintf(
		"key (%s) has no unique index, so existing rows cannot be matched; create one: CREATE UNIQUE INDEX %s ON %s (%s)",
		strings.Join(ds.Key, ", "), ds.KeyIndexName(), ds.Table, strings.Join(ds.Key, ", "))}
}

func normalizedSet(cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = strings.ToLower(c)
	}
	slices.Sort(out)
	return out
}
