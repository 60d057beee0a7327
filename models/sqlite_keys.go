package models

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/uptrace/bun"
)

// KeyFold reads the collation of each text key column in the unique index
// the upsert uses: BINARY compares bytes, NOCASE folds ASCII case, RTRIM
// ignores trailing spaces; an application's own collation cannot be
// folded here, nor a key no index serves.
func (*sqliteDialect) KeyFold(ctx context.Context, db bun.IDB, ds *Dataset) (func(string) string, error) {
	colls, err := sqliteKeyCollations(ctx, db, ds)
	if err != nil || colls == nil {
		return nil, err
	}
	var ignoreCase, padSpace bool
	for _, name := range textKeys(ds) {
		switch strings.ToUpper(colls[strings.ToLower(name)]) {
		case "BINARY":
		case "NOCASE":
			ignoreCase = true
		case "RTRIM":
			padSpace = true
		default:
			return nil, nil
		}
	}
	return pickFold(ignoreCase, padSpace), nil
}

// sqliteKeyCollations returns the collation of each key column (by lower
// case name) in the unique index that serves the key, which the stage
// must group repeats by; nil when no index does.
func sqliteKeyCollations(ctx context.Context, db bun.IDB, ds *Dataset) (map[string]string, error) {
	var idx []struct {
		Name    string `bun:"name"`
		Unique  bool   `bun:"unique"`
		Partial bool   `bun:"partial"`
	}
	if err := db.NewRaw(`SELECT name, "unique", partial FROM pragma_index_list(?)`, ds.Table).Scan(ctx, &idx); err != nil {
		return nil, fmt.Errorf("list indexes of %s: %w", ds.Table, err)
	}
	want := normalizedSet(ds.Key)
	for _, ix := range idx {
		if !ix.Unique || ix.Partial {
			continue
		}
		var cols []struct {
			Name *string `bun:"name"`
			Coll string  `bun:"coll"`
		}
		if err := db.NewRaw(`SELECT name, coll FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno`, ix.Name).Scan(ctx, &cols); err != nil {
			return nil, fmt.Errorf("read index %s: %w", ix.Name, err)
		}
		names := make([]string, len(cols))
		for i, c := range cols {
			if c.Name != nil {
				names[i] = *c.Name
			}
		}
		if !slices.Equal(normalizedSet(names), want) {
			continue
		}
		colls := map[string]string{}
		for i, c := range cols {
			colls[strings.ToLower(names[i])] = c.Coll
		}
		return colls, nil
	}
	return nil, nil
}

// autoIncrement: a bulk load takes exactly the ids of the rows it inserts.
func (*sqliteDialect) autoIncrement(context.Context, bun.IDB, string) (string, error) { return "", nil }
