package models

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-sql-driver/mysql"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/mysqldialect"
)

// mysqlDialect serves MySQL and MariaDB through go-sql-driver/mysql.
type mysqlDialect struct {
	cfg *mysql.Config // from the URL (see parseMySQL)
	// keyCollation is the collation of the text key columns of the
	// tables sluice creates (see mysqlKeyCollations).
	keyCollation string
	// loadData is whether the server takes LOAD DATA LOCAL INFILE
	// (local_infile=ON, the MariaDB default); without it rows go in as
	// multi-row INSERT … ON DUPLICATE KEY UPDATE.
	loadData bool
}

var _ Dialect = (*mysqlDialect)(nil)

func (*mysqlDialect) Name() string { return "mysql" }

// mysqlSQLMode is every sluice session's sql_mode. ANSI_QUOTES lets the
// SQL shared with the other databases quote names with double quotes
// (Bun's own queries use backticks, which still work); the strict modes
// make a value the column cannot hold an error rather than a warning
// and a silently changed value.
const mysqlSQLMode = "'ANSI_QUOTES,STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'"

func (d *mysqlDialect) Open(ctx context.Context, t Target) (*bun.DB, error) {
	cfg := d.cfg.Clone()
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	cfg.Params["sql_mode"] = mysqlSQLMode
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, Diagnose(t, err)
	}
	sqldb := sql.OpenDB(conn)
	sqldb.SetMaxOpenConns(pgMaxConns)
	sqldb.SetMaxIdleConns(pgMaxConns)
	// The server closes idle sessions after wait_timeout; a pooled
	// connection older than that would fail its first query.
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	// Ping before Bun sees the pool: its dialect queries the server's
	// version as it starts and logs on failure, outside sluice's logs.
	if err := sqldb.PingContext(ctx); err != nil {
		sqldb.Close()
		return nil, Diagnose(t, err)
	}
	var infile int
	if err := sqldb.QueryRowContext(ctx, "SELECT @@GLOBAL.local_infile").Scan(&infile); err != nil {
		sqldb.Close()
		return nil, Diagnose(t, err)
	}
	d.loadData = infile == 1
	if d.keyCollation, err = keyCollation(ctx, sqldb); err != nil {
		sqldb.Close()
		return nil, Diagnose(t, err)
	}
	return bun.NewDB(sqldb, mysqldialect.New()), nil
}

// mysqlKeyChars is the length of a text key column sluice creates:
// InnoDB indexes up to 3072 bytes, 768 utf8mb4 characters, and 255
// leaves room for a composite key of three text columns.
const mysqlKeyChars = 255

// mysqlTextBytes is what a TEXT column holds.
const mysqlTextBytes = 65535

// mysqlDecimal is the DECIMAL sluice creates for a decimal column without
// a declared precision: MySQL's widest, where DECIMAL alone would be
// DECIMAL(10,0) and round away every fraction.
const mysqlDecimalPrecision, mysqlDecimalScale = 65, 30

func (d *mysqlDialect) ColumnType(c Column) string {
	switch c.Type {
	case Integer:
		return "BIGINT"
	case Real:
		return "DOUBLE"
	case Decimal:
		if c.Precision > 0 {
			return fmt.Sprintf("DECIMAL(%d,%d)", c.Precision, c.Scale)
		}
		return fmt.Sprintf("DECIMAL(%d,%d)", mysqlDecimalPrecision, mysqlDecimalScale)
	case Boolean:
		return "BOOLEAN"
	case Date:
		return "DATE"
	case Timestamp:
		// MySQL has no zoned timestamp; DATETIME(6) holds the UTC time
		// (the session's zone is UTC), without TIMESTAMP's 2038 limit.
		return "DATETIME(6)"
	}
	if c.Key {
		// A binary collation: keys compare as on the other databases, and
		// as the key scan folds them.
		return fmt.Sprintf("VARCHAR(%d) CHARACTER SET utf8mb4 COLLATE %s", mysqlKeyChars, d.keyCollation)
	}
	// Whatever the server's default (often latin1): a file's text is
	// Unicode, and one emoji would otherwise fail the file.
	return "TEXT CHARACTER SET utf8mb4"
}

