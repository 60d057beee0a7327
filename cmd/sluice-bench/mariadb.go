package main

import (
	"fmt"
	"net/url"
	"strings"
)

// mariadb is the MariaDB (or MySQL) target; the reference is the mariadb
// client's LOAD DATA LOCAL INFILE.
type mariadb struct {
	u      *url.URL
	client string
}

func (m *mariadb) product() string { return "MariaDB" }
func (m *mariadb) admin() *url.URL { return m.u }

func (m *mariadb) names() stepNames {
	return stepNames{
		base:    "mariadb LOAD DATA base.csv (reference)",
		raw:     "mariadb raw LOAD DATA (no index, no types)",
		next:    "mariadb LOAD DATA staging upsert next.csv (reference)",
		tool:    "mariadb",
		staging: "mariadb LOAD DATA staging",
	}
}

func (m *mariadb) reference() string {
	return "mariadb --local-infile: LOAD DATA LOCAL INFILE straight into socks, converting empty text to NULL and boolean spellings with SET; " +
		"next month LOAD DATA into a temporary copy of socks's columns, then INSERT … SELECT … ON DUPLICATE KEY UPDATE c = VALUES(c), one transaction. " +
		"Nothing flushes InnoDB's dirty pages between steps"
}

// command reads no option files, so only the URL decides where it
// connects; the password goes in MYSQL_PWD.
func (m *mariadb) command(db string, query bool) (args, env []string) {
	u := withDB(m.u, db)
	args = []string{m.client, "--no-defaults"}
	if sock := u.Query().Get("unix_socket"); sock != "" {
		args = append(args, "--socket="+sock)
	} else {
		port := u.Port()
		if port == "" {
			port = "3306"
		}
		// TCP even for localhost, where the client would take the socket:
		// sluice connects by TCP.
		args = append(args, "--protocol=TCP", "--host="+u.Hostname(), "--port="+port)
	}
	if name := u.User.Username(); name != "" {
		args = append(args, "--user="+name)
	}
	if pw, ok := u.User.Password(); ok {
		env = append(env, "MYSQL_PWD="+pw)
	}
	args = append(args, "--default-character-set=utf8mb4")
	if query {
		// --raw: SHOW CREATE TABLE's newlines stay newlines.
		args = append(args, "--batch", "--skip-column-names", "--raw")
	} else {
		args = append(args, "--local-infile=1", "--show-warnings")
	}
	return append(args, strings.TrimPrefix(u.Path, "/")), env
}

func (m *mariadb) createSQL(db string) string { return "CREATE DATABASE " + db + ";" }
func (m *mariadb) dropSQL(db string) string   { return "DROP DATABASE IF EXISTS " + db + ";" }
func (m *mariadb) versionSQL() string         { return "SELECT version();" }
func (m *mariadb) settleSQL() string          { return "" }

func (m *mariadb) preflight() (sql, hint string) {
	return "SELECT @@local_infile;", fmt.Sprintf("%s has local_infile=OFF: the reference needs LOAD DATA LOCAL INFILE (SET GLOBAL local_infile = ON)", m.u.Host)
}

func (m *mariadb) schemaSQL() string { return "SHOW CREATE TABLE socks;" }

// schemaFrom takes the statement out of SHOW CREATE TABLE's "socks\tCREATE …".
func (m *mariadb) schemaFrom(out string) string {
	_, ddl, _ := strings.Cut(out, "\t")
	return ddl + ";\n"
}

func (m *mariadb) schemaSource() string {
	return "copied from sluice's database (`SHOW CREATE TABLE socks`)"
}

// fallbackSchema is what sluice is expected to create for the socks job
// (models/mysql.go ColumnType), for when it did not.
func (m *mariadb) fallbackSchema() string {
	return "CREATE TABLE `socks` (`sku` varchar(255) NOT NULL, `name` text NOT NULL, `style` text, `size` text, `colour` text, " +
		"`price` decimal(10,2), `quantity` bigint, `in_stock` boolean, `updated_on` date, UNIQUE KEY `socks_sku_key` (`sku`)) DEFAULT CHARSET=utf8mb4;\n"
}

