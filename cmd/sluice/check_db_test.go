package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"testing"

	_ "github.com/go-sql-driver/mysql" // the admin connection of the MySQL cases
	_ "github.com/jackc/pgx/v5/stdlib" // the admin connection of the PostgreSQL cases

	"github.com/sluice-dev/sluice/models/dbtest"
)

// TestCheckDiagnostics runs `sluice check` against the real servers in
// each state an operator meets, and requires the plain message and hint.
// PostgreSQL's "wrong password" needs password authentication, which
// the test server (trust) does not ask for: TestDiagnose covers its code.
func TestCheckDiagnostics(t *testing.T) {
	t.Parallel()
	type tc struct {
		name  string
		url   func(u *url.URL)                        // changes the test database's URL
		setup func(t *testing.T, a admin, u *url.URL) // runs as the admin first
		want  []string                                // lines (or parts of lines) of stdout, in order
	}
	const table = `CREATE TABLE socks (sku VARCHAR(255) NOT NULL, name TEXT, price DECIMAL(10,2), quantity BIGINT)`
	common := func(kind string) []tc {
		return []tc{
			{name: "connection refused", url: func(u *url.URL) { u.Host = "127.0.0.1:1" },
				want: []string{": connection refused at 127.0.0.1:1", "  hint: is " + kind + " running and listening there? Start it, or fix the host and port in the URL"}},
			{name: "unknown host", url: func(u *url.URL) { u.Host = "sluice-no-such-host.invalid" },
				want: []string{`: unknown host "sluice-no-such-host.invalid"`, "  hint: fix the host name in the URL"}},
			{name: "unknown database", url: func(u *url.URL) { u.Path = "/sluice_no_such_db" },
				want: []string{`: database "sluice_no_such_db" does not exist`, "  hint: create it ("}},
			{name: "key without unique index", setup: func(t *testing.T, a admin, _ *url.URL) { a.exec(t, table) },
				want: []string{"SELECT 1 ok", "job socks: table socks: key (sku) has no unique index, so existing rows cannot be matched; create one: CREATE UNIQUE INDEX socks_sku_key ON socks (sku)"}},
			{name: "declared column missing", setup: func(t *testing.T, a admin, _ *url.URL) {
				a.exec(t, `CREATE TABLE socks (sku VARCHAR(255) NOT NULL, name TEXT, quantity BIGINT)`, `CREATE UNIQUE INDEX socks_sku ON socks (sku)`)
			}, want: []string{"SELECT 1 ok", "job socks: table socks: declared column(s) price missing from the existing table (it has sku, name, quantity); add them or fix config.yaml"}},
			{name: "it works", setup: func(t *testing.T, a admin, _ *url.URL) {
				a.exec(t, table, `CREATE UNIQUE INDEX socks_sku ON socks (sku)`)
			},
				want: []string{"SELECT 1 ok", "database: may create tables, insert and update", "job socks: table socks ok (4 columns, unique key (sku))",
					`job socks: table socks has no primary key, so an ORM that reflects it (SQLAlchemy's automap, db.reflect()) cannot map it; ALTER TABLE "socks" ADD PRIMARY KEY ("sku") (its unique index on the key is then redundant)`,
					"It works."}},
			{name: "it works, with a primary key", setup: func(t *testing.T, a admin, _ *url.URL) {
				a.exec(t, `CREATE TABLE socks (sku VARCHAR(255) NOT NULL PRIMARY KEY, name TEXT, quantity BIGINT, price DECIMAL(10,2))`)
			},
				want: []string{"SELECT 1 ok", "database: may create tables, insert and update", "job socks: table socks ok (4 columns, primary key (sku))", "It works."}},
		}
	}
	backends := map[string][]tc{
		"postgres": append(common("PostgreSQL"),
			tc{name: "unknown user", url: func(u *url.URL) { u.User = url.User("sluice_no_such_role") },
				want: []string{`: user "sluice_no_such_role" may not connect`, "  hint: check the user name, and that pg_hba.conf"}},
			tc{name: "no CREATE privilege", url: func(u *url.URL) { u.User = url.User(limitedUser(u)) },
				setup: func(t *testing.T, a admin, u *url.URL) { a.limitedPostgres(t, limitedUser(u)) },
				want:  []string{`: user "` + "{user}" + `" may not CREATE tables here (sluice_runs)`, "  hint: an administrator can run: GRANT CREATE ON SCHEMA"}},
			tc{name: "no INSERT privilege", url: func(u *url.URL) { u.User = url.User(limitedUser(u)) },
				setup: func(t *testing.T, a admin, u *url.URL) {
					a.exec(t, table, `CREATE UNIQUE INDEX socks_sku ON socks (sku)`)
					a.limitedPostgres(t, limitedUser(u))
					a.exec(t, "GRANT CREATE ON SCHEMA public TO "+limitedUser(u), "GRANT SELECT ON socks TO "+limitedUser(u))
				},
				want: []string{`may not INSERT into socks`, "  hint: an administrator can run: GRANT SELECT, INSERT, UPDATE ON socks TO {user}"}},
		),
		"mysql": append(common("MySQL/MariaDB"),
			tc{name: "wrong password", url: func(u *url.URL) { u.User = url.UserPassword(u.User.Username(), "wrong") },
				want: []string{`: access denied for user "root"`, "  hint: fix the user or password in the URL"}},
			tc{name: "no CREATE privilege", url: func(u *url.URL) { u.User = url.UserPassword(limitedUser(u), "pw") },
				setup: func(t *testing.T, a admin, u *url.URL) { a.limitedMySQL(t, limitedUser(u), u, "SELECT") },
				want:  []string{`: user "{user}" may not CREATE tables here (sluice_runs)`, "  hint: an administrator can run: GRANT CREATE, INDEX, CREATE TEMPORARY TABLES ON"}},
			tc{name: "no INSERT privilege", url: func(u *url.URL) { u.User = url.UserPassword(limitedUser(u), "pw") },
				setup: func(t *testing.T, a admin, u *url.URL) {
					a.exec(t, table, `CREATE UNIQUE INDEX socks_sku ON socks (sku)`)
					a.limitedMySQL(t, limitedUser(u), u, "SELECT, CREATE, INDEX")
				},
				// The ledger, which the user could create, comes first.
				want: []string{`may not INSERT into sluice_runs`, "  hint: an administrator can run: GRANT SELECT, INSERT, UPDATE ON"}},
		),
	}
	for _, b := range dbtest.All() {
		cases, ok := backends[b.Name]
		if !ok {
			continue // SQLite's checks are in cli_test.go
		}
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			for _, tt := range cases {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					raw := b.New(t)
					u, err := url.Parse(raw)
					if err != nil {
						t.Fatal(err)
					}
					a := openAdmin(t, b.Name, raw)
					if tt.setup != nil {
						tt.setup(t, a, u)
					}
					if tt.url != nil {
						tt.url(u)
					}
					s := newDefaultSetup(t)
					s.env["DATABASE_URL"] = u.String()
					_, stdout, stderr := s.run(t, "check", "--config", "{config}")
					if strings.Contains(stdout+stderr, "pw@") || strings.Contains(stdout+stderr, ":wrong@") {
						t.Errorf("output shows the password:\n%s%s", stdout, stderr)
					}
					rest := stdout
					for _, w := range tt.want {
						w = strings.ReplaceAll(w, "{user}", limitedUser(u))
						i := strings.Index(rest, w)
						if i < 0 {
							t.Fatalf("stdout lacks %q (after the earlier lines):\n%s\nstderr:\n%s", w, stdout, stderr)
						}
						rest = rest[i+len(w):]
					}
				})
			}
		})
	}
}

