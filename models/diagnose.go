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
// mistakes; other errors are returned as they are. The network's and
// TLS's mistakes are the same for every database; the dialect knows its own
// error codes.
func Diagnose(t Target, err error) error {
	if err == nil {
		return nil
	}
	var se *ServerError
	if errors.As(err, &se) {
		return err
	}
	fail := func(problem, hint string) error {
		return &ServerError{Target: t.String(), Problem: problem, Hint: hint, Err: err}
	}
	// What a server answered, or a TLS handshake with it, comes first:
	// pgx tries every address of a host (localhost: ::1, then 127.0.0.1)
	// and joins their errors, and one address refused says nothing when
	// another answered.
	if problem, hint, ok := tlsProblem(t, err); ok {
		return fail(problem, hint)
	}
	if t.dialect != nil {
		if t.dialect.denied(err) {
			return fail(fmt.Sprintf("user %q lacks a privilege sluice needs", t.User), "grant it: "+t.dialect.grant(t, "", ""))
		}
		if d := t.dialect.diagnose(t, err); d != nil {
			return d
		}
	}
	var dns *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fail(fmt.Sprintf("connection refused at %s", t.Host),
			fmt.Sprintf("is %s running and listening there? Start it, or fix the host and port in the URL", t.kind))
	case errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOENT):
		return fail(fmt.Sprintf("no server socket at %s", t.Host),
			fmt.Sprintf("is %s running? Start it, or fix the socket path in the URL", t.kind))
	case errors.As(err, &dns):
		return fail(fmt.Sprintf("unknown host %q", dns.Name), "fix the host name in the URL")
	case isTimeout(err):
		return fail(fmt.Sprintf("no answer from %s", t.Host), "check the host, the port and any firewall between here and the server")
	}
	return err // the server's own words say it best
}

// Lost turns err, which ended an import that had its transaction open,
// into what happened when the database went away meanwhile: the
// connection to it was lost and the file's transaction rolled back.
// Errors that say the server was never reached (refused, no socket, no
// such host) keep their own diagnosis; those that are not the database
// going away are returned as they are. The result is still Unreachable.
func Lost(t Target, err error) error {
	if !Unreachable(err) {
		return err
	}
	var se *ServerError
	if d := Diagnose(t, err); errors.As(d, &se) && !strings.HasPrefix(se.Problem, "no answer") {
		return d
	}
	hint := "check that the server is up; sluice import again imports the file whole (the ledger has no record of it), and the daemon retries by itself"
	if t.dialect != nil && t.dialect.lostHint() != "" {
		hint += "; " + t.dialect.lostHint()
	}
	return &ServerError{Target: t.String(), Problem: fmt.Sprintf("the connection to %s at %s was lost during the import; the file's transaction was rolled back", t.kind, t.Host),
		Hint: hint, Err: err}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// Unreachable reports whether err says the database could not be
// reached or went away (refused, reset, timed out, restarting, a SQLite
// file locked by another writer past its timeout): the kind of failure a
// later attempt may not meet. Wrong passwords, missing privileges and bad
// data are not: retrying them changes nothing.
func Unreachable(err error) bool {
	if err == nil {
		return false
	}
	var dns *net.DNSError
	var op *net.OpError // dialling, reading or writing the server's socket
	switch {
	case tlsFailure(err):
		return false // a certificate or a refusal: the same next time
	case errors.As(err, &dns):
		return dns.IsTemporary || dns.IsTimeout
	case errors.As(err, &op), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, sql.ErrConnDone):
		return true
	case isTimeout(err) && !errors.Is(err, context.DeadlineExceeded):
		return true
	}
	for _, d := range families {
		if d.unreachable(err) {
			return true
		}
	}
	var se *ServerError
	if errors.As(err, &se) && strings.HasPrefix(se.Problem, "no answer") {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "connection reset")
}
