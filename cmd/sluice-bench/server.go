package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os/exec"
	"strings"
)

// server is a database server target (PostgreSQL or MariaDB): how to
// reach it with its CLI client, and the reference scripts that client
// runs. Each run loads into databases of its own, created and dropped
// through the admin URL's database.
type server interface {
	// product names the server in the report: "PostgreSQL", "MariaDB".
	product() string
	// names are the reference steps' names in the report.
	names() stepNames
	// reference describes the reference loads for the report.
	reference() string
	// admin is the URL as given, password included: it goes to sluice only,
	// never into the report or a command line.
	admin() *url.URL
	// command is the client's command line for database db ("" is the
	// admin URL's), reading SQL from standard input; query asks for bare
	// results, one row a line, columns separated by tabs or '|'. env holds
	// the password, kept off the command line.
	command(db string, query bool) (args, env []string)
	createSQL(db string) string
	dropSQL(db string) string
	// versionSQL queries the server's version.
	versionSQL() string
	// preflight is a query whose answer must be "1" for the reference to
	// work, and why when it is not; "" for none.
	preflight() (sql, hint string)
	// schemaSQL prints the socks table's DDL in sluice's database, and
	// schemaFrom turns that output into a script; schemaSource says how,
	// for the report.
	schemaSQL() string
	schemaFrom(out string) string
	schemaSource() string
	fallbackSchema() string
	// settleSQL runs before every timed step, so a step does not pay for
	// the previous one's writes; "" for none.
	settleSQL() string
	// loadScript loads csvPath into socks; with upsert, on top of the
	// rows there. rawScript is the lower bound: the file into a table of
	// its own shape, all text, no index.
	loadScript(csvPath string, header []string, upsert bool) (string, error)
	rawScript(csvPath string, header []string) (string, error)
	// syncScript is loadScript's upsert followed, in its transaction, by
	// the DELETE of the rows whose key the stage lacks, as a sync by hand.
	syncScript(csvPath string, header []string) (string, error)
}

// insertBefore puts stmts into script before the line at, which must be
// there.
func insertBefore(script, at, stmts string) (string, error) {
	i := strings.LastIndex(script, at)
	if i < 0 {
		return "", fmt.Errorf("no %q in the reference script", strings.TrimSpace(at))
	}
	return script[:i] + stmts + script[i:], nil
}

// stepNames are the reference steps' names in the report.
type stepNames struct {
	base, raw, next string
	tool            string // the reference's program, for the report
	staging         string // how the reference stages a file, for -sync's steps
}

var sqliteNames = stepNames{
	base:    "sqlite3 staging import base.csv (reference)",
	raw:     "sqlite3 raw .import (no index, no types)",
	next:    "sqlite3 staging upsert next.csv (reference)",
	tool:    "sqlite3",
	staging: "sqlite3 staging",
}

// newServer parses the admin URL for kind "postgres" or "mysql".
func newServer(kind, raw, client string) (server, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("-url: %w", errors.Unwrap(err))
	}
	schemes := map[string][]string{"postgres": {"postgres", "postgresql"}, "mysql": {"mysql", "mariadb"}}[kind]
	// sluice ignores SQLAlchemy's "+driver" suffix; command drops it.
	if family, _, _ := strings.Cut(u.Scheme, "+"); !contains(schemes, family) {
		return nil, fmt.Errorf("-url %s: scheme %q, want %s:// for -db %s", u.Redacted(), u.Scheme, strings.Join(schemes, ":// or "), kind)
	}
	if u.Host == "" && u.Query().Get("host") == "" && u.Query().Get("unix_socket") == "" {
		return nil, fmt.Errorf("-url %s: no host", u.Redacted())
	}
	if db := strings.TrimPrefix(u.Path, "/"); db == "" || strings.Contains(db, "/") {
		return nil, fmt.Errorf("-url %s: name the database to connect to after the host, e.g. /test", u.Redacted())
	}
	if kind == "postgres" {
		return &postgres{u: u, client: client}, nil
	}
	return &mariadb{u: u, client: client}, nil
}

// withDB is u connecting to database db instead ("" keeps u's).
func withDB(u *url.URL, db string) *url.URL {
	c := *u
	if db != "" {
		c.Path, c.RawPath = "/"+db, ""
	}
	return &c
}

// serverInfo is what run learns of the server before measuring.
type serverInfo struct {
	version, client string
}

