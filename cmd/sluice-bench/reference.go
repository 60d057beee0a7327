package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

const (
	refDB = "ref.db"
	rawDB = "raw.db"
)

// fallbackSchema is used when sluice did not create a database to copy the
// schema from (for example because the sluice step failed). It is what
// sluice is expected to create for the socks job.
const fallbackSchema = `CREATE TABLE socks (sku TEXT NOT NULL, name TEXT NOT NULL, style TEXT, size TEXT, colour TEXT, price DECIMAL(10,2), quantity BIGINT, in_stock BOOLEAN, updated_on DATE);
CREATE UNIQUE INDEX socks_key ON socks (sku);`

// referenceSteps loads the same dumps into the same schema with the sqlite3
// CLI: each file is imported into an all-TEXT staging table (the CSV has an
// extra column and another column order) and copied with INSERT … SELECT,
// inside one transaction. A raw .import with no index and no types is timed
// as a lower bound.
func (b *bench) referenceSteps(ctx context.Context) {
	schema := b.referenceSchema(ctx)
	header, err := readHeader(b.path(baseCSV))
	if err != nil {
		for _, s := range []*step{b.refBase, b.refRaw, b.refNext} {
			s.err = err
		}
		return
	}
	if err = removeDB(b.path(refDB)); err == nil {
		_, err = sqliteQuery(ctx, b.cfg.sqlite3, b.path(refDB), schema)
	}
	if err != nil {
		b.refBase.err = fmt.Errorf("prepare %s: %w", refDB, err)
		b.refNext.err = errors.New("skipped: reference base import failed")
	}

	if b.refBase.err == nil {
		script, err := stagingScript(b.path(baseCSV), header, false)
		b.runSQLite(ctx, b.refBase, "ref-base", refDB, "socks", script, err)
	}

	if err := removeDB(b.path(rawDB)); err != nil {
		b.refRaw.err = err
	} else {
		script, err := rawScript(b.path(baseCSV), header)
		b.runSQLite(ctx, b.refRaw, "ref-raw", rawDB, "socks_raw", script, err)
	}

	if b.refBase.err != nil {
		if b.refNext.err == nil {
			b.refNext.err = errors.New("skipped: reference base import failed")
		}
		return
	}
	nextHeader, err := readHeader(b.path(nextCSV))
	var script string
	if err == nil {
		script, err = stagingScript(b.path(nextCSV), nextHeader, true)
	}
	b.runSQLite(ctx, b.refNext, "ref-next", refDB, "socks", script, err)
	b.referenceSyncSteps(ctx)
}

// referenceSyncSteps are the sync's references (see referenceGoneSteps)
// as somebody who wrote the sync by hand for the sqlite3 CLI would, in WAL
// mode as sluice's database is. The stage holds the keys already, so the
// hand-written sync writes no key table.
func (b *bench) referenceSyncSteps(ctx context.Context) {
	b.referenceGoneSteps(func(header []string, sync bool) (string, error) {
		return syncScript(b.path(goneCSV), header, sync)
	}, func(s *step, log, script string, rows int) {
		b.timeStep(ctx, s, log, strings.NewReader(script), nil, b.cfg.sqlite3, "-bail", b.path(refDB))
		if s.err == nil {
			s.err = b.checkCount(ctx, b.path(refDB), "socks", rows)
		}
	})
}

// referenceSchema is the schema sluice created (table and indexes), so the
// reference pays for the same indexes and column affinities. It is decided
// in the first run and kept, so every reference run loads the same schema.
func (b *bench) referenceSchema(ctx context.Context) string {
	if b.schemaDDL != "" {
		return b.schemaDDL
	}
	b.schema, b.schemaDDL = "fallback DDL (sluice did not create one)", fallbackSchema
	if b.sluiceBase.err == nil {
		schema, err := sqliteQuery(ctx, b.cfg.sqlite3, b.path(sluiceDB), ".schema socks")
		if err == nil && schema != "" {
			b.schema, b.schemaDDL = "copied from sluice.db (`.schema socks`)", schema
		} else {
			b.log.Warn("cannot read sluice schema, using the fallback DDL", "err", err)
		}
	}
	return b.schemaDDL
}

// runSQLite times sqlite3 on db with script as standard input, then checks
// the row count of table. prepErr is an error from building the script.
func (b *bench) runSQLite(ctx context.Context, s *step, logName, db, table, script string, prepErr error) {
	if prepErr != nil {
		s.err = prepErr
		return
	}
	b.timeStep(ctx, s, logName, strings.NewReader(script), nil, b.cfg.sqlite3, "-bail", b.path(db))
	if s.err == nil {
		s.err = b.checkCount(ctx, b.path(db), table, s.rows)
	}
}

