package models

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// loadDataWriter loads with LOAD DATA LOCAL INFILE (see textWriter),
// streamed through go-sql-driver's reader handlers, which are registered
// driver-wide: Close and Abort take this writer's away again.
type loadDataWriter struct {
	*textWriter
	reader string // the handler's name
}

func newLoadDataWriter(ctx context.Context, tx *Tx, t BulkTarget) (*loadDataWriter, error) {
	w := &loadDataWriter{textWriter: &textWriter{ctx: ctx, tx: tx, target: t, what: "load data"}}
	cols := w.columns()
	into := t.Table
	// The handler runs on the stream's goroutine, after pipe is set.
	var pipe io.Reader
	w.reader = fmt.Sprintf("sluice-%p", w)
	mysql.RegisterReaderHandler(w.reader, func() io.Reader { return pipe })
	replace := ""
	if t.Line {
		replace = "REPLACE " // a stage keeps the last row of a key
	}
	load := fmt.Sprintf(`LOAD DATA LOCAL INFILE 'Reader::%s' %sINTO TABLE %s CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n' (%s)`,
		w.reader, replace, quoteIdent(into), strings.Join(cols, ", "))
	w.exec = func(ctx context.Context, r io.Reader) (int64, error) {
		pipe = r
		// LOAD DATA cannot be prepared; database/sql's own transaction
		// keeps Bun from reading the statement's backslashes.
		res, err := tx.Tx.Tx.ExecContext(ctx, load)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	}
	w.check = func(ctx context.Context) error { return loadWarnings(ctx, tx) }
	return w, nil
}

// loadWarnings fails the load if MySQL warned: with LOCAL, it turns
// errors a strict INSERT would raise (a duplicate key, a value that does
// not fit) into warnings and carries on.
func loadWarnings(ctx context.Context, tx *Tx) error {
	var n int64
	if err := tx.Tx.Tx.QueryRowContext(ctx, "SELECT @@warning_count").Scan(&n); err != nil || n == 0 {
		return err
	}
	var level, message string
	var code int
	if err := tx.Tx.Tx.QueryRowContext(ctx, "SHOW WARNINGS LIMIT 1").Scan(&level, &code, &message); err != nil {
		return fmt.Errorf("%d warnings (SHOW WARNINGS: %w)", n, err)
	}
	return fmt.Errorf("%d warning(s), the first: %s %d: %s", n, level, code, message)
}

func (w *loadDataWriter) Close() error {
	defer mysql.DeregisterReaderHandler(w.reader)
	return w.textWriter.Close()
}

func (w *loadDataWriter) Abort() {
	w.textWriter.Abort()
	mysql.DeregisterReaderHandler(w.reader)
}

// createStage creates a temporary table with the columns of ds as the
// target table has them, collations included (CREATE … SELECT copies
// them), a leading line column, and the table's key as its primary key:
// REPLACE finds a repeat in the clustered index, and the merge reads the
// stage in key order, which is the target's order too. Only TEMPORARY
// tables can be created without committing the transaction.
//
// Key columns whose collation folds keys (see foldingKeys) get their
// charset's exact collation in the stage instead, so the file's keys stay
// apart there until foldStage has named the lines that fold together.
func createStage(ctx context.Context, tx *Tx, name string, ds *Dataset) error {
	keys, err := foldingKeys(ctx, tx, ds)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DROP TEMPORARY TABLE IF EXISTS "+quoteIdent(name)); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, fmt.Sprintf("CREATE TEMPORARY TABLE %s (sluice_line BIGINT NOT NULL DEFAULT 0%s, PRIMARY KEY (%s)) SELECT %s FROM %s LIMIT 0",
		quoteIdent(name), stageColumns(keys), strings.Join(quoteAll(ds.Key), ", "), strings.Join(quoteAll(ds.ColumnNames()), ", "), quoteIdent(ds.Table)))
	return err
}
