package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/models/dbtest"
)

// tlsCase is one DATABASE_URL given to `sluice check` and to the app.
type tlsCase struct {
	name string
	// url has {port}, {db}, {ca}, {wrong} (a CA the server does not
	// know), {cert} and {key} (a client certificate for the user).
	url string
	// want are parts of check's stdout, in order.
	want []string
	// app is what the app makes of the same URL: "" connects, else a
	// part of its error; "-" when the scheme names a driver not installed
	// here (sluice's other spellings).
	app string
}

// TestTLS runs `sluice check` against a PostgreSQL and a MariaDB of the
// test's own that take TCP connections only with TLS, with the URL forms
// the app's drivers also take, and the app (SQLAlchemy with psycopg2 or
// PyMySQL) on the very same URL: what works works in both, and a wrong
// CA, a wrong host name, a missing client certificate or TLS turned off
// fail in both, sluice saying why. The server certificates are for
// localhost only, so 127.0.0.1 is a host name they do not match.
func TestTLS(t *testing.T) {
	t.Parallel()
	certs := dbtest.NewCerts(t, "localhost")
	wrong := dbtest.NewCerts(t, "localhost")
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		srv := dbtest.StartPostgres(t, dbtest.ServerOptions{TLS: certs, HBA: []string{
			"hostssl all sluice_cert 127.0.0.1/32 cert", "hostssl all sluice_cert ::1/128 cert",
			"hostssl all all 127.0.0.1/32 trust", "hostssl all all ::1/128 trust",
		}, Init: []string{"CREATE ROLE sluice_cert LOGIN SUPERUSER"}})
		cert, key := certs.Client(t, "sluice_cert")
		const u = "postgresql+psycopg2://postgres@localhost:{port}/{db}?"
		const certUser = "postgresql+psycopg2://sluice_cert@localhost:{port}/{db}?"
		runTLSCases(t, srv, certs, wrong, cert, key, []tlsCase{
			{name: "verify-full", url: u + "sslmode=verify-full&sslrootcert={ca}", want: itWorks("postgres")},
			{name: "verify-ca by address", url: strings.Replace(u, "localhost", "127.0.0.1", 1) + "sslmode=verify-ca&sslrootcert={ca}", want: itWorks("postgres")},
			{name: "require", url: u + "sslmode=require", want: itWorks("postgres")},
			{name: "client certificate", url: certUser + "sslmode=verify-full&sslrootcert={ca}&sslcert={cert}&sslkey={key}", want: itWorks("postgres")},
			{name: "plain postgres scheme", url: "postgres://postgres@localhost:{port}/{db}?sslmode=verify-full&sslrootcert={ca}", want: itWorks("postgres"), app: "-"},

			{name: "wrong CA", url: u + "sslmode=verify-full&sslrootcert={wrong}",
				want: []string{": the server's certificate is not signed by the CA in sslrootcert ({wrong})", "  hint: make sslrootcert the CA that signed the server's certificate"},
				app:  "certificate verify failed"},
			{name: "wrong CA under require", url: u + "sslmode=require&sslrootcert={wrong}",
				want: []string{": the server's certificate is not signed by the CA in sslrootcert ({wrong})"}, app: "certificate verify failed"},
			{name: "wrong CA under prefer", url: u + "sslmode=prefer&sslrootcert={wrong}",
				want: []string{": the server's certificate is not signed by the CA in sslrootcert ({wrong})"}, app: "certificate verify failed"},
			{name: "wrong host", url: strings.Replace(u, "localhost", "127.0.0.1", 1) + "sslmode=verify-full&sslrootcert={ca}",
				want: []string{": the server's certificate is for localhost, not 127.0.0.1", "  hint: connect by a name the certificate holds, or check the CA only (sslmode=verify-ca)"},
				app:  `server certificate for "localhost"`},
			{name: "no client certificate", url: certUser + "sslmode=verify-full&sslrootcert={ca}",
				want: []string{": the server wants a client certificate (cert in pg_hba.conf)", "  hint: add sslcert="},
				app:  "connection requires a valid client certificate"},
			{name: "TLS disabled", url: u + "sslmode=disable",
				want: []string{": the server takes connections from here only with TLS (hostssl in pg_hba.conf)", "  hint: connect with TLS: sslmode=verify-full&sslrootcert=/path/to/ca.pem"},
				app:  "no encryption"},
		})
		importOverTLS(t, srv, "postgres", certUser+"sslmode=verify-full&sslrootcert={ca}&sslcert={cert}&sslkey={key}", certs.CA, cert, key)
	})
	t.Run("mysql", func(t *testing.T) {
		t.Parallel()
		srv := dbtest.StartMariaDB(t, dbtest.ServerOptions{TLS: certs, Args: []string{"--require-secure-transport=ON"}, Init: []string{
			"CREATE USER 'sluice'@'%' IDENTIFIED BY 'pw'", "GRANT ALL ON *.* TO 'sluice'@'%'",
			"CREATE USER 'sluice_x509'@'%' IDENTIFIED BY 'pw' REQUIRE X509", "GRANT ALL ON *.* TO 'sluice_x509'@'%'",
			"CREATE USER 'sluice_sock'@'%' IDENTIFIED VIA unix_socket",
		}})
		cert, key := certs.Client(t, "sluice_x509")
		const u = "mysql+pymysql://sluice:pw@localhost:{port}/{db}?"
		const x509 = "mysql+pymysql://sluice_x509:pw@localhost:{port}/{db}?"
		runTLSCases(t, srv, certs, wrong, cert, key, []tlsCase{
			{name: "ssl_ca", url: u + "ssl_ca={ca}", want: itWorks("mysql")},
			{name: "ssl_ca by address without the host check", url: strings.Replace(u, "localhost", "127.0.0.1", 1) + "ssl_ca={ca}&ssl_check_hostname=false", want: itWorks("mysql")},
			{name: "encrypted only", url: u + "ssl_verify_cert=false", want: itWorks("mysql")},
			{name: "client certificate", url: x509 + "ssl_ca={ca}&ssl_cert={cert}&ssl_key={key}", want: itWorks("mysql")},
			{name: "mysql scheme", url: "mysql://sluice:pw@localhost:{port}/{db}?ssl_ca={ca}", want: itWorks("mysql"), app: "-"},
			{name: "mariadb scheme with ssl=true", url: "mariadb://sluice:pw@localhost:{port}/{db}?ssl=true", want: itWorks("mysql"), app: "-"},
			{name: "mysqlclient's ssl_mode", url: "mysql+mysqldb://sluice:pw@localhost:{port}/{db}?ssl_mode=VERIFY_IDENTITY&ssl_ca={ca}", want: itWorks("mysql"), app: "-"},

			{name: "wrong CA", url: u + "ssl_ca={wrong}",
				want: []string{": the server's certificate is not signed by the CA in ssl_ca ({wrong})", "  hint: make ssl_ca the CA that signed the server's certificate"},
				app:  "certificate verify failed"},
			{name: "system CAs", url: u + "ssl_verify_cert=true",
				want: []string{": the server's certificate is not signed by a CA this system trusts", "  hint: name the CA that signed it: ssl_ca=/path/to/ca.pem"},
				app:  "certificate verify failed"},
			{name: "wrong host", url: strings.Replace(u, "localhost", "127.0.0.1", 1) + "ssl_ca={ca}",
				want: []string{": the server's certificate is for localhost, not 127.0.0.1", "  hint: connect by a name the certificate holds, or check the CA only (ssl_check_hostname=false)"},
				app:  "IP address mismatch"},
			{name: "no client certificate", url: x509 + "ssl_ca={ca}",
				want: []string{`: access denied for user "sluice_x509"`, "if the account REQUIREs X509, add its client certificate: ssl_cert and ssl_key"},
				app:  "Access denied for user 'sluice_x509'"},
			{name: "TLS disabled", url: u + "ssl_disabled=true",
				want: []string{`: access denied for user "sluice"`, "if the account or the server requires TLS (REQUIRE SSL or X509, require_secure_transport), connect with it: ssl_ca=/path/to/ca.pem"},
				app:  "Access denied for user 'sluice'"},
			{name: "unix_socket user", url: "mysql+pymysql://sluice_sock@localhost:{port}/{db}?ssl_ca={ca}",
				want: []string{`: user "sluice_sock" signs in as an operating-system user, not with a password`, "  hint: run sluice as the OS user sluice_sock over the server's socket"},
				app:  "Access denied for user 'sluice_sock'"},
		})
		importOverTLS(t, srv, "mysql", x509+"ssl_ca={ca}&ssl_cert={cert}&ssl_key={key}", certs.CA, cert, key)
	})
}

