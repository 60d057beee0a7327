package models

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// loadDataWriter appends rows with LOAD DATA LOCAL INFILE, one statement
// per batch, streamed from memory through go-sql-driver's reader
// handlers. As on PostgreSQL, rows for a table that may hold their key
// already go to a temporary table, merged with one INSERT … ON DUPLICATE
// KEY UPDATE when the writer closes.
type loadDataWriter struct {
	ctx    context.Context
	tx     *Tx
	target BulkTarget
	into   string
	merge  string
	types  []Type
	load   string // the LOAD DATA statement
	reader string // the handler's name
	buf    bytes.Buffer
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
	w.reader = fmt.Sprintf("sluice-%p", w)
	mysql.RegisterReaderHandler(w.reader, func() io.Reader { return bytes.NewReader(w.buf.Bytes()) })
	w.load = fmt.Sprintf(`LOAD DATA LOCAL INFILE 'Reader::%s' INTO TABLE %s CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n' (%s)`,
		w.reader, quoteIdent(w.into), strings.Join(cols, ", "))
	return w, nil
}

func (w *loadDataWriter) Write(ctx context.Context, rows []Row) error {
	if len(rows) == 0 {
		return nil
	}
	w.buf.Reset()
	var b []byte
	for _, r := range rows {
		b = b[:0]
		vals := r.Values
		if w.target.Line {
			b = strconv.AppendInt(b, r.Line, 10)
			b = append(b, '\t')
		}
		for i, v := range vals {
			if i > 0 {
				b = append(b, '\t')
			}
			b = appendLoadValue(b, w.types[len(w.types)-len(vals)+i], v)
		}
		b = append(b, '\n')
		w.buf.Write(b)
	}
	// LOAD DATA cannot be prepared; database/sql's own transaction keeps
	// Bun from reading the statement's backslashes.
	res, err := w.tx.Tx.Tx.ExecContext(ctx, w.load)
	if err == nil {
		err = w.warnings(ctx)
	}
	if cerr := ctx.Err(); err != nil && cerr != nil {
		err = cerr // the connection was closed because of it
	}
	if err != nil {
		return fmt.Errorf("load data into %s (lines %d-%d): %w", w.target.Table, rows[0].Line, rows[len(rows)-1].Line, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	w.loaded += n
	return nil
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

// appendLoadValue writes v as LOAD DATA reads it with ESCAPED BY '\\'.
func appendLoadValue(b []byte, t Type, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, `\N`...)
	case string:
		for i := 0; i < len(x); i++ {
			switch c := x[i]; c {
			case '\\':
				b = append(b, `\\`...)
			case '\t':
				b = append(b, `\t`...)
			case '\n':
				b = append(b, `\n`...)
			case '\r':
				b = append(b, `\r`...)
			case 0:
				b = append(b, `\0`...)
			default:
				b = append(b, c)
			}
		}
		return b
	case int64:
		return strconv.AppendInt(b, x, 10)
	case float64:
		return strconv.AppendFloat(b, x, 'g', -1, 64)
	case bool:
		if x {
			return append(b, '1')
		}
		return append(b, '0')
	case time.Time:
		if t == Date {
			return x.AppendFormat(b, time.DateOnly)
		}
		return x.UTC().AppendFormat(b, "2006-01-02 15:04:05.000000")
	}
	return fmt.Append(b, v)
}

func (w *loadDataWriter) Affected() int64 {
	if w.merge != "" {
		return w.merged
	}
	return w.loaded
}

func (w *loadDataWriter) Close() error {
	mysql.DeregisterReaderHandler(w.reader)
	w.buf = bytes.Buffer{}
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
