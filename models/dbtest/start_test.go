package dbtest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
)

// TestStartPostgres starts a server that takes TCP connections only
// with TLS and checks each promise of StartPostgres: the options reach
// the server, Admin works over the socket, NewDatabase makes a database,
// the app's side connects, and Kill ends the process by its PID.
func TestStartPostgres(t *testing.T) {
	t.Parallel()
	certs := NewCerts(t, "localhost")
	s := StartPostgres(t, ServerOptions{TLS: certs, HBA: []string{"hostssl all all 127.0.0.1/32 trust"},
		Args: []string{"-c", "application_name=started_by_dbtest"},
		Init: []string{"CREATE ROLE sluice_init LOGIN"}})
	ctx := context.Background()
	query := func(url, q string) (string, error) {
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			return "", err
		}
		defer c.Close(ctx)
		var s string
		err = c.QueryRow(ctx, q).Scan(&s)
		return s, err
	}
	if got, err := query(s.Admin, "SELECT current_setting('application_name') || ' ' || (SELECT count(*) FROM pg_roles WHERE rolname = 'sluice_init')"); err != nil || got != "started_by_dbtest 1" {
		t.Errorf("Admin: %q, %v; want the Args setting and the Init role", got, err)
	}
	db := s.NewDatabase(t)
	tcp := fmt.Sprintf("postgresql://postgres@localhost:%d/%s", s.Port, db)
	if got, err := query(tcp+"?sslmode=verify-full&sslrootcert="+certs.CA, "SELECT current_database() || ' ' || (SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid())"); err != nil || got != db+" true" {
		t.Errorf("over TLS: %q, %v; want %s true", got, err, db)
	}
	if _, err := query(tcp+"?sslmode=disable", "SELECT 1"); err == nil || !strings.Contains(err.Error(), "no encryption") {
		t.Errorf("without TLS: %v; want pg_hba.conf's refusal", err)
	}
	t.Run("app", func(t *testing.T) {
		if err := AppConnect(t, tcp+"?sslmode=verify-full&sslrootcert="+certs.CA); err != nil {
			t.Error(err)
		}
		if err := AppConnect(t, tcp+"?sslmode=disable"); err == nil || !strings.Contains(err.Error(), "no encryption") {
			t.Errorf("AppConnect without TLS = %v, want the server's refusal", err)
		}
	})
	checkKill(t, s)
}

// TestStartMariaDB: as TestStartPostgres, for MariaDB: Args (a latin1
// server that requires TLS), Init, TLS with the test's CA, Kill.
func TestStartMariaDB(t *testing.T) {
	t.Parallel()
	// A file named as the shared server's internal temporary tables are,
	// in the default tmpdir: neither the setup nor the server may touch it.
	canary, err := os.CreateTemp("", "#sql-sluice-canary-*.MAI")
	if err != nil {
		t.Fatal(err)
	}
	canary.Close()
	t.Cleanup(func() { os.Remove(canary.Name()) })
	defer func() {
		if _, err := os.Stat(canary.Name()); err != nil {
			t.Errorf("a test's MariaDB deleted %s in the shared tmpdir: %v", canary.Name(), err)
		}
	}()
	certs := NewCerts(t, "localhost")
	s := StartMariaDB(t, ServerOptions{TLS: certs,
		Args: []string{"--character-set-server=latin1", "--require-secure-transport=ON"},
		Init: []string{"CREATE USER 'sluice_init'@'%' IDENTIFIED BY 'pw'", "GRANT ALL ON *.* TO 'sluice_init'@'%'"}})
	query := func(cfg *mysql.Config, q string) (string, error) {
		conn, err := mysql.NewConnector(cfg)
		if err != nil {
			return "", err
		}
		db := sql.OpenDB(conn)
		defer db.Close()
		var s string
		err = db.QueryRow(q).Scan(&s)
		return s, err
	}
	u, _ := mysqlServer.parse(s.Admin)
	if got, err := query(mysqlConfig(u), "SELECT @@character_set_server"); err != nil || got != "latin1" {
		t.Errorf("Admin: %q, %v; want latin1 from Args", got, err)
	}
	db := s.NewDatabase(t)
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = "sluice_init", "pw", "tcp", fmt.Sprintf("127.0.0.1:%d", s.Port), db
	pool := x509.NewCertPool()
	ca, _ := os.ReadFile(certs.CA)
	pool.AppendCertsFromPEM(ca)
	cfg.TLS = &tls.Config{RootCAs: pool, ServerName: "localhost"}
	if got, err := query(cfg, "SELECT CONCAT(DATABASE(), ' ', VARIABLE_VALUE <> '') FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'Ssl_cipher'"); err != nil || got != db+" 1" {
		t.Errorf("over TLS as the Init user: %q, %v; want %s 1", got, err, db)
	}
	cfg.TLS = nil
	if _, err := query(cfg, "SELECT 1"); err == nil {
		t.Error("without TLS: connected; want --require-secure-transport's refusal")
	}
	t.Run("app", func(t *testing.T) {
		app := fmt.Sprintf("mysql+pymysql://sluice_init:pw@localhost:%d/%s?ssl_ca=%s", s.Port, db, certs.CA)
		if err := AppConnect(t, app); err != nil {
			t.Error(err)
		}
	})
	checkKill(t, s)
}

// checkKill kills the server and requires its process and its port to
// be gone.
func checkKill(t *testing.T, s *Server) {
	t.Helper()
	s.Kill(t)
	if err := syscall.Kill(s.PID, 0); err == nil {
		t.Errorf("%s pid %d alive after Kill", s.Kind, s.PID)
	}
	if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.Port), time.Second); err == nil {
		c.Close()
		t.Errorf("%s port %d still answers after Kill", s.Kind, s.Port)
	}
}
