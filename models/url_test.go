package models

import (
	"errors"
	"strings"
	"testing"
)

const anyForm = " (expected e.g. " + sqliteForm + ", " + postgresForm + " or " + mysqlForm + ")"

func TestParseURL(t *testing.T) {
	t.Parallel()
	const base = "/srv/app"
	tests := []struct {
		raw    string
		driver string
		path   string // SQLite file
		host   string // server, for PostgreSQL and MySQL
		db     string
		user   string
		err    string // *URLError text; "" means success
	}{
		{raw: "sqlite:///rel.db", driver: "sqlite", path: "/srv/app/rel.db"},
		{raw: "sqlite:///data/sub/rel.db", driver: "sqlite", path: "/srv/app/data/sub/rel.db"},
		{raw: "sqlite:///../up.db", driver: "sqlite", path: "/srv/up.db"},
		{raw: "sqlite:////abs/x.db", driver: "sqlite", path: "/abs/x.db"},
		{raw: "sqlite:///rel.db?mode=ro", driver: "sqlite", path: "/srv/app/rel.db"},
		{raw: "sqlite:///with%20space.db", driver: "sqlite", path: "/srv/app/with space.db"},
		{raw: "SQLite:///rel.db", driver: "sqlite", path: "/srv/app/rel.db"},
		{raw: "sqlite3:///rel.db", driver: "sqlite", path: "/srv/app/rel.db"},
		{raw: "sqlite+pysqlite:////abs/x.db", driver: "sqlite", path: "/abs/x.db"},
		{raw: "sqlite://", driver: "sqlite", path: ":memory:"},
		{raw: "sqlite:///", driver: "sqlite", path: ":memory:"},
		{raw: "sqlite:///:memory:", driver: "sqlite", path: ":memory:"},

		{raw: "postgres://app@db.internal/shop", driver: "postgres", host: "db.internal", db: "shop", user: "app"},
		{raw: "postgresql://app:p%40ss@db.internal:6432/shop?sslmode=disable", driver: "postgres", host: "db.internal:6432", db: "shop", user: "app"},
		{raw: "postgresql+psycopg2://app:secret@127.0.0.1/shop", driver: "postgres", host: "127.0.0.1", db: "shop", user: "app"},
		{raw: "postgresql+psycopg://app@127.0.0.1/shop?sslmode=require", driver: "postgres", host: "127.0.0.1", db: "shop", user: "app"},
		{raw: "postgresql:///shop?host=/var/run/postgresql&user=app", driver: "postgres", host: "/var/run/postgresql", db: "shop", user: "app"},

		{raw: "mysql://root@127.0.0.1/shop", driver: "mysql", host: "127.0.0.1:3306", db: "shop", user: "root"},
		{raw: "mysql+pymysql://app:p%40ss@db:3307/shop?charset=utf8mb4", driver: "mysql", host: "db:3307", db: "shop", user: "app"},
		{raw: "mysql+mysqldb://app@db/shop?ssl_mode=REQUIRED&connect_timeout=5", driver: "mysql", host: "db:3306", db: "shop", user: "app"},
		{raw: "mariadb://app@localhost/shop?unix_socket=/run/mysqld/mysqld.sock", driver: "mysql", host: "/run/mysqld/mysqld.sock", db: "shop", user: "app"},
		{raw: "mariadb+mariadbconnector://app@db/shop", driver: "mysql", host: "db:3306", db: "shop", user: "app"},

		{raw: "sqlite:rel.db", err: `database url "sqlite:rel.db": a SQLite URL is sqlite:/// followed by the path (expected e.g. ` + sqliteForm + `)`},
		{raw: "rel.db", err: `database url "rel.db": no scheme (the part before ://)` + anyForm},
		{raw: "", err: `database url "": no scheme (the part before ://)` + anyForm},
		{raw: "sqlite://rel.db", err: `database url "sqlite://rel.db": a SQLite URL has three slashes before a relative path and four before an absolute one (expected e.g. ` + sqliteForm + `)`},
		{raw: "sqlite:///bad%zz.db", err: `database url "sqlite:///bad%zz.db": invalid URL escape "%zz" (expected e.g. ` + sqliteForm + `)`},
		{raw: "ftp://files.example/x.db", err: `database url "ftp://files.example/x.db": unsupported scheme "ftp" (sluice supports sqlite, postgresql and mysql/mariadb)` + anyForm},
		{raw: "postgresql://user:p%40ss@host:port/db", err: `database url "postgresql://xxxxx@host:port/db": invalid port (expected e.g. ` + postgresForm + `)`},
		{raw: "postgresql://user:p%40ss@host/db?sslmode=sometimes", err: `database url "postgresql://user:xxxxx@host/db?sslmode=sometimes": failed to configure TLS (sslmode is invalid) (expected e.g. ` + postgresForm + `)`},
		{raw: "mysql://root:p%40ss@db", err: `database url "mysql://root:xxxxx@db": name the database after the host: mysql://user@host/database (expected e.g. ` + mysqlForm + `)`},
		{raw: "mysql://root:p%40ss@db/shop?autocommit=true", err: `database url "mysql://root:xxxxx@db/shop?autocommit=true": unknown option "autocommit" (sluice reads charset, unix_socket, connect_timeout, ssl_ca, ssl_capath, ssl_cert, ssl_key, ssl_check_hostname, ssl_verify_cert, ssl_verify_identity, ssl_disabled, ssl, ssl_mode) (expected e.g. ` + mysqlForm + `)`},
		{raw: "mysql://root@db/shop?ssl_mode=maybe", err: `database url "mysql://root@db/shop?ssl_mode=maybe": ssl_mode "maybe": want DISABLED, PREFERRED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY (expected e.g. ` + mysqlForm + `)`},
		{raw: "mysql://root:p%zz@db/shop", err: `database url "mysql://xxxxx@db/shop": invalid URL escape "%zz" (expected e.g. ` + mysqlForm + `)`},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			t.Parallel()
			got, err := ParseURL(tt.raw, base)
			if tt.err != "" {
				var ue *URLError
				if !errors.As(err, &ue) {
					t.Fatalf("ParseURL(%q) = %v, %v; want a *URLError", tt.raw, got, err)
				}
				if err.Error() != tt.err {
					t.Fatalf("ParseURL(%q) error:\n got %q\nwant %q", tt.raw, err, tt.err)
				}
				if strings.Contains(err.Error(), "p%40ss") || strings.Contains(err.Error(), "p@ss") {
					t.Errorf("error %q holds the password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseURL(%q): %v", tt.raw, err)
			}
			if got.Driver != tt.driver || got.Path != tt.path || got.Host != tt.host || got.Database != tt.db || got.User != tt.user {
				t.Errorf("ParseURL(%q) = {Driver:%q Path:%q Host:%q Database:%q User:%q}, want {%q %q %q %q %q}",
					tt.raw, got.Driver, got.Path, got.Host, got.Database, got.User, tt.driver, tt.path, tt.host, tt.db, tt.user)
			}
			if s := got.String(); strings.Contains(s, "secret") || strings.Contains(s, "p%40ss") {
				t.Errorf("String() = %q holds the password", s)
			}
		})
	}
}

// TestParseURLPasswords: the password reaches the driver unescaped.
func TestParseURLPasswords(t *testing.T) {
	t.Parallel()
	pg, err := ParseURL("postgresql://app:p%40ss%2Fw%3Ard@h/db", "")
	if err != nil || pg.dialect.(*postgresDialect).cfg.Password != "p@ss/w:rd" {
		t.Errorf("postgres password = %q, %v; want p@ss/w:rd", pg.dialect.(*postgresDialect).cfg.Password, err)
	}
	my, err := ParseURL("mysql://app:p%40ss%2Fw%3Ard@h/db", "")
	if err != nil || my.dialect.(*mysqlDialect).cfg.Passwd != "p@ss/w:rd" {
		t.Errorf("mysql password = %q, %v; want p@ss/w:rd", my.dialect.(*mysqlDialect).cfg.Passwd, err)
	}
}
