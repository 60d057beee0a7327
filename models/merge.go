package models

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
)

// Counts is what a load did to the table. Every distinct key among the
// good rows lands in exactly one of Inserted, Updated, Unchanged.
type Counts struct {
	Written    int64 // good rows written, duplicates included
	Duplicates int64 // earlier occurrences of a key that a later row replaced
	Inserted   int64
	Updated    int64
	Unchanged  int64
}

// Load is one file's rows on their way into a table, inside the import
// transaction. Rows go straight into an empty table; otherwise they go to
// a staging table first, so duplicates can be resolved and the merge
// counted before the table is touched.
type Load struct {
	db     *DB
	tx     bun.Tx
	ds     *Dataset
	update bool
	stage  string // "" on the direct path
	before int64  // rows in the table before the load
	w      BulkWriter
}

// NewLoad prepares loading into ds inside tx. update false is insert-new
// mode: keys already in the table are left alone and counted unchanged.
// The transaction must hold the table's write lock (SQLite's BEGIN
// IMMEDIATE, the job lock elsewhere) for the counts to be exact.
func NewLoad(ctx context.Context, db *DB, tx bun.Tx, ds *Dataset, update bool) (*Load, error) {
	l := &Load{db: db, tx: tx, ds: ds, update: update}
	if err := tx.NewRaw("SELECT count(*) FROM "+quoteIdent(ds.Table)).Scan(ctx, &l.before); err != nil {
		return nil, fmt.Errorf("count rows of %s: %w", ds.Table, err)
	}
	var err error
	if l.before == 0 {
		// Nothing to compare with: every distinct key is an insert, and
		// the upsert on the table itself lets the last duplicate win.
		l.w, err = db.Dialect.NewBulkWriter(ctx, tx, BulkTarget{Table: ds.Table, Dataset: ds, Upsert: true})
	} else {
		l.stage = "sluice_stage_" + ds.Table
		if err := db.Dialect.CreateStage(ctx, tx, l.stage, ds); err != nil {
			return nil, fmt.Errorf("create staging table: %w", err)
		}
		l.w, err = db.Dialect.NewBulkWriter(ctx, tx, BulkTarget{Table: l.stage, Dataset: ds, Line: true})
	}
	if err != nil {
		return nil, err
	}
	return l, nil
}

// Write appends rows in file order.
func (l *Load) Write(ctx context.Context, rows []Row) error {
	if err := l.w.Write(ctx, rows); err != nil {
		return err
	}
	return nil
}

// Finish merges what was written and returns the counts.
func (l *Load) Finish(ctx context.Context, written int64) (Counts, error) {
	c := Counts{Written: written}
	if err := l.w.Close(); err != nil {
		return c, err
	}
	if l.stage != "" {
		dups, err := l.dedupe(ctx)
		if err != nil {
			return c, err
		}
		c.Duplicates = dups
	}
	var affected int64
	if l.stage != "" {
		res, err := l.tx.ExecContext(ctx, l.db.Dialect.Upsert(l.ds, l.stage, l.update))
		if err != nil {
			return c, fmt.Errorf("merge into %s: %w", l.ds.Table, err)
		}
		if affected, err = res.RowsAffected(); err != nil {
			return c, fmt.Errorf("merge into %s: %w", l.ds.Table, err)
		}
		if _, err := l.tx.ExecContext(ctx, "DROP TABLE "+quoteIdent(l.stage)); err != nil {
			return c, fmt.Errorf("drop staging table: %w", err)
		}
	}
	var after int64
	if err := l.tx.NewRaw("SELECT count(*) FROM "+quoteIdent(l.ds.Table)).Scan(ctx, &after); err != nil {
		return c, fmt.Errorf("count rows of %s: %w", l.ds.Table, err)
	}
	// The table only grows by new keys, and the merge statement writes a
	// row only when it is new or differs, so the row counts before and
	// after and the rows the merge wrote account for every key.
	c.Inserted = after - l.before
	if l.stage == "" {
		c.Duplicates = written - c.Inserted
		return c, nil
	}
	c.Updated = affected - c.Inserted
	c.Unchanged = written - c.Duplicates - affected
	if c.Updated < 0 || c.Unchanged < 0 {
		return c, fmt.Errorf("merge into %s: inconsistent counts (%d written, %d duplicates, %d rows before, %d after, %d affected); was the table changed by another writer?",
			l.ds.Table, written, c.Duplicates, l.before, after, affected)
	}
	return c, nil
}

// dedupe deletes all but the last occurrence of each key from the stage.
// It happens in the database: the set of keys of a file can be larger
// than memory, the stage cannot.
func (l *Load) dedupe(ctx context.Context) (int64, error) {
	keys := make([]string, len(l.ds.Key))
	for i, k := range l.ds.Key {
		keys[i] = quoteIdent(k)
	}
	res, err := l.tx.ExecContext(ctx, fmt.Sprintf(
		"DELETE FROM %[1]s WHERE sluice_line NOT IN (SELECT max(sluice_line) FROM %[1]s GROUP BY %[2]s)",
		quoteIdent(l.stage), strings.Join(keys, ", ")))
	if err != nil {
		return 0, fmt.Errorf("drop duplicate keys from stage: %w", err)
	}
	return res.RowsAffected()
}

// upsertOnConflict is the INSERT … ON CONFLICT statement SQLite and
// PostgreSQL share. The WHERE on DO UPDATE keeps equal rows unwritten, so
// they are neither counted nor touched (no WAL growth, no trigger fires).
func upsertOnConflict(ds *Dataset, stage string, update bool, distinct func(a, b string) string) string {
	list := strings.Join(quoteAll(ds.ColumnNames()), ", ")
	// "WHERE true" resolves SQLite's parsing ambiguity between a join
	// clause and ON CONFLICT after INSERT … SELECT.
	return fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s WHERE true ",
		quoteIdent(ds.Table), list, list, quoteIdent(stage)) + onConflict(ds, update, distinct)
}

// onConflict is the ON CONFLICT clause: update rows that differ, or
// leave existing rows alone.
func onConflict(ds *Dataset, update bool, distinct func(a, b string) string) string {
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
	if !update || len(sets) == 0 {
		return q + "DO NOTHING"
	}
	return q + "DO UPDATE SET " + strings.Join(sets, ", ") + " WHERE " + strings.Join(diffs, " OR ")
}

func quoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = quoteIdent(n)
	}
	return out
}
