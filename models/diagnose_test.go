package models

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sluice-dev/sluice/models/dbtest"
)

// TestDiagnose covers the mapping from driver errors to plain messages,
// including the ones the test servers cannot produce (PostgreSQL's wrong
// password needs password authentication; they trust local users).
func TestDiagnose(t *testing.T) {
	t.Parallel()
	pg, err := ParseURL("postgresql://app:secret@db.internal:5433/shop", "")
	if err != nil {
		t.Fatal(err)
	}
	my, err := ParseURL("mysql://app:secret@db.internal/shop", "")
	if err != nil {
		t.Fatal(err)
	}
	certs := dbtest.NewCerts(t, "db.internal")
	cert, key := certs.Client(t, "app")
	myTLS := parse(t, "mysql+pymysql://app:secret@db.internal/shop?ssl_ca="+certs.CA)
	myX509 := parse(t, "mysql+pymysql://app:secret@db.internal/shop?ssl_ca="+certs.CA+"&ssl_cert="+cert+"&ssl_key="+key)
	myUnchecked := parse(t, "mysql+pymysql://app:secret@db.internal/shop?ssl_verify_cert=true")
	pgTLS := parse(t, "postgresql://app:secret@db.internal:5433/shop?sslmode=verify-full&sslrootcert="+certs.CA)
	pgCert := parse(t, "postgresql://app:secret@db.internal:5433/shop?sslmode=verify-full&sslrootcert="+certs.CA+"&sslcert="+cert+"&sslkey="+key)
	leaf := &x509.Certificate{DNSNames: []string{"db.internal"}, IPAddresses: []net.IP{net.ParseIP("10.0.0.5")}}
	unknownCA := &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{Cert: leaf}}
	remote := func(alert string) error {
		return &net.OpError{Op: "remote error", Err: errors.New("tls: " + alert)}
	}
	tests := []struct {
		name    string
		target  Target
		err     error
		problem string // "" means the error is returned as it is
		hint    string
	}{
		{"pg refused", pg, fmt.Errorf("dial: %w", syscall.ECONNREFUSED), "connection refused at db.internal:5433", "is PostgreSQL running"},
		{"pg unknown host", pg, &net.DNSError{Name: "db.internal", Err: "no such host", IsNotFound: true}, `unknown host "db.internal"`, "fix the host name"},
		{"pg wrong password", pg, &pgconn.PgError{Severity: "FATAL", Code: "28P01", Message: `password authentication failed for user "app"`}, `wrong password for user "app"`, "fix the password in the URL"},
		{"pg no such role", pg, &pgconn.PgError{Severity: "FATAL", Code: "28000", Message: `role "app" does not exist`}, `user "app" may not connect`, "pg_hba.conf"},
		{"pg unknown database", pg, &pgconn.PgError{Severity: "FATAL", Code: "3D000", Message: `database "shop" does not exist`}, `database "shop" does not exist`, "CREATE DATABASE shop OWNER app"},
		{"mysql wrong password", my, &mysql.MySQLError{Number: 1045, Message: "Access denied"}, `access denied for user "app"`, "fix the user or password"},
		{"mysql unknown database", my, &mysql.MySQLError{Number: 1049, Message: "Unknown database 'shop'"}, `database "shop" does not exist`, "CREATE DATABASE shop CHARACTER SET utf8mb4"},
		{"mysql socket missing", my, fmt.Errorf("dial unix /run/mysqld.sock: %w", syscall.ENOENT), "no server socket at db.internal:3306", "is MySQL/MariaDB running"},
		{"pg no privilege", pg, &pgconn.PgError{Severity: "ERROR", Code: "42501", Message: "permission denied for schema public"}, `user "app" lacks a privilege sluice needs`, "GRANT CREATE ON SCHEMA public TO app"},
		{"mysql no privilege", my, &mysql.MySQLError{Number: 1142, Message: "INSERT command denied"}, `user "app" lacks a privilege sluice needs`, "GRANT CREATE, SELECT, INSERT, UPDATE, CREATE TEMPORARY TABLES ON shop.* TO app"},
		{"mysql unix_socket user", my, &mysql.MySQLError{Number: 1698, Message: "Access denied for user 'root'@'localhost'"}, `user "app" signs in as an operating-system user, not with a password`,
			"run sluice as the OS user app over the server's socket (?unix_socket=/run/mysqld/mysqld.sock), or give it a user with a password: CREATE USER 'sluice'@'%' IDENTIFIED BY '…'; GRANT CREATE, SELECT, INSERT, UPDATE, CREATE TEMPORARY TABLES ON shop.* TO 'sluice'@'%'"},
		{"mysql auth plugin (server)", my, &mysql.MySQLError{Number: 1251, Message: "Client does not support authentication protocol requested by server"}, `user "app" signs in with an authentication method sluice does not use (Client does not support authentication protocol requested by server)`, "mysql_native_password, caching_sha2_password, sha256_password or MariaDB's ed25519"},
		{"mysql auth plugin (client)", my, &mysql.MySQLError{Number: 2059, Message: "Authentication plugin 'dialog' cannot be loaded"}, `user "app" signs in with an authentication method sluice does not use (Authentication plugin 'dialog' cannot be loaded)`, "ALTER USER 'app'@'<host>' IDENTIFIED BY"},
		{"mysql auth plugin (driver)", my, mysql.ErrUnknownPlugin, `user "app" signs in with an authentication method sluice does not use (this authentication plugin is not supported)`, "ALTER USER 'app'@'<host>'"},
		{"mysql clear-text password", my, mysql.ErrCleartextPassword, `user "app" signs in with an authentication method sluice does not use (` + mysql.ErrCleartextPassword.Error() + ")", "ALTER USER"},
		{"mysql denied without TLS", my, &mysql.MySQLError{Number: 1045, Message: "Access denied"}, `access denied for user "app"`, "; if the account or the server requires TLS (REQUIRE SSL or X509, require_secure_transport), connect with it: ssl_ca=/path/to/ca.pem (with ssl_cert and ssl_key for X509)"},
		{"mysql denied with TLS", myTLS, &mysql.MySQLError{Number: 1045, Message: "Access denied"}, `access denied for user "app"`, "; if the account REQUIREs X509, add its client certificate: ssl_cert and ssl_key"},
		{"mysql denied with a client certificate", myX509, &mysql.MySQLError{Number: 1045, Message: "Access denied"}, `access denied for user "app"`, "check the user's allowed hosts"},
		{"mysql secure transport", my, &mysql.MySQLError{Number: 3159, Message: "Connections using insecure transport are prohibited"}, "the server takes only encrypted connections (require_secure_transport)", "connect with TLS: ssl_ca=/path/to/ca.pem"},
		{"mysql no TLS on the server", myTLS, mysql.ErrNoTLS, "the server does not offer TLS, which the URL requires", "turn TLS on in the server"},
		{"mysql wrong CA", myTLS, unknownCA, "the server's certificate is not signed by the CA in ssl_ca (" + certs.CA + ")", "make ssl_ca the CA that signed the server's certificate"},
		{"mysql system CAs", myUnchecked, unknownCA, "the server's certificate is not signed by a CA this system trusts", "name the CA that signed it: ssl_ca=/path/to/ca.pem"},
		{"mysql wrong host", myTLS, &tls.CertificateVerificationError{Err: x509.HostnameError{Certificate: leaf, Host: "127.0.0.1"}}, "the server's certificate is for db.internal, 10.0.0.5, not 127.0.0.1", "connect by a name the certificate holds, or check the CA only (ssl_check_hostname=false)"},
		{"mysql expired", myTLS, x509.CertificateInvalidError{Cert: leaf, Reason: x509.Expired, Detail: "current time is after 2020"}, "the server's certificate is not valid: x509: certificate has expired or is not yet valid: current time is after 2020", "renew it on the server"},
		{"mysql client certificate refused", myX509, remote("unknown certificate authority"), "the server refused the TLS handshake (tls: unknown certificate authority)", "it does not accept the client certificate (ssl_cert and ssl_key)"},
		{"pg client certificate wanted", pgTLS, remote("certificate required"), "the server refused the TLS handshake (tls: certificate required)", "it may want a client certificate: add sslcert and sslkey"},
		{"pg wrong CA", pgTLS, fmt.Errorf("failed to connect: tls error: %w", unknownCA), "the server's certificate is not signed by the CA in sslrootcert (" + certs.CA + ")", "make sslrootcert the CA"},
		{"pg wrong host", pgTLS, x509.HostnameError{Certificate: leaf, Host: "127.0.0.1"}, "the server's certificate is for db.internal, 10.0.0.5, not 127.0.0.1", "or check the CA only (sslmode=verify-ca)"},
		{"pg no TLS on the server", pgTLS, errors.New("failed to connect to `user=app database=shop`: 10.0.0.5:5433 (db.internal): server refused TLS connection"), "the server does not offer TLS, which the URL requires", "turn TLS on in the server"},
		{"pg hostssl only", pg, &pgconn.PgError{Severity: "FATAL", Code: "28000", Message: `no pg_hba.conf entry for host "10.0.0.9", user "app", database "shop", no encryption`}, "the server takes connections from here only with TLS (hostssl in pg_hba.conf)", "connect with TLS: sslmode=verify-full&sslrootcert=/path/to/ca.pem"},
		{"pg one address refused, another answered", pg, errors.Join(fmt.Errorf("dial [::1]:5433: %w", syscall.ECONNREFUSED),
			&pgconn.PgError{Severity: "FATAL", Code: "28000", Message: `no pg_hba.conf entry for host "127.0.0.1", user "app", database "shop", no encryption`}),
			"the server takes connections from here only with TLS (hostssl in pg_hba.conf)", "connect with TLS"},
		{"pg client certificate required", pgTLS, &pgconn.PgError{Severity: "FATAL", Code: "28000", Message: "connection requires a valid client certificate"}, "the server wants a client certificate (cert in pg_hba.conf)", "add sslcert=/path/to/client.pem&sslkey=/path/to/client-key.pem"},
		{"pg certificate for another user", pgCert, &pgconn.PgError{Severity: "FATAL", Code: "28000", Message: `certificate authentication failed for user "app"`}, `the client certificate is not for user "app"`, "its common name (CN) must be the user name"},
		{"other", my, errors.New("something else"), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Diagnose(tt.target, tt.err)
			var se *ServerError
			if tt.problem == "" {
				if errors.As(got, &se) || got != tt.err {
					t.Fatalf("Diagnose = %v, want the error unchanged", got)
				}
				return
			}
			if !errors.As(got, &se) {
				t.Fatalf("Diagnose = %v, want a *ServerError", got)
			}
			if se.Problem != tt.problem || !strings.Contains(se.Hint, tt.hint) {
				t.Errorf("problem %q, hint %q; want %q and a hint with %q", se.Problem, se.Hint, tt.problem, tt.hint)
			}
			if !errors.Is(got, tt.err) {
				t.Errorf("the driver's error is not kept")
			}
			if strings.Contains(got.Error(), "secret") {
				t.Errorf("message holds the password: %v", got)
			}
		})
	}
}

func parse(t *testing.T, raw string) Target {
	t.Helper()
	target, err := ParseURL(raw, "")
	if err != nil {
		t.Fatal(err)
	}
	return target
}

// TestUnreachableTLS: a certificate or a refused handshake is the same
// on the next try, so the daemon does not retry it as an outage.
func TestUnreachableTLS(t *testing.T) {
	t.Parallel()
	leaf := &x509.Certificate{DNSNames: []string{"db"}}
	for _, err := range []error{
		&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{Cert: leaf}},
		fmt.Errorf("tls error: %w", x509.HostnameError{Certificate: leaf, Host: "x"}),
		x509.CertificateInvalidError{Cert: leaf, Reason: x509.Expired},
		&net.OpError{Op: "remote error", Err: errors.New("tls: bad certificate")},
	} {
		if Unreachable(err) {
			t.Errorf("Unreachable(%v) = true, want false", err)
		}
	}
	if !Unreachable(&net.OpError{Op: "read", Err: syscall.ECONNRESET}) {
		t.Error("a reset connection is no longer unreachable")
	}
}
