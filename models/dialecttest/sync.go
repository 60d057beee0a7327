package dialecttest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/models"
)

// exerciseSyncCounts: a sync deletes the rows whose key is in none of the
// rows written directly, staged or given as rejected keys, and counts
// them; mark sets its column on them instead and a returning row's
// upsert clears it; a scope keeps the rest of the table out; a dry run
// counts and keeps nothing.
func exerciseSyncCounts(ctx context.Context, t *testing.T, s *suite) {
	db := s.open(ctx, t)
	ds := socks(db.Dialect, "socks")
	del := models.LoadSpec{Dataset: ds, Mode: models.ModeSync, Sync: &models.SyncSpec{Missing: models.MissingDelete}}
	steps := []struct {
		name               string
		spec               models.LoadSpec
		rows, staged, keys []models.Row
		want               models.Counts
	}{
		{"into the empty table", del,
			[]models.Row{sock(2, "A", "Argyle", 1, "1.00"), sock(3, "B", "Bamboo", 2, "2.50"), sock(4, "C", "Cable", 3, "3.00")},
			[]models.Row{sock(5, "D", "Dot", 4, "4.00"), sock(6, "E", "Eyelet", 5, "4.50")}, nil,
			models.Counts{Inserted: 5}},
		{"a dry run counts and keeps nothing", models.LoadSpec{Dataset: ds, Mode: models.ModeSync, DryRun: true, Sync: del.Sync},
			[]models.Row{sock(2, "A", "Argyle", 1, "1.00")}, nil, nil,
			models.Counts{Unchanged: 1, Deleted: 4}},
		{"B gone; C staged twice, D rejected, E direct", del,
			[]models.Row{sock(2, "A", "Argyle", 1, "1.00"), sock(5, "E", "Eyelet", 6, "4.50")},
			[]models.Row{sock(3, "C", "Cable", 3, "3.00"), sock(4, "C", "Cable", 3, "3.00")},
			[]models.Row{sock(6, "D", "", 0, "0")},
			models.Counts{Unchanged: 2, Updated: 1, Duplicates: 1, Deleted: 1}},
		{"scope: only A's name is this dump's", models.LoadSpec{Dataset: ds, Mode: models.ModeSync,
			Sync: &models.SyncSpec{Missing: models.MissingDelete, Scope: []models.ScopeValue{{Column: "name", Value: "Argyle"}}}},
			[]models.Row{sock(2, "F", "Argyle", 1, "1.00")}, nil, nil,
			models.Counts{Inserted: 1, Deleted: 1}},
	}
	for _, st := range steps {
		encode(t, db, st.spec.Dataset, st.rows)
		encode(t, db, st.spec.Dataset, st.staged)
		encode(t, db, st.spec.Dataset, st.keys)
		got := runLoad(ctx, t, db, st.spec, func(l *models.Load) ([]models.Row, []models.Row) {
			// The keys of rejected rows first: the load takes them in any
			// order with the rows.
			if err := l.WriteKeys(ctx, st.keys); err != nil {
				t.Fatalf("%s: WriteKeys: %v", st.name, err)
			}
			return st.rows, st.staged
		})
		if got != st.want {
			t.Errorf("%s: %+v, want %+v", st.name, got, st.want)
		}
	}
	want := [][]string{{"C", "Cable"}, {"D", "Dot"}, {"E", "Eyelet"}, {"F", "Argyle"}}
	if got := rows(ctx, t, db, `SELECT sku, name FROM socks ORDER BY sku`); !reflect.DeepEqual(got, want) {
		t.Errorf("socks = %v, want %v", got, want)
	}
	exerciseSyncMark(ctx, t, db)
}

// exerciseSyncMark: mark's column is set on the rows gone, at the time
// given, once; a row that comes back is cleared and counted as updated.
func exerciseSyncMark(ctx context.Context, t *testing.T, db *models.DB) {
	cols := append(socks(db.Dialect, "marked").Columns, models.Column{Name: "gone_at", Type: models.Timestamp})
	ds := models.NewDataset(db.Dialect, "marked", cols, []string{"sku"})
	ds.Mark = "gone_at"
	at := time.Date(2026, 10, 1, 3, 0, 0, 0, time.UTC)
	spec := models.LoadSpec{Dataset: ds, Mode: models.ModeSync, Sync: &models.SyncSpec{Missing: models.MissingMark, Column: "gone_at", At: at}}
	row := func(line int64, sku string) models.Row {
		r := sock(line, sku, "Sock "+sku, 1, "1.00")
		r.Values = append(r.Values, nil)
		return r
	}
	steps := []struct {
		name string
		rows []models.Row
		want models.Counts
	}{
		{"first", []models.Row{row(2, "A"), row(3, "B")}, models.Counts{Inserted: 2}},
		{"B gone: marked", []models.Row{row(2, "A")}, models.Counts{Unchanged: 1, Deleted: 1}},
		{"still gone: marked once", []models.Row{row(2, "A")}, models.Counts{Unchanged: 1}},
		{"B back: cleared", []models.Row{row(2, "A"), row(3, "B")}, models.Counts{Unchanged: 1, Updated: 1}},
	}
	for _, st := range steps {
		if got := load(ctx, t, db, spec, st.rows, nil); got != st.want {
			t.Errorf("mark, %s: %+v, want %+v", st.name, got, st.want)
		}
		if st.name == "B gone: marked" {
			var n int64
			if err := db.Bun.NewRaw(`SELECT count(*) FROM marked WHERE sku = 'B' AND gone_at IS NOT NULL`).Scan(ctx, &n); err != nil || n != 1 {
				t.Errorf("B marked: %d rows (%v), want 1", n, err)
			}
		}
	}
	if got := rows(ctx, t, db, `SELECT sku, gone_at FROM marked ORDER BY sku`); !reflect.DeepEqual(got, [][]string{{"A", "NULL"}, {"B", "NULL"}}) {
		t.Errorf("marked = %v, want nothing marked", got)
	}
}
