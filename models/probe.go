package models

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// CheckPrivileges does what an import does to each table, in a
// transaction it rolls back: create the ledger and any missing table,
// insert into and update the existing ones (statements that match no
// row). A missing privilege comes back as a *ServerError saying which
// and the GRANT that gives it.
//
// Where CREATE TABLE commits (MySQL), the ledger is really created, as
// the first import would, and stands in for the other tables: MySQL
// grants CREATE per database.
func (db *DB) CheckPrivileges(ctx context.Context, tables []*Dataset) error {
	d := db.Dialect
	ledger := NewLedger(db)
	if !d.TransactionalDDL() {
		if err := ledger.ensureIn(ctx, db.Bun); err != nil {
			return db.privilegeError(err, "CREATE", ledgerTable)
		}
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		return Diagnose(db.Target, err)
	}
	defer tx.Rollback() //nolint:errcheck // the point is to leave nothing
	if d.TransactionalDDL() {
		if err := ledger.ensureIn(ctx, tx); err != nil {
			return db.privilegeError(err, "CREATE", ledgerTable)
		}
	}
	for _, ds := range append([]*Dataset{db.ledgerDataset(), schemaDataset()}, tables...) {
		info, err := d.Inspect(ctx, tx, ds.Table)
		if err != nil {
			return Diagnose(db.Target, fmt.Errorf("inspect %s: %w", ds.Table, err))
		}
		if !info.Exists {
			if ds.Table == schemaTable {
				continue // made with the ledger, as the ledger is
			}
			if !d.TransactionalDDL() {
				continue // covered by the ledger's CREATE
			}
			if _, err := ensureTable(ctx, tx, d, ds); err != nil {
				return db.privilegeError(err, "CREATE", ds.Table)
			}
			continue
		}
		if ds.Table == ledgerTable {
			// A ledger of an earlier release lacks the newest columns
			// until the first import migrates it.
			ds = &Dataset{Table: ds.Table, Key: ds.Key, Columns: slices.DeleteFunc(slices.Clone(ds.Columns), func(c Column) bool {
				return !slices.ContainsFunc(info.Columns, func(have string) bool { return strings.EqualFold(have, c.Name) })
			})}
		}
		if ds.Check(info) != nil || len(unfilled(info, ds)) > 0 {
			continue // sluice check reports the table's shape itself
		}
		cols := strings.Join(quoteAll(ds.ColumnNames()), ", ")
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s WHERE 1 = 0",
			quoteIdent(ds.Table), cols, cols, quoteIdent(ds.Table))); err != nil {
			return db.privilegeError(err, "INSERT", ds.Table)
		}
		k := quoteIdent(ds.Key[0])
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("UPDATE %s SET %s = %s WHERE 1 = 0", quoteIdent(ds.Table), k, k)); err != nil {
			return db.privilegeError(err, "UPDATE", ds.Table)
		}
	}
	return nil
}

// ledgerDataset describes sluice_runs enough for the probe: the columns
// a run is inserted with.
func (db *DB) ledgerDataset() *Dataset {
	ds := &Dataset{Table: ledgerTable, Key: []string{"id"}}
	for _, f := range db.Bun.Table(reflect.TypeFor[Run]()).Fields {
		if f.Name != "id" {
			ds.Columns = append(ds.Columns, Column{Name: f.Name})
		}
	}
	return ds
}

// schemaDataset describes sluice_schema for the probe.
func schemaDataset() *Dataset {
	return &Dataset{Table: schemaTable, Key: []string{"name"}, Columns: []Column{{Name: "name"}, {Name: "version"}}}
}

// privilegeError names the missing privilege when err is the server
// refusing one, and diagnoses anything else.
func (db *DB) privilegeError(err error, privilege, table string) error {
	if !db.Dialect.denied(err) {
		return Diagnose(db.Target, err)
	}
	what := map[string]string{"CREATE": "tables here (" + table + ")", "INSERT": "into " + table, "UPDATE": table}[privilege]
	return &ServerError{Target: db.Target.String(), Problem: fmt.Sprintf("user %q may not %s %s", db.Target.User, privilege, what),
		Hint: "an administrator can run: " + db.Dialect.grant(db.Target, privilege, table), Err: err}
}
