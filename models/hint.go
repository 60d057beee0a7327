package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
)

// ServerError is a database server sluice cannot use, said plainly, with
// what to do about it. Err is the driver's own error, kept for the detail.
type ServerError struct {
	Target  string // redacted URL
	Problem string // what is wrong, in a few words
	Hint    string // what to do
	Err     error
}

func (e *ServerError) Error() string {
	return fmt.Sprintf("database %s: %s; %s (%s)", e.Target, e.Problem, e.Hint, e.Detail())
}

// Detail is the driver's message, cut to its last line: pgx lists every
// address it tried, each with the same cause.
func (e *ServerError) Detail() string {
	var pg *pgconn.PgError
	if errors.As(e.Err, &pg) {
		return fmt.Sprintf("%s: %s (SQLSTATE %s)", pg.Severity, pg.Message, pg.Code)
	}
	msg := strings.TrimSpace(e.Err.Error())
	if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
		msg = strings.TrimSpace(msg[i+1:])
	}
	return msg
}

func (e *ServerError) Unwrap() error { return e.Err }

// Diagnose turns a driver error from connecting to or writing into the
// target into a *ServerError when it is one of the usual operator
// mistakes; other errors are returned as they are.
func Diagnose(t Target, err error) error {
	if err == nil {
		return nil
	}
	var se *ServerError
	if errors.As(err, &se) {
		return err
	}
	kind := map[string]string{"postgres": "PostgreSQL", "mysql": "MySQL/MariaDB"}[t.Driver]
	fail := func(problem, hint string) error {
		return &ServerError{Target: t.String(), Problem: problem, Hint: hint, Err: err}
	}
	var dns *net.DNSError
	var pg *pgconn.PgError
	var my *mysql.MySQLError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fail(fmt.Sprintf("connection refused at %s", t.Host),
			fmt.Sprintf("is %s running and listening there? Start it, or fix the host and port in the URL", kind))
	case errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOENT):
		return fail(fmt.Sprintf("no server socket at %s", t.Host),
			fmt.Sprintf("is %s running? Start it, or fix the socket path in the URL", kind))
	case errors.As(err, &dns):
		return fail(fmt.Sprintf("unknown host %q", dns.Name), "fix the host name in the URL")
	case isTimeout(err):
		return fail(fmt.Sprintf("no answer from %s", t.Host), "check the host, the port and any firewall between here and the server")
	case privilegeDenied(err):
		hint := fmt.Sprintf("grant it: GRANT CREATE ON SCHEMA public TO %s for new tables, GRANT SELECT, INSERT, UPDATE ON <table> TO %s for existing ones", t.User, t.User)
		if t.Driver == "mysql" {
			hint = fmt.Sprintf("grant it: GRANT CREATE, SELECT, INSERT, UPDATE, CREATE TEMPORARY TABLES ON %s.* TO %s", t.Database, t.User)
		}
		return fail(fmt.Sprintf("user %q lacks a privilege sluice needs", t.User), hint)
	case errors.As(err, &pg):
		if d := diagnosePostgres(t, pg.Code, fail); d != nil {
			return d
		}
	case errors.As(err, &my):
		if d := diagnoseMySQL(t, my.Number, fail); d != nil {
			return d
		}
	}
	return err // the server's own words say it best
}

// privilegeDenied reports whether the server refused for want of a
// privilege: PostgreSQL's insufficient_privilege, MySQL's access denied to
// a database, a command or a column.
func privilegeDenied(err error) bool {
	var pg *pgconn.PgError
	var my *mysql.MySQLError
	return (errors.As(err, &pg) && pg.Code == "42501") ||
		(errors.As(err, &my) && (my.Number == 1044 || my.Number == 1142 || my.Number == 1143))
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// diagnosePostgres explains the SQLSTATEs of the usual mistakes; nil for
// any other.
func diagnosePostgres(t Target, code string, fail func(problem, hint string) error) error {
	switch code {
	case "28P01":
		return fail(fmt.Sprintf("wrong password for user %q", t.User), "fix the password in the URL (escape @, : and / in it as %40, %3A and %2F)")
	case "28000":
		return fail(fmt.Sprintf("user %q may not connect", t.User), "check the user name, and that pg_hba.conf lets it connect from this host to this database")
	case "3D000":
		return fail(fmt.Sprintf("database %q does not exist", t.Database), fmt.Sprintf("create it (CREATE DATABASE %s OWNER %s) or fix the name in the URL", t.Database, t.User))
	}
	return nil
}

// diagnoseMySQL explains the error numbers of the usual mistakes; nil for
// any other.
func diagnoseMySQL(t Target, number uint16, fail func(problem, hint string) error) error {
	switch number {
	case 1045:
		return fail(fmt.Sprintf("access denied for user %q", t.User), "fix the user or password in the URL (escape @, : and / in it as %40, %3A and %2F), or check the user's allowed hosts")
	case 1049:
		return fail(fmt.Sprintf("database %q does not exist", t.Database), fmt.Sprintf("create it (CREATE DATABASE %s CHARACTER SET utf8mb4) or fix the name in the URL", t.Database))
	}
	return nil
}

// Unreachable reports whether err says the database could not be reached
// or went away (refused, reset, timed out, restarting, a SQLite file
// locked by another writer past its timeout): the kind of failure a later
// attempt may not meet. Wrong passwords, missing privileges and bad data
// are not: retrying them changes nothing.
func Unreachable(err error) bool {
	if err == nil {
		return false
	}
	var dns *net.DNSError
	var pg *pgconn.PgError
	var op *net.OpError // dialling, reading or writing the server's socket
	switch {
	case errors.As(err, &dns):
		return dns.IsTemporary || dns.IsTimeout
	case errors.As(err, &op), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, mysql.ErrInvalidConn),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, sql.ErrConnDone):
		return true
	case errors.As(err, &pg):
		// admin_shutdown, crash_shutdown, cannot_connect_now (starting up)
		return pg.Code == "57P01" || pg.Code == "57P02" || pg.Code == "57P03"
	case isTimeout(err) && !errors.Is(err, context.DeadlineExceeded):
		return true
	}
	var se *ServerError
	if errors.As(err, &se) && strings.HasPrefix(se.Problem, "no answer") {
		return true
	}
	// SQLite's busy error, from either driver, once busy_timeout ran out.
	msg := err.Error()
	return strings.Contains(msg, "database is locked") || strings.Contains(msg, "SQLITE_BUSY") ||
		strings.Contains(msg, "conn closed") || strings.Contains(msg, "connection reset")
}
