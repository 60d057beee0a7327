package models

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgx/v5/stdlib"
)

// newCopyWriter loads with COPY … FROM STDIN in text form on the
// transaction's own connection (see textWriter). sluice writes the text
// itself: pgx's binary encoding planned and converted every value and
// took 40% of the import's CPU (profiled).
func newCopyWriter(ctx context.Context, tx *Tx, t BulkTarget, d *postgresDialect) (*textWriter, error) {
	w := &textWriter{ctx: ctx, tx: tx, target: t, what: "copy", zone: "+00"}
	cols := w.columns()
	into := t.Table
	if !w.direct() {
		into = "sluice_direct_" + t.Dataset.Table
		if err := d.createTemp(ctx, tx, into, t.Dataset, false); err != nil {
			return nil, fmt.Errorf("create merge table: %w", err)
		}
		w.merge = d.merge(t.Dataset, into, t.Mode)
		if t.Keep {
			w.kept = into
		} else {
			w.drop = d.dropTemp(into)
		}
	}
	copySQL := fmt.Sprintf("COPY %s (%s) FROM STDIN", quoteIdent(into), strings.Join(cols, ", "))
	w.exec = func(ctx context.Context, r io.Reader) (n int64, err error) {
		err = tx.raw(func(dc any) error {
			tag, err := dc.(*stdlib.Conn).Conn().PgConn().CopyFrom(ctx, r, copySQL)
			n = tag.RowsAffected()
			return err
		})
		return n, err
	}
	return w, nil
}

// createTemp creates a temporary table with ds's columns as the target
// table has them, collations included (CREATE TABLE AS copies them): the
// stage must group keys as the table compares them. A leading line column
// comes first if line is set. ON COMMIT DROP: nothing is left in the
// session whatever happens.
func (d *postgresDialect) createTemp(ctx context.Context, tx *Tx, name string, ds *Dataset, line bool) error {
	cols := quoteAll(ds.ColumnNames())
	if line {
		cols = append([]string{"0::bigint AS sluice_line"}, cols...)
	}
	_, err := tx.ExecContext(ctx, fmt.Sprintf("CREATE TEMP TABLE %s ON COMMIT DROP AS SELECT %s FROM %s WITH NO DATA",
		quoteIdent(name), strings.Join(cols, ", "), quoteIdent(ds.Table)))
	return err
}
