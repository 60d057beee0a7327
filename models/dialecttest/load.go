package dialecttest

import (
	"context"
	"reflect"
	"testing"

	"github.com/sluice-dev/sluice/models"
)

// socks is the dataset most cases load: a text key and a value of
// three types.
func socks(d models.Dialect, table string) *models.Dataset {
	return models.NewDataset(d, table, []models.Column{
		{Name: "sku", Type: models.Text, NotNull: true, Key: true},
		{Name: "name", Type: models.Text},
		{Name: "qty", Type: models.Integer},
		{Name: "price", Type: models.Decimal, Precision: 10, Scale: 2},
	}, []string{"sku"})
}

// sock is one socks row from source line line.
func sock(line int64, sku, name string, qty int64, price string) models.Row {
	return models.Row{Line: line, Values: []any{sku, name, qty, price}}
}

// encode encodes rows' values for db, as the importer does while parsing.
func encode(t *testing.T, db *models.DB, ds *models.Dataset, rows []models.Row) {
	t.Helper()
	for _, r := range rows {
		for i, v := range r.Values {
			if v == nil {
				continue
			}
			e, err := db.Dialect.Encode(ds.Columns[i], v)
			if err != nil {
				t.Fatalf("Encode(%s, %#v): %v", ds.Columns[i].Name, v, err)
			}
			r.Values[i] = e
		}
	}
}

// load loads rows (keys unique in the file) and staged rows (keys that
// may repeat) into ds in one transaction, as the importer does, and
// returns the counts.
func load(ctx context.Context, t *testing.T, db *models.DB, spec models.LoadSpec, rows, staged []models.Row) models.Counts {
	t.Helper()
	encode(t, db, spec.Dataset, rows)
	encode(t, db, spec.Dataset, staged)
	return runLoad(ctx, t, db, spec, func(*models.Load) ([]models.Row, []models.Row) { return rows, staged })
}

// loadFile loads a file's rows as the importer does: into the table
// directly, but for rows whose key (as the load's KeyFold folds it)
// occurs more than once, and all rows when it cannot fold.
func loadFile(ctx context.Context, t *testing.T, db *models.DB, spec models.LoadSpec, file []models.Row) models.Counts {
	t.Helper()
	c, _ := loadFileFolded(ctx, t, db, spec, file)
	return c
}

// loadFileFolded is loadFile, and also returns the lines the load says
// the table's collation folded together.
func loadFileFolded(ctx context.Context, t *testing.T, db *models.DB, spec models.LoadSpec, file []models.Row) (models.Counts, []models.Folded) {
	t.Helper()
	encode(t, db, spec.Dataset, file)
	return runLoadFolded(ctx, t, db, spec, func(l *models.Load) (direct, staged []models.Row) {
		fold := l.KeyFold()
		if fold == nil {
			return nil, file
		}
		seen := map[string]int{}
		key := func(r models.Row) string { return fold(r.Values[0].(string)) }
		for _, r := range file {
			seen[key(r)]++
		}
		for _, r := range file {
			if seen[key(r)] == 1 {
				direct = append(direct, r)
			} else {
				staged = append(staged, r)
			}
		}
		return direct, staged
	})
}

// runLoad prepares and starts a load of spec, writes the rows split
// gives it (directly, then staged), finishes and commits it.
func runLoad(ctx context.Context, t *testing.T, db *models.DB, spec models.LoadSpec, split func(*models.Load) (direct, staged []models.Row)) models.Counts {
	t.Helper()
	c, _ := runLoadFolded(ctx, t, db, spec, split)
	return c
}

