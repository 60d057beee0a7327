package dbtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ServerOptions says how StartPostgres or StartMariaDB sets up the server
// it starts. The zero value is a plain server: no TLS, every local user
// trusted (PostgreSQL) or root without a password (MariaDB).
type ServerOptions struct {
	// TLS gives the server Certs' server certificate and key, and its CA
	// to check client certificates against.
	TLS *Certs
	// Args are more server options, after sluice's: MariaDB's
	// "--character-set-server=latin1" or "--require-secure-transport=ON",
	// PostgreSQL's "-c", "name=value".
	Args []string
	// HBA are pg_hba.conf lines (PostgreSQL only) that replace the
	// default "host all all 127.0.0.1/32 trust" (and ::1): hostssl lines
	// for a server that requires TLS, cert for client certificates. The
	// admin's "local all all trust" always comes first.
	HBA []string
	// Init are statements run as the superuser once the server accepts
	// connections: CREATE USER … REQUIRE X509, say.
	Init []string
}

// Server is a database server a test started for itself, listening on
// 127.0.0.1 on a free port and on a unix socket, its files in a folder of
// its own. It is stopped by its PID when the test ends (after the test's
// own cleanups), and its folder removed.
type Server struct {
	// Kind is "PostgreSQL" or "MariaDB".
	Kind string
	// Admin is a superuser URL over the unix socket to the server's own
	// database (postgres, mysql). The socket never needs TLS, so Admin
	// works whatever the server asks of TCP connections.
	Admin string
	// Port is the TCP port on 127.0.0.1 (and, for the names in a
	// certificate, localhost).
	Port int
	// PID is the server's process (PostgreSQL's postmaster).
	PID int
	// Dir holds the data directory, the socket and server.log.
	Dir string

	backend  server
	cmd      *exec.Cmd
	exited   chan struct{} // closed once the process is gone
	stopping bool          // Stop or Kill was called: an exit is expected
}

// startTimeout bounds the wait for a new server to accept connections:
// a few seconds is usual, a loaded CI machine may take longer.
const startTimeout = 60 * time.Second

// launch is one way to start a kind of server on a port: it returns the
// command, not yet started. prepare (initdb, mariadb-install-db) has run.
type launch func(port int) *exec.Cmd

// run starts the server on a free port, retrying on another port if the
// one it chose was taken meanwhile, and waits until it accepts
// connections; then runs opts.Init and arranges the stop.
func (s *Server) run(t testing.TB, start launch, opts ServerOptions) {
	t.Helper()
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var port int
		if port, err = freePort(); err != nil {
			t.Fatalf("%s: %v", s.Kind, err)
		}
		s.Port = port
		if err = s.startOn(t, start(port)); err == nil || !strings.Contains(err.Error(), "in use") {
			break
		}
	}
	if err != nil {
		t.Fatalf("%s did not start: %v", s.Kind, err)
	}
	if len(opts.Init) > 0 {
		s.Exec(t, opts.Init...)
	}
}

// startOn starts cmd and waits until the admin URL connects. A server
// that exits first is an error with the end of its log.
func (s *Server) startOn(t testing.TB, cmd *exec.Cmd) error {
	t.Helper()
	logFile, err := os.OpenFile(s.logPath(), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close() // the child has its own copy
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if cmd.SysProcAttr, err = procAttr(cmd.SysProcAttr); err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	s.cmd, s.PID, s.exited = cmd, cmd.Process.Pid, make(chan struct{})
	go func() {
		cmd.Wait() //nolint:errcheck // the exit status says nothing the log does not
		close(s.exited)
	}()
	u, err := url.Parse(s.Admin)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		a, err := s.backend.open(ctx, u)
		cancel()
		if err == nil {
			a.close()
			t.Cleanup(func() { s.cleanup(t) })
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("%s exited: %s", cmd.Path, s.logTail())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.kill()
			return fmt.Errorf("no connection within %s: %v; %s", startTimeout, err, s.logTail())
		}
	}
}

