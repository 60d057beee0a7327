package models

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
)

// sqliteDialect is the embedded default. Connections are limited to one:
// SQLite has a single writer anyway, and one connection keeps the staging
// temp table and the transaction on the same handle.
type sqliteDialect struct {
	// busyTimeout is how long SQLite waits for another writer's lock
	// (pysqlite's timeout option, in seconds in the URL).
	busyTimeout time.Duration
	// rowsPerStmt is how many rows one INSERT of the bulk path takes,
	// every value bound to a statement prepared once. The cgo driver is
	// fastest at rowsPerStatement; the pure-Go one, whose SQLite parses
	// and plans a statement's VALUES rows slower than it runs one prepared
	// row, at 1 (BenchmarkSQLiteWritePaths: 93,000 rows/s against 72,000
	// for 100 rows formatted into the text and 52,000 bound; BENCHMARKS.md).
	rowsPerStmt int
}

// defaultBusyTimeout is how long SQLite waits for another writer unless
// the URL's timeout option says otherwise: a web app's own writes are
// short, and a second importer waits on the job lock instead.
const defaultBusyTimeout = 10 * time.Second

var _ Dialect = (*sqliteDialect)(nil)

func newSQLite() *sqliteDialect {
	d := &sqliteDialect{busyTimeout: defaultBusyTimeout, rowsPerStmt: rowsPerStatement}
	if sqlitePureGo {
		d.rowsPerStmt = 1
	}
	return d
}

func (*sqliteDialect) Name() string { return "sqlite" }

// SQLiteDriver names the SQLite implementation this binary was built with:
// "github.com/mattn/go-sqlite3" when cgo was on (the default where a C
// compiler is found), else "modernc.org/sqlite" (pure Go).
func SQLiteDriver() string {
	if sqlitePureGo {
		return "modernc.org/sqlite"
	}
	return "github.com/mattn/go-sqlite3"
}

// SQLitePureGo reports whether this binary's SQLite driver is the pure-Go
// one, which loads a large file about 1.5–2× slower.
func SQLitePureGo() bool { return sqlitePureGo }

func (d *sqliteDialect) Open(ctx context.Context, t Target) (*bun.DB, error) {
	// A URI filename: '?', '#' and '%' in the path must be escaped, or
	// SQLite would read them as the start of parameters.
	dsn := "file:" + (&url.URL{Path: t.Path}).EscapedPath()
	if t.Path == ":memory:" {
		dsn = "file::memory:"
	}
	// _txlock=immediate takes the write lock at BEGIN, so two importers
	// queue on busy_timeout instead of failing half-way with SQLITE_BUSY.
	// Both drivers understand it.
	dsn += "?_txlock=immediate"
	if t.Path != ":memory:" {
		createPrivate(t.Path)
	}
	sqldb, err := sql.Open(sqliteDriverName, dsn)
	if err != nil {
		return nil, err
	}
	sqldb.SetMaxOpenConns(1)
	sqldb.SetConnMaxLifetime(0)
	db := bun.NewDB(sqldb, sqlitedialect.New())
	pragmas := []string{
		fmt.Sprintf("PRAGMA busy_timeout = %d", d.busyTimeout.Milliseconds()),
		"PRAGMA foreign_keys = ON",
		"PRAGMA synchronous = NORMAL",
		// A fixed page cache keeps memory flat whatever the file's size;
		// 16 MiB loads as fast as larger ones measured.
		fmt.Sprintf("PRAGMA cache_size = -%d", sqliteCacheKiB),
		"PRAGMA temp_store = FILE",
	}
	if t.Path == ":memory:" {
		pragmas = pragmas[:2]
	}
	for _, p := range pragmas {
		if _, err := db.ExecContext(ctx, p); err != nil {
			db.Close()
			return nil, sqliteHint(t.Path, fmt.Errorf("%s: %w", p, err))
		}
	}
	if t.Path != ":memory:" {
		if err := useWALIfNew(ctx, db); err != nil {
			db.Close()
			return nil, sqliteHint(t.Path, err)
		}
	}
	return db, nil
}

// useWALIfNew puts a database sluice creates in WAL mode, so the web app
// can read while an import writes (at the price of writing each page
// twice, see BENCHMARKS.md). The journal mode is a property of the file:
// an existing database keeps the one its owner chose.
func useWALIfNew(ctx context.Context, db *bun.DB) error {
	var pages int64
	if err := db.NewRaw("PRAGMA page_count").Scan(ctx, &pages); err != nil {
		return fmt.Errorf("PRAGMA page_count: %w", err)
	}
	if pages > 0 {
		return nil
	}
	if _, err := db.ExecContext(ctx, "PRAGMA journal_mode = WAL"); err != nil {
		return fmt.Errorf("PRAGMA journal_mode = WAL: %w", err)
	}
	return nil
}

