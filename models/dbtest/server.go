package dbtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	// connectTimeout keeps a missing server from hanging every test.
	connectTimeout = 10 * time.Second
	// ddlTimeout bounds CREATE/DROP DATABASE, which may wait on locks.
	ddlTimeout = 30 * time.Second
)

// admin is the little dbtest needs from a server connection.
type admin interface {
	exec(ctx context.Context, stmt string) error
	// queryString returns the single value a one-row, one-column query gives.
	queryString(ctx context.Context, query string) (string, error)
	close()
}

// server is what the PostgreSQL and MySQL backends share: where the admin
// URL comes from, how to connect with it, and the DDL to create and drop a
// database.
type server struct {
	name    string   // for messages: "PostgreSQL"
	env     string   // variable holding the admin URL
	example string   // a URL that works with the usual local setup
	schemes []string // accepted URL schemes, without any "+driver" suffix
	// open connects to the database u names and checks the connection.
	open   func(ctx context.Context, u *url.URL) (admin, error)
	create string // fmt pattern taking the database name
	drop   string // fmt pattern taking the database name
}

func ci() bool { return os.Getenv("CI") == "true" }

// newDatabase creates a database on the server named by s.env and returns
// the admin URL pointing at it instead; the database is dropped at cleanup.
func (s server) newDatabase(t testing.TB) string {
	t.Helper()
	raw := os.Getenv(s.env)
	if raw == "" {
		if ci() {
			t.Fatalf("%s tests must run under CI=true: set %s=%s", s.name, s.env, s.example)
		}
		t.Skipf("%s tests skipped: set %s=%s to run them", s.name, s.env, s.example)
	}
	u, err := s.parse(raw)
	if err != nil {
		// Set but wrong is a mistake to fix, not a server to do without.
		t.Fatalf("%s: %v", s.env, err)
	}
	a, err := s.connect(u)
	if err != nil {
		if ci() {
			t.Fatalf("%s at %s (from %s): %v", s.name, u.Redacted(), s.env, err)
		}
		t.Skipf("%s tests skipped: %s at %s (from %s): %v; start the server or fix %s, or unset it to skip these tests quietly",
			s.name, s.name, u.Redacted(), s.env, err, s.env)
	}
	name := s.createDatabase(t, u, a)
	// Registered before the test can register its own cleanups, so it runs
	// after them: the test has closed its connections by the time of the drop.
	t.Cleanup(func() {
		a, err := s.connect(u)
		if err == nil {
			err = execf(a, s.drop, name)
			a.close()
		}
		if err != nil {
			t.Errorf("%s at %s: database %s left behind: %v", s.name, u.Redacted(), name, err)
		}
	})
	return withDatabase(u, name)
}

// createDatabase creates a new database through a, an admin connection
// to the server u names, which it closes, and returns its name.
func (s server) createDatabase(t testing.TB, u *url.URL, a admin) string {
	t.Helper()
	name := dbName(t)
	err := execf(a, s.create, name)
	a.close()
	if err != nil {
		t.Fatalf("%s at %s: %v", s.name, u.Redacted(), err)
	}
	return name
}

// withDatabase is u with the database name as its path.
func withDatabase(u *url.URL, name string) string {
	out := *u
	out.Path, out.RawPath = "/"+name, ""
	return out.String()
}

// parse checks the URL and its scheme. Its errors never include the URL,
// which may hold a password.
func (s server) parse(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		return nil, fmt.Errorf("not a valid URL (expected e.g. %s; escape special characters in the password as %%XX)", s.example)
	}
	base, _, _ := strings.Cut(strings.ToLower(u.Scheme), "+")
	if !slices.Contains(s.schemes, base) {
		return nil, fmt.Errorf("scheme %q is not %s (expected e.g. %s)", u.Scheme, strings.Join(s.schemes, " or "), s.example)
	}
	return u, nil
}

// connect opens an admin connection within connectTimeout.
func (s server) connect(u *url.URL) (admin, error) {
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	a, err := s.open(ctx, u)
	if err != nil && ctx.Err() != nil {
		// Drivers report a deadline vaguely ("invalid connection").
		return nil, fmt.Errorf("cannot connect: no answer within %s: %w", connectTimeout, err)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot connect: %w", err)
	}
	return a, nil
}

func execf(a admin, pattern, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), ddlTimeout)
	defer cancel()
	stmt := fmt.Sprintf(pattern, name)
	if err := a.exec(ctx, stmt); err != nil {
		return fmt.Errorf("%s: %w", stmt, err)
	}
	return nil
}
