package models

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// copyWriter appends rows with COPY … FROM STDIN in binary form, one
// COPY per batch, on the transaction's own connection. Into a table that
// may hold a row's key already, it copies into a temporary table and
// merges that with one INSERT … ON CONFLICT when closed: a COPY cannot
// resolve conflicts, and one merge beats an upsert per batch.
type copyWriter struct {
	ctx    context.Context
	tx     *Tx
	target BulkTarget
	into   string // the table COPY writes: the target, or the merge table
	merge  string // the statement that merges into the target at Close
	cols   []string
	rows   [][]any
	copied int64
	merged int64
}

func newCopyWriter(ctx context.Context, tx *Tx, t BulkTarget, d postgresDialect) (*copyWriter, error) {
	w := &copyWriter{ctx: ctx, tx: tx, target: t, into: t.Table, cols: t.Dataset.ColumnNames()}
	if t.Line {
		w.cols = append([]string{"sluice_line"}, w.cols...)
	}
	if t.Conflict != ConflictError && !t.Fresh {
		w.into = "sluice_direct_" + t.Dataset.Table
		if err := d.createTemp(ctx, tx, w.into, t.Dataset, false); err != nil {
			return nil, fmt.Errorf("create merge table: %w", err)
		}
		w.merge = upsertOnConflict(t.Dataset, w.into, t.Conflict == ConflictUpdate, d.distinct)
	}
	return w, nil
}

func (w *copyWriter) Write(ctx context.Context, rows []Row) error {
	if len(rows) == 0 {
		return nil
	}
	w.rows = w.rows[:0]
	for _, r := range rows {
		if w.target.Line {
			// A fresh slice per row: Values belongs to the caller's batch.
			v := make([]any, 0, len(r.Values)+1)
			w.rows = append(w.rows, append(append(v, r.Line), r.Values...))
		} else {
			w.rows = append(w.rows, r.Values)
		}
	}
	var n int64
	err := w.tx.raw(func(dc any) error {
		var err error
		n, err = dc.(*stdlib.Conn).Conn().CopyFrom(ctx, pgx.Identifier{w.into}, w.cols, pgx.CopyFromRows(w.rows))
		return err
	})
	if cerr := ctx.Err(); err != nil && cerr != nil {
		err = cerr // the connection was closed because of it
	}
	if err != nil {
		return fmt.Errorf("copy into %s (lines %d-%d): %w", w.target.Table, rows[0].Line, rows[len(rows)-1].Line, err)
	}
	w.copied += n
	return nil
}

// Affected counts rows copied straight into the target, or what the
// merge wrote.
func (w *copyWriter) Affected() int64 {
	if w.merge != "" {
		return w.merged
	}
	return w.copied
}

func (w *copyWriter) Close() error {
	w.rows = nil
	if w.merge == "" || w.copied == 0 {
		return nil
	}
	n, err := execAffected(w.ctx, w.tx, w.merge)
	if err != nil {
		return fmt.Errorf("merge into %s: %w", w.target.Table, err)
	}
	w.merged = n
	if _, err := w.tx.ExecContext(w.ctx, "DROP TABLE "+quoteIdent(w.into)); err != nil {
		return fmt.Errorf("drop merge table: %w", err)
	}
	return nil
}

// createTemp creates a temporary table shaped like ds, with a leading
// line column if line is set. ON COMMIT DROP: nothing is left in the
// session whatever happens.
func (d postgresDialect) createTemp(ctx context.Context, tx *Tx, name string, ds *Dataset, line bool) error {
	var cols []string
	if line {
		cols = append(cols, "sluice_line BIGINT NOT NULL")
	}
	for _, c := range ds.Columns {
		cols = append(cols, quoteIdent(c.Name)+" "+d.ColumnType(c))
	}
	_, err := tx.ExecContext(ctx, fmt.Sprintf("CREATE TEMP TABLE %s (%s) ON COMMIT DROP", quoteIdent(name), strings.Join(cols, ", ")))
	return err
}
