package models

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/stdlib"
)

// copyWriter appends rows with COPY … FROM STDIN in text form, one COPY
// streamed for as long as rows come (see stream), on the transaction's
// own connection. sluice writes the text itself: pgx's binary encoding
// planned and converted every value and took 40% of the import's CPU
// (profiled). Into a table that may hold a row's key already, it copies
// into a temporary table and merges that with one INSERT … ON CONFLICT
// when closed: a COPY cannot resolve conflicts, and one merge beats an
// upsert per batch.
type copyWriter struct {
	ctx    context.Context
	tx     *Tx
	target BulkTarget
	into   string // the table COPY writes: the target, or the merge table
	merge  string // the statement that merges into the target at Close
	types  []Type
	copy   string // the COPY statement
	buf    []byte
	stream *stream
	copied int64
	merged int64
}

func newCopyWriter(ctx context.Context, tx *Tx, t BulkTarget, d postgresDialect) (*copyWriter, error) {
	w := &copyWriter{ctx: ctx, tx: tx, target: t, into: t.Table}
	cols := quoteAll(t.Dataset.ColumnNames())
	if t.Line {
		cols = append([]string{"sluice_line"}, cols...)
		w.types = append(w.types, Integer)
	}
	for _, c := range t.Dataset.Columns {
		w.types = append(w.types, c.Type)
	}
	if t.Conflict != ConflictError && !t.Fresh {
		w.into = "sluice_direct_" + t.Dataset.Table
		if err := d.createTemp(ctx, tx, w.into, t.Dataset, false); err != nil {
			return nil, fmt.Errorf("create merge table: %w", err)
		}
		w.merge = upsertOnConflict(t.Dataset, w.into, t.Conflict == ConflictUpdate, d.distinct)
	}
	w.copy = fmt.Sprintf("COPY %s (%s) FROM STDIN", quoteIdent(w.into), strings.Join(cols, ", "))
	return w, nil
}

func (w *copyWriter) Write(ctx context.Context, rows []Row) error {
	if len(rows) == 0 {
		return nil
	}
	w.buf = w.buf[:0]
	for _, r := range rows {
		if w.target.Line {
			w.buf = strconv.AppendInt(w.buf, r.Line, 10)
			w.buf = append(w.buf, '\t')
		}
		for i, v := range r.Values {
			if i > 0 {
				w.buf = append(w.buf, '\t')
			}
			w.buf = appendTextValue(w.buf, w.types[len(w.types)-len(r.Values)+i], v, "+00")
		}
		w.buf = append(w.buf, '\n')
	}
	if w.stream == nil {
		w.stream = startStream(func(r io.Reader) (n int64, err error) {
			err = w.tx.raw(func(dc any) error {
				tag, err := dc.(*stdlib.Conn).Conn().PgConn().CopyFrom(ctx, r, w.copy)
				n = tag.RowsAffected()
				return err
			})
			return n, err
		})
	}
	if err := w.stream.write(w.buf, rows[0].Line, rows[len(rows)-1].Line); err != nil {
		return w.fail(ctx, err)
	}
	return nil
}

// Flush ends the COPY under way.
func (w *copyWriter) Flush() error {
	if w.stream == nil {
		return nil
	}
	r := w.stream.end()
	if r.err != nil {
		return w.fail(w.ctx, r.err)
	}
	w.copied += r.rows
	w.stream = nil
	return nil
}

// fail names the lines of a failed COPY, and the cancellation that made
// it fail if there was one: pgx then reports only a closed connection.
func (w *copyWriter) fail(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		err = cerr
	}
	return fmt.Errorf("copy into %s (%s): %w", w.target.Table, w.stream.lines(), err)
}

// Affected counts rows copied straight into the target, or what the
// merge wrote.
// Abort fails the statement under way, if any.
func (w *copyWriter) Abort() {
	if w.stream != nil {
		w.stream.abort()
	}
}

func (w *copyWriter) Affected() int64 {
	if w.merge != "" {
		return w.merged
	}
	return w.copied
}

func (w *copyWriter) Close() error {
	if err := w.Flush(); err != nil {
		return err
	}
	w.buf = nil
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
