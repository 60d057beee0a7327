package dbtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// StartMariaDB starts a MariaDB server of the test's own
// (mariadb-install-db in a new folder, then mariadbd on a free port) and
// returns once it accepts connections. It is stopped when t ends; share
// one across subtests.
//
// The binaries are mariadbd and mariadb-install-db from PATH, /usr/sbin
// or /usr/bin. Without them t is skipped, or failed under CI=true.
//
// root has no password, on the socket and over TCP. With opts.TLS the
// server offers TLS (--ssl-ca, --ssl-cert, --ssl-key); whether it
// requires it is up to opts.Args (--require-secure-transport=ON) and the
// users opts.Init creates (REQUIRE SSL, REQUIRE X509).
func StartMariaDB(t testing.TB, opts ServerOptions) *Server {
	t.Helper()
	if len(opts.HBA) > 0 {
		t.Fatal("StartMariaDB: HBA is PostgreSQL's; MariaDB's users say where they may connect from")
	}
	mariadbd := findBinary(t, "MariaDB", "mariadbd", "/usr/sbin/mariadbd")
	install := findBinary(t, "MariaDB", "mariadb-install-db", "/usr/bin/mariadb-install-db")
	dir := serverDir(t, "sluice-mariadb-")
	data := filepath.Join(dir, "data")
	var asRoot []string
	if os.Geteuid() == 0 {
		asRoot = []string{"--user=root"} // else mariadbd refuses to run as root
	}
	// --tmpdir of its own, for the setup's bootstrap server too: at start
	// mariadbd deletes every #sql* file in its tmpdir, and with the
	// default, /tmp, those are the shared server's internal temporary
	// tables, which then crashed it (signal 11 in ha_maria::drop_table)
	// whenever a test started a server.
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	// --no-defaults everywhere: nothing from /etc/mysql (the shared
	// server's settings) may leak in.
	runSetup(t, exec.Command(install, append([]string{"--no-defaults", "--datadir=" + data, "--tmpdir=" + tmp,
		"--auth-root-authentication-method=normal", "--skip-test-db"}, asRoot...)...))

	sock := filepath.Join(dir, "mysqld.sock")
	args := append([]string{"--no-defaults", "--datadir=" + data, "--socket=" + sock, "--tmpdir=" + tmp,
		"--pid-file=" + filepath.Join(dir, "mysqld.pid"), "--log-error=" + filepath.Join(dir, "server.log"),
		"--skip-networking=0", "--bind-address=127.0.0.1", "--skip-log-bin",
		// A test server: speed over durability.
		"--innodb-buffer-pool-size=32M", "--innodb-flush-log-at-trx-commit=0"}, asRoot...)
	if c := opts.TLS; c != nil {
		args = append(args, "--ssl-ca="+c.CA, "--ssl-cert="+c.ServerCert, "--ssl-key="+c.ServerKey)
	}
	args = append(args, opts.Args...)

	s := &Server{Kind: "MariaDB", Dir: dir, backend: mysqlServer,
		Admin: "mysql://root@localhost/mysql?unix_socket=" + sock}
	s.run(t, func(port int) *exec.Cmd {
		return exec.Command(mariadbd, append(args, "--port="+strconv.Itoa(port))...)
	}, opts)
	return s
}