// preflight checks that the client runs and the server answers, before
// minutes go into generating dumps.
func (b *bench) preflight(ctx context.Context) (serverInfo, error) {
	var info serverInfo
	args, _ := b.srv.command("", false)
	path, err := exec.LookPath(args[0])
	if err != nil {
		return info, fmt.Errorf("-client: %w", err)
	}
	if out, err := exec.CommandContext(ctx, path, "--version").Output(); err == nil {
		info.client = strings.Join(strings.Fields(string(out)), " ")
	}
	if info.version, err = b.query(ctx, "", b.srv.versionSQL()); err != nil {
		return info, fmt.Errorf("cannot reach %s at %s: %w", b.srv.product(), b.srv.admin().Redacted(), err)
	}
	sql, hint := b.srv.preflight()
	if sql != "" {
		out, err := b.query(ctx, "", sql)
		if err != nil {
			return info, err
		}
		if out != "1" {
			return info, errors.New(hint)
		}
	}
	return info, nil
}

// query runs sql with the client on database db ("" is the admin URL's)
// and returns its trimmed output. It is not timed.
func (b *bench) query(ctx context.Context, db, sql string) (string, error) {
	args, env := b.srv.command(db, true)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = append(childEnv(), env...)
	cmd.Stdin = strings.NewReader(sql)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %q: %w: %s", args[0], firstLine(sql), err, lastLines([]byte(stderr.String()), 3))
	}
	return strings.TrimSpace(string(out)), nil
}

func firstLine(s string) string {
	line, _, more := strings.Cut(strings.TrimSpace(s), "\n")
	if more {
		line += " …"
	}
	return line
}

// newDBTag is the random part of the database names of one invocation, so
// two benchmarks on one server never share a database.
func newDBTag() string {
	var b [4]byte
	rand.Read(b[:]) // never fails (crypto/rand panics instead)
	return hex.EncodeToString(b[:])
}

// dbName is the database of side ("sluice" or "ref") in the current run.
// It holds only [a-z0-9_], so it needs no quoting.
func (b *bench) dbName(side string) string {
	return fmt.Sprintf("sluice_bench_%s_r%d_%s", b.dbTag, b.run, side)
}

// createDB makes a fresh database and returns the function that drops it,
// which works after ctx is cancelled, so an interrupted run cleans up.
func (b *bench) createDB(ctx context.Context, db string) (drop func(), err error) {
	if _, err := b.query(ctx, "", b.srv.createSQL(db)); err != nil {
		return func() {}, fmt.Errorf("create database %s: %w", db, err)
	}
	b.log.Info("created database", "db", db)
	return func() {
		if _, err := b.query(context.WithoutCancel(ctx), "", b.srv.dropSQL(db)); err != nil {
			b.log.Warn("cannot drop database", "db", db, "err", err)
		}
	}, nil
}

// settle runs the server's settleSQL before a timed step; failing to is
// worth a warning, not the step.
func (b *bench) settle(ctx context.Context) {
	sql := b.srv.settleSQL()
	if sql == "" || b.settleFailed {
		return
	}
	if _, err := b.query(ctx, "", sql); err != nil {
		b.log.Warn("cannot settle the server before timed steps; continuing without", "sql", sql, "err", err)
		b.settleFailed = true
	}
}

// headerMap is where a CSV header's fields go.
type headerMap struct {
	byField []*column // per field, its socks column; nil for an undeclared one
}

// mapHeader maps header onto socksColumns; every column must be there.
func mapHeader(csvPath string, header []string) (headerMap, error) {
	m := headerMap{byField: make([]*column, len(header))}
	for i := range socksColumns {
		c := &socksColumns[i]
		j := indexOf(header, c.csv)
		if j < 0 {
			return m, fmt.Errorf("%s: no column %q in header %q", csvPath, c.csv, header)
		}
		m.byField[j] = c
	}
	return m, nil
}

// clientPath quotes a file name for a client's load command. The clients
// differ in how they escape a quote or a backslash inside quotes, so
// neither may occur.
func clientPath(p, client string) (string, error) {
	if strings.ContainsAny(p, "'\\\n") {
		return "", fmt.Errorf("%s: the %s reference cannot load a path containing a quote, backslash or newline", p, client)
	}
	return "'" + p + "'", nil
}

func contains(xs []string, x string) bool { return indexOf(xs, x) >= 0 }
