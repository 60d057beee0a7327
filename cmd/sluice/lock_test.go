//go:build unix

// Unix only: elsewhere SQLite has no job lock (models/lock_sqlite_other.go).

package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/cmd/internal/sockgen"
	"github.com/sluice-dev/sluice/models"
	"github.com/sluice-dev/sluice/models/dbtest"
)

// lockRows is the size of the dump process A imports: big enough that A
// holds the job lock for a second or more while B and C start, small
// enough to keep the test to a few seconds per backend.
const lockRows = 300_000

// bigSocks is a socks dump of lockRows rows (every SKU once), written once
// per run and shared read-only by the backends.
var bigSocks = sync.OnceValues(func() (string, error) {
	dir, err := sharedDir()
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "socks-big.csv")
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	if err := sockgen.Write(f, 0, sockgen.Options{Rows: lockRows, Seed: 7}); err != nil {
		f.Close()
		return "", err
	}
	return path, f.Close()
})

// TestTwoProcessesLock runs three real sluice processes on one job at
// once. A imports a big dump; once A is seen holding the job's lock, C
// (--lock-timeout 60s) and B (--lock-timeout 200ms) start on the same file.
// B must give up with the "already running" message and touch nothing; C
// must wait for A and then skip the file as already imported. The ledger
// must show one import and one skip, the skip starting after the import
// ended, and the table must hold each key once.
func TestTwoProcessesLock(t *testing.T) {
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
			ctx, cancel := context.WithTimeout(t.Context(), procTimeout)
			defer cancel()
			held := lockProbe(ctx, t, b.Name, url, work)
			s := newSluiceCmd(bin, work, url)
			importArgs := func(timeout string) []string {
				return []string{"import", "--config", config, "--job", "socks", "--lock-timeout", timeout, big}
			}

			a := s.start(ctx, t, importArgs("60s")...)
			waitForLock(ctx, t, a, held)
			// C starts first: B's giving up after 200ms then shows the lock
			// was still A's after C's first try, so C had to wait.
			c := s.start(ctx, t, importArgs("60s")...)
			bp := s.start(ctx, t, importArgs("200ms")...)

			// How long B says it waited is TestLockHeldElsewhere's concern.
			code, stdout, stderr := bp.wait(t)
			if code != 1 || stdout != "" || !lockedRE.MatchString(stderr) {
				hint := ""
				if a.exited() {
					hint = fmt.Sprintf("\n(A has ended: if it ended before B's 200ms were up, %d rows are too few to watch the lock on this machine; raise lockRows)", lockRows)
				}
				t.Errorf("B (--lock-timeout 200ms) while A holds the lock: exit %d, want 1 with only the lock message\nstdout:\n%s\nstderr:\n%s%s", code, stdout, stderr, hint)
			}

			code, stdout, stderr = a.wait(t)
			want := fmt.Sprintf("socks %s: %d rows, %d inserted, 0 updated, 0 unchanged, 0 rejected in D", big, lockRows, lockRows)
			if code != 0 || len(summary(stdout)) != 1 || summary(stdout)[0] != want {
				t.Errorf("A: exit %d, want 0 and\n  %s\nstdout:\n%s\nstderr:\n%s", code, want, stdout, stderr)
			}
			code, stdout, stderr = c.wait(t)
			skipRE := regexp.MustCompile(`\(run 1, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)`)
			want = fmt.Sprintf("socks %s: already imported (run 1, T); use --force to import it again\n", big)
			if got := skipRE.ReplaceAllString(stdout, "(run 1, T)"); code != 0 || got != want {
				t.Errorf("C (--lock-timeout 60s), after A: exit %d, want 0 and\n  %s\nstdout:\n%s\nstderr:\n%s", code, want, stdout, stderr)
			}

			checkLockLedger(ctx, t, url, work, big)
		})
	}
}

// lockedRE is the whole of what sluice prints on stderr when the socks
// job's lock stays taken for the whole --lock-timeout.
var lockedRE = regexp.MustCompile(`^sluice: job socks is already running: another sluice process holds its lock \(waited (\S+); see --lock-timeout\)\n$`)

