package models

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
)

// multiRowWriter appends rows with multi-row INSERT statements of a fixed
// number of rows, the portable bulk path. The full-size statement is
// prepared once; the short tail uses a one-off statement.
type multiRowWriter struct {
	tx      bun.Tx
	stage   string
	ds      *Dataset
	value   func(Type, any) any
	inline  bool // let Bun format values into the SQL text instead of binding
	perStmt int  // rows per statement
	stmt    *sql.Stmt
	args    []any
}

// newMultiRowWriter sizes statements to stay under maxParams bind
// parameters (SQLite's historic limit is 999, MySQL's 65535).
func newMultiRowWriter(ctx context.Context, tx bun.Tx, stage string, ds *Dataset, value func(Type, any) any, inline bool, maxParams int) (*multiRowWriter, error) {
	width := len(ds.Columns) + 1
	w := &multiRowWriter{
		tx: tx, stage: stage, ds: ds, value: value, inline: inline,
		perStmt: max(1, min(500, maxParams/width)),
	}
	if !inline {
		st, err := tx.PrepareContext(ctx, w.insertSQL(w.perStmt))
		if err != nil {
			return nil, fmt.Errorf("prepare bulk insert into %s: %w", stage, err)
		}
		w.stmt = st
	}
	return w, nil
}

func (w *multiRowWriter) insertSQL(rows int) string {
	width := len(w.ds.Columns) + 1
	var b strings.Builder
	b.Grow(64 + rows*width*2)
	fmt.Fprintf(&b, "INSERT INTO %s VALUES ", quoteIdent(w.stage))
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
	return b.String()
}

// Write appends rows; it may be called with any number of rows.
func (w *multiRowWriter) Write(ctx context.Context, rows []Row) error {
	for len(rows) > 0 {
		n := min(len(rows), w.perStmt)
		w.args = w.args[:0]
		for _, r := range rows[:n] {
			w.args = append(w.args, r.Line)
			for i, v := range r.Values {
				w.args = append(w.args, w.value(w.ds.Columns[i].Type, v))
			}
		}
		var err error
		switch {
		case w.inline:
			_, err = w.tx.ExecContext(ctx, w.insertSQL(n), w.args...)
		case n == w.perStmt:
			_, err = w.stmt.ExecContext(ctx, w.args...)
		default:
			_, err = w.tx.Tx.ExecContext(ctx, w.insertSQL(n), w.args...)
		}
		if err != nil {
			return fmt.Errorf("insert into staging table (lines %d-%d): %w", rows[0].Line, rows[n-1].Line, err)
		}
		rows = rows[n:]
	}
	return nil
}

func (w *multiRowWriter) Close() error {
	if w.stmt != nil {
		return w.stmt.Close()
	}
	return nil
}
