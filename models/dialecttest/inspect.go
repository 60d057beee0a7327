package dialecttest

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/models"
)

// exerciseInspect: Inspect reports a table the way the app made it: its
// columns in order, and the column sets of its primary key and unique
// indexes (in index order), not those of plain indexes.
func exerciseInspect(ctx context.Context, t *testing.T, s *suite) {
	db := s.open(ctx, t)
	info, err := db.Dialect.Inspect(ctx, db.Bun, "absent")
	if err != nil || info.Exists || len(info.Columns) != 0 || len(info.Unique) != 0 {
		t.Errorf("Inspect(absent) = %+v, %v; want a table that does not exist", info, err)
	}
	exec(ctx, t, db,
		`CREATE TABLE "inspected" ("id" INTEGER NOT NULL PRIMARY KEY, "sku" VARCHAR(20) NOT NULL, "warehouse" VARCHAR(20) NOT NULL, "note" VARCHAR(50))`,
		`CREATE UNIQUE INDEX "inspected_key" ON "inspected" ("warehouse", "sku")`,
		`CREATE INDEX "inspected_note" ON "inspected" ("note")`,
	)
	info, err = db.Dialect.Inspect(ctx, db.Bun, "inspected")
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(info.Unique, func(a, b []string) int { return strings.Compare(strings.Join(a, ","), strings.Join(b, ",")) })
	want := [][]string{{"id"}, {"warehouse", "sku"}}
	if !info.Exists || !reflect.DeepEqual(info.Columns, []string{"id", "sku", "warehouse", "note"}) || !reflect.DeepEqual(info.Unique, want) ||
		!reflect.DeepEqual(info.PrimaryKey, []string{"id"}) {
		t.Errorf("Inspect(inspected) = %+v; want columns id, sku, warehouse, note, unique sets %v and primary key id", info, want)
	}
}

// exercisePrimaryKey: a table sluice creates has its key, composite too,
// as its primary key, which an ORM reflecting it needs; one made by an
// earlier release (a unique index, no primary key) still loads, and
// TableStatus says how to add one.
func exercisePrimaryKey(ctx context.Context, t *testing.T, s *suite) {
	db := s.open(ctx, t)
	stock := models.NewDataset(db.Dialect, "stock", []models.Column{
		{Name: "warehouse", Type: models.Text, NotNull: true}, {Name: "sku", Type: models.Text, NotNull: true}, {Name: "on_hand", Type: models.Integer},
	}, []string{"warehouse", "sku"})
	row := models.Row{Line: 2, Values: []any{"W1", "SK-1", int64(3)}}
	load(ctx, t, db, models.LoadSpec{Dataset: stock, Mode: models.ModeUpsert}, []models.Row{row}, nil)
	st, err := db.TableStatus(ctx, stock)
	if err != nil || !st.Exists || st.Problem != nil || !reflect.DeepEqual(st.PrimaryKey, []string{"warehouse", "sku"}) || st.AddPrimaryKey != "" {
		t.Errorf("TableStatus(stock) = %+v, %v; want primary key (warehouse, sku)", st, err)
	}
	exec(ctx, t, db, `CREATE TABLE "old_socks" ("sku" VARCHAR(20) NOT NULL, "name" TEXT, "qty" BIGINT, "price" DECIMAL(10,2))`,
		`CREATE UNIQUE INDEX "old_socks_sku_key" ON "old_socks" ("sku")`)
	old := socks(db.Dialect, "old_socks")
	if got := load(ctx, t, db, models.LoadSpec{Dataset: old, Mode: models.ModeUpsert}, []models.Row{sock(2, "A", "Argyle", 1, "1.00")}, nil); got != (models.Counts{Inserted: 1}) {
		t.Errorf("load into a table without a primary key: %+v, want 1 inserted", got)
	}
	st, err = db.TableStatus(ctx, old)
	if err != nil || st.Problem != nil || len(st.PrimaryKey) != 0 || !strings.Contains(st.AddPrimaryKey, "PRIMARY KEY") {
		t.Errorf("TableStatus(old_socks) = %+v, %v; want no primary key and how to add one", st, err)
	}
}
