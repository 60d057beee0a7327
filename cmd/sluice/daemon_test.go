//go:build unix

package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/models"
	"github.com/sluice-dev/sluice/models/dbtest"
)

// TestDaemonSIGTERM runs the real daemon under a fake service manager (a
// unix datagram socket as NOTIFY_SOCKET), sends SIGTERM while it imports
// a big dump, and checks what systemd and an operator would see: READY=1
// then STOPPING=1, exit 0 after the shutdown timeout cancelled the
// import, the table as it was (nothing of the dump), and the run in the
// ledger as interrupted.
func TestDaemonSIGTERM(t *testing.T) {
	bin := buildSluice(t)
	big, err := bigSocks()
	if err != nil {
		t.Fatal(err)
	}
	t.Parallel()
	for _, b := range dbtest.All() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			url := b.New(t)
			work := t.TempDir()
			config := filepath.Join(work, "config.yaml")
			copyFile(t, "../../config.yaml", config)
			dump := filepath.Join(work, "sample-data", "socks-2026-12.csv")
			copyFile(t, big, dump)
			old := time.Now().Add(-time.Hour) // settled
			if err := os.Chtimes(dump, old, old); err != nil {
				t.Fatal(err)
			}
			notify := listenNotify(t)
			ctx, cancel := context.WithTimeout(t.Context(), procTimeout)
			defer cancel()
			s := newSluiceCmd(bin, work, url)
			s.env = append(s.env, "NOTIFY_SOCKET="+notify.path)
			// The shutdown timeout is short so that the import is cancelled
			// however fast the database: this test is about the cancel.
			d := s.start(ctx, t, "daemon", "--config", config, "--run-now", "--shutdown-timeout", "1ms")
			notify.expect(t, "READY=1")
			waitForLog(ctx, t, d, "msg=importing job=socks file="+dump) // the import is under way
			if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			notify.expect(t, "STOPPING=1")
			code, _, stderr := d.wait(t)
			if code != 0 {
				t.Errorf("daemon exit %d after SIGTERM, want 0\nstderr:\n%s", code, stderr)
			}
			for _, want := range []string{"shutdown timeout: cancelling the running imports", "msg=stopped"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			checkInterrupted(ctx, t, url, work, dump, stderr)
		})
	}
}

// waitForLog waits until the process has logged a line containing want.
func waitForLog(ctx context.Context, t *testing.T, p *proc, want string) {
	t.Helper()
	for !strings.Contains(p.stderrSoFar(), want) {
		select {
		case <-p.done:
			code, stdout, stderr := p.wait(t)
			t.Fatalf("sluice ended (exit %d) before logging %q\nstdout:\n%s\nstderr:\n%s", code, want, stdout, stderr)
		case <-ctx.Done():
			t.Fatalf("sluice did not log %q within %s\nstderr:\n%s", want, procTimeout, p.stderrSoFar())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// checkInterrupted requires the dump's run to be in the ledger as
// interrupted and none of its rows in the table.
func checkInterrupted(ctx context.Context, t *testing.T, url, work, dump, stderr string) {
	t.Helper()
	db, err := models.Open(ctx, url, work)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var runs []models.Run
	if err := db.Bun.NewRaw("SELECT * FROM sluice_runs WHERE path = ?", dump).Scan(ctx, &runs); err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Status != models.StatusInterrupted || runs[0].Inserted != 0 {
		t.Errorf("ledger runs of the dump: %+v; want one, interrupted, nothing inserted\nsluice's stderr:\n%s", runs, stderr)
	}
	info, err := db.Dialect.Inspect(ctx, db.Bun, "socks")
	if err != nil {
		t.Fatal(err)
	}
	if !info.Exists {
		return // rolled back with the transaction that made it
	}
	var n int
	if err := db.Bun.NewRaw("SELECT count(*) FROM socks").Scan(ctx, &n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("socks has %d rows after the interrupted import, want 0", n)
	}
}

// notifySocket is a fake service manager's NOTIFY_SOCKET.
type notifySocket struct {
	path string
	conn *net.UnixConn
}

func listenNotify(t *testing.T) *notifySocket {
	t.Helper()
	// Socket paths are limited to about 100 bytes; test temp dirs can be longer.
	dir, err := os.MkdirTemp("", "sdn")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &notifySocket{path: path, conn: conn}
}

// expect reads messages until one has the line want.
func (n *notifySocket) expect(t *testing.T, want string) {
	t.Helper()
	buf := make([]byte, 4096)
	deadline := time.Now().Add(30 * time.Second)
	var got []string
	for {
		if err := n.conn.SetReadDeadline(deadline); err != nil {
			t.Fatal(err)
		}
		k, err := n.conn.Read(buf)
		if err != nil {
			t.Fatalf("no %s on NOTIFY_SOCKET (got %q): %v", want, got, err)
		}
		msg := string(buf[:k])
		got = append(got, msg)
		for _, line := range strings.Split(msg, "\n") {
			if line == want {
				return
			}
		}
	}
}

// TestDaemonRunNowSettles: sluice daemon --run-now on dumps copied in a
// moment ago leaves them while they settle and imports them once they
// have (source.settle later), not at the next tick (next month).
func TestDaemonRunNowSettles(t *testing.T) {
	bin := buildSluice(t)
	t.Parallel()
	work := t.TempDir()
	copySample(t, work)
	config := filepath.Join(work, "config.yaml")
	replaceInFile(t, config, "      encoding: utf-8\n", "      encoding: utf-8\n      settle: 1s\n")
	now := time.Now() // the socks dumps were copied just now; the stock ones long ago
	old := now.Add(-time.Hour)
	for _, m := range []string{"09", "10", "11"} {
		for name, at := range map[string]time.Time{"socks": now, "stock": old} {
			if err := os.Chtimes(filepath.Join(work, "sample-data", name+"-2026-"+m+".csv"), at, at); err != nil {
				t.Fatal(err)
			}
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), procTimeout)
	defer cancel()
	s := newSluiceCmd(bin, work, "sqlite:///"+filepath.Join(work, "settle.db"))
	d := s.start(ctx, t, "daemon", "--config", config, "--run-now")
	waitForLog(ctx, t, d, `msg="file still being written; checked again once settled" job=socks`)
	waitForLog(ctx, t, d, `msg="re-checking the files that were settling" job=socks`)
	waitForLog(ctx, t, d, "msg=imported job=socks file="+filepath.Join(work, "sample-data", "socks-2026-11.csv"))
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := d.wait(t); code != 0 {
		t.Fatalf("daemon exit %d\n%s", code, stderr)
	}
	_, stdout, _ := s.run(t, "history", "--config", config, "--job", "socks")
	if n := strings.Count(stdout, " ok "); n != 3 {
		t.Errorf("history has %d ok runs of socks, want 3:\n%s", n, stdout)
	}
}
