package models

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// TestSQLiteKeyWriter: keys go into a sync's key table as they would
// bound, byte for byte and of the same storage class, whether JSON
// carries them or they fall back to binding; batches longer than one
// array are split.
func TestSQLiteKeyWriter(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", maxKeyJSON/3)
	tests := []struct {
		name  string
		cols  []Column
		keys  [][]any
		bound bool // some keys go bound
	}{
		{"plain text", []Column{{Name: "sku", Type: Text}},
			[][]any{{"SK-001"}, {""}, {"Crème Brûlée"}, {"日本語"}, {"emoji 🧦"}}, false},
		{"text JSON escapes", []Column{{Name: "sku", Type: Text}},
			[][]any{{`say "hi"`}, {`back\slash`}, {`\u0041`}, {`\"`}, {"/"}, {"\x7f"}}, false},
		{"text JSON cannot carry", []Column{{Name: "sku", Type: Text}},
			[][]any{{"tab\there"}, {"new\nline"}, {"nul\x00byte"}, {"bad \xff utf-8"}, {"fine"}}, true},
		{"integers", []Column{{Name: "id", Type: Integer}},
			[][]any{{int64(0)}, {int64(-1)}, {int64(math.MaxInt64)}, {int64(math.MinInt64)}, {int64(math.MinInt64 + 1)}, {int64(1) << 53}}, true},
		{"integers in a text column", []Column{{Name: "sku", Type: Text}},
			[][]any{{int64(7)}, {"007"}, {"7"}}, false},
		{"composite", []Column{{Name: "region", Type: Text}, {Name: "n", Type: Integer}},
			[][]any{{"EU", int64(1)}, {`"US"`, int64(-2)}, {"A\tB", int64(3)}, {"EU", int64(math.MinInt64)}}, true},
		{"longer than one array", []Column{{Name: "sku", Type: Text}},
			[][]any{{long + "1"}, {long + "2"}, {long + "3"}, {long + "4"}, {"short"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := openTempDB(t)
			var key []string
			for _, c := range tt.cols {
				key = append(key, c.Name)
			}
			ds := NewDataset(db.Dialect, "items", tt.cols, key)
			tx, err := db.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			d := db.Dialect.(*sqliteDialect)
			// What binding stores, read back the same way as the JSON's.
			want := keyTableRows(ctx, t, tx, d, ds, "bound", tt.keys, func(t BulkTarget) (BulkWriter, error) {
				t.Line = false
				return newMultiRowWriter(ctx, tx, t, "INSERT", "", rowsPerStatement, 32766)
			})
			var kw *sqliteKeyWriter
			got := keyTableRows(ctx, t, tx, d, ds, "json", tt.keys, func(t BulkTarget) (BulkWriter, error) {
				w, err := d.newKeyWriter(ctx, tx, t)
				kw, _ = w.(*sqliteKeyWriter)
				return w, err
			})
			if kw == nil {
				t.Fatal("the SQLite key writer is not the JSON one")
			}
			if bound := kw.bound != nil; bound != tt.bound {
				t.Errorf("some keys bound: %v, want %v", bound, tt.bound)
			}
			if !slices.Equal(got, want) {
				t.Errorf("key table through JSON:\n%q\nbound:\n%q", got, want)
			}
			if len(got) != len(tt.keys) {
				t.Errorf("%d keys in the table, want %d", len(got), len(tt.keys))
			}
		})
	}
}

// keyTableRows writes keys into a new key table through the writer made
// by newWriter and returns its rows as "typeof:hex(value)" per column, in
// the order written.
func keyTableRows(ctx context.Context, t *testing.T, tx *Tx, d *sqliteDialect, ds *Dataset, name string, keys [][]any, newWriter func(BulkTarget) (BulkWriter, error)) []string {
	t.Helper()
	table := "sluice_keys_" + name
	if err := d.CreateStage(ctx, tx, table, ds); err != nil {
		t.Fatal(err)
	}
	w, err := newWriter(BulkTarget{Table: table, Dataset: ds, Line: true})
	if err != nil {
		t.Fatal(err)
	}
	rows := make([]Row, len(keys))
	for i, k := range keys {
		rows[i] = Row{Line: int64(i + 2), Values: k}
	}
	// Two writes: the writer is reused across batches.
	if err := w.Write(ctx, rows[:1]); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(ctx, rows[1:]); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, k := range ds.Key {
		cols = append(cols, fmt.Sprintf("typeof(%[1]s) || ':' || hex(%[1]s)", quoteIdent(k)))
	}
	var out []string
	q := fmt.Sprintf("SELECT %s FROM %s", strings.Join(cols, " || ' ' || "), quoteIdent(table))
	if err := tx.NewRaw(q).Scan(ctx, &out); err != nil {
		t.Fatal(err)
	}
	// The JSON writer sends keys it cannot carry after the batch's
	// others: the set is what counts, not the order.
	slices.Sort(out)
	return out
}
