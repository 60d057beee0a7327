package dbtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestSQLite(t *testing.T) {
	// Temp dir names keep % # and space from the test name; the URL must
	// still unescape to the real path.
	for _, name := range []string{"plain", "50% off #1"} {
		t.Run(name, func(t *testing.T) {
			raw := SQLite(t)
			rest, ok := strings.CutPrefix(raw, "sqlite:////")
			if !ok {
				t.Fatalf("SQLite() = %q, want sqlite://// and an absolute path", raw)
			}
			path, err := url.PathUnescape("/" + rest)
			if err != nil {
				t.Fatalf("SQLite() = %q: %v", raw, err)
			}
			if !filepath.IsAbs(path) || filepath.Base(path) != "test.db" {
				t.Fatalf("SQLite() = %q: path %q is not an absolute .../test.db", raw, path)
			}
			if st, err := os.Stat(filepath.Dir(path)); err != nil || !st.IsDir() {
				t.Fatalf("SQLite() = %q: folder missing: %v", raw, err)
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Fatalf("SQLite() = %q: database file should not exist yet (err %v)", raw, err)
			}
		})
	}
}

var validName = regexp.MustCompile(`^sluice_t_[a-z0-9]+(_[a-z0-9]+)*_[0-9a-f]{8}$`)

func TestDBName(t *testing.T) {
	for _, tc := range []struct{ sub, prefix string }{
		{"Simple", "sluice_t_testdbname_simple_"},
		{"Weird/Name é!", "sluice_t_testdbname_weird_name_"},
		{strings.Repeat("long", 20), "sluice_t_testdbname_longlonglonglonglon_"}, // 30 chars of t.Name()
	} {
		t.Run(tc.sub, func(t *testing.T) {
			a, b := dbName(t), dbName(t)
			if !validName.MatchString(a) || len(a) > 63 || !strings.HasPrefix(a, tc.prefix) {
				t.Errorf("dbName = %q, want %s + 8 hex, only [a-z0-9_], at most 63 chars", a, tc.prefix)
			}
			if a == b {
				t.Errorf("dbName twice = %q, want different names", a)
			}
		})
	}
}

func TestMySQLConfig(t *testing.T) {
	for _, tc := range []struct{ raw, net, addr, user, pass, db string }{
		{"mysql://root@127.0.0.1:3306/test", "tcp", "127.0.0.1:3306", "root", "", "test"},
		{"mysql+pymysql://u%40x:p%2Fw%3A@db.example/app", "tcp", "db.example:3306", "u@x", "p/w:", "app"},
		{"mariadb://root@localhost/test?unix_socket=/run/mysqld/mysqld.sock", "unix", "/run/mysqld/mysqld.sock", "root", "", "test"},
		{"mysql://root@[::1]:3307/t", "tcp", "[::1]:3307", "root", "", "t"},
	} {
		u, err := mysqlServer.parse(tc.raw)
		if err != nil {
			t.Errorf("parse(%q): %v", tc.raw, err)
			continue
		}
		c := mysqlConfig(u)
		got := [5]string{c.Net, c.Addr, c.User, c.Passwd, c.DBName}
		if want := [5]string{tc.net, tc.addr, tc.user, tc.pass, tc.db}; got != want {
			t.Errorf("mysqlConfig(%q) = %q, want %q", tc.raw, got, want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, tc := range []struct {
		s    server
		raw  string
		want string
	}{
		{postgres, "mysql://root@h/db", `scheme "mysql" is not postgres or postgresql`},
		{mysqlServer, "postgres://u@h/db", `scheme "postgres" is not mysql or mariadb`},
		{postgres, "127.0.0.1:5432", "not a valid URL"},
		// An unescaped # cuts the password short; the error must not echo it.
		{postgres, "postgres://u:sec#ret@h/db", "not a valid URL"},
	} {
		_, err := tc.s.parse(tc.raw)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "sec") {
			t.Errorf("%s parse(%q) = %v, want error containing %q and no password", tc.s.name, tc.raw, err, tc.want)
		}
	}
}

// TestServers checks that a server database exists and is connectable while
// its test runs and is gone once that test's cleanups have run.
func TestServers(t *testing.T) {
	for _, tc := range []struct {
		s       server
		new     func(testing.TB) string
		current string // query naming the connection's database
		exists  string // query counting databases named %s
	}{
		{postgres, Postgres, "SELECT current_database()", "SELECT count(*)::text FROM pg_database WHERE datname = '%s'"},
		{mysqlServer, MySQL, "SELECT DATABASE()", "SELECT count(*) FROM information_schema.schemata WHERE schema_name = '%s'"},
	} {
		t.Run(tc.s.name, func(t *testing.T) {
			t.Parallel()
			var name string
			t.Run("new", func(t *testing.T) {
				raw := tc.new(t)
				u, err := tc.s.parse(raw)
				if err != nil {
					t.Fatalf("New() returned an unusable URL: %v", err)
				}
				name = strings.TrimPrefix(u.Path, "/")
				if !validName.MatchString(name) {
					t.Errorf("New() = %q: database name %q is not sluice_t_<name>_<hex>", u.Redacted(), name)
				}
				want, _ := url.Parse(os.Getenv(tc.s.env))
				want.Path = u.Path
				if raw != want.String() {
					t.Errorf("New() = %q, want the admin URL with only the path changed: %q", u.Redacted(), want.Redacted())
				}
				a, err := tc.s.connect(u)
				if err != nil {
					t.Fatalf("new database %s: %v", name, err)
				}
				defer a.close()
				for q, want := range map[string]string{"SELECT 1": "1", tc.current: name} {
					if got, err := a.queryString(context.Background(), q); err != nil || got != want {
						t.Errorf("%s on %s = %q, %v; want %q", q, name, got, err, want)
					}
				}
			})
			if name == "" {
				return // skipped, or failed before creating one
			}
			u, _ := tc.s.parse(os.Getenv(tc.s.env))
			a, err := tc.s.connect(u)
			if err != nil {
				t.Fatalf("admin connection: %v", err)
			}
			defer a.close()
			if n, err := a.queryString(context.Background(), fmt.Sprintf(tc.exists, name)); err != nil || n != "0" {
				t.Errorf("after cleanup, databases named %s = %q, %v; want 0", name, n, err)
			}
		})
	}
}
