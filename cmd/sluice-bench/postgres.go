package main

import (
	"fmt"
	"net/url"
	"strings"
)

// postgres is the PostgreSQL target; the reference is psql's \copy.
type postgres struct {
	u      *url.URL
	client string
}

func (p *postgres) product() string { return "PostgreSQL" }
func (p *postgres) admin() *url.URL { return p.u }

func (p *postgres) names() stepNames {
	return stepNames{
		base:    `psql \copy staging import base.csv (reference)`,
		raw:     `psql raw \copy (no index, no types)`,
		next:    `psql \copy staging upsert next.csv (reference)`,
		tool:    "psql",
		staging: `psql \copy staging`,
	}
}

func (p *postgres) reference() string {
	return `psql, one transaction per file: \copy (FORMAT csv, HEADER) into a temporary table of the CSV's shape with the table's column types ` +
		`(COPY cannot skip the CSV's extra column), then INSERT … SELECT into socks; next month … ON CONFLICT (sku) DO UPDATE SET … ` +
		`WHERE (t.*) IS DISTINCT FROM (excluded.*). CHECKPOINT before every timed step`
}

// command connects with the URL minus its password, which goes in
// PGPASSWORD; -X ignores ~/.psqlrc.
func (p *postgres) command(db string, query bool) (args, env []string) {
	u := withDB(p.u, db)
	u.Scheme = "postgresql" // without any "+driver"
	if pw, ok := u.User.Password(); ok {
		env = append(env, "PGPASSWORD="+pw)
		u.User = url.User(u.User.Username())
	}
	args = []string{p.client, "-X", "-q", "-v", "ON_ERROR_STOP=1"}
	if query {
		args = append(args, "-A", "-t")
	}
	return append(args, "-d", u.String()), env
}

func (p *postgres) createSQL(db string) string { return "CREATE DATABASE " + db + ";" }

// dropSQL forces: a client killed by an interrupt may leave its session.
func (p *postgres) dropSQL(db string) string {
	return "DROP DATABASE IF EXISTS " + db + " WITH (FORCE);"
}

func (p *postgres) versionSQL() string            { return "SHOW server_version;" }
func (p *postgres) preflight() (sql, hint string) { return "", "" }
func (p *postgres) settleSQL() string             { return "CHECKPOINT;" }
func (p *postgres) schemaFrom(out string) string  { return out + "\n" }
func (p *postgres) schemaSource() string {
	return "copied from sluice's database (columns, types, NOT NULL and indexes of socks from pg_catalog)"
}

// schemaSQL writes socks's CREATE TABLE and CREATE INDEX statements, one a
// line. pg_dump would too, but refuses a server newer than itself.
func (p *postgres) schemaSQL() string {
	return `SELECT ddl FROM (
  SELECT 0 AS ord, format('CREATE TABLE socks (%s);', string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod))
    || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END, ', ' ORDER BY a.attnum)) AS ddl
  FROM pg_attribute a WHERE a.attrelid = 'socks'::regclass AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 1, pg_get_indexdef(i.indexrelid) || ';' FROM pg_index i WHERE i.indrelid = 'socks'::regclass
) d ORDER BY ord, ddl;
`
}

// fallbackSchema is what sluice is expected to create for the socks job
// (models/postgres.go ColumnType), for when it did not.
func (p *postgres) fallbackSchema() string {
	return `CREATE TABLE socks (sku text NOT NULL, name text NOT NULL, style text, size text, colour text, price numeric(10,2), quantity bigint, in_stock boolean, updated_on date);
CREATE UNIQUE INDEX socks_sku_key ON socks (sku);
`
}

// loadScript loads csvPath into socks in one transaction. COPY cannot
// skip a column, so the file goes into a temporary stage of its own shape
// first: created from socks, each column of the file with its column's
// type (an undeclared one as text), so COPY converts as it reads, and
// INSERT … SELECT copies typed values. With upsert, rows whose key exists
// are updated where they differ.
func (p *postgres) loadScript(csvPath string, header []string, upsert bool) (string, error) {
	src, err := clientPath(csvPath, "psql")
	if err != nil {
		return "", err
	}
	m, err := mapHeader(csvPath, header)
	if err != nil {
		return "", err
	}
	stage := make([]string, len(header))
	for i, h := range header {
		switch c := m.byField[i]; {
		case c == nil:
			stage[i] = "NULL::text AS " + quoteIdent(h)
		case c.name == h:
			stage[i] = quoteIdent(h)
		default:
			stage[i] = quoteIdent(c.name) + " AS " + quoteIdent(h)
		}
	}
	var cols, sel, set []string
	for _, c := range socksColumns {
		cols = append(cols, quoteIdent(c.name))
		sel = append(sel, quoteIdent(c.csv))
		if c.name != socksKey {
			set = append(set, fmt.Sprintf("%s = excluded.%[1]s", quoteIdent(c.name)))
		}
	}
	insert := fmt.Sprintf("INSERT INTO socks AS t (%s) SELECT %s FROM socks_stage", strings.Join(cols, ", "), strings.Join(sel, ", "))
	if upsert {
		insert += fmt.Sprintf(" ON CONFLICT (%s) DO UPDATE SET %s WHERE (t.*) IS DISTINCT FROM (excluded.*)",
			quoteIdent(socksKey), strings.Join(set, ", "))
	}
	return strings.Join([]string{
		"BEGIN;",
		"CREATE TEMP TABLE socks_stage ON COMMIT DROP AS SELECT " + strings.Join(stage, ", ") + " FROM socks WITH NO DATA;",
		`\copy socks_stage FROM ` + src + ` WITH (FORMAT csv, HEADER true)`,
		insert + ";",
		"COMMIT;",
	}, "\n") + "\n", nil
}

// syncScript analyzes the stage, as sluice does its key tables (without
// statistics PostgreSQL sorts both sides of the anti join), and deletes
// the rows whose key it lacks.
func (p *postgres) syncScript(csvPath string, header []string) (string, error) {
	s, err := p.loadScript(csvPath, header, true)
	if err != nil {
		return "", err
	}
	k := quoteIdent(socksKey)
	return insertBefore(s, "COMMIT;\n", fmt.Sprintf("ANALYZE socks_stage;\nDELETE FROM socks AS t WHERE NOT EXISTS (SELECT 1 FROM socks_stage AS s WHERE s.%s = t.%[1]s);\n", k))
}

// rawScript is the lower bound: \copy straight into an all-text table of
// the CSV's shape, with no index and no type conversion.
func (p *postgres) rawScript(csvPath string, header []string) (string, error) {
	src, err := clientPath(csvPath, "psql")
	if err != nil {
		return "", err
	}
	return textTable("socks_raw", header) + "\n" +
		`\copy socks_raw FROM ` + src + ` WITH (FORMAT csv, HEADER true)` + "\n", nil
}
