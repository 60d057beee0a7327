package models

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// sqliteKeyWriter fills a sync's key table (see syncLoad) with each
// batch's keys as one JSON array, which json_each unpacks inside SQLite:
// one bound value a batch instead of one a key. A million keys went in in
// 0.20–0.22 s so, against 0.35–0.45 s bound 100 a statement (0.73 s with
// the line); the key table is a part of a sync the upsert alone does not
// pay for. Keys JSON cannot carry exactly (text that is not valid UTF-8
// or holds control characters, numbers other than int64) go bound, as
// before.
type sqliteKeyWriter struct {
	tx     *Tx
	target BulkTarget
	stmt   *sql.Stmt
	buf    []byte
	odd    []Row
	bound  *multiRowWriter // for the odd keys; made on first use
}

// maxKeyJSON bounds one statement's array, far below SQLite's limit on
// a value's length (SQLITE_MAX_LENGTH, 1e9 bytes by default).
const maxKeyJSON = 1 << 20

// newKeyWriter: the key table's sluice_line is its rowid, which SQLite
// numbers itself, and the sync never reads it, so only the key columns
// are written.
func (*sqliteDialect) newKeyWriter(ctx context.Context, tx *Tx, t BulkTarget) (BulkWriter, error) {
	t.Line = false
	cols := quoteAll(t.Dataset.ColumnNames())
	sel := "value"
	if len(cols) > 1 {
		parts := make([]string, len(cols))
		for i := range cols {
			parts[i] = fmt.Sprintf("json_extract(value, '$[%d]')", i)
		}
		sel = strings.Join(parts, ", ")
	}
	q := fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM json_each(?)", quoteIdent(t.Table), strings.Join(cols, ", "), sel)
	st, err := tx.PrepareContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("prepare key insert into %s: %w", t.Table, err)
	}
	return &sqliteKeyWriter{tx: tx, target: t, stmt: st}, nil
}

func (w *sqliteKeyWriter) Write(ctx context.Context, rows []Row) error {
	w.odd = w.odd[:0]
	for len(rows) > 0 {
		buf := append(w.buf[:0], '[')
		n := 0
		var first, last int64 // lines, for the error
		for len(rows) > 0 && len(buf) < maxKeyJSON {
			r := rows[0]
			rows = rows[1:]
			mark := len(buf)
			if n > 0 {
				buf = append(buf, ',')
			}
			var ok bool
			if buf, ok = appendJSONKey(buf, r.Values); !ok {
				buf = buf[:mark]
				w.odd = append(w.odd, r)
				continue
			}
			if n == 0 {
				first = r.Line
			}
			last = r.Line
			n++
		}
		w.buf = append(buf, ']')
		if n == 0 {
			continue
		}
		// A string, not the bytes: SQLite takes a blob for JSONB.
		if _, err := w.stmt.ExecContext(ctx, string(w.buf)); err != nil {
			if cerr := ctx.Err(); cerr != nil {
				err = cerr
			}
			return fmt.Errorf("insert the keys of lines %d-%d into %s: %w", first, last, w.target.Table, err)
		}
	}
	if len(w.odd) == 0 {
		return nil
	}
	if w.bound == nil {
		b, err := newMultiRowWriter(ctx, w.tx, w.target, "INSERT", "", rowsPerStatement, 32766)
		if err != nil {
			return err
		}
		w.bound = b
	}
	return w.bound.Write(ctx, w.odd)
}

// appendJSONKey appends a key's values as JSON: the value itself for a
// key of one column, an array for more; false if JSON cannot carry one of
// them exactly.
func appendJSONKey(buf []byte, vals []any) ([]byte, bool) {
	if len(vals) == 1 {
		return appendJSONValue(buf, vals[0])
	}
	buf = append(buf, '[')
	for i, v := range vals {
		if i > 0 {
			buf = append(buf, ',')
		}
		var ok bool
		if buf, ok = appendJSONValue(buf, v); !ok {
			return buf, false
		}
	}
	return append(buf, ']'), true
}

// appendJSONValue appends v as JSON that json_each turns back into the
// very value binding v stores: text byte for byte, an integer as an
// integer. Only '"' and '\' need escaping in valid UTF-8 without control
// characters; anything else is left to binding, as is the one int64 whose
// text SQLite might read as a float.
func appendJSONValue(buf []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case string:
		if !utf8.ValidString(x) {
			return buf, false
		}
		buf = append(buf, '"')
		start := 0
		for i := 0; i < len(x); i++ {
			switch c := x[i]; {
			case c < 0x20:
				return buf, false
			case c == '"' || c == '\\':
				buf = append(append(buf, x[start:i]...), '\\', c)
				start = i + 1
			}
		}
		return append(append(buf, x[start:]...), '"'), true
	case int64:
		if x == math.MinInt64 {
			return buf, false
		}
		return strconv.AppendInt(buf, x, 10), true
	}
	return buf, false
}

func (w *sqliteKeyWriter) Flush() error    { return nil }
func (w *sqliteKeyWriter) Affected() int64 { return 0 }
func (w *sqliteKeyWriter) Abort()          { _ = w.Close() }

func (w *sqliteKeyWriter) Close() error {
	err := w.stmt.Close()
	if w.bound != nil {
		if berr := w.bound.Close(); err == nil {
			err = berr
		}
	}
	return err
}
