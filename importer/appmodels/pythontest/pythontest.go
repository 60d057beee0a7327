// Package pythontest finds the Python that tests run sluice's generated
// models.py with: Debian's /usr/bin/python3 and its packaged
// Flask-SQLAlchemy, Alembic and database drivers (a python3 earlier on
// PATH, such as a pyenv one, usually lacks them).
//
// Outside CI a missing interpreter or module skips the test, saying which
// Debian package brings it; under CI=true it fails the test, so CI cannot
// pass by skipping.
package pythontest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// Interpreter is the Python the tests run.
const Interpreter = "/usr/bin/python3"

// Packages names the Debian package of each module the tests import.
var Packages = map[string]string{
	"flask_sqlalchemy": "python3-flask-sqlalchemy",
	"alembic":          "python3-alembic",
	"psycopg2":         "python3-psycopg2",
	"pymysql":          "python3-pymysql",
}

// missing caches, per module, why it cannot be imported ("" when it can).
var missing sync.Map

// Require returns Interpreter once it can import every module named, and
// otherwise skips t (fails it under CI=true).
func Require(t testing.TB, modules ...string) string {
	t.Helper()
	var why []string
	var pkgs []string
	for _, m := range modules {
		if reason := check(m); reason != "" {
			why = append(why, reason)
			pkg := Packages[m]
			if pkg == "" {
				pkg = "python3-" + m
			}
			pkgs = append(pkgs, pkg)
		}
	}
	if len(why) == 0 {
		return Interpreter
	}
	msg := fmt.Sprintf("%s; apt-get install %s", strings.Join(why, "; "), strings.Join(pkgs, " "))
	if os.Getenv("CI") == "true" {
		t.Fatalf("the Python interop tests must run under CI=true: %s", msg)
	}
	t.Skipf("Python interop test skipped: %s", msg)
	return ""
}

// check says why module cannot be imported, or "" when it can.
func check(module string) string {
	if v, ok := missing.Load(module); ok {
		return v.(string)
	}
	reason := ""
	if _, err := os.Stat(Interpreter); err != nil {
		reason = fmt.Sprintf("%s: %v", Interpreter, err)
	} else if out, err := exec.Command(Interpreter, "-c", "import "+module).CombinedOutput(); err != nil {
		last := strings.TrimSpace(string(out))
		if i := strings.LastIndexByte(last, '\n'); i >= 0 {
			last = last[i+1:]
		}
		reason = fmt.Sprintf("%s cannot import %s (%s)", Interpreter, module, last)
	}
	missing.Store(module, reason)
	return reason
}
