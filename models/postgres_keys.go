package models

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// KeyFold: a deterministic collation compares text keys byte by byte
// (PostgreSQL breaks the ties of its locales by bytes); a
// nondeterministic one, or citext, compares them as the database's
// locale says, which no fold here can promise to match.
func (*postgresDialect) KeyFold(ctx context.Context, db bun.IDB, ds *Dataset) (func(string) string, error) {
	texts := textKeys(ds)
	if len(texts) == 0 {
		return foldNone, nil
	}
	// The columns' own collations and types, and those the table's unique
	// indexes give them.
	var folding int
	err := db.NewRaw(`SELECT count(*) FROM pg_attribute a
		JOIN pg_class c ON c.oid = a.attrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_type t ON t.oid = a.atttypid
		LEFT JOIN pg_collation co ON co.oid = a.attcollation
		WHERE n.nspname = current_schema() AND c.relname = ? AND a.attname IN (?)
		  AND (t.typname = 'citext' OR NOT coalesce(co.collisdeterministic, true)
		    OR EXISTS (SELECT 1 FROM pg_index i
		      CROSS JOIN LATERAL unnest(i.indkey, i.indcollation) AS k(attnum, coll)
		      JOIN pg_collation ic ON ic.oid = k.coll
		      WHERE i.indrelid = c.oid AND i.indisunique AND k.attnum = a.attnum AND NOT ic.collisdeterministic))`,
		ds.Table, bun.In(texts)).Scan(ctx, &folding)
	if err != nil {
		return nil, fmt.Errorf("read the key collations of %s: %w", ds.Table, err)
	}
	if folding > 0 {
		return nil, nil
	}
	return foldNone, nil
}

// autoIncrement: a bulk load takes exactly the ids of the rows it inserts.
func (*postgresDialect) autoIncrement(context.Context, bun.IDB, string) (string, error) {
	return "", nil
}