func (*sqliteDialect) ColumnType(c Column) string {
	switch c.Type {
	case Integer:
		return "BIGINT"
	case Real:
		return "DOUBLE PRECISION"
	case Decimal:
		// NUMERIC affinity, as SQLAlchemy's Numeric creates it.
		if c.Precision > 0 {
			return fmt.Sprintf("DECIMAL(%d,%d)", c.Precision, c.Scale)
		}
		return "DECIMAL"
	case Boolean:
		return "BOOLEAN"
	case Date:
		return "DATE"
	case Timestamp:
		return "DATETIME"
	}
	return "TEXT"
}

func (*sqliteDialect) Inspect(ctx context.Context, db bun.IDB, table string) (TableInfo, error) {
	var info TableInfo
	var cols []struct {
		Name    string  `bun:"name"`
		Type    string  `bun:"type"`
		NotNull bool    `bun:"not_null"`
		Default *string `bun:"dflt_value"`
		PK      int     `bun:"pk"`
	}
	if err := db.NewRaw("SELECT name, type, \"notnull\" AS not_null, dflt_value, pk FROM pragma_table_info(?) ORDER BY cid", table).Scan(ctx, &cols); err != nil {
		return info, err
	}
	if len(cols) == 0 {
		return info, nil
	}
	info.Exists = true
	pk := make([]string, len(cols))
	pks := 0
	for _, c := range cols {
		if c.PK > 0 {
			pks++
		}
	}
	for _, c := range cols {
		info.Columns = append(info.Columns, c.Name)
		if c.PK > 0 {
			pk[c.PK-1] = c.Name // pk is the column's place in the key
		}
		// An INTEGER PRIMARY KEY is the rowid: SQLite numbers it.
		rowid := c.PK > 0 && pks == 1 && strings.EqualFold(c.Type, "INTEGER")
		info.Details = append(info.Details, ColumnInfo{Name: c.Name, NotNull: c.NotNull, Filled: c.Default != nil || rowid})
	}
	if pk = slices.DeleteFunc(pk, func(s string) bool { return s == "" }); len(pk) > 0 {
		info.PrimaryKey = pk
		info.Unique = append(info.Unique, pk)
	}
	var idx []struct {
		Name    string `bun:"name"`
		Unique  bool   `bun:"unique"`
		Partial bool   `bun:"partial"`
		Origin  string `bun:"origin"`
	}
	if err := db.NewRaw("SELECT name, \"unique\", partial, origin FROM pragma_index_list(?)", table).Scan(ctx, &idx); err != nil {
		return info, err
	}
	for _, ix := range idx {
		// A partial unique index cannot serve ON CONFLICT for all rows;
		// the primary key's own index is listed already.
		if !ix.Unique || ix.Partial || ix.Origin == "pk" {
			continue
		}
		var names []string
		if err := db.NewRaw("SELECT name FROM pragma_index_info(?) ORDER BY seqno", ix.Name).Scan(ctx, &names); err != nil {
			return info, err
		}
		info.Unique = append(info.Unique, names)
	}
	return info, nil
}

// Describe: SQLite has no bulk path of its own; prepared multi-row
// INSERTs inside one transaction are the fastest way in.
func (d *sqliteDialect) Describe() string {
	return fmt.Sprintf("multi-row INSERT (%d rows a statement)", rowsPerStatement)
}

func (*sqliteDialect) TransactionalDDL() bool { return true }
func (*sqliteDialect) tableOptions() string   { return "" }

func (*sqliteDialect) Updated(affected, inserted int64) int64 { return affected - inserted }
func (*sqliteDialect) UpsertsRepeatedKeys() bool              { return true }
func (*sqliteDialect) StageDedupes() bool                     { return false }

func (d *sqliteDialect) CreateStage(ctx context.Context, tx *Tx, stage string, ds *Dataset) error {
	var b strings.Builder
	// The line doubles as rowid: appends stay sequential and "last
	// occurrence wins" is max(line).
	fmt.Fprintf(&b, "CREATE TEMP TABLE %s (sluice_line INTEGER PRIMARY KEY", quoteIdent(stage))
	// Key columns group repeats as the table's key compares them.
	colls, err := sqliteKeyCollations(ctx, tx, ds)
	if err != nil {
		return err
	}
	for _, c := range ds.Columns {
		fmt.Fprintf(&b, ", %s %s", quoteIdent(c.Name), d.ColumnType(c))
		if coll := colls[strings.ToLower(c.Name)]; coll != "" && !strings.EqualFold(coll, "BINARY") {
			fmt.Fprintf(&b, " COLLATE %s", quoteIdent(coll))
		}
	}
	b.WriteString(")")
	if _, err := tx.ExecContext(ctx, "DROP TABLE IF EXISTS temp."+quoteIdent(stage)); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, b.String())
	return err
}