// Exec runs statements as the superuser, over the socket.
func (s *Server) Exec(t testing.TB, stmts ...string) {
	t.Helper()
	u, _ := url.Parse(s.Admin)
	a, err := s.backend.connect(u)
	if err != nil {
		t.Fatalf("%s at %s: %v", s.Kind, s.Admin, err)
	}
	defer a.close()
	for _, stmt := range stmts {
		if err := execf(a, "%s", stmt); err != nil {
			t.Fatalf("%s: %v", s.Kind, err)
		}
	}
}

// NewDatabase creates an empty database and returns its name (safe in
// SQL and URLs unquoted); it goes with the server. Admin with the name as
// its path reaches it over the socket; over TCP, build the URL from Port
// with the options the test needs.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	u, _ := url.Parse(s.Admin)
	a, err := s.backend.connect(u)
	if err != nil {
		t.Fatalf("%s at %s: %v", s.Kind, s.Admin, err)
	}
	return s.backend.createDatabase(t, u, a)
}

// Stop shuts the server down cleanly and waits for it to exit (killing
// it if it takes longer than 30 s). Cleanup does it if the test did not.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.stopping = true
	sig := syscall.SIGTERM // MariaDB: shutdown
	if s.Kind == "PostgreSQL" {
		sig = syscall.SIGINT // fast shutdown: ends the sessions, no waiting for clients
	}
	if err := s.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("%s: stop pid %d: %v", s.Kind, s.PID, err)
	}
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		t.Errorf("%s pid %d still running 30 s after %v; killing it", s.Kind, s.PID, sig)
		s.kill()
	}
}

// Kill ends the server at once (SIGKILL), as a crash would, and waits
// until it is gone: the way to test what sluice does when its database
// dies under it. PostgreSQL's backends notice and exit on their own.
func (s *Server) Kill(t testing.TB) {
	t.Helper()
	s.stopping = true
	s.kill()
}

func (s *Server) kill() {
	s.cmd.Process.Kill() //nolint:errcheck // gone already is fine
	<-s.exited
}

// cleanup stops the server unless it has been, and reports one that
// died on its own.
func (s *Server) cleanup(t testing.TB) {
	select {
	case <-s.exited:
		if !s.stopping {
			t.Errorf("%s pid %d exited during the test: %s", s.Kind, s.PID, s.logTail())
		}
	default:
		s.Stop(t)
	}
}

// Log is what the server has written to its log so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.logPath())
	return string(b)
}

func (s *Server) logPath() string { return filepath.Join(s.Dir, "server.log") }

// logTail is the end of the log, for errors.
func (s *Server) logTail() string {
	lines := strings.Split(strings.TrimSpace(s.Log()), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return "its log ends:\n\t" + strings.Join(lines, "\n\t")
}

// freePort is a TCP port on 127.0.0.1 nobody listened on a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// findBinary returns the first of paths that is an executable file, or
// skips t (fails it under CI=true) naming them all.
func findBinary(t testing.TB, kind string, paths ...string) string {
	t.Helper()
	for _, p := range paths {
		if !strings.Contains(p, "/") {
			if found, err := exec.LookPath(p); err == nil {
				return found
			}
			continue
		}
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	unavailable(t, fmt.Sprintf("%s tests need %s", kind, strings.Join(paths, " or ")))
	return ""
}

// unavailable skips t for want of what msg names, or fails it under
// CI=true, where every test must run.
func unavailable(t testing.TB, msg string) {
	t.Helper()
	if ci() {
		t.Fatalf("%s (CI=true: these tests must run; install it)", msg)
	}
	t.Skipf("%s; skipped", msg)
}

// serverDir is a new folder for a server's files under the system's temp
// folder (t.TempDir's parents are private to root, and PostgreSQL runs as
// its own user), removed at cleanup: after the server has stopped, since
// that cleanup is registered later.
func serverDir(t testing.TB, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("server folder left behind: %v", err)
		}
	})
	return dir
}

// runSetup runs a server's setup program (initdb, mariadb-install-db),
// failing t with its output if it fails.
func runSetup(t testing.TB, cmd *exec.Cmd) {
	t.Helper()
	var err error
	if cmd.SysProcAttr, err = procAttr(cmd.SysProcAttr); err != nil {
		t.Fatal(err)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
}
