package models

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Counts is what a load did to the table. Every distinct key among the
// good rows lands in exactly one of Inserted, Updated, Unchanged.
type Counts struct {
	Duplicates int64 // earlier occurrences of a key that a later row replaced
	Inserted   int64
	Updated    int64
	Unchanged  int64
	// Deleted is the rows a sync deleted, or marked, as gone from the
	// file; they are none of the above.
	Deleted int64
}

// LoadSpec is what a load is asked to do: which table, in which mode, and
// whether to keep the result.
type LoadSpec struct {
	Dataset *Dataset
	Mode    Mode
	// DryRun does everything, then rolls back: Commit keeps nothing, and a
	// missing table is stood in for by a temporary one where creating the
	// real one could not be undone (MySQL).
	DryRun bool
	// Sync is what ModeSync does with rows the file lacks; nil for the
	// other modes.
	Sync *SyncSpec
	// AddColumns are columns of Dataset an existing table may lack (a new
	// CSV column, under columns_policy.extra: add): they are added with
	// ALTER TABLE … ADD COLUMN, inside the transaction where the
	// database's DDL is transactional, before it otherwise (see Added).
	AddColumns []string
}

// Load is one file's rows on their way into a table, inside the file's
// transaction. Rows whose key occurs once in the file are written to the
// table directly; rows whose key may occur more than once go through a
// staging table, where the last occurrence wins before the merge. Where
// the database lets one upsert meet a key twice (SQLite), everything goes
// directly into an empty table, the last duplicate winning through the
// upsert itself.
//
// A load is Prepared (the transaction begins), Started (the table is made
// ready), written, Finished (the stage is merged, the counts taken) and
// Committed; Abort, deferred, gives up at any point.
type Load struct {
	db   *DB
	tx   *Tx
	spec LoadSpec
	// temp: the table is missing and this dry run may not create it, so
	// Start creates a temporary stand-in.
	temp   bool
	before int64 // rows in the table before the load
	fold   func(string) string
	// stageAll: every row goes through the stage, which finds the
	// repeats itself (Dialect.StageDedupes).
	stageAll   bool
	direct     BulkWriter
	stage      string
	staged     BulkWriter // created on first use
	written    int64
	stagedRows int64
	sync       *syncLoad // nil: not a sync, or nothing can be gone
	added      []string  // AddColumns the table lacked, now added
	addedInTx  bool
	folded     []Folded
}

// stageFolder is a dialect whose stage keeps keys apart that the table's
// collation folds together (MySQL's _ci collations), and must be told to
// keep one line of each before the merge.
type stageFolder interface {
	FoldStage(ctx context.Context, tx *Tx, stage string, ds *Dataset) ([]Folded, error)
}

// Prepare begins a load: it opens the file's transaction, on a connection
// of its own. Where CREATE TABLE would commit that transaction (MySQL) a
// missing table is created first, on its own, in one statement with its
// key, so no half-made table can be left behind. The caller may use Tx
// (the ledger's check) before it calls Start.
func Prepare(ctx context.Context, db *DB, spec LoadSpec) (*Load, error) {
	l := &Load{db: db, spec: spec, stage: "sluice_stage_" + spec.Dataset.Table}
	if !db.Dialect.TransactionalDDL() {
		info, err := db.Dialect.Inspect(ctx, db.Bun, spec.Dataset.Table)
		if err != nil {
			return nil, fmt.Errorf("inspect table %s: %w", spec.Dataset.Table, err)
		}
		switch {
		case info.Exists && len(spec.AddColumns) > 0 && spec.DryRun:
			if missing := lacking(info, spec.AddColumns); len(missing) > 0 {
				return nil, fmt.Errorf("table %s lacks column(s) %s: a dry run cannot add them on %s, where ALTER TABLE commits at once", spec.Dataset.Table, strings.Join(missing, ", "), db.Dialect.Name())
			}
		case info.Exists && len(spec.AddColumns) > 0:
			added, err := addColumns(ctx, db.Bun, db.Dialect, spec.Dataset, info, spec.AddColumns)
			l.added = added
			if err != nil {
				return nil, err
			}
		case info.Exists:
		case spec.DryRun:
			l.temp = true
		default:
			if _, err := ensureTable(ctx, db.Bun, db.Dialect, spec.Dataset); err != nil {
				return nil, err
			}
			l.added = spec.AddColumns // the table is made with them
		}
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		return nil, err
	}
	l.tx = tx
	return l, nil
}

// Dataset is the load's table; after Start its columns carry what the
// existing table's columns can hold (Column.Limits), for Encode.
func (l *Load) Dataset() *Dataset { return l.spec.Dataset }

// Added returns the columns the load added to the table (LoadSpec.AddColumns
// it lacked, or all of them when it made the table), and whether that was inside the file's transaction (undone
// with it) or before it, on a database whose ALTER TABLE commits.
func (l *Load) Added() (cols []string, inTx bool) { return l.added, l.addedInTx }

