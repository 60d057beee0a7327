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

// The merge of a stage into the table, on the databases whose upsert
// takes an id from the table's sequence for every row it tries, inserted
// or not (PostgreSQL's INSERT … ON CONFLICT, MySQL's ON DUPLICATE KEY):
// rows whose key is in the table are updated where they differ, then the
// rows whose key is not are inserted, so an app's id sequence only moves
// for rows really inserted. The UPDATE is the dialect's (the syntax of a
// join in UPDATE differs); the INSERT is shared.

// mergeStatements are the two statements, in order; insert-new mode
// updates nothing.
func mergeStatements(ds *Dataset, from string, mode Mode, update func(ds *Dataset, from string) string) []string {
	insert := insertNewKeys(ds, from)
	if !updatesRows(ds, mode) {
		return []string{insert}
	}
	return []string{update(ds, from), insert}
}

// updatesRows reports whether a merge in mode may update rows: there are
// columns outside the key, and the mode rewrites rows that differ.
func updatesRows(ds *Dataset, mode Mode) bool { return mode.updates() && len(ds.Columns) > len(ds.Key) }

// insertNewKeys inserts the rows of from whose key the table lacks.
func insertNewKeys(ds *Dataset, from string) string {
	list := make([]string, len(ds.Columns))
	for i, c := range ds.Columns {
		list[i] = "s." + quoteIdent(c.Name)
	}
	return fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s AS s WHERE NOT EXISTS (SELECT 1 FROM %s AS t WHERE %s)",
		quoteIdent(ds.Table), strings.Join(quoteAll(ds.ColumnNames()), ", "), strings.Join(list, ", "),
		quoteIdent(from), quoteIdent(ds.Table), keyJoin(ds))
}

// keyJoin is "t.k1 = s.k1 AND …".
func keyJoin(ds *Dataset) string { return collatedKeyJoin(ds, nil) }

// collatedKeyJoin is keyJoin with the stage's folding key columns (a
// MySQL stage keeps them exact, see foldingKeys) compared under the
// table's collation: two columns of one charset but different collations
// cannot be compared as they are (error 1267), and the table's key index
// still serves the join.
func collatedKeyJoin(ds *Dataset, keys []foldingKey) string {
	on := make([]string, len(ds.Key))
	for i, name := range ds.Key {
		k := quoteIdent(name)
		on[i] = "t." + k + " = s." + k
		for _, f := range keys {
			if f.name == name {
				on[i] += " COLLATE " + f.collation
			}
		}
	}
	return strings.Join(on, " AND ")
}

// changedSets are the SET list and the "differs" condition of an update
// of t from s, over the columns outside the key; target prefixes the
// columns set (PostgreSQL refuses a qualified one, MySQL's join needs it).
func changedSets(ds *Dataset, target string, distinct func(a, b string) string) (sets, differs string) {
	var set, diff []string
	for _, c := range ds.Columns {
		if ds.IsKey(c.Name) {
			continue
		}
		id := quoteIdent(c.Name)
		set = append(set, target+id+" = s."+id)
		diff = append(diff, distinct("t."+id, "s."+id))
	}
	return strings.Join(set, ", "), strings.Join(diff, " OR ")
}

// execAll runs statements in order and returns the rows they affected in
// all.
func execAll(ctx context.Context, tx *Tx, stmts []string) (int64, error) {
	var n int64
	for _, q := range stmts {
		a, err := execAffected(ctx, tx, q)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", firstWords(q), err)
		}
		n += a
	}
	return n, nil
}
