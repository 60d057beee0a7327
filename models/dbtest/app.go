package dbtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// The app's side of "one DATABASE_URL for both": the Python, SQLAlchemy
// and database driver a Flask-SQLAlchemy app runs on, as the Debian
// packages python3-sqlalchemy, python3-psycopg2 and python3-pymysql
// install them.

// pythonPath is the interpreter of the app's stack: Debian's, not a
// virtualenv's or pyenv's that happens to be first on PATH.
func pythonPath() string {
	if p := os.Getenv("SLUICE_TEST_PYTHON"); p != "" {
		return p
	}
	return "/usr/bin/python3"
}

var imports sync.Map // "python\x00module" -> error from importing it

// debianPackages names the Debian package of the modules the tests use,
// where it is not python3- and the module's name.
var debianPackages = map[string]string{"flask_sqlalchemy": "python3-flask-sqlalchemy", "MySQLdb": "python3-mysqldb"}

// Python returns the app's Python interpreter (/usr/bin/python3, or
// SLUICE_TEST_PYTHON) once it has checked that it imports every module.
// Without them it skips t with a message, or fails it under CI=true.
func Python(t testing.TB, modules ...string) string {
	t.Helper()
	py := pythonPath()
	for _, m := range modules {
		key := py + "\x00" + m
		err, done := imports.Load(key)
		if !done {
			out, e := appCommand(context.Background(), py, "-c", "import "+m).CombinedOutput()
			if last := lastLine(string(out)); e != nil && last != "" {
				e = fmt.Errorf("%v: %s", e, last)
			}
			err, _ = imports.LoadOrStore(key, e)
		}
		if err != nil {
			pkg := debianPackages[m]
			if pkg == "" {
				pkg = "python3-" + strings.ToLower(m)
			}
			unavailable(t, fmt.Sprintf("the app's side of this test needs %s with the Python module %s (%v): apt-get install %s", py, m, err, pkg))
		}
	}
	return py
}

// appModules are the modules SQLAlchemy loads for a URL scheme: its
// dialect's default driver unless the scheme names one after '+'.
func appModules(scheme string) []string {
	dialect, driver, _ := strings.Cut(strings.ToLower(scheme), "+")
	if driver == "" {
		driver = map[string]string{"postgresql": "psycopg2", "mysql": "mysqldb", "mariadb": "mysqldb"}[dialect]
	}
	module := map[string]string{"mysqldb": "MySQLdb", "mariadbconnector": "mariadb", "mysqlconnector": "mysql.connector"}[driver]
	if module == "" {
		module = driver
	}
	return []string{"sqlalchemy", module}
}

// appConnect is what the app does to be sure of its database: connect
// with the URL and run SELECT 1.
// A failure prints the driver's exception on one line.
const appConnect = `import sys, sqlalchemy
try:
    engine = sqlalchemy.create_engine(sys.argv[1])
    with engine.connect() as conn:
        print(conn.execute(sqlalchemy.text("SELECT 1")).scalar())
except Exception as e:
    e = getattr(e, "orig", None) or e
    print("%s: %s" % (type(e).__name__, " ".join(str(e).split())), file=sys.stderr)
    sys.exit(1)
`

// AppConnect runs, with the app's Python, SQLAlchemy and driver (see
// Python), sqlalchemy.create_engine(url).connect() and SELECT 1: what a
// Flask-SQLAlchemy app does with the same DATABASE_URL. It returns nil if
// that printed 1, else an error holding the driver's exception. Relative paths in url are relative to a new empty folder, which
// is also HOME (libpq reads ~/.postgresql).
func AppConnect(t testing.TB, url string) error {
	t.Helper()
	scheme, _, _ := strings.Cut(url, "://")
	py := Python(t, appModules(scheme)...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := appCommand(ctx, py, "-c", appConnect, url)
	cmd.Dir = t.TempDir()
	cmd.Env = append(cmd.Env, "HOME="+cmd.Dir)
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("the app could not connect: %s", lastLine(string(ee.Stderr)))
		}
		return fmt.Errorf("the app could not connect: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != "1" {
		return fmt.Errorf("the app's SELECT 1 printed %q", got)
	}
	return nil
}

// appCommand runs the app's Python with little of the test's
// environment: no PG* variables, virtualenv or PYTHONPATH may change
// what it does.
func appCommand(ctx context.Context, py string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, py, args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8"}
	return cmd
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndexByte(s, '\n')+1:]
}
