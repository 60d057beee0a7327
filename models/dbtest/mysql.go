package dbtest

import (
	"context"
	"database/sql"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
)

var mysqlServer = server{
	name:    "MySQL",
	env:     "SLUICE_TEST_MYSQL_URL",
	example: "mysql://root@127.0.0.1:3306/test",
	// With any "+driver" suffix, as SQLAlchemy spells mysql+pymysql://.
	schemes: []string{"mysql", "mariadb"},
	open: func(ctx context.Context, u *url.URL) (admin, error) {
		conn, err := mysql.NewConnector(mysqlConfig(u))
		if err != nil {
			return nil, err
		}
		db := sql.OpenDB(conn)
		// OpenDB does not touch the server; Ping does.
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			return nil, err
		}
		return sqlAdmin{db}, nil
	},
	create: "CREATE DATABASE `%s` CHARACTER SET utf8mb4",
	drop:   "DROP DATABASE IF EXISTS `%s`",
}

// MySQL returns a URL for a new empty MySQL/MariaDB database on the server
// SLUICE_TEST_MYSQL_URL names, dropped at t.Cleanup. Without the variable or
// the server it skips t, or fails it under CI=true.
func MySQL(t testing.TB) string {
	t.Helper()
	return mysqlServer.newDatabase(t)
}

// mysqlConfig turns a mysql:// URL into go-sql-driver's config, which has
// no URL form of its own. A unix_socket query option selects the socket.
func mysqlConfig(u *url.URL) *mysql.Config {
	cfg := mysql.NewConfig()
	cfg.User = u.User.Username() // url.Parse has already unescaped these
	cfg.Passwd, _ = u.User.Password()
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	cfg.Timeout = connectTimeout
	if sock := u.Query().Get("unix_socket"); sock != "" {
		cfg.Net, cfg.Addr = "unix", sock
		return cfg
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		host = "localhost"
	}
	if port == "" {
		port = "3306"
	}
	cfg.Net, cfg.Addr = "tcp", net.JoinHostPort(host, port)
	return cfg
}

type sqlAdmin struct{ db *sql.DB }

func (a sqlAdmin) exec(ctx context.Context, stmt string) error {
	_, err := a.db.ExecContext(ctx, stmt)
	return err
}

func (a sqlAdmin) queryString(ctx context.Context, query string) (string, error) {
	var s string
	err := a.db.QueryRowContext(ctx, query).Scan(&s)
	return s, err
}

func (a sqlAdmin) close() { a.db.Close() }
