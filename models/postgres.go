package models

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// postgresDialect loads through pgx: COPY into the table or a temporary
// stage, then one INSERT … ON CONFLICT from the stage.
type postgresDialect struct {
	cfg *pgx.ConnConfig // from the URL (see parsePostgres)
	// hasMerge is whether the server has MERGE (PostgreSQL 15).
	hasMerge bool
}

var _ Dialect = (*postgresDialect)(nil)

func (*postgresDialect) Name() string { return "postgres" }

// pgMaxConns bounds the pool: an import uses one connection for its
// transaction and one for the job lock.
const pgMaxConns = 4

func (d *postgresDialect) Open(ctx context.Context, t Target) (*bun.DB, error) {
	cfg := d.cfg.Copy()
	// Timestamps are written as UTC instants; a fixed session zone makes
	// what sluice reads back (the ledger) independent of the server's.
	cfg.RuntimeParams["timezone"] = "UTC"
	sqldb := stdlib.OpenDB(*cfg)
	sqldb.SetMaxOpenConns(pgMaxConns)
	sqldb.SetMaxIdleConns(pgMaxConns)
	// Ping before Bun sees the pool: its dialect queries the server's
	// version as it starts and logs on failure, outside sluice's logs.
	if err := sqldb.PingContext(ctx); err != nil {
		sqldb.Close()
		return nil, Diagnose(t, err)
	}
	var version int
	if err := sqldb.QueryRowContext(ctx, "SELECT current_setting('server_version_num')::int").Scan(&version); err != nil {
		sqldb.Close()
		return nil, Diagnose(t, err)
	}
	d.hasMerge = version >= 150000
	return bun.NewDB(sqldb, pgdialect.New()), nil
}

func (*postgresDialect) ColumnType(c Column) string {
	switch c.Type {
	case Integer:
		return "BIGINT"
	case Real:
		return "DOUBLE PRECISION"
	case Decimal:
		if c.Precision > 0 {
			return fmt.Sprintf("NUMERIC(%d,%d)", c.Precision, c.Scale)
		}
		return "NUMERIC"
	case Boolean:
		return "BOOLEAN"
	case Date:
		return "DATE"
	case Timestamp:
		return "TIMESTAMP WITH TIME ZONE"
	}
	return "TEXT"
}

// Inspect reads the table in the connection's current schema (the first
// of its search_path), where an unqualified table name resolves.
func (*postgresDialect) Inspect(ctx context.Context, db bun.IDB, table string) (TableInfo, error) {
	var info TableInfo
	var cols []struct {
		Name      string `bun:"name"`
		NotNull   bool   `bun:"not_null"`
		Filled    bool   `bun:"filled"`
		Precision *int   `bun:"numeric_precision"`
		Scale     *int   `bun:"numeric_scale"`
		Type      string `bun:"data_type"`
		MaxChars  *int   `bun:"character_maximum_length"`
	}
	err := db.NewRaw(`SELECT column_name AS name, is_nullable = 'NO' AS not_null,
			(column_default IS NOT NULL OR is_identity = 'YES' OR is_generated = 'ALWAYS') AS filled,
			numeric_precision, numeric_scale, data_type, character_maximum_length
		FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`, table).Scan(ctx, &cols)
	if err != nil || len(cols) == 0 {
		return info, err
	}
	info.Exists = true
	for _, c := range cols {
		info.Columns = append(info.Columns, c.Name)
		ci := ColumnInfo{Name: c.Name, NotNull: c.NotNull, Filled: c.Filled}
		if c.Type == "numeric" && c.Precision != nil && c.Scale != nil {
			ci.Precision, ci.Scale = *c.Precision, *c.Scale
		}
		if c.MaxChars != nil {
			ci.MaxChars = *c.MaxChars
		}
		info.Details = append(info.Details, ci)
	}
	// Unique indexes usable by ON CONFLICT: not partial, no expressions.
	var sets []struct {
		Cols    string `bun:"cols"`
		Primary bool   `bun:"primary"`
	}
	err = db.NewRaw(`SELECT string_agg(a.attname, chr(31) ORDER BY k.ord) AS cols, bool_or(i.indisprimary) AS primary
		FROM pg_index i
		JOIN pg_class c ON c.oid = i.indrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
		WHERE n.nspname = current_schema() AND c.relname = ?
		  AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
		GROUP BY i.indexrelid`, table).Scan(ctx, &sets)
	if err != nil {
		return info, err
	}
	for _, s := range sets {
		cols := strings.Split(s.Cols, "\x1f")
		info.Unique = append(info.Unique, cols)
		if s.Primary {
			info.PrimaryKey = cols
		}
	}
	return info, nil
}

