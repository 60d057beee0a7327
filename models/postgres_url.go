package models

import (
	"net"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

const postgresForm = "postgresql://user:password@host:5432/database?sslmode=disable"

var postgresFamily = family{
	name: "postgres", kind: "PostgreSQL", label: "postgresql",
	schemes:     []string{"postgres", "postgresql", "pgsql"},
	form:        postgresForm,
	parse:       parsePostgres,
	unreachable: postgresUnreachable,
}

// parsePostgres hands the URL to pgx, which reads libpq's URL form and
// its options (sslmode, host=/socket/dir, connect_timeout, …), with what
// libpq does besides for TLS (see postgres_tls.go).
func parsePostgres(t *Target, rest, baseDir string) (Dialect, error) {
	rest, files, err := libpqTLS(rest, baseDir, homeDir())
	if err != nil {
		return nil, t.fail(postgresForm, "%v", err)
	}
	cfg, err := pgx.ParseConfig("postgres://" + rest)
	if err != nil {
		// pgx's message repeats the URL (redacted); keep only its reason.
		msg := err.Error()
		if _, after, found := strings.Cut(msg, "`: "); found {
			msg = after
		}
		return nil, t.fail(postgresForm, "%s", msg)
	}
	files.verifyPreferred(cfg)
	t.tls = tlsSetup{on: cfg.TLSConfig != nil, clientCert: files.cert != "", names: postgresTLSNames}
	if files.rootCert != "system" {
		t.tls.ca = files.rootCert
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "sluice"
	}
	t.Host, t.Database, t.User = cfg.Host, cfg.Database, cfg.User
	if cfg.Port != 5432 && !strings.HasPrefix(cfg.Host, "/") {
		t.Host = net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
	}
	return &postgresDialect{cfg: cfg}, nil
}
