package appmodels

import (
	"fmt"
	"strings"

	"github.com/sluice-dev/sluice/models"
)

// saType is a column's SQLAlchemy type as models.py spells it.
type saType struct {
	// generic is the type expression (db.Numeric(10, 2)).
	generic string
	// exact, when set, is the dialect type sluice creates where generic
	// would make another in db.create_all or a migration (MySQL's
	// DATETIME(6) where db.DateTime makes DATETIME); models.py then uses
	// generic.with_variant(exact, …) for the configured database only.
	exact string
	// comment says what the app reads back, where the type does not.
	comment string
}

// sqlalchemyType maps the SQL type sluice creates for c (sqlType, from the
// dialect's ColumnType) to SQLAlchemy's type that reflects as the same
// type, which is what Alembic compares.
func sqlalchemyType(driver, sqlType string, c models.Column) (saType, error) {
	head, args, err := splitType(sqlType)
	if err != nil {
		return saType{}, err
	}
	switch {
	case head == "TEXT" && len(args) == 0:
		return saType{generic: "db.Text"}, nil
	case head == "VARCHAR" && len(args) == 1:
		t := saType{generic: fmt.Sprintf("db.String(%s)", args[0])}
		if driver == "mysql" {
			t.comment = "sluice makes it with a binary collation"
		}
		return t, nil
	case head == "BIGINT" && len(args) == 0:
		return saType{generic: "db.BigInteger"}, nil
	case head == "DOUBLE PRECISION" && len(args) == 0:
		if driver == "sqlite" {
			// SQLite reflects DOUBLE PRECISION as REAL (8 bytes there).
			return saType{generic: "db.Float()", exact: "db.REAL()"}, nil
		}
		// PostgreSQL's FLOAT is DOUBLE PRECISION.
		return saType{generic: "db.Float"}, nil
	case head == "DOUBLE" && len(args) == 0:
		// db.Float makes MySQL's 4-byte FLOAT.
		return saType{generic: "db.Float()", exact: "mysql.DOUBLE(asdecimal=False)"}, nil
	case (head == "NUMERIC" || head == "DECIMAL") && len(args) == 0:
		t := saType{generic: "db.Numeric", comment: "decimal.Decimal"}
		if driver == "sqlite" {
			// SQLite hands SQLAlchemy a float, which it rounds to
			// the scale, or to 10 places without one.
			t.comment = "decimal.Decimal, rounded to 10 places: declare precision and scale"
		}
		return t, nil
	case (head == "NUMERIC" || head == "DECIMAL") && len(args) == 2:
		return saType{generic: fmt.Sprintf("db.Numeric(%s, %s)", args[0], args[1]), comment: "decimal.Decimal"}, nil
	case head == "BOOLEAN" && len(args) == 0:
		return saType{generic: "db.Boolean"}, nil
	case head == "DATE" && len(args) == 0:
		return saType{generic: "db.Date"}, nil
	case head == "TIMESTAMP WITH TIME ZONE" && len(args) == 0:
		return saType{generic: "db.DateTime(timezone=True)"}, nil
	case head == "DATETIME" && len(args) == 0:
		return saType{generic: "db.DateTime(timezone=False)", comment: "UTC, as a naive datetime"}, nil
	case head == "DATETIME" && len(args) == 1:
		// db.DateTime makes MySQL's DATETIME, which drops the microseconds.
		return saType{generic: "db.DateTime(timezone=False)", exact: fmt.Sprintf("mysql.DATETIME(fsp=%s)", args[0]), comment: "UTC, as a naive datetime"}, nil
	}
	return saType{}, fmt.Errorf("column %s: no SQLAlchemy type for %s (%s)", c.Name, sqlType, c.Type)
}

// splitType splits a SQL type such as "DECIMAL(10,2)" or "VARCHAR(255)
// CHARACTER SET utf8mb4 COLLATE x" into its name and its numeric
// arguments; what follows the arguments (character set, collation) is
// not part of the type SQLAlchemy compares.
func splitType(sqlType string) (head string, args []string, err error) {
	head, rest, paren := strings.Cut(sqlType, "(")
	head = strings.ToUpper(strings.TrimSpace(head))
	for _, attr := range []string{" CHARACTER SET ", " COLLATE "} {
		head, _, _ = strings.Cut(head, attr) // TEXT CHARACTER SET utf8mb4
	}
	if !paren {
		return head, nil, nil
	}
	inner, _, ok := strings.Cut(rest, ")")
	if !ok {
		return "", nil, fmt.Errorf("SQL type %q: unclosed parenthesis", sqlType)
	}
	for _, a := range strings.Split(inner, ",") {
		a = strings.TrimSpace(a)
		if a == "" || strings.Trim(a, "0123456789") != "" {
			return "", nil, fmt.Errorf("SQL type %q: argument %q is not a number", sqlType, a)
		}
		args = append(args, a)
	}
	return head, args, nil
}
