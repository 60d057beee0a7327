package dialecttest

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
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
	if !info.Exists || !reflect.DeepEqual(info.Columns, []string{"id", "sku", "warehouse", "note"}) || !reflect.DeepEqual(info.Unique, want) {
		t.Errorf("Inspect(inspected) = %+v; want columns id, sku, warehouse, note and unique sets %v", info, want)
	}
}
