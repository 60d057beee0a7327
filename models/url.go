package models

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
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

	// kind names the database for people ("PostgreSQL").
	kind string
	// dialect is the family's dialect, holding the URL's settings until
	// Open connects with them.
	dialect Dialect
	// raw is the URL as given; never printed, since it may hold a password.
	raw string
	// appDriver is the Python driver the scheme names after its '+'
	// ("pymysql"), lower case; "" when it names none.
	appDriver string
	// tls is what the URL asks of TLS, for messages.
	tls tlsSetup
}

// String is the URL with any password replaced, fit for logs and errors.
func (t Target) String() string { return Redact(t.raw) }

// Dialect is the URL's dialect before Open: what it says of the tables
// sluice creates (ColumnType) holds without a connection, except what
// Open learns from the server (MySQL's key collation).
func (t Target) Dialect() Dialect { return t.dialect }

// Redact replaces the password in a URL with "xxxxx", and the values of
// libpq's password and sslpassword options. Strings that do not parse as
// URLs are returned with everything between "://" and "@" hidden.
func Redact(raw string) string {
	out := redactUserinfo(raw)
	if base, query, ok := strings.Cut(out, "?"); ok {
		return base + "?" + passwordOption.ReplaceAllString(query, "${1}xxxxx")
	}
	return out
}

// passwordOption is a password in a URL's query (libpq takes both).
var passwordOption = regexp.MustCompile(`(?i)((?:^|&)(?:ssl)?password=)[^&#]*`)

func redactUserinfo(raw string) string {
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

func (e *URLError) Error() string {
	exp := e.Expected
	if exp == "" {
		forms := make([]string, len(families))
		for i, d := range families {
			forms[i] = d.form
		}
		exp = strings.Join(forms[:len(forms)-1], ", ") + " or " + forms[len(forms)-1]
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
	// SQLAlchemy names the Python driver after a '+'; sluice has its own.
	family, appDriver, _ := strings.Cut(strings.ToLower(scheme), "+")
	d := familyFor(family)
	if d == nil {
		names := make([]string, len(families))
		for i, d := range families {
			names[i] = d.label
		}
		return Target{}, &URLError{URL: Redact(raw), Reason: fmt.Sprintf("unsupported scheme %q (sluice supports %s and %s)",
			scheme, strings.Join(names[:len(names)-1], ", "), names[len(names)-1])}
	}
	t := Target{Driver: d.name, kind: d.kind, raw: raw, appDriver: appDriver}
	dialect, err := d.parse(&t, rest, baseDir)
	if err != nil {
		return Target{}, err
	}
	t.dialect = dialect
	return t, nil
}

// fail is a URLError for t in the given expected form.
func (t *Target) fail(form, format string, args ...any) error {
	return &URLError{URL: Redact(t.raw), Reason: fmt.Sprintf(format, args...), Expected: form}
}
