package models

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Dialect is everything that differs between databases. The rest of
// sluice speaks only through it, so adding a database never touches the
// importer. Keep it small enough to read in one screen.
type Dialect interface {
	// Name is "sqlite", "postgres" or "mysql".
	Name() string
	// Open connects to the target and prepares the session (pragmas,
	// time zone) so that every connection behaves the same.
	Open(ctx context.Context, t Target) (*bun.DB, error)
	// Describe names how rows reach the table, as they really do, for
	// sluice check ("COPY (text)"). It may depend on the server (Open
	// first).
	Describe() string
	// ColumnType is the SQL type a new table uses for c.
	ColumnType(c Column) string
	// Inspect reports an existing table's columns and unique indexes.
	Inspect(ctx context.Context, db bun.IDB, table string) (TableInfo, error)
	// TransactionalDDL is false where CREATE TABLE commits the open
	// transaction (MySQL): tables are then created before it begins, in
	// one statement with their unique key.
	TransactionalDDL() bool
	// UpsertsRepeatedKeys is true where one upsert statement may meet the
	// same key twice, the later row winning (SQLite). Elsewhere rows whose
	// key repeats in a file always go through the stage.
	UpsertsRepeatedKeys() bool
	// KeyFold returns how to fold the text of ds's key so that any two
	// keys the existing table compares equal fold equal (a collation that
	// ignores case or trailing spaces), for the key scan; folding more
	// only stages more rows. nil means no fold in Go can promise that
	// (MySQL's _ci collations, PostgreSQL's nondeterministic ones, citext):
	// every row is then staged and the database finds the repeats itself.
	KeyFold(ctx context.Context, db bun.IDB, ds *Dataset) (func(string) string, error)
	// CreateStage creates an empty session-private staging table named
	// stage shaped like ds plus a leading line column.
	CreateStage(ctx context.Context, tx *Tx, stage string, ds *Dataset) error
	// NewBulkWriter returns the fastest way this database has to append
	// rows to a table inside tx.
	NewBulkWriter(ctx context.Context, tx *Tx, t BulkTarget) (BulkWriter, error)
	// Encode turns a converted value (see Type) into what the driver
	// stores for column c, or says why this database cannot store it
	// exactly (the row is then rejected). The importer calls it while
	// parsing, off the writer's goroutine. Equal values must encode
	// equal, and values the database holds equal should too.
	Encode(c Column, v any) (any, error)
	// StageDedupes is true where rows written to a stage keep only the last
	// of each key as the table compares keys (MySQL: the stage has the
	// table's key, loaded with REPLACE). Then only an empty table is
	// worth a key scan, for its bulk load; into one with rows, every row
	// goes through the stage.
	StageDedupes() bool
	// MergeStage keeps only the last line of each key in the stage and
	// merges it into the table as mode says; equal rows are not written.
	// The stage stays (a sync reads its keys after the merge) until the
	// load drops it with dropTemp. staged is how many rows were written to the stage. It
	// returns the rows dropped as earlier duplicates and the rows the
	// database reported affected.
	MergeStage(ctx context.Context, tx *Tx, stage string, ds *Dataset, mode Mode, staged int64) (dups, affected int64, err error)
	// Updated turns the rows the database reported affected by a load's
	// statements into rows updated, given how many were inserted (MySQL
	// counts an updated row twice, as ON DUPLICATE KEY reports it).
	Updated(affected, inserted int64) int64
	// Lock takes the cross-process lock called name, waiting up to wait
	// for another holder to let go; it returns ErrLocked if it could not.
	// The lock goes with the process: a crash releases it.
	Lock(ctx context.Context, db *DB, name string, wait time.Duration) (release func() error, err error)

	// diagnose explains this database's own error codes (a wrong
	// password, an unknown database) with what to do; nil for others.
	diagnose(t Target, err error) *ServerError
	// lostHint is what to look at when the connection broke in the
	// middle of an import: the ways this server closes one.
	lostHint() string
	// denied reports whether err is the server refusing for want of a
	// privilege.
	denied(err error) bool
	// grant is the statement an administrator runs to give t's user
	// privilege (CREATE, INSERT, UPDATE) on table.
	grant(t Target, privilege, table string) string
	// addPrimaryKey says how to give an existing table without one the
	// key as its primary key.
	addPrimaryKey(ds *Dataset) string
	// dropTemp is the statement that drops the temporary table name.
	dropTemp(name string) string
	// notInFile is the condition on a row of ds's table that its key is
	// in none of the temporary tables from (see syncLoad), under the
	// table's key comparison: the form this database plans as a hash or
	// index lookup, or a merge.
	notInFile(ctx context.Context, tx *Tx, ds *Dataset, from []string) (string, error)
	// tableOptions follow the column list of a CREATE TABLE sluice runs.
	tableOptions() string
	// autoIncrement names the table's column the database numbers itself
	// by a counter a bulk load would move past the rows it inserts (MySQL's
	// AUTO_INCREMENT); "" for none, or where a bulk load moves it exactly.
	autoIncrement(ctx context.Context, db bun.IDB, table string) (string, error)
}