func (*mysqlDialect) Inspect(ctx context.Context, db bun.IDB, table string) (TableInfo, error) {
	var info TableInfo
	var columns []struct {
		Name      string  `bun:"name"`
		NotNull   bool    `bun:"not_null"`
		Filled    bool    `bun:"filled"`
		Precision *int    `bun:"numeric_precision"`
		Scale     *int    `bun:"numeric_scale"`
		Type      string  `bun:"data_type"`
		Charset   *string `bun:"charset"`
		MaxChars  *int64  `bun:"max_chars"`
		MaxBytes  *int64  `bun:"max_bytes"`
	}
	// MariaDB reports a column without a default as "NULL" text in
	// column_default, MySQL as SQL NULL; a nullable column's NULL default
	// needs no value anyway.
	err := db.NewRaw(`SELECT column_name AS name, is_nullable = 'NO' AS not_null,
			(column_default IS NOT NULL AND column_default <> 'NULL' OR extra LIKE '%auto_increment%' OR extra LIKE '%GENERATED%') AS filled,
			numeric_precision AS numeric_precision, numeric_scale AS numeric_scale, data_type AS data_type, character_set_name AS charset,
			character_maximum_length AS max_chars, character_octet_length AS max_bytes
		FROM information_schema.columns
		WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position`, table).Scan(ctx, &columns)
	if err != nil || len(columns) == 0 {
		return info, err
	}
	info.Exists = true
	for _, c := range columns {
		info.Columns = append(info.Columns, c.Name)
		ci := ColumnInfo{Name: c.Name, NotNull: c.NotNull, Filled: c.Filled}
		if c.Type == "decimal" && c.Precision != nil && c.Scale != nil {
			ci.Precision, ci.Scale = *c.Precision, *c.Scale
		}
		if c.Charset != nil {
			ci.Charset = *c.Charset
		}
		switch {
		case c.MaxChars == nil:
		case c.Type == "varchar" || c.Type == "char":
			ci.MaxChars = int(*c.MaxChars)
		case c.MaxBytes != nil && *c.MaxBytes < 1<<31: // a TEXT's limit is in bytes; LONGTEXT's 4 GiB is none
			ci.MaxBytes = int(*c.MaxBytes)
		}
		info.Details = append(info.Details, ci)
	}
	var parts []struct {
		Index  string  `bun:"index_name"`
		Column *string `bun:"column_name"`
		Prefix *int64  `bun:"sub_part"`
	}
	err = db.NewRaw(`SELECT index_name AS index_name, column_name AS column_name, sub_part AS sub_part
		FROM information_schema.statistics
		WHERE table_schema = DATABASE() AND table_name = ? AND non_unique = 0
		ORDER BY index_name, seq_in_index`, table).Scan(ctx, &parts)
	if err != nil {
		return info, err
	}
	// A prefix or expression part makes the index stricter than the key
	// or not about it: such an index cannot match rows by the key.
	bad := map[string]bool{}
	cols := map[string][]string{}
	var order []string
	for _, p := range parts {
		if p.Column == nil || p.Prefix != nil {
			bad[p.Index] = true
			continue
		}
		if _, seen := cols[p.Index]; !seen {
			order = append(order, p.Index)
		}
		cols[p.Index] = append(cols[p.Index], *p.Column)
	}
	for _, ix := range order {
		if !bad[ix] {
			info.Unique = append(info.Unique, cols[ix])
		}
		if ix == "PRIMARY" {
			info.PrimaryKey = cols[ix]
		}
	}
	return info, nil
}

func (*mysqlDialect) TransactionalDDL() bool { return false }
func (*mysqlDialect) tableOptions() string   { return " DEFAULT CHARACTER SET utf8mb4" }

// Updated: MySQL reports 1 per inserted row and 2 per updated row of an
// INSERT … ON DUPLICATE KEY UPDATE (0 for a row left as it was), and
// MergeStage reports its other merge the same way.
func (*mysqlDialect) Updated(affected, inserted int64) int64 { return (affected - inserted) / 2 }

// UpsertsRepeatedKeys is false: LOAD DATA cannot resolve a key met twice,
// and the multi-row INSERT path, which could, would keep a new key's first
// spelling under a case-insensitive collation where the stage keeps the
// last; both paths stage repeats alike.
func (*mysqlDialect) UpsertsRepeatedKeys() bool { return false }

// StageDedupes is true: the stage has the table's key, under the table's
// collations, and is written with REPLACE, so the server itself keeps the
// last of each key however its collation compares them. Deduplicating a
// stage afterwards (GROUP BY into a second temporary table) took 20 s at
// a million rows under utf8mb4_general_ci.
func (*mysqlDialect) StageDedupes() bool { return true }

