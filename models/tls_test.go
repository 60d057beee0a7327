package models

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/sluice-dev/sluice/models/dbtest"
)

// TestPostgresTLSOptions: what pgx, with sluice's additions, makes of
// libpq's TLS options, in handshakes with a server whose certificate is
// for localhost (see TestMySQLTLSOptions for the four variants). The app
// (psycopg2 on libpq) is held to the same outcomes against a real server
// in cmd/sluice's TestTLS.
func TestPostgresTLSOptions(t *testing.T) {
	t.Parallel()
	certs := dbtest.NewCerts(t, "localhost")
	other := dbtest.NewCerts(t, "localhost")
	cert, key := certs.Client(t, "app")
	probe := newTLSProbe(t, certs)
	// prefer and allow try TLS and plaintext, in their orders: the TLS
	// attempt is the one shaken hands with here.
	tests := []struct {
		query string
		want  tlsOutcomes
	}{
		{"sslmode=disable", noTLS},
		{"sslmode=require", unchecked},
		{"sslmode=require&sslrootcert={ca}", verifyCA}, // libpq: a root certificate makes require verify-ca
		{"sslmode=verify-ca&sslrootcert={ca}", verifyCA},
		{"sslmode=verify-full&sslrootcert={ca}", verifyFull},
		{"sslmode=verify-full&sslrootcert={ca}&sslcert={cert}&sslkey={key}", tlsOutcomes{"okc", "x", "x", "x"}},
		{"sslmode=require&sslcert={cert}&sslkey={key}", same("okc")},
		{"sslmode=prefer", unchecked},
		{"sslmode=prefer&sslrootcert={ca}", verifyCA}, // libpq checks the chain whenever it has a root certificate
		{"sslmode=allow&sslrootcert={ca}", verifyCA},
		{"sslmode=verify-full&sslrootcert=system", refused},
	}
	home := t.TempDir() // no ~/.postgresql
	for _, tt := range tests {
		for v, variant := range tlsVariants {
			ca := map[string]string{"right": certs.CA, "wrong": other.CA}[variant.ca]
			query := strings.NewReplacer("{ca}", ca, "{cert}", cert, "{key}", key).Replace(tt.query)
			rest, files, err := libpqTLS("app@"+variant.host+"/shop?"+query, "", home)
			if err != nil {
				t.Errorf("%s: %v", query, err)
				continue
			}
			cfg, err := pgx.ParseConfig("postgres://" + rest)
			if err != nil {
				t.Errorf("%s: %v", query, err)
				continue
			}
			files.verifyPreferred(cfg)
			tc := cfg.TLSConfig
			if tc == nil && len(cfg.Fallbacks) > 0 {
				tc = cfg.Fallbacks[0].TLSConfig // allow: plaintext first
			}
			if got := probe.handshake(t, tc); got != tt.want[v] {
				t.Errorf("%s (%s host, %s CA): %s, want %s", query, variant.host, variant.ca, got, tt.want[v])
			}
		}
	}
}

// TestLibpqDefaults: the files libpq reads from ~/.postgresql when the
// URL names none, and the refusals where libpq would fail or ignore.
func TestLibpqDefaults(t *testing.T) {
	t.Parallel()
	certs := dbtest.NewCerts(t, "localhost")
	cert, key := certs.Client(t, "app")
	home := t.TempDir()
	dot := filepath.Join(home, ".postgresql")
	if err := os.Mkdir(dot, 0o700); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	tests := []struct {
		home, query string
		want        pgTLSFiles
		err         string
	}{
		{home: empty, query: "sslmode=verify-full", err: "sslmode=verify-full without sslrootcert: libpq (the app's psycopg2) reads " + filepath.Join(empty, ".postgresql", "root.crt") + " then, which does not exist; name the CA: sslrootcert=/path/to/ca.pem"},
		{home: empty, query: "sslmode=verify-ca", err: "sslmode=verify-ca without sslrootcert"},
		{home: "", query: "sslmode=verify-full", err: "sslmode=verify-full without sslrootcert"},
		{home: empty, query: "sslmode=require", want: pgTLSFiles{mode: "require"}},
		{home: empty, query: "", want: pgTLSFiles{mode: "prefer"}},
		{home: empty, query: "sslmode=require&sslcert=" + cert, err: "sslcert without sslkey: libpq looks for the key in " + filepath.Join(empty, ".postgresql", "postgresql.key")},
		{home: empty, query: "sslmode=require&sslkey=" + key, err: "sslkey without sslcert: libpq sends no client certificate then"},
		{home: empty, query: "sslmode=verify-full&sslrootcert=system", want: pgTLSFiles{mode: "verify-full", rootCert: "system"}},
		{home: home, query: "sslmode=verify-full", want: pgTLSFiles{mode: "verify-full", rootCert: filepath.Join(dot, "root.crt"),
			cert: filepath.Join(dot, "postgresql.crt"), key: filepath.Join(dot, "postgresql.key")}},
		{home: home, query: "sslmode=require&sslcert=" + cert, want: pgTLSFiles{mode: "require", rootCert: filepath.Join(dot, "root.crt"),
			cert: cert, key: filepath.Join(dot, "postgresql.key")}},
		{home: home, query: "sslmode=disable", want: pgTLSFiles{mode: "disable"}},
	}
	for name, from := range map[string]string{"root.crt": certs.CA, "postgresql.crt": cert, "postgresql.key": key} {
		writeFiles(t, filepath.Join(dot, name), from)
	}
	for _, tt := range tests {
		rest, got, err := libpqTLS("app@db/shop?"+tt.query, "", tt.home)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("home %q, %s: %v, want an error saying %q", tt.home, tt.query, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("home %q, %s: %+v, %v; want %+v", tt.home, tt.query, got, err, tt.want)
			continue
		}
		if _, err := pgx.ParseConfig("postgres://" + rest); err != nil {
			t.Errorf("home %q, %s: pgx refuses %s: %v", tt.home, tt.query, rest, err)
		}
	}
}

