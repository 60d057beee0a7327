package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/uptrace/bun"
)

// Run statuses in the ledger.
const (
	StatusOK      = "ok"
	StatusFailed  = "failed"
	StatusSkipped = "skipped"
	// StatusInterrupted is a run cancelled (a signal, a shutdown) and
	// rolled back.
	StatusInterrupted = "interrupted"
)

// Run is one file import, as the ledger table sluice_runs records it. A
// successful run is written in the same transaction as the data, so the
// ledger can never claim a file the table does not hold.
type Run struct {
	bun.BaseModel `bun:"table:sluice_runs,alias:r"`

	ID         int64     `bun:"id,pk,autoincrement"`
	Job        string    `bun:"job,notnull"`
	Path       string    `bun:"path,type:text,notnull"`
	Size       int64     `bun:"size,notnull"`
	SHA256     string    `bun:"sha256,notnull"`
	StartedAt  time.Time `bun:"started_at,notnull"`
	FinishedAt time.Time `bun:"finished_at,notnull"`
	Status     string    `bun:"status,notnull"`
	Forced     bool      `bun:"forced,notnull"`
	Rows       int64     `bun:"rows,notnull"`
	Inserted   int64     `bun:"inserted,notnull"`
	Updated    int64     `bun:"updated,notnull"`
	Unchanged  int64     `bun:"unchanged,notnull"`
	Rejected   int64     `bun:"rejected,notnull"`
	RejectFile string    `bun:"reject_file,type:text,notnull"`
	Error      string    `bun:"error,type:text,notnull"`
	// Since ledger version 2 (see ledgerMigrations).
	Duplicates int64 `bun:"duplicates,notnull,default:0"`
	Deleted    int64 `bun:"deleted,notnull,default:0"` // rows a sync removed; never by upsert or insert-new
	// Since ledger version 3. Source is the job's source the file was
	// listed from (redacted: a URL's secrets never reach the ledger);
	// FileVersion, a remote file's ETag or mtime as its server listed it,
	// which lets a later run skip the file without downloading it.
	// VARCHAR, not TEXT: MySQL gives a TEXT column no default.
	Source      string `bun:"source,type:varchar(2048),notnull,default:''"`
	FileVersion string `bun:"file_version,type:varchar(255),notnull,default:''"`
}

// ledgerTable is the ledger's table name.
const ledgerTable = "sluice_runs"

// Ledger reads and writes sluice_runs.
type Ledger struct{ db *DB }

// NewLedger returns the ledger of db.
func NewLedger(db *DB) *Ledger { return &Ledger{db: db} }

// Ensure creates sluice_runs and its lookup index if they are missing,
// and brings a ledger made by an earlier release up to this one's
// version (see ledgerMigrations).
func (l *Ledger) Ensure(ctx context.Context) error {
	info, err := l.db.Dialect.Inspect(ctx, l.db.Bun, ledgerTable)
	if err != nil {
		return fmt.Errorf("inspect ledger table %s: %w", ledgerTable, err)
	}
	if !info.Exists {
		err := l.create(ctx, l.db.Bun)
		if err != nil {
			// Another process (or job) may have made it at the same
			// moment: CREATE TABLE IF NOT EXISTS is not safe against that
			// on PostgreSQL. Then the table is there and all is well.
			if info, ierr := l.db.Dialect.Inspect(ctx, l.db.Bun, ledgerTable); ierr == nil && info.Exists {
				return l.migrate(ctx)
			}
		}
		return err
	}
	return l.migrate(ctx)
}

// ensureIn creates the ledger's table in db (a transaction, for the
// privilege probe) if it is missing there.
func (l *Ledger) ensureIn(ctx context.Context, db bun.IDB) error {
	info, err := l.db.Dialect.Inspect(ctx, db, ledgerTable)
	if err != nil {
		return fmt.Errorf("inspect ledger table %s: %w", ledgerTable, err)
	}
	if info.Exists {
		return nil
	}
	return l.createTable(ctx, db)
}

// create makes the ledger as this release has it, at its version.
func (l *Ledger) create(ctx context.Context, db bun.IDB) error {
	if err := l.createTable(ctx, db); err != nil {
		return err
	}
	return setSchemaVersion(ctx, db, ledgerTable, ledgerVersion)
}

// createTable makes sluice_runs and its index. Without a version recorded
// the next Ensure finds its columns in place and records it.
func (l *Ledger) createTable(ctx context.Context, db bun.IDB) error {
	create := db.NewCreateTable().Model((*Run)(nil)).IfNotExists().String()
	if l.db.Dialect.Name() == "mysql" {
		// Bun makes time.Time a DATETIME, which keeps whole seconds on
		// MySQL; run times want microseconds as on the other databases.
		create = strings.ReplaceAll(create, " DATETIME ", " DATETIME(6) ")
	}
	if _, err := db.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("create ledger table %s: %w", ledgerTable, err)
	}
	_, err := db.NewCreateIndex().Model((*Run)(nil)).IfNotExists().
		Index("sluice_runs_job_sha256").Column("job", "sha256", "status").Exec(ctx)
	var my *mysql.MySQLError
	if errors.As(err, &my) && my.Number == 1061 {
		err = nil // MySQL before 8.0.29 has no CREATE INDEX IF NOT EXISTS: "Duplicate key name"
	}
	if err != nil {
		return fmt.Errorf("create ledger index: %w", err)
	}
	return nil
}

// Imported returns the last successful run of job for a file with this
// checksum, or nil if there is none.
func (l *Ledger) Imported(ctx context.Context, db bun.IDB, job, sha string) (*Run, error) {
	r := new(Run)
	err := db.NewSelect().Model(r).
		Where("job = ? AND sha256 = ? AND status = ?", job, sha, StatusOK).
		OrderExpr("id DESC").Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up %s in ledger: %w", sha[:12], err)
	}
	return r, nil
}

// ImportedAs returns the last successful run of job for the remote file
// path as its server listed it (size and version), or nil if there is
// none.
func (l *Ledger) ImportedAs(ctx context.Context, db bun.IDB, job, path string, size int64, version string) (*Run, error) {
	r := new(Run)
	err := db.NewSelect().Model(r).
		Where("job = ? AND path = ? AND size = ? AND file_version = ? AND status = ?", job, path, size, version, StatusOK).
		OrderExpr("id DESC").Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up %s in ledger: %w", path, err)
	}
	return r, nil
}

// Record inserts r (inside the import transaction when db is one).
func (l *Ledger) Record(ctx context.Context, db bun.IDB, r *Run) error {
	if _, err := db.NewInsert().Model(r).Exec(ctx); err != nil {
		return fmt.Errorf("record run of %s in ledger: %w", r.Path, err)
	}
	return nil
}

// Recent returns up to limit runs, newest first, of one job or all ("").
func (l *Ledger) Recent(ctx context.Context, job string, limit int) ([]Run, error) {
	var runs []Run
	q := l.db.Bun.NewSelect().Model(&runs).OrderExpr("id DESC").Limit(int64(limit))
	if job != "" {
		q = q.Where("job = ?", job)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	return runs, nil
}
