package models

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Missing says what a sync does with the table's rows whose key the file
// lacks.
type Missing string

const (
	// MissingDelete deletes them.
	MissingDelete Missing = "delete"
	// MissingMark sets SyncSpec.Column to the import's time on them.
	MissingMark Missing = "mark"
)

// SyncSpec is what a load in ModeSync does beyond the upsert: the file is
// a full dump of the table (or of its Scope), and a row of the table whose
// key is in none of the file's rows is gone.
type SyncSpec struct {
	Missing Missing
	// Column is mark's timestamp column, one of the Dataset's columns,
	// which every row written carries as NULL: a marked row that comes
	// back is cleared by its own upsert, and counted as updated.
	Column string
	// At is the time mark writes (the import's start).
	At time.Time
	// Scope narrows the dump to the table's rows holding these values;
	// rows outside it are never touched.
	Scope []ScopeValue
}

// ScopeValue is one column of a sync's scope and its value, encoded as
// Dialect.Encode encodes it.
type ScopeValue struct {
	Column string
	Value  any
}

// syncLoad is a sync's part of a load: the file's key set, kept in the
// temporary tables the load writes anyway (the stage, PostgreSQL's merge
// table) and, for keys no such table holds (rows SQLite upserts straight
// into the table, the keys of rejected rows), in a key table of its own,
// shaped like a stage of the key columns. After the merge one statement
// deletes or marks the rows of the table no key table holds.
type syncLoad struct {
	spec    *SyncSpec
	keyDS   *Dataset
	keyIdx  []int // the key columns' indexes in the load's Dataset
	table   string
	keys    BulkWriter // created on first use
	scratch []Row
	// base is the rows the dump covers before the load: in scope, and
	// for mark not marked already. The guard's share is of these.
	base int64
}

// keyWriter is a dialect with a faster way to fill a key table than its
// bulk writer.
type keyWriter interface {
	newKeyWriter(ctx context.Context, tx *Tx, t BulkTarget) (BulkWriter, error)
}

// syncStart sets up the sync of a load whose table is ready; it returns
// nil when nothing can be gone (no row in scope).
func (l *Load) syncStart(ctx context.Context) (*syncLoad, error) {
	ds, spec := l.spec.Dataset, l.spec.Sync
	s := &syncLoad{spec: spec, table: "sluice_keys_" + ds.Table}
	var keyCols []Column
	for i, c := range ds.Columns {
		if ds.IsKey(c.Name) {
			s.keyIdx = append(s.keyIdx, i)
			keyCols = append(keyCols, c)
		}
	}
	s.keyDS = NewDataset(l.db.Dialect, ds.Table, keyCols, ds.Key)
	s.base = l.before
	if where, args := s.covered(ds); where != "" {
		q := fmt.Sprintf("SELECT count(*) FROM %s WHERE %s", quoteIdent(ds.Table), where)
		if err := l.tx.NewRaw(q, args...).Scan(ctx, &s.base); err != nil {
			return nil, fmt.Errorf("count the rows sync covers in %s: %w", ds.Table, err)
		}
	}
	if s.base == 0 {
		return nil, nil
	}
	return s, nil
}

// covered is the condition on the table's rows the dump covers: in
// scope, and for mark not marked already; "" for all.
func (s *syncLoad) covered(ds *Dataset) (string, []any) {
	var where []string
	var args []any
	t := quoteIdent(ds.Table) + "."
	if s.spec.Missing == MissingMark {
		where = append(where, t+quoteIdent(s.spec.Column)+" IS NULL")
	}
	for _, sc := range s.spec.Scope {
		where = append(where, t+quoteIdent(sc.Column)+" = ?")
		args = append(args, sc.Value)
	}
	return strings.Join(where, " AND "), args
}

