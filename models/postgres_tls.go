package models

import (
	"fmt"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"
)

// pgx reads libpq's TLS options (sslmode, sslrootcert, sslcert, sslkey,
// sslpassword) with libpq's meanings, and the PGSSL* variables. What
// libpq (the app's psycopg2) does besides, and sluice therefore does
// before or after pgx:
//
//   - without sslrootcert it reads ~/.postgresql/root.crt, and with
//     sslmode=verify-ca or verify-full fails when that file is missing,
//     where pgx would trust the system's CAs;
//   - without sslcert and sslkey it offers ~/.postgresql/postgresql.crt
//     and postgresql.key; with only one of them, it looks for the other
//     there;
//   - with a root certificate it checks the server's chain even under
//     sslmode=prefer or allow (falling back to plaintext when the check
//     fails, as when TLS does), where pgx checks nothing.
//
// sluice also reads relative file names against config.yaml's folder,
// and every file at parse time, so an error names the option and file.

// pgTLSFiles are the TLS settings of a PostgreSQL URL once libpq's
// defaults are in.
type pgTLSFiles struct {
	mode, rootCert, cert, key string
}

// libpqTLS returns rest (the URL after "scheme://") with relative file
// names made absolute and libpq's default files of home/.postgresql
// added, and reads the files.
func libpqTLS(rest, baseDir, home string) (string, pgTLSFiles, error) {
	var f pgTLSFiles
	base, query, _ := strings.Cut(rest, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return rest, f, nil // pgx says what is wrong with it
	}
	changed := false
	setting := func(name, env string) string {
		v := q.Get(name)
		if v == "" {
			return os.Getenv(env)
		}
		if name != "sslmode" && v != "system" && !filepath.IsAbs(v) && baseDir != "" {
			v = resolvePath(baseDir, v)
			q.Set(name, v)
			changed = true
		}
		return v
	}
	f = pgTLSFiles{mode: setting("sslmode", "PGSSLMODE"), rootCert: setting("sslrootcert", "PGSSLROOTCERT"),
		cert: setting("sslcert", "PGSSLCERT"), key: setting("sslkey", "PGSSLKEY")}
	if f.mode == "" {
		f.mode = "prefer"
	}
	if f.mode == "disable" {
		return rest, f, nil
	}
	dot := filepath.Join(home, ".postgresql")
	found := func(name string) string {
		if home == "" {
			return ""
		}
		p := filepath.Join(dot, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
		return ""
	}
	use := func(name, path string) string {
		q.Set(name, path)
		changed = true
		return path
	}
	if f.rootCert == "" {
		if p := found("root.crt"); p != "" {
			f.rootCert = use("sslrootcert", p)
		} else if strings.HasPrefix(f.mode, "verify-") {
			return rest, f, fmt.Errorf("sslmode=%s without sslrootcert: libpq (the app's psycopg2) reads %s then, which does not exist; "+
				"name the CA: sslrootcert=/path/to/ca.pem (or sslrootcert=system for the system's CAs, with libpq 16 or later)", f.mode, filepath.Join(dot, "root.crt"))
		}
	}
	switch {
	case f.cert == "" && f.key == "":
		if c, k := found("postgresql.crt"), found("postgresql.key"); c != "" && k != "" {
			f.cert, f.key = use("sslcert", c), use("sslkey", k)
		}
	case f.key == "":
		if f.key = found("postgresql.key"); f.key == "" {
			return rest, f, fmt.Errorf("sslcert without sslkey: libpq looks for the key in %s then, which does not exist; add sslkey", filepath.Join(dot, "postgresql.key"))
		}
		use("sslkey", f.key)
	case f.cert == "":
		if f.cert = found("postgresql.crt"); f.cert == "" {
			return rest, f, fmt.Errorf("sslkey without sslcert: libpq sends no client certificate then (it looks for %s, which does not exist); add sslcert", filepath.Join(dot, "postgresql.crt"))
		}
		use("sslcert", f.cert)
	}
	if f.rootCert != "" && f.rootCert != "system" {
		if _, err := readCAFile("sslrootcert", f.rootCert, nil); err != nil {
			return rest, f, err
		}
	}
	if f.cert != "" {
		// An encrypted key is pgx's to open, with sslpassword.
		if b, err := os.ReadFile(f.key); err != nil {
			return rest, f, fileError("sslkey", f.key, err)
		} else if !encryptedKey(b) {
			if _, err := readKeyPair("sslcert", f.cert, "sslkey", f.key); err != nil {
				return rest, f, err
			}
		}
	}
	if !changed {
		return rest, f, nil
	}
	return base + "?" + q.Encode(), f, nil
}

// verifyPreferred checks the server's chain under sslmode=prefer and
// allow when there is a root certificate, as libpq does; a failed check
// fails that attempt, and pgx goes on to the next (plaintext).
func (f pgTLSFiles) verifyPreferred(cfg *pgx.ConnConfig) {
	if (f.mode != "prefer" && f.mode != "allow") || f.rootCert == "" {
		return
	}
	if tc := cfg.TLSConfig; tc != nil {
		tc.VerifyConnection = verifyCAOnly(tc.RootCAs)
	}
	for _, fb := range cfg.Fallbacks {
		if tc := fb.TLSConfig; tc != nil {
			tc.VerifyConnection = verifyCAOnly(tc.RootCAs)
		}
	}
}

// homeDir is where libpq looks for ~/.postgresql: $HOME, else the
// user's home in the password database.
func homeDir() string {
	if h, err := os.UserHomeDir(); err == nil {
		return h
	}
	if u, err := user.Current(); err == nil {
		return u.HomeDir
	}
	return ""
}
