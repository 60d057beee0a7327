package models

import (
	"context"
	"fmt"
	"strings"
)

// MergeStage merges a stage that holds one row a key already (see
// StageDedupes, FoldStage): the rows written beyond those are the
// duplicates.
//
// Into a table without an AUTO_INCREMENT column the merge is one INSERT …
// SELECT … ON DUPLICATE KEY UPDATE. Into one with such a column that
// statement would take an id for every row it tried, and a bulk insert
// skips the ids it reserved but did not use; so the rows that differ are
// updated, and the new keys inserted with inserts of known row counts
// (see insertNumbered). That merge reports its rows as ON DUPLICATE KEY
// does (see Updated).
func (d *mysqlDialect) MergeStage(ctx context.Context, tx *Tx, stage string, ds *Dataset, mode Mode, staged int64) (dups, affected int64, err error) {
	var kept int64
	if err := tx.NewRaw("SELECT count(*) FROM "+quoteIdent(stage)).Scan(ctx, &kept); err != nil {
		return 0, 0, fmt.Errorf("count the stage: %w", err)
	}
	auto, err := d.autoIncrement(ctx, tx, ds.Table)
	if err != nil {
		return 0, 0, err
	}
	keys, err := foldingKeys(ctx, tx, ds)
	if err != nil {
		return 0, 0, err
	}
	if auto == "" {
		affected, err = execAll(ctx, tx, []string{fmt.Sprintf("INSERT INTO %s (%[2]s) SELECT %[2]s FROM %s %s",
			quoteIdent(ds.Table), strings.Join(quoteAll(ds.ColumnNames()), ", "), quoteIdent(stage), onDuplicateKey(ds, mode))})
	} else {
		affected, err = mergeNumbered(ctx, tx, stage, ds, mode, collatedKeyJoin(ds, keys))
	}
	if err != nil {
		return 0, 0, err
	}
	return staged - kept, affected, nil
}

func (*mysqlDialect) dropTemp(name string) string { return "DROP TEMPORARY TABLE " + quoteIdent(name) }

// notInFile looks the table's keys up in from's primary key (MariaDB's
// unique_subquery). Where from's key columns are exact and the table's
// fold (see createStage), that key cannot serve a lookup under the
// table's collation, and MariaDB would scan from once per row of the
// table (20,000 rows took minutes); the keys are then copied into a key
// table of the table's own collation first, one row per key as the table
// compares them: the keys the merge met are the keys kept.
func (d *mysqlDialect) notInFile(ctx context.Context, tx *Tx, ds *Dataset, from []string) (string, error) {
	keys, err := foldingKeys(ctx, tx, ds)
	if err != nil {
		return "", err
	}
	conds := make([]string, len(from))
	for i, f := range from {
		if len(keys) == 0 {
			conds[i] = notIn(ds, f)
		} else if conds[i], err = d.notInFolded(ctx, tx, ds, f); err != nil {
			return "", err
		}
	}
	return strings.Join(conds, " AND "), nil
}

// notInFolded is notInFile for a table whose keys fold, through a key
// table of the table's own collation.
func (*mysqlDialect) notInFolded(ctx context.Context, tx *Tx, ds *Dataset, from string) (string, error) {
	folded := from + "_folded"
	cols := strings.Join(quoteAll(ds.Key), ", ")
	for _, q := range []string{
		"DROP TEMPORARY TABLE IF EXISTS " + quoteIdent(folded),
		fmt.Sprintf("CREATE TEMPORARY TABLE %s (PRIMARY KEY (%s)) SELECT %s FROM %s LIMIT 0", quoteIdent(folded), cols, cols, quoteIdent(ds.Table)),
		// IGNORE: keys that fold together are one row here.
		fmt.Sprintf("INSERT IGNORE INTO %s (%s) SELECT %s FROM %s", quoteIdent(folded), cols, cols, quoteIdent(from)),
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return "", fmt.Errorf("sync: fold the file's keys: %w", err)
		}
	}
	tx.onRelease = append(tx.onRelease, "DROP TEMPORARY TABLE IF EXISTS "+quoteIdent(folded))
	return notIn(ds, folded), nil
}

// FoldStage keeps one line of each of the table's keys in a stage whose
// key columns are exact where the table's fold (see createStage), and
// says which lines folded together.
func (*mysqlDialect) FoldStage(ctx context.Context, tx *Tx, stage string, ds *Dataset) ([]Folded, error) {
	keys, err := foldingKeys(ctx, tx, ds)
	if err != nil || len(keys) == 0 {
		return nil, err
	}
	return foldStage(ctx, tx, stage, ds, keys)
}

