package models

import (
	"context"
	"fmt"
	"strings"
)

// The SQL the dialects share. Names are quoted the standard way, with
// double quotes: MySQL sessions run with ANSI_QUOTES (see mysqlSQLMode).

// quoteIdent quotes an SQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func quoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = quoteIdent(n)
	}
	return out
}

// firstWords names a statement in an error without its whole text.
func firstWords(sql string) string {
	f := strings.Fields(sql)
	return strings.Join(f[:min(len(f), 4)], " ")
}

// execAffected runs one statement and returns the rows it affected.
func execAffected(ctx context.Context, tx *Tx, query string) (int64, error) {
	res, err := tx.ExecContext(ctx, query)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// countRows returns the number of rows in table.
func countRows(ctx context.Context, tx *Tx, table string) (int64, error) {
	var n int64
	if err := tx.NewRaw("SELECT count(*) FROM "+quoteIdent(table)).Scan(ctx, &n); err != nil {
		return 0, fmt.Errorf("count rows of %s: %w", table, err)
	}
	return n, nil
}

// dedupeNotIn deletes all but the last occurrence of each key from the
// stage, in the database: the keys of a file can outgrow memory, the stage
// cannot. SQLite runs the NOT IN through an automatic index.
func dedupeNotIn(ctx context.Context, tx *Tx, stage string, ds *Dataset) (int64, error) {
	res, err := tx.ExecContext(ctx, fmt.Sprintf(
		"DELETE FROM %[1]s WHERE sluice_line NOT IN (SELECT max(sluice_line) FROM %[1]s GROUP BY %[2]s)",
		quoteIdent(stage), strings.Join(quoteAll(ds.Key), ", ")))
	if err != nil {
		return 0, fmt.Errorf("drop duplicate keys from stage: %w", err)
	}
	return res.RowsAffected()
}

// upsertOnConflict is the INSERT … ON CONFLICT statement SQLite and
// PostgreSQL share. The WHERE on DO UPDATE keeps equal rows unwritten, so
// they are neither counted nor touched (no WAL growth, no trigger fires).
func upsertOnConflict(ds *Dataset, stage string, mode Mode, distinct func(a, b string) string) string {
	list := strings.Join(quoteAll(ds.ColumnNames()), ", ")
	// "WHERE true" resolves SQLite's parsing ambiguity between a join
	// clause and ON CONFLICT after INSERT … SELECT.
	return fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s WHERE true ",
		quoteIdent(ds.Table), list, list, quoteIdent(stage)) + onConflict(ds, mode, distinct)
}

// onConflict is the ON CONFLICT clause: update rows that differ, or
// leave existing rows alone.
func onConflict(ds *Dataset, mode Mode, distinct func(a, b string) string) string {
	var sets, diffs []string
	for _, c := range ds.Columns {
		if ds.IsKey(c.Name) {
			continue
		}
		id := quoteIdent(c.Name)
		sets = append(sets, id+" = excluded."+id)
		diffs = append(diffs, distinct(quoteIdent(ds.Table)+"."+id, "excluded."+id))
	}
	q := "ON CONFLICT (" + strings.Join(quoteAll(ds.Key), ", ") + ") "
	if !mode.updates() || len(sets) == 0 {
		return q + "DO NOTHING"
	}
	return q + "DO UPDATE SET " + strings.Join(sets, ", ") + " WHERE " + strings.Join(diffs, " OR ")
}
