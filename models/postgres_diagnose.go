package models

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// diagnose explains the SQLSTATEs of the usual operator mistakes.
func (*postgresDialect) diagnose(t Target, err error) *ServerError {
	fail := func(problem, hint string) *ServerError {
		return &ServerError{Target: t.String(), Problem: problem, Hint: hint, Err: err}
	}
	if strings.Contains(err.Error(), "server refused TLS connection") { // pgx's words
		return fail(noTLSProblem, noTLSHint)
	}
	var pg *pgconn.PgError
	if !errors.As(err, &pg) {
		return nil
	}
	switch {
	case pg.Code == "28P01":
		return fail(fmt.Sprintf("wrong password for user %q", t.User), "fix the password in the URL (escape @, : and / in it as %40, %3A and %2F)")
	// pg_hba.conf's refusals, as PostgreSQL words them.
	case pg.Code == "28000" && strings.Contains(pg.Message, "no encryption"):
		return fail("the server takes connections from here only with TLS (hostssl in pg_hba.conf)",
			fmt.Sprintf("connect with TLS: %s", postgresTLSNames.verified))
	case pg.Code == "28000" && strings.Contains(pg.Message, "requires a valid client certificate"):
		return fail("the server wants a client certificate (cert in pg_hba.conf)",
			"add sslcert=/path/to/client.pem&sslkey=/path/to/client-key.pem: a certificate signed by the CA the server trusts, for the user's name")
	case pg.Code == "28000" && strings.Contains(pg.Message, "certificate authentication failed"):
		return fail(fmt.Sprintf("the client certificate is not for user %q", t.User),
			"its common name (CN) must be the user name, or pg_ident.conf must map it to the user")
	case pg.Code == "28000":
		return fail(fmt.Sprintf("user %q may not connect", t.User), "check the user name, and that pg_hba.conf lets it connect from this host to this database")
	case pg.Code == "3D000":
		return fail(fmt.Sprintf("database %q does not exist", t.Database), fmt.Sprintf("create it (CREATE DATABASE %s OWNER %s) or fix the name in the URL", t.Database, t.User))
	}
	return nil
}

// denied: insufficient_privilege.
func (*postgresDialect) denied(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "42501"
}

// grant: CREATE is granted per schema, the others per table; the
// ledger's id also needs its sequence. An empty privilege is everything
// sluice needs.
func (*postgresDialect) grant(t Target, privilege, table string) string {
	user := t.User
	switch {
	case privilege == "":
		return fmt.Sprintf("GRANT CREATE ON SCHEMA public TO %s for new tables, GRANT SELECT, INSERT, UPDATE ON <table> TO %s for existing ones", user, user)
	case privilege == "CREATE":
		return fmt.Sprintf("GRANT CREATE ON SCHEMA <schema> TO %s (the first schema of its search_path, often public)", user)
	case table == ledgerTable || table == schemaTable:
		return fmt.Sprintf("GRANT SELECT, INSERT, UPDATE ON sluice_runs, sluice_schema TO %s; GRANT USAGE ON SEQUENCE sluice_runs_id_seq TO %s", user, user)
	}
	return fmt.Sprintf("GRANT SELECT, INSERT, UPDATE ON %s TO %s", table, user)
}

// unreachable: admin_shutdown, crash_shutdown, cannot_connect_now
// (starting up).
func postgresUnreachable(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "57P01" || pg.Code == "57P02" || pg.Code == "57P03")
}

func (*postgresDialect) addPrimaryKey(ds *Dataset) string { return alterAddPrimaryKey(ds) }

// lostHint: how PostgreSQL ends a session other than by a crash.
func (*postgresDialect) lostHint() string {
	return "the server's log says why (a restart, a crash, pg_terminate_backend, idle_in_transaction_session_timeout)"
}