// onDuplicateKey is MySQL's upsert clause. MySQL itself leaves a row
// whose values are all equal unwritten (and reports it unaffected); the
// insert-new form sets a key column to itself, which changes nothing.
func onDuplicateKey(ds *Dataset, mode Mode) string {
	var sets []string
	for _, c := range ds.Columns {
		if mode.updates() && !ds.IsKey(c.Name) {
			id := quoteIdent(c.Name)
			sets = append(sets, id+" = VALUES("+id+")")
		}
	}
	if len(sets) == 0 {
		// Qualified: in INSERT … SELECT a bare name is ambiguous.
		k := quoteIdent(ds.Table) + "." + quoteIdent(ds.Key[0])
		sets = []string{k + " = " + k}
	}
	return "ON DUPLICATE KEY UPDATE " + strings.Join(sets, ", ")
}

// mergeNumbered updates the rows that differ, then inserts the new keys
// with insertNumbered; it counts an update twice (see Updated).
func mergeNumbered(ctx context.Context, tx *Tx, stage string, ds *Dataset, mode Mode, join string) (int64, error) {
	var updated int64
	if updatesRows(ds, mode) {
		// <=> is NULL-safe equality.
		sets, differs := changedSets(ds, "t.", func(a, b string) string { return "NOT (" + a + " <=> " + b + ")" })
		var err error
		updated, err = execAll(ctx, tx, []string{fmt.Sprintf("UPDATE %s AS t JOIN %s AS s ON %s SET %s WHERE %s",
			quoteIdent(ds.Table), quoteIdent(stage), join, sets, differs)})
		if err != nil {
			return 0, err
		}
	}
	inserted, err := insertNumbered(ctx, tx, stage, ds, join)
	return inserted + 2*updated, err
}

// insertBatch is how many new rows insertNumbered reads back at a time,
// and insertRows how many one of its INSERTs takes: at 2,000 and 100, a
// million new rows took 16 s to read back and write, at 10,000 and 1,000
// 11 s (BENCHMARKS.md).
const insertBatch, insertRows = 10_000, 1000

// insertNumbered inserts the stage's rows whose key the table lacks with
// multi-row INSERT … VALUES, whose row counts InnoDB knows, so that the
// table's AUTO_INCREMENT counter moves by exactly the rows inserted. The
// rows are read back from a numbered copy in batches: memory stays flat,
// and the connection runs one statement at a time.
func insertNumbered(ctx context.Context, tx *Tx, stage string, ds *Dataset, join string) (int64, error) {
	numbered := quoteIdent(stage + "_new")
	cols := strings.Join(quoteAll(ds.ColumnNames()), ", ")
	list := make([]string, len(ds.Columns))
	for i, c := range ds.Columns {
		list[i] = "s." + quoteIdent(c.Name)
	}
	copyNew := fmt.Sprintf("CREATE TEMPORARY TABLE %s (sluice_seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY) SELECT %s FROM %s AS s WHERE NOT EXISTS (SELECT 1 FROM %s AS t WHERE %s)",
		numbered, strings.Join(list, ", "), quoteIdent(stage), quoteIdent(ds.Table), join)
	if _, err := tx.ExecContext(ctx, copyNew); err != nil {
		return 0, fmt.Errorf("copy the new keys: %w", err)
	}
	w, err := newMultiRowWriter(ctx, tx, BulkTarget{Table: ds.Table, Dataset: ds, Fresh: true}, "INSERT", "", insertRows, 65535)
	if err != nil {
		return 0, err
	}
	defer w.Close()
	rows := make([]Row, 0, insertBatch)
	var last, inserted int64
	for {
		rows = rows[:0]
		rs, err := tx.QueryContext(ctx, fmt.Sprintf("SELECT sluice_seq, %s FROM %s WHERE sluice_seq > ? ORDER BY sluice_seq LIMIT %d", cols, numbered, insertBatch), last)
		if err != nil {
			return 0, fmt.Errorf("read the new keys: %w", err)
		}
		for rs.Next() {
			vals := make([]any, len(ds.Columns))
			ptrs := make([]any, len(vals)+1)
			ptrs[0] = &last
			for i := range vals {
				ptrs[i+1] = &vals[i]
			}
			if err := rs.Scan(ptrs...); err != nil {
				rs.Close()
				return 0, fmt.Errorf("read the new keys: %w", err)
			}
			rows = append(rows, Row{Line: last, Values: vals})
		}
		err = rs.Err()
		if cerr := rs.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return 0, fmt.Errorf("read the new keys: %w", err)
		}
		if len(rows) == 0 {
			break
		}
		if err := w.Write(ctx, rows); err != nil {
			return 0, err
		}
		inserted += int64(len(rows))
	}
	if _, err := tx.ExecContext(ctx, "DROP TEMPORARY TABLE "+numbered); err != nil {
		return 0, fmt.Errorf("drop the new keys: %w", err)
	}
	return inserted, nil
}
