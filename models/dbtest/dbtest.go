// Package dbtest gives tests a fresh database of their own on each backend
// sluice supports.
//
// Every test gets its own database, created on demand and dropped when the
// test ends, so tests can run in parallel without seeing each other's tables
// and a run leaves nothing behind on a shared server.
//
// The server backends are opt-in outside CI: without SLUICE_TEST_POSTGRES_URL
// or SLUICE_TEST_MYSQL_URL their tests skip, so `go test ./...` still works on
// a machine with no servers. Under CI=true a missing or unreachable server
// fails the test instead, so CI cannot pass by silently skipping them.
//
// Tests that need a server set up their own way (TLS with certificates
// the test makes, a server that requires them, other server options, a
// server that dies mid-test) start one of their own instead: NewCerts,
// StartPostgres and StartMariaDB. AppConnect checks a URL with the app's
// own stack (Python, SQLAlchemy and its driver), for the URLs sluice and a
// Flask-SQLAlchemy app must share.
//
// It must not import sluice's models package: models' own tests use it.
package dbtest

import (
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// Backend is one database kind a test can run against.
type Backend struct {
	Name string // "sqlite", "postgres", "mysql"
	// New returns a sluice DATABASE_URL for a new empty database, dropped at
	// t.Cleanup. It skips or fails t when the backend is not available.
	New func(t testing.TB) string
}

// All lists every backend, SQLite first since it is always available.
func All() []Backend {
	return []Backend{
		{Name: "sqlite", New: SQLite},
		{Name: "postgres", New: Postgres},
		{Name: "mysql", New: MySQL},
	}
}

// SQLite returns sqlite:////<abs path>/test.db in a fresh t.TempDir, which
// the testing package removes after the test. The file does not exist yet.
func SQLite(t testing.TB) string {
	t.Helper()
	path := filepath.ToSlash(filepath.Join(t.TempDir(), "test.db"))
	// Temp dir names keep characters such as % # and space from the test
	// name, so escape each segment; sluice unescapes the path when parsing.
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	// The path is absolute, so this gives the four slashes SQLAlchemy's form
	// uses for absolute paths.
	return "sqlite:///" + strings.Join(segs, "/")
}

// maxNameFromTest bounds the test-name part of a database name so the whole
// name stays under the 63-character identifier limit of PostgreSQL (MySQL's
// is 64): "sluice_t_" + 30 + "_" + 8 hex = 48.
const maxNameFromTest = 30

// dbName is a new database name for t: a readable prefix to find leftovers
// by test, plus random hex so parallel and repeated runs never collide. It
// contains only [a-z0-9_], so it is safe in SQL without escaping.
func dbName(t testing.TB) string {
	var b strings.Builder
	for _, r := range strings.ToLower(t.Name()) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "_"):
			b.WriteByte('_')
		}
	}
	prefix := b.String()
	if len(prefix) > maxNameFromTest {
		prefix = prefix[:maxNameFromTest]
	}
	prefix = strings.TrimSuffix(prefix, "_")
	if prefix == "" {
		prefix = "test"
	}
	var rnd [4]byte
	rand.Read(rnd[:]) // never fails (crypto/rand panics instead)
	return "sluice_t_" + prefix + "_" + hex.EncodeToString(rnd[:])
}
