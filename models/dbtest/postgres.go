package dbtest

import (
	"context"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5"
)

var postgres = server{
	name:    "PostgreSQL",
	env:     "SLUICE_TEST_POSTGRES_URL",
	example: "postgres://postgres@127.0.0.1:5432/test",
	schemes: []string{"postgres", "postgresql"},
	open: func(ctx context.Context, u *url.URL) (admin, error) {
		// pgx's own connection, not its database/sql driver: that package
		// pulls in pgxpool, whose module sluice does not require.
		c, err := pgx.Connect(ctx, u.String())
		if err != nil {
			return nil, err
		}
		return pgAdmin{c}, nil
	},
	create: `CREATE DATABASE "%s"`,
	// FORCE ends sessions a failed test left open, which would block the drop.
	drop: `DROP DATABASE IF EXISTS "%s" WITH (FORCE)`,
}

// Postgres returns a URL for a new empty PostgreSQL database on the server
// SLUICE_TEST_POSTGRES_URL names, dropped at t.Cleanup. Without the variable
// or the server it skips t, or fails it under CI=true.
func Postgres(t testing.TB) string {
	t.Helper()
	return postgres.newDatabase(t)
}

type pgAdmin struct{ c *pgx.Conn }

func (a pgAdmin) exec(ctx context.Context, stmt string) error {
	_, err := a.c.Exec(ctx, stmt)
	return err
}

func (a pgAdmin) queryString(ctx context.Context, query string) (string, error) {
	var s string
	err := a.c.QueryRow(ctx, query).Scan(&s)
	return s, err
}

func (a pgAdmin) close() { a.c.Close(context.Background()) }
