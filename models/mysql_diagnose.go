package models

import (
	"errors"
	"fmt"

	"github.com/go-sql-driver/mysql"
)

// diagnose explains the error numbers of the usual operator mistakes.
func (d *mysqlDialect) diagnose(t Target, err error) *ServerError {
	fail := func(problem, hint string) *ServerError {
		return &ServerError{Target: t.String(), Problem: problem, Hint: hint, Err: err}
	}
	// go-sql-driver's own errors, before the server's: an authentication
	// method it cannot or will not speak, a server without TLS.
	switch {
	case errors.Is(err, mysql.ErrNoTLS):
		return fail(noTLSProblem, noTLSHint)
	case errors.Is(err, mysql.ErrUnknownPlugin), errors.Is(err, mysql.ErrOldPassword),
		errors.Is(err, mysql.ErrCleartextPassword), errors.Is(err, mysql.ErrNativePassword):
		return fail(fmt.Sprintf("user %q signs in with an authentication method sluice does not use (%v)", t.User, err), mysqlAuthHint(t))
	}
	var my *mysql.MySQLError
	if !errors.As(err, &my) {
		return nil
	}
	switch my.Number {
	case 1045:
		return fail(fmt.Sprintf("access denied for user %q", t.User), "fix the user or password in the URL (escape @, : and / in it as %40, %3A and %2F), or check the user's allowed hosts"+mysqlTLSAdvice(t))
	case 1698:
		// MariaDB's unix_socket (root on Debian) and MySQL's auth_socket:
		// the server checks the OS user at the socket's end, not a password.
		sluice := t
		sluice.User = "'sluice'@'%'"
		return fail(fmt.Sprintf("user %q signs in as an operating-system user, not with a password", t.User),
			fmt.Sprintf("run sluice as the OS user %s over the server's socket (?unix_socket=/run/mysqld/mysqld.sock), or give it a user with a password: CREATE USER 'sluice'@'%%' IDENTIFIED BY '…'; %s", t.User, d.grant(sluice, "", "")))
	case 1251, 2059:
		return fail(fmt.Sprintf("user %q signs in with an authentication method sluice does not use (%s)", t.User, my.Message), mysqlAuthHint(t))
	case 3159:
		// MySQL's require_secure_transport; MariaDB answers 1045 instead.
		return fail("the server takes only encrypted connections (require_secure_transport)", fmt.Sprintf("connect with TLS: %s", mysqlTLSNames.verified))
	case 1049:
		return fail(fmt.Sprintf("database %q does not exist", t.Database), fmt.Sprintf("create it (CREATE DATABASE %s CHARACTER SET utf8mb4) or fix the name in the URL", t.Database))
	}
	return nil
}

// mysqlTLSAdvice is what to try when access is denied and the TLS the
// URL asks for may be why: an account may REQUIRE SSL or X509, and
// MariaDB's require_secure_transport denies access without saying so.
func mysqlTLSAdvice(t Target) string {
	switch {
	case !t.tls.on:
		return fmt.Sprintf("; if the account or the server requires TLS (REQUIRE SSL or X509, require_secure_transport), connect with it: %s (with ssl_cert and ssl_key for X509)", mysqlTLSNames.verified)
	case !t.tls.clientCert:
		return "; if the account REQUIREs X509, add its client certificate: ssl_cert and ssl_key"
	}
	return ""
}

// mysqlAuthHint: the methods go-sql-driver signs in with.
func mysqlAuthHint(t Target) string {
	return fmt.Sprintf("give the user a password method sluice speaks (mysql_native_password, caching_sha2_password, sha256_password or MariaDB's ed25519): ALTER USER '%s'@'<host>' IDENTIFIED BY '…'", t.User)
}

// denied: access denied to a database, a command or a column.
func (*mysqlDialect) denied(err error) bool {
	var my *mysql.MySQLError
	return errors.As(err, &my) && (my.Number == 1044 || my.Number == 1142 || my.Number == 1143)
}

// grant: MySQL grants CREATE per database. An empty privilege is
// everything sluice needs.
func (*mysqlDialect) grant(t Target, privilege, table string) string {
	switch privilege {
	case "":
		return fmt.Sprintf("GRANT CREATE, SELECT, INSERT, UPDATE, CREATE TEMPORARY TABLES ON %s.* TO %s", t.Database, t.User)
	case "CREATE":
		return fmt.Sprintf("GRANT CREATE, INDEX, CREATE TEMPORARY TABLES ON %s.* TO '%s'@'<host>'", t.Database, t.User)
	}
	return fmt.Sprintf("GRANT SELECT, INSERT, UPDATE ON %s.%s TO '%s'@'<host>'", t.Database, table, t.User)
}

// unreachable: the driver's own word for a connection that broke.
func mysqlUnreachable(err error) bool { return errors.Is(err, mysql.ErrInvalidConn) }

func (*mysqlDialect) addPrimaryKey(ds *Dataset) string { return alterAddPrimaryKey(ds) }

// lostHint: how MySQL and MariaDB end a session other than by a crash;
// the last two close it without a word to the client.
func (*mysqlDialect) lostHint() string {
	return "the server's log says why (a restart, a crash, KILL, a statement over max_allowed_packet, a wait past wait_timeout or net_read_timeout)"
}
