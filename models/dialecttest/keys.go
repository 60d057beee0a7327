package dialecttest

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/models"
)

// exerciseKeyFold checks KeyFold's contract against the database's own
// key comparison: keys the table holds equal (one row after loading both)
// must fold equal, or KeyFold must say it cannot fold (nil), since the key
// scan would otherwise miss that they repeat. In a table sluice creates
// keys compare as bytes on every database; in one the application made
// with a case-insensitive key, they fold or every row is staged. Either
// way a file holding both spellings counts one key and one duplicate.
func exerciseKeyFold(ctx context.Context, t *testing.T, s *suite) {
	db := s.open(ctx, t)
	pairs := [][2]string{
		{"SK-1", "sk-1"}, {"SK-2", "SK-2 "}, {"crème", "creme"}, {"Straße", "STRASSE"},
		{"ß", "s"}, {"Å", "A"}, {"ﬁ", "fi"}, {"🧦", "🧤"}, {"SK-3", "SK-4"},
	}
	for _, table := range []struct {
		name   string
		create string // "": sluice creates it
		folds  bool   // some pair is one key in it
	}{
		{"made by sluice", "", false},
		{"made by the app, case-insensitive", caseInsensitiveTable[db.Dialect.Name()], true},
	} {
		folded := false
		for i, p := range pairs {
			name := fmt.Sprintf("fold_%d", i)
			if table.create != "" {
				name = fmt.Sprintf("app_fold_%d", i)
				exec(ctx, t, db, fmt.Sprintf(table.create, name))
			}
			spec := models.LoadSpec{Dataset: socks(db.Dialect, name), Mode: models.ModeUpsert}
			load(ctx, t, db, spec, []models.Row{sock(2, p[0], "first", 1, "1.00")}, nil)
			load(ctx, t, db, spec, []models.Row{sock(2, p[1], "second", 1, "1.00")}, nil)
			heldEqual := rows(ctx, t, db, "SELECT count(*) FROM "+name)[0][0] == "1"
			folded = folded || heldEqual
			fold := keyFold(ctx, t, db, spec)
			if heldEqual && fold != nil && fold(p[0]) != fold(p[1]) {
				t.Errorf("%s: keys %q and %q are one row in the table but fold to %q and %q", table.name, p[0], p[1], fold(p[0]), fold(p[1]))
			}
			// Both in one file, as the importer writes them.
			exec(ctx, t, db, "DELETE FROM "+name)
			want := models.Counts{Inserted: 2}
			if heldEqual {
				want = models.Counts{Inserted: 1, Duplicates: 1}
			}
			got, folds := loadFileFolded(ctx, t, db, spec, []models.Row{sock(2, p[0], "first", 1, "1.00"), sock(3, p[1], "second", 1, "1.00")})
			if got != want {
				t.Errorf("%s: a file with keys %q then %q: %+v, want %+v", table.name, p[0], p[1], got, want)
			}
			// Where the stage keeps keys apart that the table folds,
			// the load names the lines.
			if namesFolds[db.Dialect.Name()] && heldEqual {
				wantFold := []models.Folded{{Lines: []int64{2, 3}, Keys: [][]string{{p[0]}, {p[1]}}, Collation: "utf8mb4_general_ci"}}
				if !reflect.DeepEqual(folds, wantFold) {
					t.Errorf("%s: a file with keys %q then %q: folded %+v, want %+v", table.name, p[0], p[1], folds, wantFold)
				}
			} else if folds != nil {
				t.Errorf("%s: a file with keys %q then %q: folded %+v, want none", table.name, p[0], p[1], folds)
			}
		}
		if folded != table.folds {
			t.Errorf("%s: some pair of keys was one row: %t, want %t", table.name, folded, table.folds)
		}
	}
}

// namesFolds are the databases whose loads name the lines whose keys a
// table's collation folded together (Load.Folded). On SQLite and
// PostgreSQL an application's case-insensitive key is rare (NOCASE, a
// nondeterministic ICU collation) and folds are only counted.
var namesFolds = map[string]bool{"mysql": true}

// caseInsensitiveTable is, per database, a socks table as an application
// may have made it, its key compared ignoring case (%s is its name).
var caseInsensitiveTable = map[string]string{
	"sqlite": `CREATE TABLE "%s" ("sku" TEXT COLLATE NOCASE NOT NULL PRIMARY KEY, "name" TEXT, "qty" BIGINT, "price" DECIMAL(10,2))`,
	// An ICU collation at level 2 ignores case, not accents.
	"postgres": `CREATE TABLE "%s" ("sku" TEXT COLLATE sluice_test_ci NOT NULL PRIMARY KEY, "name" TEXT, "qty" BIGINT, "price" NUMERIC(10,2))`,
	"mysql":    `CREATE TABLE "%s" ("sku" VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL PRIMARY KEY, "name" TEXT, "qty" BIGINT, "price" DECIMAL(10,2))`,
}

// keyFold starts a load of spec only to ask its KeyFold, and gives up.
func keyFold(ctx context.Context, t *testing.T, db *models.DB, spec models.LoadSpec) func(string) string {
	t.Helper()
	l, err := models.Prepare(ctx, db, spec)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Abort()
	if err := l.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return l.KeyFold()
}

// exerciseEncode: values the database holds equal encode equal, so a
// next month that repeats them is unchanged rather than updated: a
// timestamp differing below the database's precision, a decimal key
// spelt with more zeros. One that differs above it is an update.
func exerciseEncode(ctx context.Context, t *testing.T, s *suite) {
	db := s.open(ctx, t)
	ds := models.NewDataset(db.Dialect, "events", []models.Column{
		{Name: "id", Type: models.Decimal, Precision: 10, Scale: 2, NotNull: true, Key: true},
		{Name: "at", Type: models.Timestamp},
		{Name: "day", Type: models.Date},
		{Name: "flag", Type: models.Boolean},
	}, []string{"id"})
	spec := models.LoadSpec{Dataset: ds, Mode: models.ModeUpsert}
	at := time.Date(2026, 9, 30, 18, 0, 0, 123456000, time.UTC)
	day := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	row := func(id string, at time.Time) models.Row { return models.Row{Line: 2, Values: []any{id, at, day, true}} }
	steps := []struct {
		name string
		row  models.Row
		want models.Counts
	}{
		{"first", row("1.5", at), models.Counts{Inserted: 1}},
		{"below the precision", row("1.5", at.Add(400*time.Nanosecond)), models.Counts{Unchanged: 1}},
		{"the key with more zeros", row("1.50", at), models.Counts{Unchanged: 1}},
		{"a microsecond later", row("1.5", at.Add(time.Microsecond)), models.Counts{Updated: 1}},
	}
	for _, st := range steps {
		if got := load(ctx, t, db, spec, []models.Row{st.row}, nil); got != st.want {
			t.Errorf("%s: %+v, want %+v", st.name, got, st.want)
		}
	}
}