// writeKeys adds the keys of rows (values in Dataset order) to the key
// table.
func (s *syncLoad) writeKeys(ctx context.Context, l *Load, rows []Row) error {
	if s.keys == nil {
		if err := l.db.Dialect.CreateStage(ctx, l.tx, s.table, s.keyDS); err != nil {
			return fmt.Errorf("create sync key table: %w", err)
		}
		newWriter := l.db.Dialect.NewBulkWriter
		if kw, ok := l.db.Dialect.(keyWriter); ok {
			newWriter = kw.newKeyWriter
		}
		w, err := newWriter(ctx, l.tx, BulkTarget{Table: s.table, Dataset: s.keyDS, Line: true})
		if err != nil {
			return err
		}
		s.keys = w
	}
	s.scratch = s.scratch[:0]
	// One backing array for the batch's keys, not one a row.
	vals := make([]any, len(rows)*len(s.keyIdx))
	for _, r := range rows {
		key := vals[:len(s.keyIdx):len(s.keyIdx)]
		vals = vals[len(s.keyIdx):]
		for i, k := range s.keyIdx {
			key[i] = r.Values[k]
		}
		s.scratch = append(s.scratch, Row{Line: r.Line, Values: key})
	}
	return s.keys.Write(ctx, s.scratch)
}

// syncExecer is a dialect that runs the statement of a sync its own way.
type syncExecer interface {
	execSync(ctx context.Context, tx *Tx, q string, args ...any) (sql.Result, error)
}

// run deletes or marks the rows the dump covers whose key is in none of
// the tables of the file's keys, and drops those tables.
func (s *syncLoad) run(ctx context.Context, l *Load, from []string) (int64, error) {
	ds := l.spec.Dataset
	if s.keys != nil {
		from = append(from, s.table)
	}
	t := quoteIdent(ds.Table)
	where, args := s.covered(ds)
	conds := []string{}
	if where != "" {
		conds = append(conds, where)
	}
	c, err := l.db.Dialect.notInFile(ctx, l.tx, ds, from)
	if err != nil {
		return 0, err
	}
	if c != "" { // "": no key table, so no key of the file
		conds = append(conds, c)
	}
	q := "DELETE FROM " + t
	if s.spec.Missing == MissingMark {
		at, err := l.db.Dialect.Encode(Column{Name: s.spec.Column, Type: Timestamp}, s.spec.At)
		if err != nil {
			return 0, err
		}
		q = fmt.Sprintf("UPDATE %s SET %s = ?", t, quoteIdent(s.spec.Column))
		args = append([]any{at}, args...)
	}
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	exec := l.tx.ExecContext
	if se, ok := l.db.Dialect.(syncExecer); ok {
		exec = func(ctx context.Context, q string, args ...any) (sql.Result, error) {
			return se.execSync(ctx, l.tx, q, args...)
		}
	}
	res, err := exec(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("sync %s (%s): %w", ds.Table, s.spec.Missing, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sync %s: rows affected: %w", ds.Table, err)
	}
	if s.keys != nil {
		if err := l.dropTemp(ctx, s.table); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// dropTemp drops a temporary table of the load.
func (l *Load) dropTemp(ctx context.Context, name string) error {
	if _, err := l.tx.ExecContext(ctx, l.db.Dialect.dropTemp(name)); err != nil {
		return fmt.Errorf("drop %s: %w", name, err)
	}
	return nil
}

// notExists is notInFile as a correlated NOT EXISTS, which PostgreSQL
// plans as a hash anti join.
func notExists(ds *Dataset, from string) string {
	t := quoteIdent(ds.Table)
	on := make([]string, len(ds.Key))
	for i, k := range quoteAll(ds.Key) {
		on[i] = t + "." + k + " = s." + k
	}
	return fmt.Sprintf("NOT EXISTS (SELECT 1 FROM %s AS s WHERE %s)", quoteIdent(from), strings.Join(on, " AND "))
}

// notIn is notInFile as NOT IN over the key columns, which MariaDB
// answers by looking each key up in from's primary key; the key columns
// are NOT NULL, so NOT IN means what NOT EXISTS does.
func notIn(ds *Dataset, from string) string {
	t := quoteIdent(ds.Table)
	keys := make([]string, len(ds.Key))
	sel := make([]string, len(ds.Key))
	for i, name := range ds.Key {
		keys[i] = t + "." + quoteIdent(name)
		sel[i] = "s." + quoteIdent(name)
	}
	lhs := keys[0]
	if len(keys) > 1 {
		lhs = "(" + strings.Join(keys, ", ") + ")"
	}
	return fmt.Sprintf("%s NOT IN (SELECT %s FROM %s AS s)", lhs, strings.Join(sel, ", "), quoteIdent(from))
}
