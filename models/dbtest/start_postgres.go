package dbtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// StartPostgres starts a PostgreSQL server of the test's own (initdb in a
// new folder, then postgres on a free port) and returns once it accepts
// connections. It is stopped when t ends; share one across subtests.
//
// The binaries come from SLUICE_TEST_PG_BINDIR, else the newest
// /usr/lib/postgresql/*/bin, else PATH. Without them t is skipped, or
// failed under CI=true. As root, the server runs as the postgres user
// (initdb refuses root).
//
// The superuser is postgres, trusted on the socket; over TCP, pg_hba.conf
// is opts.HBA (default: trust from 127.0.0.1 and ::1, with or without TLS).
func StartPostgres(t testing.TB, opts ServerOptions) *Server {
	t.Helper()
	initdb := findBinary(t, "PostgreSQL", pgCandidates("initdb")...)
	postgresBin := filepath.Join(filepath.Dir(initdb), "postgres")
	dir := serverDir(t, "sluice-pg-")
	own := func(string) {}
	var attr *syscall.SysProcAttr
	if os.Geteuid() == 0 {
		var uid, gid int
		var err error
		if attr, uid, gid, err = runAs("postgres"); err != nil {
			unavailable(t, fmt.Sprintf("PostgreSQL refuses to run as root, and the postgres user to run it as is missing (%v)", err))
		}
		own = func(path string) {
			if err := os.Chown(path, uid, gid); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A fresh copy each time: procAttr adds to what it is given.
	asServer := func() *syscall.SysProcAttr {
		if attr == nil {
			return nil
		}
		a := *attr
		return &a
	}
	own(dir)
	data := filepath.Join(dir, "data")
	setup := exec.Command(initdb, "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--no-locale", "--no-instructions")
	setup.SysProcAttr = asServer()
	runSetup(t, setup)

	hba := opts.HBA
	if len(hba) == 0 {
		hba = []string{"host all all 127.0.0.1/32 trust", "host all all ::1/128 trust"}
	}
	writeFile(t, filepath.Join(data, "pg_hba.conf"), "local all all trust\n"+strings.Join(hba, "\n")+"\n", own)
	args := []string{"-D", data, "-k", dir, "-c", "listen_addresses=127.0.0.1",
		// A test server: speed over durability.
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "shared_buffers=32MB", "-c", "max_connections=100"}
	if c := opts.TLS; c != nil {
		// The server's user must own its key, readable by nobody else.
		files := map[string]string{"ca": c.CA, "cert": c.ServerCert, "key": c.ServerKey}
		for _, name := range []string{"ca", "cert", "key"} {
			path := filepath.Join(dir, "tls-"+name+".pem")
			b, err := os.ReadFile(files[name])
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, path, string(b), own)
			files[name] = path
		}
		args = append(args, "-c", "ssl=on", "-c", "ssl_ca_file="+files["ca"],
			"-c", "ssl_cert_file="+files["cert"], "-c", "ssl_key_file="+files["key"])
	}
	args = append(args, opts.Args...)

	s := &Server{Kind: "PostgreSQL", Dir: dir, backend: postgres}
	s.run(t, func(port int) *exec.Cmd {
		s.Admin = fmt.Sprintf("postgres://postgres@localhost:%d/postgres?host=%s", port, dir)
		cmd := exec.Command(postgresBin, append(args, "-p", strconv.Itoa(port))...)
		cmd.SysProcAttr = asServer()
		return cmd
	}, opts)
	return s
}

// pgCandidates lists where name may be: SLUICE_TEST_PG_BINDIR, Debian's
// versioned folders newest first, then PATH.
func pgCandidates(name string) []string {
	var dirs []string
	if d := os.Getenv("SLUICE_TEST_PG_BINDIR"); d != "" {
		dirs = append(dirs, d)
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	version := func(p string) int { n, _ := strconv.Atoi(filepath.Base(filepath.Dir(p))); return n }
	sort.Slice(found, func(i, j int) bool { return version(found[i]) > version(found[j]) })
	dirs = append(dirs, found...)
	var out []string
	for _, d := range dirs {
		out = append(out, filepath.Join(d, name))
	}
	return append(out, name)
}

// writeFile writes a file only its owner may read, then hands it to the
// server's user.
func writeFile(t testing.TB, path, text string, own func(string)) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	own(path)
}