// TestLockHeldElsewhere takes the socks job's lock from the test process,
// named as serverLocks and sqliteLockFile say, and runs sluice
// import on the sample data: socks must give up after --lock-timeout with
// the "already running" message while stock still imports, and the exit
// code must be 1. Once the lock is let go, socks imports and stock skips.
func TestLockHeldElsewhere(t *testing.T) {
	bin := buildSluice(t)
	t.Parallel()
	for _, b := range dbtest.All() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			url := b.New(t)
			work := filepath.Join(t.TempDir(), "work")
			copySample(t, work)
			config := filepath.Join(work, "config.yaml")
			s := newSluiceCmd(bin, work, url)
			release := holdLock(t.Context(), t, b.Name, url, work, "socks")

			const timeout = 200 * time.Millisecond
			code, stdout, stderr := s.run(t, "import", "--config", config, "--lock-timeout", timeout.String())
			var want, errs []string
			for _, c := range sampleCounts[3:] {
				want = append(want, c.imported())
			}
			checkLines(t, "sluice import with the socks lock taken", sampleSummary(stdout), want)
			// stderr also holds the log; the lines sluice itself prints
			// start with "sluice:".
			for _, l := range strings.SplitAfter(stderr, "\n") {
				if strings.HasPrefix(l, "sluice:") {
					errs = append(errs, l)
				}
			}
			if m := lockedRE.FindStringSubmatch(strings.Join(errs, "")); code != 1 || m == nil {
				t.Errorf("sluice import with the socks lock taken: exit %d, want 1 and the lock message\nstderr:\n%s", code, stderr)
			} else if waited, err := time.ParseDuration(m[1]); err != nil || waited < timeout {
				// It gives up only once the timeout has passed, so it must
				// not claim to have waited less.
				t.Errorf("sluice says it waited %s for the lock, less than its --lock-timeout %s:\n%s", m[1], timeout, strings.Join(errs, ""))
			}

			release()
			code, stdout, stderr = s.run(t, "import", "--config", config, "--lock-timeout", "0s")
			want = want[:0]
			for _, c := range sampleCounts[:3] {
				want = append(want, c.imported())
			}
			for i, c := range sampleCounts[3:] {
				want = append(want, c.skipped(i+1))
			}
			if code != 0 {
				t.Errorf("sluice import after the lock was let go: exit %d\nstderr:\n%s", code, stderr)
			}
			checkLines(t, "sluice import after the lock was let go", sampleSummary(stdout), want)
		})
	}
}