// Describe says whether the server lets sluice use LOAD DATA.
func (d *mysqlDialect) Describe() string {
	if d.loadData {
		return "LOAD DATA LOCAL INFILE"
	}
	return "multi-row INSERT (the server has local_infile=OFF; SET GLOBAL local_infile = ON loads faster)"
}

// CreateStage copies the target's column types, collations included, and
// gives the stage the table's key: the stage must tell keys apart as the
// table does (see StageDedupes).
func (*mysqlDialect) CreateStage(ctx context.Context, tx *Tx, stage string, ds *Dataset) error {
	return createStage(ctx, tx, stage, ds)
}

// NewBulkWriter writes a stage (with REPLACE: it keeps the last row of a
// key), or an empty table (t.Fresh: no row meets another). Into a table
// with rows every row goes through the stage (see StageDedupes).
func (d *mysqlDialect) NewBulkWriter(ctx context.Context, tx *Tx, t BulkTarget) (BulkWriter, error) {
	if !t.Line && !t.Fresh {
		return nil, fmt.Errorf("bulk write into %s: MySQL writes a table with rows through its stage", t.Table)
	}
	if d.loadData {
		return newLoadDataWriter(ctx, tx, t)
	}
	verb := "INSERT"
	if t.Line {
		verb = "REPLACE"
	}
	return newMultiRowWriter(ctx, tx, t, verb, "", rowsPerStatement, 65535)
}

// Encode checks what MySQL would refuse or change: text longer than the
// column sluice creates, decimals beyond DECIMAL(65,30); timestamps are
// rounded to the microsecond DATETIME(6) keeps.
func (*mysqlDialect) Encode(c Column, v any) (any, error) {
	switch x := v.(type) {
	case time.Time:
		if c.Type == Timestamp {
			return x.UTC().Round(time.Microsecond), nil
		}
	case string:
		if c.Type == Decimal {
			if c.Precision == 0 {
				whole, frac, _ := strings.Cut(strings.TrimPrefix(x, "-"), ".")
				if len(frac) > mysqlDecimalScale || len(strings.TrimLeft(whole, "0")) > mysqlDecimalPrecision-mysqlDecimalScale {
					return nil, fmt.Errorf("decimal %s does not fit MySQL's DECIMAL(%d,%d); declare precision and scale", x, mysqlDecimalPrecision, mysqlDecimalScale)
				}
			}
			return v, nil
		}
		if c.Type == Text {
			return v, mysqlFits(c, x)
		}
	}
	return v, nil
}

// mysqlFits says why text x does not fit column c: longer than the
// column, or characters its charset cannot store (a strict session would
// fail the file on it; as a reject the rest of the file lands).
func mysqlFits(c Column, x string) error {
	lim := c.Limits
	if lim == nil { // a column sluice makes
		lim = &ColumnInfo{Charset: "utf8mb4", MaxBytes: mysqlTextBytes}
		if c.Key {
			lim.MaxChars, lim.MaxBytes = mysqlKeyChars, 0
		}
	}
	if lim.MaxChars > 0 {
		if n := utf8.RuneCountInString(x); n > lim.MaxChars {
			return fmt.Errorf("text is %d characters; the column holds %d", n, lim.MaxChars)
		}
	}
	if lim.MaxBytes > 0 && len(x) > lim.MaxBytes {
		return fmt.Errorf("text is %d bytes; the column holds %d", len(x), lim.MaxBytes)
	}
	return charsetFits(lim.Charset, x)
}

// Lock is GET_LOCK, which is server-wide: the name carries the database.
// Names are limited to 64 characters, so long ones are hashed.
func (*mysqlDialect) Lock(ctx context.Context, db *DB, name string, wait time.Duration) (func() error, error) {
	key := "sluice:" + db.Target.Database + ":" + name
	if len(key) > 64 {
		sum := sha256.Sum256([]byte(key))
		key = "sluice:" + hex.EncodeToString(sum[:])[:40]
	}
	return sessionLock(ctx, db, wait,
		func(ctx context.Context, conn bun.Conn) (bool, error) {
			var got *int64 // NULL on error
			err := conn.NewRaw("SELECT GET_LOCK(?, 0)", key).Scan(ctx, &got)
			return got != nil && *got == 1, err
		},
		func(ctx context.Context, conn bun.Conn) (bool, error) {
			var got *int64
			err := conn.NewRaw("SELECT RELEASE_LOCK(?)", key).Scan(ctx, &got)
			return got != nil && *got == 1, err
		})
}