// importOverTLS is the sample run of the real binary (import, import
// again, history, check) through url, a URL with a client certificate,
// and the app connecting with it.
func importOverTLS(t *testing.T, srv *dbtest.Server, dialect, url, ca, cert, key string) {
	t.Run("import", func(t *testing.T) {
		bin := buildSluice(t)
		t.Parallel()
		raw := strings.NewReplacer("{port}", fmt.Sprint(srv.Port), "{db}", srv.NewDatabase(t), "{ca}", ca, "{cert}", cert, "{key}", key).Replace(url)
		work := filepath.Join(t.TempDir(), "work")
		copySample(t, work)
		checkSampleRuns(t, newSluiceCmd(bin, work, raw), filepath.Join(work, "config.yaml"), dialect)
		if err := dbtest.AppConnect(t, raw); err != nil {
			t.Errorf("sluice imports through %s, the app cannot connect: %v", raw, err)
		}
	})
}

// itWorks is what check prints on a new database of dialect.
func itWorks(dialect string) []string {
	return []string{" (" + dialect + "): SELECT 1 ok", "database: may create tables, insert and update", "It works."}
}

// runTLSCases runs each case in parallel on its own database of srv.
func runTLSCases(t *testing.T, srv *dbtest.Server, certs, wrong *dbtest.Certs, cert, key string, cases []tlsCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := strings.NewReplacer("{port}", fmt.Sprint(srv.Port), "{db}", srv.NewDatabase(t),
				"{ca}", certs.CA, "{wrong}", wrong.CA, "{cert}", cert, "{key}", key)
			raw := r.Replace(tc.url)
			s := newDefaultSetup(t) // files to check, as a timer would find them
			s.env["DATABASE_URL"] = raw
			_, stdout, stderr := s.run(t, "check", "--config", "{config}")
			rest := stdout
			for _, w := range tc.want {
				w = r.Replace(w)
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("%s\nstdout lacks %q (after the earlier lines):\n%s\nstderr:\n%s", raw, w, stdout, stderr)
				}
				rest = rest[i+len(w):]
			}
			if tc.app == "-" {
				return
			}
			t.Run("app", func(t *testing.T) {
				err := dbtest.AppConnect(t, raw)
				switch {
				case tc.app == "" && err != nil:
					t.Errorf("sluice connects with %s, the app does not: %v", raw, err)
				case tc.app != "" && (err == nil || !strings.Contains(err.Error(), tc.app)):
					t.Errorf("the app with %s: %v; want it to fail with %q, as sluice does", raw, err, tc.app)
				}
			})
		})
	}
}