// waitForLock returns once held reports the job lock taken, failing t if
// process a ends first or ctx ends.
func waitForLock(ctx context.Context, t *testing.T, a *proc, held func() (bool, error)) {
	t.Helper()
	for {
		ok, err := held()
		if err != nil {
			t.Fatalf("look for A's lock: %v", err)
		}
		if ok {
			return
		}
		select {
		case <-a.done:
			code, stdout, stderr := a.wait(t)
			t.Fatalf("A ended (exit %d) before it was seen holding the job lock\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		case <-ctx.Done():
			t.Fatalf("A not seen holding the job lock within %s", procTimeout)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// serverLocks is how the server dialects name, take, release and look for
// a job lock from another session: a PostgreSQL session advisory lock on
// hashtextextended('sluice:'||job, 0), a MySQL GET_LOCK on
// 'sluice:<database>:<job>'. Written out here rather than borrowed from
// models, so a change of name there, which would let an older sluice
// import alongside a newer one, fails these tests. Each query takes the
// key and gives one integer.
var serverLocks = map[string]struct {
	key                 func(database, job string) string
	take, release, held string
}{
	"postgres": {
		key:     func(_, job string) string { return "sluice:" + job },
		take:    "SELECT pg_try_advisory_lock(hashtextextended(?, 0))::int",
		release: "SELECT pg_advisory_unlock(hashtextextended(?, 0))::int",
		// An advisory lock on a bigint key shows in pg_locks split into
		// classid (high half) and objid (low half), with objsubid 1.
		held: `SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
			WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND d.datname = current_database()
			AND ((l.classid::int8 << 32) | l.objid::int8) = hashtextextended(?, 0)`,
	},
	"mysql": {
		// GET_LOCK names are server-wide, so they carry the database;
		// names over MySQL's 64 characters are hashed (dbtest's are not).
		key: func(database, job string) string {
			key := "sluice:" + database + ":" + job
			if len(key) > 64 {
				sum := sha256.Sum256([]byte(key))
				key = "sluice:" + hex.EncodeToString(sum[:])[:40]
			}
			return key
		},
		take:    "SELECT GET_LOCK(?, 0)",
		release: "SELECT RELEASE_LOCK(?)",
		held:    "SELECT IS_USED_LOCK(?) IS NOT NULL",
	},
}

// sqliteLockFile is the file SQLite job locks flock.
func sqliteLockFile(t *testing.T, url, work, job string) string {
	t.Helper()
	target, err := models.ParseURL(url, work)
	if err != nil {
		t.Fatal(err)
	}
	return target.Path + "-sluice-" + job + ".lock"
}

// lockProbe returns a function reporting whether some process holds the
// socks job's lock in the database url names.
func lockProbe(ctx context.Context, t *testing.T, backend, url, work string) func() (bool, error) {
	t.Helper()
	if backend == "sqlite" {
		path := sqliteLockFile(t, url, work, "socks")
		return func() (bool, error) { return flockHeld(path) }
	}
	sl, ok := serverLocks[backend]
	if !ok {
		t.Fatalf("no job lock known for backend %s", backend)
	}
	db, err := models.Open(ctx, url, work)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	key := sl.key(db.Target.Database, "socks")
	return func() (bool, error) {
		var n int
		err := db.Bun.NewRaw(sl.held, key).Scan(ctx, &n)
		return n > 0, err
	}
}

// holdLock takes job's lock in the database url names from the test
// process, as another sluice would, and returns the function that lets
// it go. It lets go at the end of the test too, if the test has not.
func holdLock(ctx context.Context, t *testing.T, backend, url, work, job string) (release func()) {
	t.Helper()
	release = sync.OnceFunc(takeLock(ctx, t, backend, url, work, job))
	t.Cleanup(release)
	return release
}

func takeLock(ctx context.Context, t *testing.T, backend, url, work, job string) (release func()) {
	t.Helper()
	if backend == "sqlite" {
		path := sqliteLockFile(t, url, work, job)
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			t.Fatalf("flock %s: %v", path, err)
		}
		return func() { f.Close() } // closing lets go of the flock
	}
	sl, ok := serverLocks[backend]
	if !ok {
		t.Fatalf("no job lock known for backend %s", backend)
	}
	db, err := models.Open(ctx, url, work)
	if err != nil {
		t.Fatal(err)
	}
	// A session lock: every statement must go through this one connection.
	conn, err := db.Bun.Conn(ctx)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	key := sl.key(db.Target.Database, job)
	var got int
	if err := conn.NewRaw(sl.take, key).Scan(ctx, &got); err != nil || got != 1 {
		conn.Close()
		db.Close()
		t.Fatalf("take lock %s: got %d, %v; want 1", key, got, err)
	}
	return func() {
		// Also run by t.Cleanup, after t.Context() has ended.
		ctx := context.WithoutCancel(ctx)
		if err := conn.NewRaw(sl.release, key).Scan(ctx, &got); err != nil || got != 1 {
			t.Errorf("release lock %s: got %d, %v; want 1", key, got, err)
		}
		conn.Close()
		db.Close()
	}
}

// flockHeld reports whether another process holds an flock on path, by
// trying to take it without blocking and letting go at once.
func flockHeld(path string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil // nobody has asked for the lock yet
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("flock %s: %w", path, err)
	}
	return false, syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}

// checkLockLedger checks what A, B and C left: one import of every key,
// and in the ledger that import followed by C's skip, with nothing from B
// and no overlap between the two.
func checkLockLedger(ctx context.Context, t *testing.T, url, work, big string) {
	t.Helper()
	db, err := models.Open(ctx, url, work)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var runs []models.Run
	if err := db.Bun.NewSelect().Model(&runs).Order("id").Scan(ctx); err != nil {
		t.Fatalf("read sluice_runs: %v", err)
	}
	var got []string
	for _, r := range runs {
		got = append(got, fmt.Sprintf("%d %s %s %s rows=%d inserted=%d", r.ID, r.Job, r.Path, r.Status, r.Rows, r.Inserted))
	}
	checkLines(t, "sluice_runs", got, []string{
		fmt.Sprintf("1 socks %s ok rows=%d inserted=%d", big, lockRows, lockRows),
		fmt.Sprintf("2 socks %s skipped rows=0 inserted=0", big),
	})
	if len(runs) == 2 && runs[1].StartedAt.Before(runs[0].FinishedAt) {
		t.Errorf("C's run started at %s, before A's import ended at %s: the two overlapped",
			runs[1].StartedAt.Format(time.RFC3339Nano), runs[0].FinishedAt.Format(time.RFC3339Nano))
	}
	var rows, keys int
	if err := db.Bun.NewRaw("SELECT count(*), count(DISTINCT sku) FROM socks").Scan(ctx, &rows, &keys); err != nil {
		t.Fatalf("count socks: %v", err)
	}
	if rows != lockRows || keys != lockRows {
		t.Errorf("socks holds %d rows with %d distinct keys, want %d of each", rows, keys, lockRows)
	}
}