// TableInfo is what Inspect finds.
type TableInfo struct {
	Exists  bool
	Columns []string
	// Unique lists the column sets of the unique indexes and constraints
	// (the primary key included).
	Unique [][]string
	// PrimaryKey is the primary key's columns; none for a table made by
	// an earlier release (a unique index only), which an ORM reflecting
	// the table cannot map.
	PrimaryKey []string
	// Details are the columns' properties, in Columns order.
	Details []ColumnInfo
}

// ColumnInfo is what an import must know of an existing table's column.
type ColumnInfo struct {
	Name    string
	NotNull bool
	// Filled says the database fills the column when an insert leaves it
	// out: a default, an identity, AUTO_INCREMENT, a generated column,
	// SQLite's rowid.
	Filled bool
	// Precision and Scale are a fixed-point column's (NUMERIC(10,2));
	// 0 for any other, and on SQLite, which does not keep to them.
	Precision, Scale int
	// Charset is a MySQL text column's character set ("latin1").
	Charset string
	// MaxChars is a VARCHAR or CHAR column's length in characters, and
	// MaxBytes a MySQL TEXT column's in bytes; 0 for none.
	MaxChars, MaxBytes int
}

// BulkTarget says where a BulkWriter writes.
type BulkTarget struct {
	Table   string
	Dataset *Dataset
	// Line writes Row.Line into the leading sluice_line column: the
	// target is a stage, with no key, so rows are plainly inserted.
	Line bool
	// Fresh says no row written can meet a key already in the table or
	// written before (an empty table, keys unique in the file), so the
	// writer may use a plain bulk load.
	Fresh bool
	// Mode is what to do with a row whose key is already in the table.
	Mode Mode
	// Keep leaves a writer's temporary merge table in place after the
	// merge, for a sync to read the file's keys from (see keptTable);
	// the load drops it.
	Keep bool
}

// keptTable is a BulkWriter whose rows stay in a temporary table after
// Close (BulkTarget.Keep); "" when the rows went straight into the target.
type keptTable interface{ keptTable() string }

// BulkWriter appends rows to a table. Rows hold values already encoded
// by Dialect.Encode, in dataset column order.
type BulkWriter interface {
	Write(ctx context.Context, rows []Row) error
	// Flush ends any statement still being fed, so the transaction's
	// connection is free for another statement.
	Flush() error
	// Affected is how many rows the database reports inserted or
	// updated so far (see Dialect.Updated); an equal row left alone is
	// not counted.
	Affected() int64
	Close() error
	// Abort gives up: a statement being fed fails, nothing is merged, and
	// the connection is free for the rollback. Safe after Close.
	Abort()
}

// Row is one converted CSV record: its source line and its values in
// Dataset.Columns order, typed as documented on Type.
type Row struct {
	Line   int64
	Values []any
}