// lacking are the names in add the table has no column for.
func lacking(info TableInfo, add []string) []string {
	var out []string
	for _, a := range add {
		if !slices.ContainsFunc(info.Columns, func(c string) bool { return strings.EqualFold(c, a) }) {
			out = append(out, a)
		}
	}
	return out
}

// Tx is the load's transaction, for the ledger's reads and writes: a run
// recorded there commits with the data, or not at all.
func (l *Load) Tx() *Tx { return l.tx }

// Start makes the table ready inside the transaction (created if missing,
// or checked against the declaration) and the writers with it. The job
// lock must be held (and on SQLite the transaction holds the write lock)
// for the counts to be exact.
func (l *Load) Start(ctx context.Context) error {
	ds := l.spec.Dataset
	var err error
	if l.temp {
		err = createTempTable(ctx, l.tx, ds)
	} else {
		var created bool
		var added []string
		created, added, err = ensureTableAdding(ctx, l.tx, l.db.Dialect, ds, l.spec.AddColumns)
		if created {
			added = l.spec.AddColumns // the table is made with them
		}
		if len(added) > 0 {
			l.added, l.addedInTx = added, true
		}
	}
	if err != nil {
		return err
	}
	if l.before, err = countRows(ctx, l.tx, ds.Table); err != nil {
		return err
	}
	if l.spec.Mode == ModeSync && l.spec.Sync != nil && l.before > 0 {
		if l.sync, err = l.syncStart(ctx); err != nil {
			return err
		}
	}
	if !l.allDirect() {
		if l.fold, err = l.db.Dialect.KeyFold(ctx, l.tx, ds); err != nil {
			return err
		}
		// A stage that finds repeats itself needs no key scan, but for an
		// empty table whose keys can be folded and whose ids the bulk
		// load would not skip: its unique rows go in with the plain bulk
		// load.
		if l.db.Dialect.StageDedupes() {
			auto, err := l.db.Dialect.autoIncrement(ctx, l.tx, ds.Table)
			if err != nil {
				return err
			}
			l.stageAll = l.before > 0 || l.fold == nil || auto != ""
		}
	}
	if l.stageAll {
		return nil // no direct writer: Write stages
	}
	mode := l.spec.Mode
	if l.before == 0 {
		// Only keys repeated in the file can meet: the last one wins.
		mode = ModeUpsert
	}
	l.direct, err = l.db.Dialect.NewBulkWriter(ctx, l.tx, BulkTarget{
		Table: ds.Table, Dataset: ds, Mode: mode,
		Fresh: l.before == 0 && !l.db.Dialect.UpsertsRepeatedKeys(),
		Keep:  l.sync != nil,
	})
	return err
}

// Syncs reports whether this load deletes or marks rows the file lacks:
// a sync into a table with rows the dump covers. The keys of rejected
// rows must then be given to WriteKeys.
func (l *Load) Syncs() bool { return l.sync != nil }

// SyncBase is the rows of the table the sync covered before the load (in
// its scope, and for mark not marked already): what the share of rows
// gone is a share of.
func (l *Load) SyncBase() int64 {
	if l.sync == nil {
		return 0
	}
	return l.sync.base
}

// WriteKeys records the keys of rows that are not written (rejected
// rows whose key could be read): a sync never takes their rows for gone.
// Only the key values of rows are read.
func (l *Load) WriteKeys(ctx context.Context, rows []Row) error {
	if l.sync == nil || len(rows) == 0 {
		return nil
	}
	if err := l.flush(l.direct, l.staged); err != nil {
		return err
	}
	return l.sync.writeKeys(ctx, l, rows)
}