func (*postgresDialect) TransactionalDDL() bool { return true }

// UpsertsRepeatedKeys is false: "ON CONFLICT DO UPDATE command cannot
// affect row a second time".
func (*postgresDialect) UpsertsRepeatedKeys() bool { return false }
func (*postgresDialect) StageDedupes() bool        { return false }

func (*postgresDialect) Updated(affected, inserted int64) int64 { return affected - inserted }

// Describe: one COPY … FROM STDIN per file, in text form (see
// newCopyWriter for why not binary).
func (*postgresDialect) Describe() string { return "COPY (text)" }

func (d *postgresDialect) CreateStage(ctx context.Context, tx *Tx, stage string, ds *Dataset) error {
	return d.createTemp(ctx, tx, stage, ds, true)
}

func (*postgresDialect) distinct(a, b string) string { return a + " IS DISTINCT FROM " + b }

// tableOptions: none. A fillfactor of 90 (room in each page for HOT
// updates) made the merge of a month that changed a tenth of a million
// rows 30 % faster, but the first import 15 % slower (BENCHMARKS.md); an
// operator with heavy monthly updates can set it on the table.
func (*postgresDialect) tableOptions() string { return "" }

// mergeWorkMem lets the merge's hash join of the file's rows with the
// table's stay in memory: at the default 4 MB a million rows spilled to
// 16 batches on disk, and the merge took 40 % longer (BENCHMARKS.md).
const mergeWorkMem = "SET LOCAL work_mem = '128MB'"

// merge is the merge of a stage or merge table into the table: one MERGE
// (PostgreSQL 15), or else an UPDATE of the rows that differ and an
// INSERT of the keys the table lacks (see mergeStatements). Either way an
// id sequence only moves for rows inserted, where INSERT … ON CONFLICT
// takes a value for every row it tries.
func (d *postgresDialect) merge(ds *Dataset, from string, mode Mode) []string {
	if d.hasMerge {
		return []string{mergeWorkMem, pgMerge(ds, from, mode, d.distinct)}
	}
	return append([]string{mergeWorkMem}, mergeStatements(ds, from, mode, func(ds *Dataset, from string) string {
		sets, differs := changedSets(ds, "", d.distinct)
		return fmt.Sprintf("UPDATE %s AS t SET %s FROM %s AS s WHERE %s AND (%s)",
			quoteIdent(ds.Table), sets, quoteIdent(from), keyJoin(ds), differs)
	})...)
}

// pgMerge is the MERGE statement: matched rows that differ are updated
// (in upsert mode), rows not matched inserted.
func pgMerge(ds *Dataset, from string, mode Mode, distinct func(a, b string) string) string {
	vals := make([]string, len(ds.Columns))
	for i, c := range ds.Columns {
		vals[i] = "s." + quoteIdent(c.Name)
	}
	q := fmt.Sprintf("MERGE INTO %s AS t USING %s AS s ON %s ", quoteIdent(ds.Table), quoteIdent(from), keyJoin(ds))
	if updatesRows(ds, mode) {
		sets, differs := changedSets(ds, "", distinct)
		q += fmt.Sprintf("WHEN MATCHED AND (%s) THEN UPDATE SET %s ", differs, sets)
	}
	return q + fmt.Sprintf("WHEN NOT MATCHED THEN INSERT (%s) VALUES (%s)",
		strings.Join(quoteAll(ds.ColumnNames()), ", "), strings.Join(vals, ", "))
}

