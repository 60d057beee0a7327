package models

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

const mysqlForm = "mysql://user:password@host:3306/database?charset=utf8mb4"

var mysqlFamily = family{
	name: "mysql", kind: "MySQL/MariaDB", label: "mysql/mariadb",
	schemes:     []string{"mysql", "mariadb"},
	form:        mysqlForm,
	parse:       parseMySQL,
	unreachable: mysqlUnreachable,
}

// mysqlOptions are the query options a MySQL URL may carry, as PyMySQL
// and mysqlclient spell them (see mysql_tls.go for the TLS ones).
const mysqlOptions = "charset, unix_socket, connect_timeout, ssl_ca, ssl_capath, ssl_cert, ssl_key, ssl_check_hostname, " +
	"ssl_verify_cert, ssl_verify_identity, ssl_disabled, ssl, ssl_mode"

// parseMySQL reads mysql://user:password@host:port/database?options into
// go-sql-driver's Config.
func parseMySQL(t *Target, rest, baseDir string) (Dialect, error) {
	u, err := url.Parse("mysql://" + rest)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, t.fail(mysqlForm, "%v", err)
	}
	cfg := mysql.NewConfig()
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	if cfg.DBName == "" || strings.Contains(cfg.DBName, "/") {
		return nil, t.fail(mysqlForm, "name the database after the host: mysql://user@host/database")
	}
	cfg.Net, cfg.Addr = "tcp", u.Host
	if u.Port() == "" && u.Hostname() != "" {
		cfg.Addr = net.JoinHostPort(u.Hostname(), "3306")
	}
	tlsOpts := map[string]string{}
	for name, vals := range u.Query() {
		v := vals[len(vals)-1]
		switch {
		case v == "":
			// SQLAlchemy drops empty options before the driver sees them.
		case slices.Contains(mysqlTLSOptions, name):
			tlsOpts[name] = v
		default:
			if err := mysqlOption(cfg, name, v); err != nil {
				return nil, t.fail(mysqlForm, "%v", err)
			}
		}
	}
	if cfg.Addr == "" {
		return nil, t.fail(mysqlForm, "no host (and no unix_socket option)")
	}
	// The name the server's certificate must hold: PyMySQL's host, which
	// is localhost when the URL names none.
	host := u.Hostname()
	if host == "" {
		host = "localhost"
	}
	cfg.TLS, cfg.AllowFallbackToPlaintext, t.tls, err = mysqlTLS(tlsOpts, t.appDriver, host, baseDir)
	if err != nil {
		return nil, t.fail(mysqlForm, "%v", err)
	}
	t.Host, t.Database, t.User = cfg.Addr, cfg.DBName, cfg.User
	// Open picks the best key collation the server has.
	return &mysqlDialect{cfg: cfg, keyCollation: mysqlKeyCollations[len(mysqlKeyCollations)-1]}, nil
}

// mysqlOption applies one URL option other than TLS's to cfg.
func mysqlOption(cfg *mysql.Config, name, v string) error {
	switch name {
	case "charset":
		if err := cfg.Apply(mysql.Charset(v, "")); err != nil {
			return fmt.Errorf("charset %q: %v", v, err)
		}
	case "unix_socket":
		cfg.Net, cfg.Addr = "unix", v
	case "connect_timeout":
		secs, err := strconv.Atoi(v)
		if err != nil || secs < 0 {
			return fmt.Errorf("connect_timeout %q is not a number of seconds", v)
		}
		cfg.Timeout = time.Duration(secs) * time.Second
	default:
		return fmt.Errorf("unknown option %q (sluice reads %s)", name, mysqlOptions)
	}
	return nil
}