// TestTLSFiles: every TLS file is read at parse time, relative names
// against config.yaml's folder, and a bad one is an error naming the
// option and the file.
func TestTLSFiles(t *testing.T) {
	t.Parallel()
	certs := dbtest.NewCerts(t, "localhost")
	other := dbtest.NewCerts(t, "localhost")
	cert, key := certs.Client(t, "app")
	_, otherKey := other.Client(t, "app")
	base := t.TempDir()
	writeFiles(t, filepath.Join(base, "ca.pem"), certs.CA)
	writeFiles(t, filepath.Join(base, "client.pem"), cert)
	writeFiles(t, filepath.Join(base, "client-key.pem"), key)
	junk := filepath.Join(base, "junk.pem")
	if err := os.WriteFile(junk, []byte("not PEM\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	hashed := t.TempDir()
	writeFiles(t, filepath.Join(hashed, "0a1b2c3d.0"), certs.CA)
	unhashed := t.TempDir()
	writeFiles(t, filepath.Join(unhashed, "ca.pem"), certs.CA)
	missing := filepath.Join(base, "missing.pem")
	tests := []struct {
		raw string
		err string // "" for success
	}{
		{raw: "mysql+pymysql://app@localhost/shop?ssl_ca=ca.pem&ssl_cert=client.pem&ssl_key=client-key.pem"},
		{raw: "mysql+pymysql://app@localhost/shop?ssl_capath=" + hashed},
		{raw: "postgresql://app@localhost/shop?sslmode=verify-full&sslrootcert=ca.pem&sslcert=client.pem&sslkey=client-key.pem"},
		{raw: "mysql+pymysql://app@localhost/shop?ssl_ca=" + missing, err: "ssl_ca " + missing + ": no such file or directory"},
		{raw: "mysql+pymysql://app@localhost/shop?ssl_ca=missing.pem", err: "ssl_ca " + missing + ": no such file or directory"},
		{raw: "mysql+pymysql://app@localhost/shop?ssl_ca=" + junk, err: "ssl_ca " + junk + ": no PEM certificate in it"},
		{raw: "mysql+pymysql://app@localhost/shop?ssl_capath=" + unhashed, err: "ssl_capath " + unhashed + ": no certificate files named by their hash"},
		{raw: "mysql+pymysql://app@localhost/shop?ssl_cert=" + missing + "&ssl_key=" + key, err: "ssl_cert " + missing + ": no such file or directory"},
		{raw: "mysql+pymysql://app@localhost/shop?ssl_cert=" + cert + "&ssl_key=" + missing, err: "ssl_key " + missing + ": no such file or directory"},
		{raw: "mysql+pymysql://app@localhost/shop?ssl_cert=" + cert + "&ssl_key=" + otherKey, err: "ssl_cert " + cert + " with ssl_key " + otherKey + ": tls: private key does not match public key"},
		{raw: "mysql+pymysql://app@localhost/shop?ssl_cert=" + cert, err: "ssl_cert " + cert + " (certificate and key): tls: found a certificate rather than a key in the PEM for the private key"},
		{raw: "postgresql://app@localhost/shop?sslmode=verify-full&sslrootcert=" + missing, err: "sslrootcert " + missing + ": no such file or directory"},
		{raw: "postgresql://app@localhost/shop?sslmode=verify-full&sslrootcert=" + junk, err: "sslrootcert " + junk + ": no PEM certificate in it"},
		{raw: "postgresql://app@localhost/shop?sslmode=require&sslcert=" + cert + "&sslkey=" + otherKey, err: "sslcert " + cert + " with sslkey " + otherKey + ": tls: private key does not match public key"},
		{raw: "postgresql://app@localhost/shop?sslmode=require&sslcert=" + cert + "&sslkey=" + missing, err: "sslkey " + missing + ": no such file or directory"},
	}
	for _, tt := range tests {
		_, err := ParseURL(tt.raw, base)
		var ue *URLError
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("ParseURL(%s): %v", tt.raw, err)
		case tt.err != "" && (!errors.As(err, &ue) || !strings.Contains(ue.Reason, tt.err)):
			t.Errorf("ParseURL(%s) = %v; want a *URLError saying %q", tt.raw, err, tt.err)
		}
	}
	// The relative names reached the drivers as the files in base.
	my, err := ParseURL("mysql+pymysql://app@localhost/shop?ssl_ca=ca.pem&ssl_cert=client.pem&ssl_key=client-key.pem", base)
	if err != nil {
		t.Fatal(err)
	}
	if cfg := my.dialect.(*mysqlDialect).cfg.TLS; cfg == nil || cfg.RootCAs == nil || len(cfg.Certificates) != 1 || cfg.ServerName != "localhost" {
		t.Errorf("MySQL TLS from relative names = %+v", cfg)
	}
	pg, err := ParseURL("postgresql://app@localhost/shop?sslmode=verify-full&sslrootcert=ca.pem&sslcert=client.pem&sslkey=client-key.pem", base)
	if err != nil {
		t.Fatal(err)
	}
	if cfg := pg.dialect.(*postgresDialect).cfg.TLSConfig; cfg == nil || cfg.RootCAs == nil || len(cfg.Certificates) != 1 {
		t.Errorf("PostgreSQL TLS from relative names = %+v", cfg)
	}
	if pg.tls.ca != filepath.Join(base, "ca.pem") || !pg.tls.clientCert {
		t.Errorf("PostgreSQL tlsSetup = %+v", pg.tls)
	}
}