func (d *postgresDialect) NewBulkWriter(ctx context.Context, tx *Tx, t BulkTarget) (BulkWriter, error) {
	return newCopyWriter(ctx, tx, t, d)
}

// MergeStage deduplicates with a join against each key's last line (a
// hash join; NOT IN over a large stage would not be hashed), then upserts.
func (d *postgresDialect) MergeStage(ctx context.Context, tx *Tx, stage string, ds *Dataset, mode Mode, _ int64) (dups, affected int64, err error) {
	keys := strings.Join(quoteAll(ds.Key), ", ")
	on := make([]string, len(ds.Key))
	for i, k := range quoteAll(ds.Key) {
		on[i] = "s." + k + " = l." + k
	}
	dups, err = execAffected(ctx, tx, fmt.Sprintf(
		"DELETE FROM %[1]s s USING (SELECT %[2]s, max(sluice_line) AS sluice_last FROM %[1]s GROUP BY %[2]s) l WHERE %[3]s AND s.sluice_line < l.sluice_last",
		quoteIdent(stage), keys, strings.Join(on, " AND ")))
	if err != nil {
		return 0, 0, fmt.Errorf("drop duplicate keys from stage: %w", err)
	}
	if affected, err = execAll(ctx, tx, d.merge(ds, stage, mode)); err != nil {
		return 0, 0, err
	}
	return dups, affected, nil
}

func (*postgresDialect) dropTemp(name string) string { return "DROP TABLE " + quoteIdent(name) }

// notInFile first analyzes from: autovacuum never sees a temporary
// table, and without its statistics PostgreSQL sorted both sides of the
// DELETE for a merge anti join (2.6 s at a million keys) where it hashes
// them once it knows their number (1.1 s; ANALYZE samples 30,000 rows).
func (*postgresDialect) notInFile(ctx context.Context, tx *Tx, ds *Dataset, from []string) (string, error) {
	conds := make([]string, len(from))
	for i, f := range from {
		if _, err := tx.ExecContext(ctx, "ANALYZE "+quoteIdent(f)); err != nil {
			return "", fmt.Errorf("analyze %s: %w", f, err)
		}
		conds[i] = notExists(ds, f)
	}
	return strings.Join(conds, " AND "), nil
}

// Encode leaves values as they are for the COPY text writer;
// timestamps are rounded to the microsecond PostgreSQL keeps, so
// equal stored values have equal keys.
func (*postgresDialect) Encode(c Column, v any) (any, error) {
	switch x := v.(type) {
	case time.Time:
		if c.Type == Timestamp {
			return x.Round(time.Microsecond), nil
		}
	case string:
		// An application's VARCHAR(n) would fail the whole COPY.
		if c.Type == Text && c.Limits != nil && c.Limits.MaxChars > 0 {
			if n := utf8.RuneCountInString(x); n > c.Limits.MaxChars {
				return nil, fmt.Errorf("text is %d characters; the column holds %d", n, c.Limits.MaxChars)
			}
		}
	}
	return v, nil
}

// Lock is a session-level advisory lock, keyed by a hash of the name in
// the current database.
func (*postgresDialect) Lock(ctx context.Context, db *DB, name string, wait time.Duration) (func() error, error) {
	key := "sluice:" + name
	return sessionLock(ctx, db, wait,
		func(ctx context.Context, conn bun.Conn) (ok bool, err error) {
			err = conn.NewRaw("SELECT pg_try_advisory_lock(hashtextextended(?, 0))", key).Scan(ctx, &ok)
			return ok, err
		},
		func(ctx context.Context, conn bun.Conn) (ok bool, err error) {
			err = conn.NewRaw("SELECT pg_advisory_unlock(hashtextextended(?, 0))", key).Scan(ctx, &ok)
			return ok, err
		})
}
