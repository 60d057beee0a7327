package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
)

// mysqlKeyCollations are the binary collations sluice gives the text key
// columns of the tables it creates, best first: NO PAD ones compare keys
// byte by byte, as SQLite and PostgreSQL do; utf8mb4_bin (MySQL 5.7)
// still ignores trailing spaces.
var mysqlKeyCollations = []string{"utf8mb4_0900_bin", "utf8mb4_nopad_bin", "utf8mb4_bin"}

// keyCollation picks the best of mysqlKeyCollations the server has.
func keyCollation(ctx context.Context, db *sql.DB) (string, error) {
	for _, c := range mysqlKeyCollations[:len(mysqlKeyCollations)-1] {
		var name string
		err := db.QueryRowContext(ctx, "SELECT collation_name FROM information_schema.collations WHERE collation_name = ?", c).Scan(&name)
		switch {
		case err == nil:
			return c, nil
		case !errors.Is(err, sql.ErrNoRows):
			return "", err
		}
	}
	return mysqlKeyCollations[len(mysqlKeyCollations)-1], nil
}

// binaryCollation reports whether a collation compares bytes (binary ones
// do, after dropping trailing spaces unless they are NO PAD), where any
// other, such as the _ci defaults, folds case, accents and ß and weighs
// every character beyond the BMP alike: no fold here can follow that.
func binaryCollation(name string) (binary, padSpace bool) {
	if !strings.HasSuffix(name, "_bin") {
		return false, false
	}
	return true, !strings.Contains(name, "nopad") && !strings.Contains(name, "_0900_")
}

// KeyFold reads the collations of the text key columns. A table made in
// this session as a dry run's stand-in is not in information_schema: it
// has sluice's own key collation.
func (d *mysqlDialect) KeyFold(ctx context.Context, db bun.IDB, ds *Dataset) (func(string) string, error) {
	texts := textKeys(ds)
	if len(texts) == 0 {
		return foldNone, nil
	}
	var colls []*string
	err := db.NewRaw(`SELECT collation_name FROM information_schema.columns
		WHERE table_schema = DATABASE() AND table_name = ? AND column_name IN (?)`, ds.Table, bun.In(texts)).Scan(ctx, &colls)
	if err != nil {
		return nil, fmt.Errorf("read the key collations of %s: %w", ds.Table, err)
	}
	if len(colls) == 0 {
		colls = []*string{&d.keyCollation}
	}
	padSpace := false
	for _, c := range colls {
		if c == nil {
			continue // not a text column in the table
		}
		binary, pad := binaryCollation(*c)
		if !binary {
			return nil, nil
		}
		padSpace = padSpace || pad
	}
	return pickFold(false, padSpace), nil
}

// autoIncrement finds the table's AUTO_INCREMENT column. InnoDB reserves
// such ids for a bulk load (LOAD DATA, INSERT … SELECT) in doubling
// batches, and the ones a statement does not use are skipped for good
// (innodb_autoinc_lock_mode 1 and 2): 2,000 rows left the counter at
// 2,048. Only inserts whose row count is known take exactly what they
// use. A dry run's stand-in is not in information_schema: sluice makes
// none.
func (*mysqlDialect) autoIncrement(ctx context.Context, db bun.IDB, table string) (string, error) {
	var cols []string
	err := db.NewRaw(`SELECT column_name FROM information_schema.columns
		WHERE table_schema = DATABASE() AND table_name = ? AND extra LIKE '%auto_increment%'`, table).Scan(ctx, &cols)
	if err != nil || len(cols) == 0 {
		return "", err
	}
	return cols[0], nil
}
