package models

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// multiRowWriter appends rows with multi-row INSERT statements of a fixed
// number of rows, the portable bulk path. The full-size statement is
// prepared once; the short tail uses a one-off statement.
type multiRowWriter struct {
	verb     string // INSERT, or REPLACE
	tx       *Tx
	target   BulkTarget
	suffix   string // e.g. an ON CONFLICT clause
	perStmt  int    // rows per statement
	stmt     *sql.Stmt
	args     []any
	affected int64
}

// rowsPerStatement was measured: past about 100 rows a statement, bigger
// statements stop paying off on SQLite (see BENCHMARKS.md).
const rowsPerStatement = 100

// newMultiRowWriter writes statements of verb (INSERT, or REPLACE) of up
// to perStmt rows, fewer if more would pass maxParams bind parameters.
func newMultiRowWriter(ctx context.Context, tx *Tx, t BulkTarget, verb, suffix string, perStmt, maxParams int) (*multiRowWriter, error) {
	w := &multiRowWriter{verb: verb, tx: tx, target: t, suffix: suffix}
	w.perStmt = max(1, min(perStmt, maxParams/w.width()))
	st, err := tx.PrepareContext(ctx, w.insertSQL(w.perStmt))
	if err != nil {
		return nil, fmt.Errorf("prepare bulk insert into %s: %w", t.Table, err)
	}
	w.stmt = st
	return w, nil
}

func (w *multiRowWriter) width() int {
	n := len(w.target.Dataset.Columns)
	if w.target.Line {
		n++
	}
	return n
}

func (w *multiRowWriter) insertSQL(rows int) string {
	cols := quoteAll(w.target.Dataset.ColumnNames())
	if w.target.Line {
		cols = append([]string{"sluice_line"}, cols...)
	}
	width := len(cols)
	var b strings.Builder
	b.Grow(64 + rows*width*2 + len(w.suffix))
	fmt.Fprintf(&b, "%s INTO %s (%s) VALUES ", w.verb, quoteIdent(w.target.Table), strings.Join(cols, ", "))
	for r := range rows {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range width {
			if c > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('?')
		}
		b.WriteByte(')')
	}
	b.WriteString(w.suffix)
	return b.String()
}

// Write appends rows; it may be called with any number of rows.
func (w *multiRowWriter) Write(ctx context.Context, rows []Row) error {
	for len(rows) > 0 {
		n := min(len(rows), w.perStmt)
		w.args = w.args[:0]
		for _, r := range rows[:n] {
			if w.target.Line {
				w.args = append(w.args, r.Line)
			}
			w.args = append(w.args, r.Values...)
		}
		var res sql.Result
		var err error
		switch {
		case n == w.perStmt:
			res, err = w.stmt.ExecContext(ctx, w.args...)
		default:
			res, err = w.tx.Tx.Tx.ExecContext(ctx, w.insertSQL(n), w.args...)
		}
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				// A cancelled load closes the prepared statement under a
				// write in flight ("sql: statement is closed"): the
				// cancellation is what happened.
				err = cerr
			}
			return fmt.Errorf("insert into %s (lines %d-%d): %w", w.target.Table, rows[0].Line, rows[n-1].Line, err)
		}
		if !w.target.Line {
			a, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("insert into %s: rows affected: %w", w.target.Table, err)
			}
			w.affected += a
		}
		rows = rows[n:]
	}
	return nil
}

func (w *multiRowWriter) Affected() int64 { return w.affected }

// Abort closes the prepared statement.
func (w *multiRowWriter) Abort() { _ = w.Close() }

// Flush does nothing: every Write's statements have completed.
func (w *multiRowWriter) Flush() error { return nil }

func (w *multiRowWriter) Close() error {
	if w.stmt != nil {
		return w.stmt.Close()
	}
	return nil
}
