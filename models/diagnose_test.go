package models

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
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
