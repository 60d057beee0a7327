package models

import (
	"context"
	"fmt"
	"slices"

	"github.com/uptrace/bun"
)

// addColumns adds to an existing table the columns of ds named in add
// that it lacks (ALTER TABLE … ADD COLUMN, each nullable: the rows already
// there have no value), and returns their names. info is the table as it
// was inspected; the caller inspects again when something was added.
func addColumns(ctx context.Context, db bun.IDB, d Dialect, ds *Dataset, info TableInfo, add []string) ([]string, error) {
	var added []string
	for _, name := range lacking(info, add) {
		i := slices.IndexFunc(ds.Columns, func(c Column) bool { return c.Name == name })
		if i < 0 {
			return added, fmt.Errorf("add column %s to %s: not a column of the dataset", name, ds.Table)
		}
		c := ds.Columns[i]
		c.NotNull, c.Key = false, false
		stmt := fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", quoteIdent(ds.Table), quoteIdent(c.Name), d.ColumnType(c))
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return added, fmt.Errorf("add column %s to table %s: %w", c.Name, ds.Table, err)
		}
		added = append(added, c.Name)
	}
	return added, nil
}
