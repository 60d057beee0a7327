package importer

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/models"
	"github.com/sluice-dev/sluice/models/dbtest"
)

// The import scenarios run on every database: SQLite always, PostgreSQL
// and MySQL/MariaDB when SLUICE_TEST_POSTGRES_URL and SLUICE_TEST_MYSQL_URL
// name servers (each test gets a database of its own, see dbtest). Rows
// are compared in SQLite's quote() form, so one expectation serves all.

// eachBackend runs f as a parallel subtest per database.
func eachBackend(t *testing.T, f func(t *testing.T, b dbtest.Backend)) {
	t.Helper()
	for _, b := range dbtest.All() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			f(t, b)
		})
	}
}

// tableQuoted reads a table on PostgreSQL or MySQL with every column cast
// to text and rewritten the way SQLite's quote() shows the same value.
func (e *importEnv) tableQuoted(table, order string, cols ...string) [][]string {
	e.t.Helper()
	types := e.columnTypes(table)
	cast := "CAST(%s AS TEXT)"
	if e.db.Dialect.Name() == "mysql" {
		cast = "CAST(%s AS CHAR)"
	}
	exprs := make([]string, len(cols))
	for i, c := range cols {
		exprs[i] = fmt.Sprintf(cast, strconv.Quote(c))
	}
	rows := e.query(fmt.Sprintf("SELECT %s FROM %q ORDER BY %s", strings.Join(exprs, ", "), table, order))
	for _, r := range rows {
		for i, v := range r {
			q, err := quoteLike(types[cols[i]], v)
			if err != nil {
				e.t.Fatalf("%s.%s = %q: %v", table, cols[i], v, err)
			}
			r[i] = q
		}
	}
	return rows
}

// columnTypes maps the columns of a table some job of the config loads to
// their declared types.
func (e *importEnv) columnTypes(table string) map[string]models.Type {
	types := map[string]models.Type{}
	for c, t := range e.undeclared {
		types[c] = t
	}
	for _, j := range e.cfg.Jobs {
		if j.Table == table {
			for _, c := range j.Columns {
				types[c.Name] = models.Type(c.Type)
			}
		}
	}
	return types
}

// quoteLike renders a value read as text the way SQLite's quote() shows
// what sluice stores there: decimals without trailing zeros, booleans as
// 1/0, timestamps in UTC with microseconds.
func quoteLike(t models.Type, v string) (string, error) {
	if v == "NULL" {
		return v, nil
	}
	switch t {
	case models.Integer, models.Real:
		return v, nil
	case models.Decimal:
		if strings.Contains(v, ".") {
			v = strings.TrimSuffix(strings.TrimRight(v, "0"), ".")
		}
		return v, nil
	case models.Boolean:
		switch v {
		case "true", "t", "1":
			return "1", nil
		case "false", "f", "0":
			return "0", nil
		}
		return "", fmt.Errorf("not a boolean")
	case models.Date:
		return "'" + v + "'", nil
	case models.Timestamp:
		for _, layout := range []string{"2006-01-02 15:04:05.999999999Z07", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
			if ts, err := time.Parse(layout, v); err == nil {
				return ts.UTC().Format("'2006-01-02 15:04:05.000000'"), nil
			}
		}
		return "", fmt.Errorf("not a timestamp")
	}
	return "'" + strings.ReplaceAll(v, "'", "''") + "'", nil
}
