package models

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// benchSQLiteRows is how many rows each write path below loads per
// iteration: enough for SQLite's B-tree costs to show as at 1M rows.
const benchSQLiteRows = 100_000

// sqliteWritePath loads rows (encoded for the driver) into ds's empty
// table inside tx and returns the time that counts.
type sqliteWritePath func(ctx context.Context, tx *Tx, ds *Dataset, rows []Row) (time.Duration, error)

// BenchmarkSQLiteWritePaths loads the same socks rows into an empty keyed
// table by each way the driver can take them, in whichever SQLite driver
// this build has (with cgo: mattn; CGO_ENABLED=0: modernc). "engine" is
// SQLite alone: INSERT … SELECT from a filled temporary table, timed by
// itself, with no driver call per value: the floor any path through the
// driver can reach. BENCHMARKS.md compares them:
//
//	go test -run '^$' -bench SQLiteWritePaths ./models/
//	CGO_ENABLED=0 go test -run '^$' -bench SQLiteWritePaths ./models/
func BenchmarkSQLiteWritePaths(b *testing.B) {
	ctx := context.Background()
	cols := []Column{
		{Name: "sku", Type: Text, NotNull: true}, {Name: "name", Type: Text}, {Name: "style", Type: Text},
		{Name: "size", Type: Text}, {Name: "colour", Type: Text}, {Name: "price", Type: Decimal, Precision: 10, Scale: 2},
		{Name: "quantity", Type: Integer}, {Name: "in_stock", Type: Boolean}, {Name: "updated_on", Type: Date},
	}
	day := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	rows := make([]Row, benchSQLiteRows)
	for i := range rows {
		rows[i] = Row{Line: int64(i + 2), Values: []any{
			fmt.Sprintf("SK-%07d", (i*7919)%benchSQLiteRows), "Office Herringbone", "crew", "M", "Multicolour",
			fmt.Sprintf("%d.%02d", 5+i%40, i%100), int64(i % 500), i%3 != 0, day,
		}}
	}
	for _, p := range []struct {
		name string
		load sqliteWritePath
	}{
		{"inline-100", inlinePath(100)},
		{"bound-100", multiRowPath(100)},
		{"bound-500", multiRowPath(500)},
		{"bound-1", multiRowPath(1)},
		{"json_each-1000", jsonEachPath(1000)},
		{"engine", enginePath},
	} {
		b.Run(p.name, func(b *testing.B) {
			dir := b.TempDir()
			var elapsed time.Duration
			for i := range b.N {
				d, err := p.load.load1(ctx, dir, i, cols, rows)
				if err != nil {
					b.Fatal(err)
				}
				elapsed += d
			}
			b.ReportMetric(float64(benchSQLiteRows*b.N)/elapsed.Seconds(), "rows/s")
		})
	}
}

// load1 runs one iteration of a write path on a new database file.
func (p sqliteWritePath) load1(ctx context.Context, dir string, i int, cols []Column, rows []Row) (time.Duration, error) {
	db, err := Open(ctx, "sqlite:///"+filepath.Join(dir, fmt.Sprintf("bench-%d.db", i)), dir)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	ds := NewDataset(db.Dialect, "socks", cols, []string{"sku"})
	if _, err := ensureTable(ctx, db.Bun, db.Dialect, ds); err != nil {
		return 0, err
	}
	encoded := make([]Row, len(rows))
	for r, row := range rows {
		vals := make([]any, len(row.Values))
		for c, v := range row.Values {
			if vals[c], err = db.Dialect.Encode(ds.Columns[c], v); err != nil {
				return 0, err
			}
		}
		encoded[r] = Row{Line: row.Line, Values: vals}
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	start := time.Now()
	d, err := p(ctx, tx, ds, encoded)
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	if d == 0 { // the whole load counts, commit included
		d = time.Since(start)
	}
	return d, nil
}

// multiRowPath is sluice's writer: INSERT … VALUES of perStmt rows, the
// values bound to a statement prepared once.
func multiRowPath(perStmt int) sqliteWritePath {
	return func(ctx context.Context, tx *Tx, ds *Dataset, rows []Row) (time.Duration, error) {
		return 0, writeAll(ctx, tx, BulkTarget{Table: ds.Table, Dataset: ds, Fresh: true}, perStmt, rows)
	}
}

// inlinePath is the pure-Go driver's path until c2a8331: the same
// statements, the values formatted into the SQL text by Bun.
func inlinePath(perStmt int) sqliteWritePath {
	return func(ctx context.Context, tx *Tx, ds *Dataset, rows []Row) (time.Duration, error) {
		w := &multiRowWriter{verb: "INSERT", target: BulkTarget{Table: ds.Table, Dataset: ds}}
		var args []any
		for len(rows) > 0 {
			n := min(len(rows), perStmt)
			args = args[:0]
			for _, r := range rows[:n] {
				args = append(args, r.Values...)
			}
			if _, err := tx.ExecContext(ctx, w.insertSQL(n), args...); err != nil {
				return 0, err
			}
			rows = rows[n:]
		}
		return 0, nil
	}
}

func writeAll(ctx context.Context, tx *Tx, t BulkTarget, perStmt int, rows []Row) error {
	w, err := newMultiRowWriter(ctx, tx, t, "INSERT", "", perStmt, 32766)
	if err != nil {
		return err
	}
	if err := w.Write(ctx, rows); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// jsonEachPath binds one JSON array of batch rows a statement and lets
// SQLite take it apart: one driver call a batch instead of one a value.
func jsonEachPath(batch int) sqliteWritePath {
	return func(ctx context.Context, tx *Tx, ds *Dataset, rows []Row) (time.Duration, error) {
		names := ds.ColumnNames()
		sel := make([]string, len(names))
		for i := range names {
			sel[i] = fmt.Sprintf("value->>%d", i)
		}
		st, err := tx.PrepareContext(ctx, fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM json_each(?)",
			quoteIdent(ds.Table), strings.Join(quoteAll(names), ", "), strings.Join(sel, ", ")))
		if err != nil {
			return 0, err
		}
		defer st.Close()
		vals := make([][]any, 0, batch)
		for len(rows) > 0 {
			n := min(batch, len(rows))
			vals = vals[:0]
			for _, r := range rows[:n] {
				vals = append(vals, r.Values)
			}
			doc, err := json.Marshal(vals)
			if err != nil {
				return 0, err
			}
			if _, err := st.ExecContext(ctx, string(doc)); err != nil {
				return 0, err
			}
			rows = rows[n:]
		}
		return 0, nil
	}
}

// enginePath fills a temporary table, untimed, then times INSERT …
// SELECT from it into the table alone.
func enginePath(ctx context.Context, tx *Tx, ds *Dataset, rows []Row) (time.Duration, error) {
	names := strings.Join(quoteAll(ds.ColumnNames()), ", ")
	if _, err := tx.ExecContext(ctx, "CREATE TEMP TABLE bench_stage AS SELECT "+names+" FROM "+quoteIdent(ds.Table)+" LIMIT 0"); err != nil {
		return 0, err
	}
	if err := writeAll(ctx, tx, BulkTarget{Table: "bench_stage", Dataset: ds, Fresh: true}, 100, rows); err != nil {
		return 0, err
	}
	start := time.Now()
	_, err := tx.ExecContext(ctx, "INSERT INTO "+quoteIdent(ds.Table)+" ("+names+") SELECT "+names+" FROM bench_stage")
	return time.Since(start), err
}
