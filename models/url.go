package models

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
)

// Target is a parsed DATABASE_URL.
type Target struct {
	// Driver is the dialect family: "sqlite", "postgres" or "mysql".
	Driver string
	// Path is the SQLite file (absolute), or ":memory:".
	Path string
	// Host is the server's host (or unix socket) and Database the
	// database name, for messages; empty for SQLite.
	Host, Database string
	// User is the user name the server is asked for, for messages.
	User string

	pg *pgx.ConnConfig
	my *mysql.Config
	// busyTimeout is how long SQLite waits for another writer's lock
	// (pysqlite's timeout option, in seconds in the URL).
	busyTimeout time.Duration
	// raw is the URL as given; never printed, since it may hold a password.
	raw string
}

// String is the URL with any password replaced, fit for logs and errors.
func (t Target) String() string { return Redact(t.raw) }

// Redact replaces the password in a URL with "xxxxx". Strings that do not
// parse as URLs are returned with everything between "://" and "@" hidden.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err == nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			return u.String()
		}
		return raw
	}
	if i, j := strings.Index(raw, "://"), strings.LastIndex(raw, "@"); i >= 0 && j > i {
		return raw[:i+3] + "xxxxx" + raw[j:]
	}
	return raw
}

// URLError is a database URL that cannot be used, with a hint of the form
// expected.
type URLError struct {
	URL    string // redacted
	Reason string
	// Expected is the form the URL should take; empty means any of them.
	Expected string
}

const (
	sqliteForm   = "sqlite:///relative.db or sqlite:////absolute/path.db"
	postgresForm = "postgresql://user:password@host:5432/database?sslmode=disable"
	mysqlForm    = "mysql://user:password@host:3306/database?charset=utf8mb4"
)

func (e *URLError) Error() string {
	exp := e.Expected
	if exp == "" {
		exp = sqliteForm + ", " + postgresForm + " or " + mysqlForm
	}
	return fmt.Sprintf("database url %q: %s (expected e.g. %s)", e.URL, e.Reason, exp)
}

// ParseURL parses a database URL in the SQLAlchemy forms. Relative SQLite
// paths resolve against baseDir (the config file's directory), so a timer
// running from / finds the same file as a user in the project folder.
func ParseURL(raw, baseDir string) (Target, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		e := &URLError{URL: Redact(raw), Reason: "no scheme (the part before ://)"}
		if s, _, found := strings.Cut(raw, ":"); found && strings.HasPrefix(strings.ToLower(s), "sqlite") {
			e.Reason, e.Expected = "a SQLite URL is sqlite:/// followed by the path", sqliteForm
		}
		return Target{}, e
	}
	t := Target{raw: raw}
	// SQLAlchemy names the Python driver after a '+'; sluice has its own.
	family, _, _ := strings.Cut(strings.ToLower(scheme), "+")
	var err error
	switch family {
	case "sqlite", "sqlite3":
		t.Driver = "sqlite"
		err = t.parseSQLite(rest, baseDir)
	case "postgres", "postgresql", "pgsql":
		t.Driver = "postgres"
		err = t.parsePostgres(rest)
	case "mysql", "mariadb":
		t.Driver = "mysql"
		err = t.parseMySQL(rest)
	default:
		return Target{}, &URLError{URL: Redact(raw), Reason: fmt.Sprintf("unsupported scheme %q (sluice supports sqlite, postgresql and mysql/mariadb)", scheme)}
	}
	if err != nil {
		return Target{}, err
	}
	return t, nil
}

func (t *Target) fail(form, format string, args ...any) error {
	return &URLError{URL: Redact(t.raw), Reason: fmt.Sprintf(format, args...), Expected: form}
}

// parseSQLite reads SQLAlchemy's sqlite:// (memory), sqlite:///rel and
// sqlite:////abs.
func (t *Target) parseSQLite(rest, baseDir string) error {
	path, query, _ := strings.Cut(rest, "?")
	t.busyTimeout = defaultBusyTimeout
	if q, err := url.ParseQuery(query); err == nil && q.Has("timeout") {
		secs, err := strconv.ParseFloat(q.Get("timeout"), 64)
		if err != nil || secs < 0 || secs > 3600 {
			return t.fail(sqliteForm, "timeout %q is not a number of seconds", q.Get("timeout"))
		}
		t.busyTimeout = time.Duration(secs * float64(time.Second))
	}
	switch {
	case path == "" || path == "/" || path == "/:memory:":
		t.Path = ":memory:"
	case !strings.HasPrefix(path, "/"):
		return t.fail(sqliteForm, "a SQLite URL has three slashes before a relative path and four before an absolute one")
	default:
		p, err := url.PathUnescape(path[1:])
		if err != nil {
			return t.fail(sqliteForm, "%v", err)
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(baseDir, p)
		}
		t.Path = p
	}
	return nil
}

// parsePostgres hands the URL to pgx, which reads libpq's URL form and
// its options (sslmode, host=/socket/dir, connect_timeout, …).
func (t *Target) parsePostgres(rest string) error {
	cfg, err := pgx.ParseConfig("postgres://" + rest)
	if err != nil {
		// pgx's message repeats the URL (redacted); keep only its reason.
		msg := err.Error()
		if _, after, found := strings.Cut(msg, "`: "); found {
			msg = after
		}
		return t.fail(postgresForm, "%s", msg)
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "sluice"
	}
	t.pg = cfg
	t.Host, t.Database, t.User = cfg.Host, cfg.Database, cfg.User
	if cfg.Port != 5432 && !strings.HasPrefix(cfg.Host, "/") {
		t.Host = net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
	}
	return nil
}

// mysqlOptions are the query options a MySQL URL may carry, as PyMySQL
// and mysqlclient spell them.
const mysqlOptions = "charset, unix_socket, ssl_mode, connect_timeout"

// parseMySQL reads mysql://user:password@host:port/database?options into
// go-sql-driver's Config.
func (t *Target) parseMySQL(rest string) error {
	u, err := url.Parse("mysql://" + rest)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return t.fail(mysqlForm, "%v", err)
	}
	cfg := mysql.NewConfig()
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	if cfg.DBName == "" || strings.Contains(cfg.DBName, "/") {
		return t.fail(mysqlForm, "name the database after the host: mysql://user@host/database")
	}
	cfg.Net, cfg.Addr = "tcp", u.Host
	if u.Port() == "" && u.Hostname() != "" {
		cfg.Addr = net.JoinHostPort(u.Hostname(), "3306")
	}
	for name, vals := range u.Query() {
		v := vals[len(vals)-1]
		switch name {
		case "charset":
			if err := cfg.Apply(mysql.Charset(v, "")); err != nil {
				return t.fail(mysqlForm, "charset %q: %v", v, err)
			}
		case "unix_socket":
			cfg.Net, cfg.Addr = "unix", v
		case "connect_timeout":
			secs, err := strconv.Atoi(v)
			if err != nil || secs < 0 {
				return t.fail(mysqlForm, "connect_timeout %q is not a number of seconds", v)
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
				cfg.TLSConfig, cfg.TLS = "true", &tls.Config{ServerName: u.Hostname()}
			default:
				return t.fail(mysqlForm, "ssl_mode %q: want DISABLED, PREFERRED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY", v)
			}
		default:
			return t.fail(mysqlForm, "unknown option %q (sluice reads %s)", name, mysqlOptions)
		}
	}
	if cfg.Addr == "" {
		return t.fail(mysqlForm, "no host (and no unix_socket option)")
	}
	t.my = cfg
	t.Host, t.Database, t.User = cfg.Addr, cfg.DBName, cfg.User
	return nil
}