// stagingScript imports csvPath into socks through an all-TEXT staging table
// named after the CSV header, in one transaction. With upsert, rows whose key
// exists are updated in place.
func stagingScript(csvPath string, header []string, upsert bool) (string, error) {
	m, err := stageColumnsOf(csvPath, header)
	if err != nil {
		return "", err
	}
	insert := m.insert()
	if upsert {
		insert = m.upsert()
	}
	return strings.Join([]string{
		".mode csv",
		"BEGIN;",
		textTable("socks_stage", header),
		".import --skip 1 " + m.src + " socks_stage",
		insert + ";",
		"DROP TABLE socks_stage;",
		"COMMIT;",
	}, "\n") + "\n", nil
}

// syncScript upserts csvPath into socks through an all-TEXT stage,
// updating only the rows that differ, in WAL mode with sluice's cache;
// with sync it then deletes the rows whose key the stage lacks, by the
// same ordered EXCEPT sluice runs.
func syncScript(csvPath string, header []string, sync bool) (string, error) {
	m, err := stageColumnsOf(csvPath, header)
	if err != nil {
		return "", err
	}
	lines := []string{
		".mode csv",
		"PRAGMA journal_mode = WAL;",
		"PRAGMA synchronous = NORMAL;",
		"PRAGMA cache_size = -16384;",
		"BEGIN;",
		textTable("socks_stage", header),
		".import --skip 1 " + m.src + " socks_stage",
		m.upsert() + " WHERE " + strings.Join(m.differ, " OR ") + ";",
	}
	if sync {
		lines = append(lines, fmt.Sprintf("DELETE FROM socks WHERE %[1]s IN (SELECT %[1]s FROM socks EXCEPT SELECT %[2]s FROM socks_stage ORDER BY 1);",
			quoteIdent(socksKey), m.key))
	}
	return strings.Join(append(lines, "DROP TABLE socks_stage;", "COMMIT;"), "\n") + "\n", nil
}

// stageColumns are socks' columns and the stage's they come from.
type stageColumns struct {
	src         string   // the CSV's path, quoted for .import
	cols, sel   []string // quoted: socks' names, and the stage's
	key         string   // the stage's key column, quoted
	set, differ []string // an upsert's SET, and its test that a row differs
}

func stageColumnsOf(csvPath string, header []string) (stageColumns, error) {
	var m stageColumns
	var err error
	if m.src, err = importPath(csvPath); err != nil {
		return m, err
	}
	for _, c := range socksColumns {
		i := indexOf(header, c.csv)
		if i < 0 {
			return m, fmt.Errorf("%s: no column %q in header %q", csvPath, c.csv, header)
		}
		name := quoteIdent(c.name)
		m.cols = append(m.cols, name)
		m.sel = append(m.sel, quoteIdent(header[i]))
		if c.name == socksKey {
			m.key = quoteIdent(header[i])
			continue
		}
		m.set = append(m.set, fmt.Sprintf("%s = excluded.%[1]s", name))
		m.differ = append(m.differ, fmt.Sprintf("socks.%s IS NOT excluded.%[1]s", name))
	}
	return m, nil
}

// insert copies the stage into socks.
func (m stageColumns) insert() string {
	return fmt.Sprintf("INSERT INTO socks (%s) SELECT %s FROM socks_stage", strings.Join(m.cols, ", "), strings.Join(m.sel, ", "))
}

// upsert is insert updating the rows whose key socks has. WHERE true
// resolves the parsing ambiguity between a join's ON and the upsert's ON
// CONFLICT.
func (m stageColumns) upsert() string {
	return m.insert() + " WHERE true ON CONFLICT(" + quoteIdent(socksKey) + ") DO UPDATE SET " + strings.Join(m.set, ", ")
}

// rawScript is the lower bound: .import straight into an all-TEXT table of
// the CSV's shape, with no index and no type conversion.
func rawScript(csvPath string, header []string) (string, error) {
	src, err := importPath(csvPath)
	if err != nil {
		return "", err
	}
	return strings.Join([]string{
		".mode csv",
		textTable("socks_raw", header),
		".import --skip 1 " + src + " socks_raw",
	}, "\n") + "\n", nil
}

func textTable(name string, header []string) string {
	cols := make([]string, len(header))
	for i, h := range header {
		cols[i] = quoteIdent(h) + " TEXT"
	}
	return fmt.Sprintf("CREATE TABLE %s (%s);", quoteIdent(name), strings.Join(cols, ", "))
}

// importPath quotes a file name for a dot-command; inside single quotes the
// sqlite3 shell takes every character literally.
func importPath(p string) (string, error) {
	if strings.ContainsAny(p, "'\n") {
		return "", fmt.Errorf("%s: the sqlite3 reference cannot import a path containing a quote or newline", p)
	}
	return "'" + p + "'", nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func indexOf(xs []string, x string) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

func readHeader(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h, err := csv.NewReader(f).Read()
	if err != nil {
		return nil, fmt.Errorf("read header of %s: %w", filepath.Base(path), err)
	}
	return h, nil
}
