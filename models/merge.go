package models

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
)

// Counts is what a merge did to the table. Every staged (deduplicated) row
// lands in exactly one of Inserted, Updated, Unchanged.
type Counts struct {
	Staged     int64 // good rows written to the stage, duplicates included
	Duplicates int64 // earlier occurrences of a key that a later row replaced
	Inserted   int64
	Updated    int64
	Unchanged  int64
}

// Stage is one file's staging table inside the import transaction.
type Stage struct {
	db    *DB
	tx    bun.Tx
	ds    *Dataset
	name  string
	Write BulkWriter
}

// NewStage creates the staging table for ds in tx and a writer for it.
func NewStage(ctx context.Context, db *DB, tx bun.Tx, ds *Dataset) (*Stage, error) {
	name := "sluice_stage_" + ds.Table
	if err := db.Dialect.CreateStage(ctx, tx, name, ds); err != nil {
		return nil, fmt.Errorf("create staging table: %w", err)
	}
	w, err := db.Dialect.NewBulkWriter(ctx, tx, name, ds)
	if err != nil {
		return nil, err
	}
	return &Stage{db: db, tx: tx, ds: ds, name: name, Write: w}, nil
}

// Merge deduplicates the stage (the last occurrence of a key wins), counts
// what the merge will do, merges, and checks that the database did what
// was counted. update false is insert-new mode: existing keys are left
// alone and counted unchanged.
func (s *Stage) Merge(ctx context.Context, update bool) (Counts, error) {
	var c Counts
	if err := s.Write.Close(); err != nil {
		return c, err
	}
	q := s.quoted()
	if err := s.tx.NewRaw("SELECT count(*) FROM "+q.stage).Scan(ctx, &c.Staged); err != nil {
		return c, fmt.Errorf("count staged rows: %w", err)
	}
	// Deduplicate in the database: the set of keys seen can be larger than
	// memory, the stage cannot.
	res, err := s.tx.ExecContext(ctx, fmt.Sprintf(
		"DELETE FROM %[1]s WHERE sluice_line NOT IN (SELECT max(sluice_line) FROM %[1]s GROUP BY %[2]s)",
		q.stage, q.keyList))
	if err != nil {
		return c, fmt.Errorf("drop duplicate keys from stage: %w", err)
	}
	c.Duplicates, _ = res.RowsAffected()
	distinct := c.Staged - c.Duplicates

	var existing, changed int64
	var empty bool
	if err := s.tx.NewRaw("SELECT NOT EXISTS (SELECT 1 FROM "+q.table+")").Scan(ctx, &empty); err != nil {
		return c, fmt.Errorf("probe %s: %w", s.ds.Table, err)
	}
	if !empty {
		// One pass over the stage, probing the table's key index per row.
		var diff []string
		for _, col := range s.ds.Columns {
			if !s.ds.IsKey(col.Name) {
				id := quoteIdent(col.Name)
				diff = append(diff, s.db.Dialect.Distinct("s."+id, "t."+id))
			}
		}
		changedExpr := "0"
		if update && len(diff) > 0 {
			changedExpr = "CASE WHEN " + strings.Join(diff, " OR ") + " THEN 1 ELSE 0 END"
		}
		err := s.tx.NewRaw(fmt.Sprintf(
			"SELECT count(*), coalesce(sum(%s), 0) FROM %s s JOIN %s t ON %s",
			changedExpr, q.stage, q.table, q.keyJoin)).Scan(ctx, &existing, &changed)
		if err != nil {
			return c, fmt.Errorf("compare stage with %s: %w", s.ds.Table, err)
		}
	}
	c.Inserted = distinct - existing
	c.Updated = changed
	c.Unchanged = existing - changed

	res, err = s.tx.ExecContext(ctx, s.db.Dialect.Upsert(s.ds, s.name, update))
	if err != nil {
		return c, fmt.Errorf("merge into %s: %w", s.ds.Table, err)
	}
	// The merge reports rows written; a mismatch means the counts would
	// lie, so the file fails instead.
	if n, err := res.RowsAffected(); err == nil && n != c.Inserted+c.Updated {
		return c, fmt.Errorf("merge into %s wrote %d rows, expected %d inserted + %d updated", s.ds.Table, n, c.Inserted, c.Updated)
	}
	return c, nil
}

// Drop removes the staging table (it is temporary, but a connection
// lives on in the daemon).
func (s *Stage) Drop(ctx context.Context) error {
	_, err := s.tx.ExecContext(ctx, "DROP TABLE IF EXISTS "+quoteIdent(s.name))
	return err
}

type quotedNames struct{ stage, table, keyList, keyJoin string }

func (s *Stage) quoted() quotedNames {
	keys := make([]string, len(s.ds.Key))
	joins := make([]string, len(s.ds.Key))
	for i, k := range s.ds.Key {
		keys[i] = quoteIdent(k)
		joins[i] = "t." + keys[i] + " = s." + keys[i]
	}
	return quotedNames{
		stage:   quoteIdent(s.name),
		table:   quoteIdent(s.ds.Table),
		keyList: strings.Join(keys, ", "),
		keyJoin: strings.Join(joins, " AND "),
	}
}

// upsertOnConflict is the INSERT … ON CONFLICT statement SQLite and
// PostgreSQL share. The WHERE on DO UPDATE keeps equal rows unwritten, so
// they are neither counted nor touched (no WAL growth, no trigger fires).
func upsertOnConflict(ds *Dataset, stage string, update bool, distinct func(a, b string) string) string {
	cols := make([]string, len(ds.Columns))
	var sets, diffs, keys []string
	for i, c := range ds.Columns {
		id := quoteIdent(c.Name)
		cols[i] = id
		if ds.IsKey(c.Name) {
			continue
		}
		sets = append(sets, id+" = excluded."+id)
		diffs = append(diffs, distinct(quoteIdent(ds.Table)+"."+id, "excluded."+id))
	}
	for _, k := range ds.Key {
		keys = append(keys, quoteIdent(k))
	}
	list := strings.Join(cols, ", ")
	// "WHERE true" resolves SQLite's parsing ambiguity between a join
	// clause and ON CONFLICT after INSERT … SELECT.
	q := fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s WHERE true ON CONFLICT (%s) ",
		quoteIdent(ds.Table), list, list, quoteIdent(stage), strings.Join(keys, ", "))
	if !update || len(sets) == 0 {
		return q + "DO NOTHING"
	}
	return q + "DO UPDATE SET " + strings.Join(sets, ", ") + " WHERE " + strings.Join(diffs, " OR ")
}
