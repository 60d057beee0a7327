package models

import (
	"context"
	"fmt"
	"strings"
)

// Counts is what a load did to the table. Every distinct key among the
// good rows lands in exactly one of Inserted, Updated, Unchanged.
type Counts struct {
	Duplicates int64 // earlier occurrences of a key that a later row replaced
	Inserted   int64
	Updated    int64
	Unchanged  int64
}

// Load is one file's rows on their way into a table, inside the import
// transaction. Rows whose key occurs once in the file are written to the
// table directly; rows whose key may occur more than once go through a
// staging table, where the last occurrence wins before the merge. Where
// the database lets one upsert meet a key twice (SQLite), everything goes
// directly into an empty table, the last duplicate winning through the
// upsert itself.
type Load struct {
	db      *DB
	tx      *Tx
	ds      *Dataset
	update  bool
	before  int64 // rows in the table before the load
	direct  BulkWriter
	stage   string
	staged  BulkWriter // created on first use
	written int64
}

// NewLoad prepares loading into ds inside tx. update false is insert-new
// mode: keys already in the table are left alone and counted unchanged.
// The job lock must be held (and on SQLite the transaction holds the write
// lock) for the counts to be exact.
func NewLoad(ctx context.Context, db *DB, tx *Tx, ds *Dataset, update bool) (*Load, error) {
	l := &Load{db: db, tx: tx, ds: ds, update: update, stage: "sluice_stage_" + ds.Table}
	if err := tx.NewRaw("SELECT count(*) FROM "+quoteIdent(ds.Table)).Scan(ctx, &l.before); err != nil {
		return nil, fmt.Errorf("count rows of %s: %w", ds.Table, err)
	}
	conflict := ConflictIgnore
	if update || l.before == 0 {
		conflict = ConflictUpdate
	}
	var err error
	l.direct, err = db.Dialect.NewBulkWriter(ctx, tx, BulkTarget{Table: ds.Table, Dataset: ds, Conflict: conflict, Fresh: l.before == 0 && !db.Dialect.UpsertsRepeatedKeys()})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// NeedsKeyScan reports whether rows whose key repeats in the file must be
// found before writing: always but into an empty table on a database
// whose upsert takes a key twice.
func (l *Load) NeedsKeyScan() bool { return !l.allDirect() }

func (l *Load) allDirect() bool { return l.before == 0 && l.db.Dialect.UpsertsRepeatedKeys() }

// Write writes rows whose keys occur once in the file.
func (l *Load) Write(ctx context.Context, rows []Row) error {
	if l.staged != nil {
		// One statement at a time on the connection.
		if err := l.staged.Flush(); err != nil {
			return err
		}
	}
	l.written += int64(len(rows))
	return l.direct.Write(ctx, rows)
}

// WriteStaged stages rows whose keys may occur more than once in the file.
func (l *Load) WriteStaged(ctx context.Context, rows []Row) error {
	if l.allDirect() {
		return l.Write(ctx, rows)
	}
	if err := l.direct.Flush(); err != nil {
		return err
	}
	if l.staged == nil {
		if err := l.db.Dialect.CreateStage(ctx, l.tx, l.stage, l.ds); err != nil {
			return fmt.Errorf("create staging table: %w", err)
		}
		w, err := l.db.Dialect.NewBulkWriter(ctx, l.tx, BulkTarget{Table: l.stage, Dataset: l.ds, Line: true})
		if err != nil {
			return err
		}
		l.staged = w
	}
	l.written += int64(len(rows))
	return l.staged.Write(ctx, rows)
}

// Abort gives the load up (the caller rolls back): it ends any statement
// still being fed, which would otherwise hold the connection. It is safe
// after Finish.
func (l *Load) Abort() {
	l.direct.Abort()
	if l.staged != nil {
		l.staged.Abort()
	}
}

// Finish merges what was staged and returns the counts.
func (l *Load) Finish(ctx context.Context) (Counts, error) {
	var c Counts
	// Both statements end before either merges: one at a time on the
	// connection.
	if l.staged != nil {
		if err := l.staged.Flush(); err != nil {
			return c, err
		}
	}
	if err := l.direct.Close(); err != nil {
		return c, err
	}
	affected := l.direct.Affected()
	if l.staged != nil {
		if err := l.staged.Close(); err != nil {
			return c, err
		}
		dups, n, err := l.db.Dialect.MergeStage(ctx, l.tx, l.stage, l.ds, l.update)
		if err != nil {
			return c, fmt.Errorf("merge into %s: %w", l.ds.Table, err)
		}
		c.Duplicates = dups
		affected += n
	}
	var after int64
	if err := l.tx.NewRaw("SELECT count(*) FROM "+quoteIdent(l.ds.Table)).Scan(ctx, &after); err != nil {
		return c, fmt.Errorf("count rows of %s: %w", l.ds.Table, err)
	}
	// The table only grows by new keys, and every statement writes a row
	// only when it is new or differs, so the row counts before and after
	// and the rows written account for every key.
	c.Inserted = after - l.before
	if l.allDirect() {
		c.Duplicates = l.written - c.Inserted
		return c, nil
	}
	c.Updated = l.db.Dialect.Updated(affected, c.Inserted)
	c.Unchanged = l.written - c.Duplicates - c.Inserted - c.Updated
	if c.Updated < 0 || c.Unchanged < 0 {
		return c, fmt.Errorf("merge into %s: inconsistent counts (%d written, %d duplicates, %d rows before, %d after, %d written by the database); was the table changed by another writer?",
			l.ds.Table, l.written, c.Duplicates, l.before, after, affected)
	}
	return c, nil
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

// execAffected runs one statement and returns the rows it affected.
func execAffected(ctx context.Context, tx *Tx, query string) (int64, error) {
	res, err := tx.ExecContext(ctx, query)
	if err != nil {
		return 0, err
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
