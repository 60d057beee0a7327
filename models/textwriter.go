package models

import (
	"context"
	"fmt"
	"io"
	"strconv"
)

// textWriter is the bulk path PostgreSQL's COPY and MySQL's LOAD DATA
// share: rows written as tab-separated text (appendTextValue) into one
// statement streamed for as long as rows come (see stream). Into a table
// that may hold a row's key already, it writes a temporary merge table
// instead and merges that into the target with one statement at Close: a
// bulk load cannot resolve conflicts, and one merge beats an upsert per
// batch.
type textWriter struct {
	ctx    context.Context
	tx     *Tx
	target BulkTarget
	what   string // "copy" or "load data", for messages
	zone   string // appended to timestamps: "+00", or "" for MySQL's DATETIME
	types  []Type
	// exec runs the bulk statement reading r and returns the rows it wrote.
	exec func(ctx context.Context, r io.Reader) (int64, error)
	// check, if set, runs after each statement (MySQL's warnings).
	check func(ctx context.Context) error
	// merge and drop merge the merge table into the target and drop it;
	// empty when rows go straight into the target.
	merge []string
	drop  string
	kept  string // the merge table, left for a sync (BulkTarget.Keep)

	buf     []byte
	stream  *stream
	written int64
	merged  int64
}

// columns returns the column list of the bulk statement and fills types.
func (w *textWriter) columns() []string {
	cols := quoteAll(w.target.Dataset.ColumnNames())
	if w.target.Line {
		cols = append([]string{"sluice_line"}, cols...)
		w.types = append(w.types, Integer)
	}
	for _, c := range w.target.Dataset.Columns {
		w.types = append(w.types, c.Type)
	}
	return cols
}

// direct reports whether rows go straight into the target.
func (w *textWriter) direct() bool { return w.target.Line || w.target.Fresh }

func (w *textWriter) Write(ctx context.Context, rows []Row) error {
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
			w.buf = appendTextValue(w.buf, w.types[len(w.types)-len(r.Values)+i], v, w.zone)
		}
		w.buf = append(w.buf, '\n')
	}
	if w.stream == nil {
		w.stream = startStream(func(r io.Reader) (int64, error) { return w.exec(ctx, r) })
	}
	if err := w.stream.write(w.buf, rows[0].Line, rows[len(rows)-1].Line); err != nil {
		return w.fail(ctx, err)
	}
	return nil
}

// Flush ends the statement under way.
func (w *textWriter) Flush() error {
	if w.stream == nil {
		return nil
	}
	r := w.stream.end()
	err := r.err
	if err == nil && w.check != nil {
		err = w.check(w.ctx)
	}
	if err != nil {
		return w.fail(w.ctx, err)
	}
	w.written += r.rows
	w.stream = nil
	return nil
}

// fail names the lines of a failed statement, and the cancellation that
// made it fail if there was one: the drivers then report only a closed
// connection.
func (w *textWriter) fail(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		err = cerr
	}
	return fmt.Errorf("%s into %s (%s): %w", w.what, w.target.Table, w.stream.lines(), err)
}

// Abort fails the statement under way, if any.
func (w *textWriter) Abort() {
	if w.stream != nil {
		w.stream.abort()
	}
}

// Affected counts rows written straight into the target, or what the
// merge wrote.
func (w *textWriter) Affected() int64 {
	if w.merge != nil {
		return w.merged
	}
	return w.written
}

func (w *textWriter) Close() error {
	if err := w.Flush(); err != nil {
		return err
	}
	w.buf = nil
	if w.merge == nil || w.written == 0 {
		return nil
	}
	n, err := execAll(w.ctx, w.tx, w.merge)
	if err != nil {
		return fmt.Errorf("merge into %s: %w", w.target.Table, err)
	}
	w.merged = n
	if w.drop == "" {
		return nil
	}
	if _, err := w.tx.ExecContext(w.ctx, w.drop); err != nil {
		return fmt.Errorf("drop merge table: %w", err)
	}
	return nil
}

func (w *textWriter) keptTable() string { return w.kept }