// limitedUser is the name of the test's unprivileged user: users are
// server-wide, so it carries the random suffix of the test's database.
func limitedUser(u *url.URL) string {
	return "sluice_lim_" + u.Path[strings.LastIndexByte(u.Path, '_')+1:]
}

// admin is a superuser connection to the test's database.
type admin struct {
	db   *sql.DB
	kind string
	name string // database
}

func openAdmin(t *testing.T, kind, raw string) admin {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	dbName := strings.TrimPrefix(u.Path, "/")
	var db *sql.DB
	if kind == "postgres" {
		db, err = sql.Open("pgx", raw)
	} else {
		pw, _ := u.User.Password()
		db, err = sql.Open("mysql", fmt.Sprintf("%s:%s@tcp(%s)/%s", u.User.Username(), pw, u.Host, dbName))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return admin{db: db, kind: kind, name: dbName}
}

func (a admin) exec(t *testing.T, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := a.db.ExecContext(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// limitedPostgres makes a login role with no privilege on the database's
// public schema (PostgreSQL 15 gives none by default), dropped at cleanup.
func (a admin) limitedPostgres(t *testing.T, user string) {
	t.Helper()
	a.exec(t, "CREATE ROLE "+user+" LOGIN")
	t.Cleanup(func() {
		// The database is dropped after this; what the role owns goes first.
		a.db.Exec("DROP OWNED BY " + user)
		a.db.Exec("DROP ROLE " + user)
	})
}

// limitedMySQL makes a user with only the given privileges on the
// test's database.
func (a admin) limitedMySQL(t *testing.T, user string, u *url.URL, privileges string) {
	t.Helper()
	a.exec(t, fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY 'pw'", user),
		fmt.Sprintf("GRANT %s ON `%s`.* TO '%s'@'%%'", privileges, a.name, user))
	t.Cleanup(func() { a.db.Exec(fmt.Sprintf("DROP USER '%s'@'%%'", user)) })
}
