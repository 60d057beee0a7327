package models

import (
	"context"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/models/dbtest"
)

func TestAppendTextValue(t *testing.T) {
	t.Parallel()
	ts := time.Date(2026, 9, 30, 18, 0, 0, 123456000, time.FixedZone("CEST", 2*3600))
	tests := []struct {
		typ  Type
		v    any
		want string
	}{
		{Text, nil, `\N`},
		{Text, "plain", "plain"},
		{Text, "tab\there", `tab\there`},
		{Text, "line\nbreak\r\n", `line\nbreak\r\n`},
		{Text, `back\slash`, `back\\slash`},
		{Text, "nul\x00byte", `nul\0byte`},
		{Text, `\N`, `\\N`}, // the text \N, not NULL
		{Text, "Crème", "Crème"},
		{Integer, int64(-42), "-42"},
		{Real, 0.1, "0.1"},
		{Real, 1e21, "1e+21"},
		{Decimal, "-12.50", "-12.50"},
		{Boolean, true, "1"},
		{Boolean, false, "0"},
		{Date, time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), "2026-09-01"},
		{Timestamp, ts, "2026-09-30 16:00:00.123456"},
	}
	if got := string(appendTextValue(nil, Timestamp, ts, "+00")); got != "2026-09-30 16:00:00.123456+00" {
		t.Errorf("appendTextValue(timestamp, zone +00) = %q", got)
	}
	for _, tt := range tests {
		if got := string(appendTextValue(nil, tt.typ, tt.v, "")); got != tt.want {
			t.Errorf("appendTextValue(%s, %#v) = %q, want %q", tt.typ, tt.v, got, tt.want)
		}
	}
}

// TestMySQLBulkPaths loads the same two files through both MySQL bulk
// paths (LOAD DATA, and multi-row INSERT for servers with local_infile
// off) and requires the same counts.
func TestMySQLBulkPaths(t *testing.T) {
	t.Parallel()
	for _, loadData := range []bool{true, false} {
		name := map[bool]string{true: "load data", false: "insert"}[loadData]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, err := Open(ctx, dbtest.MySQL(t), "")
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			db.Dialect.(*mysqlDialect).loadData = loadData
			ds := NewDataset(db.Dialect, "socks", []Column{
				{Name: "sku", Type: Text, NotNull: true, Key: true},
				{Name: "note", Type: Text},
				{Name: "n", Type: Integer},
			}, []string{"sku"})
			if _, err := ensureTable(ctx, db.Bun, db.Dialect, ds); err != nil {
				t.Fatal(err)
			}
			row := func(line int64, sku, note string, n int64) Row {
				return Row{Line: line, Values: []any{sku, note, n}}
			}
			load := func(direct, staged []Row) Counts {
				t.Helper()
				l, err := Prepare(ctx, db, LoadSpec{Dataset: ds, Mode: ModeUpsert})
				if err != nil {
					t.Fatal(err)
				}
				defer l.Abort()
				if err := l.Start(ctx); err != nil {
					t.Fatal(err)
				}
				if err := l.Write(ctx, direct); err != nil {
					t.Fatal(err)
				}
				if len(staged) > 0 {
					if err := l.WriteStaged(ctx, staged); err != nil {
						t.Fatal(err)
					}
				}
				c, err := l.Finish(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if err := l.Commit(); err != nil {
					t.Fatal(err)
				}
				return c
			}
			first := load([]Row{row(2, "A", "tab\there", 1), row(3, "B", `back\slash`, 2)}, []Row{row(4, "C", "x", 3), row(5, "C", "last", 4)})
			if want := (Counts{Inserted: 3, Duplicates: 1}); first != want {
				t.Errorf("first load: %+v, want %+v", first, want)
			}
			second := load([]Row{row(2, "A", "tab\there", 1), row(3, "B", "changed", 2), row(4, "D", "new", 5)}, nil)
			if want := (Counts{Inserted: 1, Updated: 1, Unchanged: 1}); second != want {
				t.Errorf("second load: %+v, want %+v", second, want)
			}
			var notes []string
			if err := db.Bun.NewRaw(`SELECT note FROM socks ORDER BY sku`).Scan(ctx, &notes); err != nil {
				t.Fatal(err)
			}
			if want := []string{"tab\there", "changed", "last", "new"}; len(notes) != 4 || notes[0] != want[0] || notes[1] != want[1] || notes[2] != want[2] || notes[3] != want[3] {
				t.Errorf("notes = %q, want %q", notes, want)
			}
		})
	}
}