func runLoadFolded(ctx context.Context, t *testing.T, db *models.DB, spec models.LoadSpec, split func(*models.Load) (direct, staged []models.Row)) (models.Counts, []models.Folded) {
	t.Helper()
	l, err := models.Prepare(ctx, db, spec)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	defer l.Abort()
	if err := l.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	direct, staged := split(l)
	if len(direct) > 0 {
		if err := l.Write(ctx, direct); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	if len(staged) > 0 {
		if err := l.WriteStaged(ctx, staged); err != nil {
			t.Fatalf("WriteStaged: %v", err)
		}
	}
	c, err := l.Finish(ctx)
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	if err := l.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return c, l.Folded()
}

// rows reads query's rows as text.
func rows(ctx context.Context, t *testing.T, db *models.DB, query string) [][]string {
	t.Helper()
	rs, err := db.Bun.QueryContext(ctx, query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for rs.Next() {
		vals := make([]*string, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = "NULL"
			if v != nil {
				row[i] = *v
			}
		}
		out = append(out, row)
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// exerciseLoadCounts: every key a load meets lands in exactly one of
// inserted, updated and unchanged, and earlier occurrences of a key
// repeated in the file are duplicates; in either mode, on either write
// path, into an empty table or not. A dry run leaves nothing behind.
func exerciseLoadCounts(ctx context.Context, t *testing.T, s *suite) {
	db := s.open(ctx, t)
	ds := socks(db.Dialect, "socks")
	upsert := models.LoadSpec{Dataset: ds, Mode: models.ModeUpsert}
	steps := []struct {
		name         string
		spec         models.LoadSpec
		rows, staged []models.Row
		want         models.Counts
	}{
		{"into the empty table", upsert,
			[]models.Row{sock(2, "A", "Argyle", 1, "1.00"), sock(3, "B", "Bamboo", 2, "2.50"), sock(4, "C", "Cable", 3, "3.00")},
			[]models.Row{sock(5, "D", "Dot", 4, "4.00"), sock(6, "D", "Dotted", 5, "4.50")},
			models.Counts{Inserted: 4, Duplicates: 1}},
		{"next month, upsert", upsert,
			[]models.Row{sock(2, "A", "Argyle", 1, "1.00"), sock(3, "B", "Bamboo", 20, "2.50")},
			[]models.Row{sock(4, "E", "Eyelet", 6, "6.00"), sock(5, "E", "Eyelet", 7, "6.00")},
			models.Counts{Inserted: 1, Updated: 1, Unchanged: 1, Duplicates: 1}},
		{"insert-new leaves rows alone", models.LoadSpec{Dataset: ds, Mode: models.ModeInsertNew},
			[]models.Row{sock(2, "A", "Changed", 9, "9.00"), sock(3, "F", "Fleece", 8, "8.00")}, nil,
			models.Counts{Inserted: 1, Unchanged: 1}},
		{"a dry run counts and keeps nothing", models.LoadSpec{Dataset: ds, Mode: models.ModeUpsert, DryRun: true},
			[]models.Row{sock(2, "A", "Dry", 1, "1.00"), sock(3, "G", "Gone", 1, "1.00")}, nil,
			models.Counts{Inserted: 1, Updated: 1}},
	}
	for _, st := range steps {
		if got := load(ctx, t, db, st.spec, st.rows, st.staged); got != st.want {
			t.Errorf("%s: %+v, want %+v", st.name, got, st.want)
		}
	}
	want := [][]string{{"A", "Argyle", "1"}, {"B", "Bamboo", "20"}, {"C", "Cable", "3"}, {"D", "Dotted", "5"}, {"E", "Eyelet", "7"}, {"F", "Fleece", "8"}}
	if got := rows(ctx, t, db, `SELECT sku, name, qty FROM socks ORDER BY sku`); !reflect.DeepEqual(got, want) {
		t.Errorf("socks = %v, want %v", got, want)
	}

	// A dry run into a table that does not exist: the stand-in (MySQL's
	// temporary table) is gone with the transaction, on every session.
	dry := models.LoadSpec{Dataset: socks(db.Dialect, "dry"), Mode: models.ModeUpsert, DryRun: true}
	if got := load(ctx, t, db, dry, []models.Row{sock(2, "A", "Argyle", 1, "1.00")}, nil); got != (models.Counts{Inserted: 1}) {
		t.Errorf("dry run into a missing table: %+v, want 1 inserted", got)
	}
	for _, other := range []*models.DB{db, s.open(ctx, t)} {
		if info, err := other.Dialect.Inspect(ctx, other.Bun, "dry"); err != nil || info.Exists {
			t.Errorf("after a dry run, table dry exists %t (%v); want none", info.Exists, err)
		}
	}
}