// loadScript loads csvPath into socks. LOAD DATA skips the CSV's extra
// column and converts what the server would not: an empty text cell is
// NULL for sluice but ” for LOAD DATA, and a boolean may be spelt
// true/false, yes/no or 1/0. Into an empty table it loads straight into
// socks; with upsert, into a temporary table of socks's columns first,
// merged with ON DUPLICATE KEY UPDATE in one transaction.
func (m *mariadb) loadScript(csvPath string, header []string, upsert bool) (string, error) {
	src, err := clientPath(csvPath, "mariadb")
	if err != nil {
		return "", err
	}
	hm, err := mapHeader(csvPath, header)
	if err != nil {
		return "", err
	}
	fields := make([]string, len(header))
	var set []string
	for i, c := range hm.byField {
		v := fmt.Sprintf("@f%d", i)
		switch {
		case c == nil:
			fields[i] = v // read and dropped
		case c.emptyIsNull():
			fields[i] = v
			set = append(set, fmt.Sprintf("%s = NULLIF(%s, '')", backtick(c.name), v))
		case c.typ == "boolean":
			fields[i] = v
			set = append(set, fmt.Sprintf("%s = CASE WHEN %s IN ('1', 't', 'y', 'yes', 'true') THEN TRUE WHEN %[2]s IN ('0', 'f', 'n', 'no', 'false') THEN FALSE END",
				backtick(c.name), v))
		default:
			fields[i] = backtick(c.name)
		}
	}
	table := "socks"
	if upsert {
		table = "socks_stage"
	}
	load := fmt.Sprintf("LOAD DATA LOCAL INFILE %s INTO TABLE %s CHARACTER SET utf8mb4 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '' IGNORE 1 LINES (%s)",
		src, backtick(table), strings.Join(fields, ", "))
	if len(set) > 0 {
		load += " SET " + strings.Join(set, ", ")
	}
	if !upsert {
		return load + ";\n", nil
	}
	var cols, upd []string
	for _, c := range socksColumns {
		cols = append(cols, backtick(c.name))
		if c.name != socksKey {
			upd = append(upd, fmt.Sprintf("%s = VALUES(%[1]s)", backtick(c.name)))
		}
	}
	list := strings.Join(cols, ", ")
	return strings.Join([]string{
		"START TRANSACTION;",
		fmt.Sprintf("CREATE TEMPORARY TABLE `socks_stage` SELECT %s FROM `socks` LIMIT 0;", list),
		load + ";",
		fmt.Sprintf("INSERT INTO `socks` (%s) SELECT %[1]s FROM `socks_stage` ON DUPLICATE KEY UPDATE %s;", list, strings.Join(upd, ", ")),
		"DROP TEMPORARY TABLE `socks_stage`;",
		"COMMIT;",
	}, "\n") + "\n", nil
}

// syncScript deletes the rows whose key the stage lacks before the stage
// is dropped. The stage is given a primary key first, so the NOT IN is a
// lookup in it: over the bare stage MariaDB ran it as a dependent
// subquery, a scan of the stage for every row, and a million rows had not
// finished after 14 minutes.
func (m *mariadb) syncScript(csvPath string, header []string) (string, error) {
	s, err := m.loadScript(csvPath, header, true)
	if err != nil {
		return "", err
	}
	k := backtick(socksKey)
	return insertBefore(s, "DROP TEMPORARY TABLE `socks_stage`;\n",
		fmt.Sprintf("ALTER TABLE `socks_stage` ADD PRIMARY KEY (%s);\nDELETE FROM `socks` WHERE %[1]s NOT IN (SELECT %[1]s FROM `socks_stage`);\n", k))
}

// rawScript is the lower bound: LOAD DATA straight into an all-text table
// of the CSV's shape, with no index and no conversion.
func (m *mariadb) rawScript(csvPath string, header []string) (string, error) {
	src, err := clientPath(csvPath, "mariadb")
	if err != nil {
		return "", err
	}
	cols := make([]string, len(header))
	for i, h := range header {
		cols[i] = backtick(h) + " TEXT"
	}
	return fmt.Sprintf("CREATE TABLE `socks_raw` (%s) DEFAULT CHARSET=utf8mb4;\n", strings.Join(cols, ", ")) +
		fmt.Sprintf("LOAD DATA LOCAL INFILE %s INTO TABLE `socks_raw` CHARACTER SET utf8mb4 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '' IGNORE 1 LINES;\n", src), nil
}

func backtick(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }
