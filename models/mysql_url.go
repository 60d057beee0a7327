package models

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
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
// and mysqlclient spell them.
const mysqlOptions = "charset, unix_socket, ssl_mode, connect_timeout"

// parseMySQL reads mysql://user:password@host:port/database?options into
// go-sql-driver's Config.
func parseMySQL(t *Target, rest, _ string) (Dialect, error) {
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
	for name, vals := range u.Query() {
		if err := mysqlOption(cfg, u.Hostname(), name, vals[len(vals)-1]); err != nil {
			return nil, t.fail(mysqlForm, "%v", err)
		}
	}
	if cfg.Addr == "" {
		return nil, t.fail(mysqlForm, "no host (and no unix_socket option)")
	}
	t.Host, t.Database, t.User = cfg.Addr, cfg.DBName, cfg.User
	// Open picks the best key collation the server has.
	return &mysqlDialect{cfg: cfg, keyCollation: mysqlKeyCollations[len(mysqlKeyCollations)-1]}, nil
}

// mysqlOption applies one URL option to cfg.
func mysqlOption(cfg *mysql.Config, host, name, v string) error {
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
	case "ssl_mode":
		switch strings.ToUpper(v) {
		case "DISABLED":
			cfg.TLSConfig = "false"
		case "PREFERRED":
			cfg.TLSConfig = "preferred"
		case "REQUIRED":
			cfg.TLSConfig, cfg.TLS = "skip-verify", &tls.Config{InsecureSkipVerify: true} //nolint:gosec // REQUIRED means encrypted, unverified, as in the mysql client
		case "VERIFY_CA", "VERIFY_IDENTITY":
			cfg.TLSConfig, cfg.TLS = "true", &tls.Config{ServerName: host}
		default:
			return fmt.Errorf("ssl_mode %q: want DISABLED, PREFERRED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY", v)
		}
	default:
		return fmt.Errorf("unknown option %q (sluice reads %s)", name, mysqlOptions)
	}
	return nil
}