func (*sqliteDialect) distinct(a, b string) string { return a + " IS NOT " + b }

func (d *sqliteDialect) MergeStage(ctx context.Context, tx *Tx, stage string, ds *Dataset, mode Mode, _ int64) (dups, affected int64, err error) {
	if dups, err = dedupeNotIn(ctx, tx, stage, ds); err != nil {
		return 0, 0, err
	}
	if affected, err = execAffected(ctx, tx, upsertOnConflict(ds, stage, mode, d.distinct)); err != nil {
		return 0, 0, err
	}
	return dups, affected, nil
}

func (*sqliteDialect) dropTemp(name string) string { return "DROP TABLE temp." + quoteIdent(name) }

// sqliteCacheKiB is the page cache of a connection, in KiB.
const sqliteCacheKiB = 16384

// sqliteSortCacheKiB is the page cache while a sync's statement runs.
// SQLite sizes the runs its sorter keeps in memory by the page cache, and
// the sort of a million keys in 16 MiB runs took the import's peak from
// 63–67 MiB to 76–80 MiB, for no time saved over 4 MiB runs.
const sqliteSortCacheKiB = 4096

// execSync runs the sync's statement (see notInFile) with the smaller
// cache its sort needs, and gives the connection its cache back after.
func (*sqliteDialect) execSync(ctx context.Context, tx *Tx, q string, args ...any) (sql.Result, error) {
	var cache int64
	if err := tx.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&cache); err != nil {
		return nil, fmt.Errorf("read cache_size: %w", err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", sqliteSortCacheKiB)); err != nil {
		return nil, err
	}
	res, err := tx.ExecContext(ctx, q, args...)
	if _, rerr := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = %d", cache)); err == nil && rerr != nil {
		return nil, fmt.Errorf("restore cache_size: %w", rerr)
	}
	return res, err
}

// notInFile takes the keys of the file from the keys of the table as one
// ordered EXCEPT, which SQLite runs as a merge of the table's key index,
// read in order, with the sorted keys of from: NOT IN had it insert every
// key of from into an index of its own one at a time, and then look every
// key of the table up there (the DELETE of 52,500 rows of 1,050,000 took
// 0.53–0.60 s so, 0.72–0.96 s with NOT IN; an index made on from first
// saved nothing). The rows are then found by key.
//
// The table's side names the collation of the index that serves its key,
// which is how the upsert matched the file's rows to the table's: for a
// column of its own collation under an index of another, EXCEPT (as NOT
// IN did) would compare by the column's, and take a row the file updated
// for gone.
func (*sqliteDialect) notInFile(ctx context.Context, tx *Tx, ds *Dataset, from []string) (string, error) {
	colls, err := sqliteKeyCollations(ctx, tx, ds)
	if err != nil {
		return "", err
	}
	keys := quoteAll(ds.Key)
	mine := make([]string, len(keys))
	order := make([]string, len(keys))
	for i, k := range keys {
		mine[i] = k
		if c := colls[strings.ToLower(ds.Key[i])]; c != "" {
			mine[i] = k + " COLLATE " + quoteIdent(c)
		}
		order[i] = strconv.Itoa(i + 1)
	}
	var b strings.Builder
	lhs := strings.Join(keys, ", ")
	if len(keys) > 1 {
		lhs = "(" + lhs + ")"
	}
	fmt.Fprintf(&b, "%s IN (SELECT %s FROM %s", lhs, strings.Join(mine, ", "), quoteIdent(ds.Table))
	for _, f := range from {
		fmt.Fprintf(&b, " EXCEPT SELECT %s FROM %s", strings.Join(keys, ", "), quoteIdent(f))
	}
	fmt.Fprintf(&b, " ORDER BY %s)", strings.Join(order, ", "))
	return b.String(), nil
}

func (d *sqliteDialect) NewBulkWriter(ctx context.Context, tx *Tx, t BulkTarget) (BulkWriter, error) {
	suffix := ""
	if !t.Line {
		suffix = " " + onConflict(t.Dataset, t.Mode, d.distinct)
	}
	// SQLite's default limit on bind parameters is 32766 since 3.32.
	return newMultiRowWriter(ctx, tx, t, "INSERT", suffix, d.rowsPerStmt, 32766)
}

