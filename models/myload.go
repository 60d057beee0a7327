package models

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// loadDataWriter appends rows with LOAD DATA LOCAL INFILE, one statement
// streamed for as long as rows come (see stream), through go-sql-driver's
// reader handlers. As on PostgreSQL, rows for a table that may hold their
// key already go to a temporary table, merged with one INSERT … ON
// DUPLICATE KEY UPDATE when the writer closes.
type loadDataWriter struct {
	ctx    context.Context
	tx     *Tx
	target BulkTarget
	into   string
	merge  string
	types  []Type
	load   string // the LOAD DATA statement
	reader string // the handler's name
	pipe   io.Reader
	buf    []byte
	stream *stream
	loaded int64
	merged int64
}

func newLoadDataWriter(ctx context.Context, tx *Tx, t BulkTarget) (*loadDataWriter, error) {
	w := &loadDataWriter{ctx: ctx, tx: tx, target: t, into: t.Table}
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
		if err := createLike(ctx, tx, w.into, t.Dataset, false); err != nil {
			return nil, fmt.Errorf("create merge table: %w", err)
		}
		w.merge = fmt.Sprintf("INSERT INTO %s (%[2]s) SELECT %[2]s FROM %s %s", quoteIdent(t.Dataset.Table),
			strings.Join(quoteAll(t.Dataset.ColumnNames()), ", "), quoteIdent(w.into), onDuplicateKey(t.Dataset, t.Conflict == ConflictUpdate))
	}
	// A name only this writer uses: handlers are registered driver-wide.
	// The handler runs on the stream's goroutine, after w.pipe is set.
	w.reader = fmt.Sprintf("sluice-%p", w)
	mysql.RegisterReaderHandler(w.reader, func() io.Reader { return w.pipe })
	w.load = fmt.Sprintf(`LOAD DATA LOCAL INFILE 'Reader::%s' INTO TABLE %s CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n' (%s)`,
		w.reader, quoteIdent(w.into), strings.Join(cols, ", "))
	return w, nil
}

func (w *loadDataWriter) Write(ctx context.Context, rows []Row) error {
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
			w.buf = appendTextValue(w.buf, w.types[len(w.types)-len(r.Values)+i], v, "")
		}
		w.buf = append(w.buf, '\n')
	}
	if w.stream == nil {
		w.stream = startStream(func(r io.Reader) (int64, error) {
			w.pipe = r
			// LOAD DATA cannot be prepared; database/sql's own transaction
			// keeps Bun from reading the statement's backslashes.
			res, err := w.tx.Tx.Tx.ExecContext(ctx, w.load)
			if err != nil {
				return 0, err
			}
			return res.RowsAffected()
		})
	}
	if err := w.stream.write(w.buf, rows[0].Line, rows[len(rows)-1].Line); err != nil {
		return w.fail(ctx, err)
	}
	return nil
}

// Flush ends the LOAD DATA under way and fails on any warning it left.
func (w *loadDataWriter) Flush() error {
	if w.stream == nil {
		return nil
	}
	r := w.stream.end()
	err := r.err
	if err == nil {
		err = w.warnings(w.ctx)
	}
	if err != nil {
		return w.fail(w.ctx, err)
	}
	w.loaded += r.rows
	w.stream = nil
	return nil
}

// fail names the lines of a failed load, and the cancellation that made
// it fail if there was one.
func (w *loadDataWriter) fail(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		err = cerr
	}
	return fmt.Errorf("load data into %s (%s): %w", w.target.Table, w.stream.lines(), err)
}

// warnings fails the load if MySQL warned: with LOCAL, it turns errors a
// strict INSERT would raise (a duplicate key, a value that does not fit)
// into warnings and carries on.
func (w *loadDataWriter) warnings(ctx context.Context) error {
	var n int64
	if err := w.tx.Tx.Tx.QueryRowContext(ctx, "SELECT @@warning_count").Scan(&n); err != nil || n == 0 {
		return err
	}
	var level, message string
	var code int
	if err := w.tx.Tx.Tx.QueryRowContext(ctx, "SHOW WARNINGS LIMIT 1").Scan(&level, &code, &message); err != nil {
		return fmt.Errorf("%d warnings (SHOW WARNINGS: %w)", n, err)
	}
	return fmt.Errorf("%d warning(s), the first: %s %d: %s", n, level, code, message)
}

// Abort fails the statement under way, if any.
func (w *loadDataWriter) Abort() {
	if w.stream != nil {
		w.stream.abort()
	}
	mysql.DeregisterReaderHandler(w.reader)
}

func (w *loadDataWriter) Affected() int64 {
	if w.merge != "" {
		return w.merged
	}
	return w.loaded
}

func (w *loadDataWriter) Close() error {
	err := w.Flush()
	mysql.DeregisterReaderHandler(w.reader)
	if err != nil {
		return err
	}
	w.buf = nil
	if w.merge == "" || w.loaded == 0 {
		return nil
	}
	n, err := execAffected(w.ctx, w.tx, w.merge)
	if err != nil {
		return fmt.Errorf("merge into %s: %w", w.target.Table, err)
	}
	w.merged = n
	if _, err := w.tx.ExecContext(w.ctx, "DROP TEMPORARY TABLE "+quoteIdent(w.into)); err != nil {
		return fmt.Errorf("drop merge table: %w", err)
	}
	return nil
}

// createLike creates a temporary table with the columns of ds as the
// target table has them, collations included (CREATE … SELECT copies
// them), and a leading line column if line is set. Only TEMPORARY tables
// can be created without committing the transaction.
func createLike(ctx context.Context, tx *Tx, name string, ds *Dataset, line bool) error {
	if _, err := tx.ExecContext(ctx, "DROP TEMPORARY TABLE IF EXISTS "+quoteIdent(name)); err != nil {
		return err
	}
	lineCol := ""
	if line {
		lineCol = "(sluice_line BIGINT NOT NULL DEFAULT 0 PRIMARY KEY) "
	}
	_, err := tx.ExecContext(ctx, fmt.Sprintf("CREATE TEMPORARY TABLE %s %sSELECT %s FROM %s LIMIT 0",
		quoteIdent(name), lineCol, strings.Join(quoteAll(ds.ColumnNames()), ", "), quoteIdent(ds.Table)))
	return err
}