// flush ends the statements the given writers may be feeding, so the
// connection is free for another one.
func (l *Load) flush(ws ...BulkWriter) error {
	for _, w := range ws {
		if w != nil {
			if err := w.Flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// syncKeys is the sync's key writer, when it has one.
func (l *Load) syncKeys() BulkWriter {
	if l.sync == nil {
		return nil
	}
	return l.sync.keys
}

// NeedsKeyScan reports whether rows whose key repeats in the file must be
// found before writing: always but into an empty table on a database
// whose upsert takes a key twice.
func (l *Load) NeedsKeyScan() bool { return !l.allDirect() && !l.stageAll }

func (l *Load) allDirect() bool { return l.before == 0 && l.db.Dialect.UpsertsRepeatedKeys() }

// KeyFold is how the key scan must fold text keys to find the repeats the
// table's key comparison sees (see Dialect.KeyFold); nil means it cannot,
// and every row must be written with WriteStaged. Start sets it where
// the table's upsert cannot take repeats itself.
func (l *Load) KeyFold() func(string) string { return l.fold }

// Write writes rows whose keys occur once in the file.
func (l *Load) Write(ctx context.Context, rows []Row) error {
	if l.stageAll {
		return l.WriteStaged(ctx, rows)
	}
	// One statement at a time on the connection.
	if err := l.flush(l.staged, l.syncKeys()); err != nil {
		return err
	}
	l.written += int64(len(rows))
	if err := l.direct.Write(ctx, rows); err != nil {
		return err
	}
	if l.sync != nil && !keeps(l.direct) {
		// The rows went into the table itself (SQLite): their keys go
		// to the sync's own table, statement by statement.
		return l.sync.writeKeys(ctx, l, rows)
	}
	return nil
}

// keeps reports whether w's rows stay in a temporary table of their own.
func keeps(w BulkWriter) bool {
	k, ok := w.(keptTable)
	return ok && k.keptTable() != ""
}

// WriteStaged stages rows whose keys may occur more than once in the file.
func (l *Load) WriteStaged(ctx context.Context, rows []Row) error {
	if l.allDirect() {
		return l.Write(ctx, rows)
	}
	if err := l.flush(l.direct, l.syncKeys()); err != nil {
		return err
	}
	if l.staged == nil {
		if err := l.db.Dialect.CreateStage(ctx, l.tx, l.stage, l.spec.Dataset); err != nil {
			return fmt.Errorf("create staging table: %w", err)
		}
		w, err := l.db.Dialect.NewBulkWriter(ctx, l.tx, BulkTarget{Table: l.stage, Dataset: l.spec.Dataset, Line: true})
		if err != nil {
			return err
		}
		l.staged = w
	}
	l.written += int64(len(rows))
	l.stagedRows += int64(len(rows))
	return l.staged.Write(ctx, rows)
}

// Finish merges what was staged and returns the counts.
func (l *Load) Finish(ctx context.Context) (Counts, error) {
	var c Counts
	ds := l.spec.Dataset
	// Both statements end before either merges: one at a time on the
	// connection.
	if l.staged != nil {
		if err := l.staged.Flush(); err != nil {
			return c, err
		}
	}
	if k := l.syncKeys(); k != nil {
		if err := k.Close(); err != nil {
			return c, err
		}
	}
	var affected int64
	if l.direct != nil {
		if err := l.direct.Close(); err != nil {
			return c, err
		}
		affected = l.direct.Affected()
	}
	if l.staged != nil {
		if err := l.staged.Close(); err != nil {
			return c, err
		}
		if f, ok := l.db.Dialect.(stageFolder); ok {
			var err error
			if l.folded, err = f.FoldStage(ctx, l.tx, l.stage, ds); err != nil {
				return c, fmt.Errorf("merge into %s: %w", ds.Table, err)
			}
		}
		dups, n, err := l.db.Dialect.MergeStage(ctx, l.tx, l.stage, ds, l.spec.Mode, l.stagedRows)
		if err != nil {
			return c, fmt.Errorf("merge into %s: %w", ds.Table, err)
		}
		c.Duplicates = dups
		affected += n
		if l.sync == nil {
			if err := l.dropTemp(ctx, l.stage); err != nil {
				return c, err
			}
		}
	}
	after, err := countRows(ctx, l.tx, ds.Table)
	if err != nil {
		return c, err
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
			ds.Table, l.written, c.Duplicates, l.before, after, affected)
	}
	if l.sync != nil {
		var err error
		if c.Deleted, err = l.finishSync(ctx); err != nil {
			return c, err
		}
	}
	return c, nil
}

// finishSync runs the sync against the temporary tables that hold the
// file's keys, then drops them.
func (l *Load) finishSync(ctx context.Context) (int64, error) {
	var from []string
	if l.staged != nil {
		from = append(from, l.stage)
	}
	if k, ok := l.direct.(keptTable); ok && k.keptTable() != "" {
		from = append(from, k.keptTable())
	}
	n, err := l.sync.run(ctx, l, from)
	if err != nil {
		return 0, err
	}
	for _, t := range from {
		if err := l.dropTemp(ctx, t); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// Folded are the lines whose keys the table's collation folded together
// (see Folded), after Finish; they are among the Duplicates.
func (l *Load) Folded() []Folded { return l.folded }

// Commit ends the transaction: it commits, or for a dry run rolls back.
func (l *Load) Commit() error {
	if l.spec.DryRun {
		return l.tx.Rollback()
	}
	return l.tx.Commit()
}

// Abort gives the load up: it ends any statement still being fed, which
// would otherwise hold the connection, and rolls back. It is safe after
// Commit, and meant to be deferred.
func (l *Load) Abort() {
	if l.direct != nil {
		l.direct.Abort()
	}
	if l.staged != nil {
		l.staged.Abort()
	}
	if k := l.syncKeys(); k != nil {
		k.Abort()
	}
	_ = l.tx.Rollback() // a no-op after Commit
}