// Encode stores dates and times as the text SQLAlchemy writes and
// reads on SQLite ("2026-09-01", "2026-09-01 18:00:00.000000"), so the
// Flask app sees date and datetime objects; booleans as 1/0.
func (*sqliteDialect) Encode(c Column, v any) (any, error) {
	switch x := v.(type) {
	case time.Time:
		if c.Type == Date {
			return x.Format(time.DateOnly), nil
		}
		return x.UTC().Format("2006-01-02 15:04:05.000000"), nil
	case bool:
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	case string:
		if c.Type == Decimal {
			return sqliteDecimal(x)
		}
	}
	return v, nil
}

// sqliteMaxDigits is how many significant digits SQLite keeps of a
// non-integer in a NUMERIC column: it stores a 64-bit float.
const sqliteMaxDigits = 15

// sqliteDecimal encodes a canonical decimal for a NUMERIC column, which
// SQLite stores as an integer when the value is whole and fits 64 bits,
// and as a float otherwise (as SQLAlchemy's Numeric does there). The float
// is rounded here, correctly, rather than by SQLite's own text conversion,
// which can be one unit off in the last place; a value with more
// significant digits than a float keeps is rejected, not rounded.
func sqliteDecimal(s string) (any, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if strings.Trim(frac, "0") == "" {
		if n, err := strconv.ParseInt(whole, 10, 64); err == nil {
			return n, nil
		}
	}
	digits := strings.TrimRight(strings.TrimLeft(strings.TrimPrefix(whole, "-")+frac, "0"), "0")
	if n := len(digits); n > sqliteMaxDigits {
		return nil, fmt.Errorf("decimal %s has %d significant digits; SQLite keeps %d in a DECIMAL column (store it as text, or use PostgreSQL or MySQL)", s, n, sqliteMaxDigits)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, fmt.Errorf("decimal %s: %w", s, err)
	}
	return f, nil
}

// SQLite's errors say what is wrong in their own words, and sqliteHint
// adds the usual file-system causes when the file will not open.
func (*sqliteDialect) diagnose(Target, error) *ServerError { return nil }
func (*sqliteDialect) denied(error) bool                   { return false }
func (*sqliteDialect) lostHint() string                    { return "" }
func (*sqliteDialect) grant(Target, string, string) string { return "" }

// unreachable: the busy error, from either driver, once busy_timeout ran
// out; another writer will let go.
func sqliteUnreachable(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "database is locked") || strings.Contains(msg, "SQLITE_BUSY")
}

// addPrimaryKey: SQLite cannot add one to a table; it must be rebuilt.
func (*sqliteDialect) addPrimaryKey(ds *Dataset) string {
	return fmt.Sprintf("SQLite cannot add one to a table, so rebuild it: CREATE TABLE %[1]s_new (…, PRIMARY KEY (%[2]s)); INSERT INTO %[1]s_new SELECT * FROM %[1]s; DROP TABLE %[1]s; ALTER TABLE %[1]s_new RENAME TO %[1]s",
		ds.Table, strings.Join(ds.Key, ", "))
}

// upsertOnConflict is SQLite's merge: one INSERT … ON CONFLICT, which
// numbers only the rows it inserts (the rowid is taken on insert). The
// WHERE on DO UPDATE keeps equal rows unwritten, so they are neither
// counted nor touched (no WAL growth, no trigger fires).
func upsertOnConflict(ds *Dataset, stage string, mode Mode, distinct func(a, b string) string) string {
	list := strings.Join(quoteAll(ds.ColumnNames()), ", ")
	// "WHERE true" resolves SQLite's parsing ambiguity between a join
	// clause and ON CONFLICT after INSERT … SELECT.
	return fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s WHERE true ",
		quoteIdent(ds.Table), list, list, quoteIdent(stage)) + onConflict(ds, mode, distinct)
}

// onConflict is the ON CONFLICT clause: update rows that differ, or
// leave existing rows alone.
func onConflict(ds *Dataset, mode Mode, distinct func(a, b string) string) string {
	var sets, diffs []string
	for _, c := range ds.Columns {
		if ds.IsKey(c.Name) {
			continue
		}
		id := quoteIdent(c.Name)
		sets = append(sets, id+" = excluded."+id)
		diffs = append(diffs, distinct(quoteIdent(ds.Table)+"."+id, "excluded."+id))
	}
	q := "ON CONFLICT (" + strings.Join(quoteAll(ds.Key), ", ") + ") "
	if !mode.updates() || len(sets) == 0 {
		return q + "DO NOTHING"
	}
	return q + "DO UPDATE SET " + strings.Join(sets, ", ") + " WHERE " + strings.Join(diffs, " OR ")
}
