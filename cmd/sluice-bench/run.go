package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// step is one timed child process in one run, and its outcome.
type step struct {
	name    string
	rows    int
	elapsed time.Duration
	rssKiB  int64
	err     error
	ref     *step  // the reference this step is compared with, if any
	note    string // shown instead of a ratio when ref is nil
}

// bench runs the benchmark -runs times. Each run is the whole sequence, on
// fresh databases: sluice base and next, then the reference base, raw and
// next. Interleaving the runs spreads slow phases of the machine over every
// step instead of one.
type bench struct {
	cfg   config
	log   *slog.Logger
	srv   server    // nil for SQLite
	names stepNames // of the reference steps
	dbTag string    // server databases' names: see dbName

	settleFailed bool // settleSQL failed once; not tried again

	// Decided once, before or in the first run, and kept for the others.
	bin, schemaDDL string
	binErr         error
	binDone        bool
	schema         string // where the reference schema came from, for the report

	run  int       // current run, from 1
	runs [][]*step // steps of each finished run, in report order

	// The current run's steps, in report order: base month first, then
	// next month.
	sluiceBase, refBase, refRaw, sluiceNext, refNext *step
	altBase, altNext                                 *step // -alt's, or nil
	steps                                            []*step
	// With -sync: gone.csv's rows, and its upsert and sync steps.
	goneRows      int
	gone, altGone syncSteps
	// With -sync: the reference CLI's upsert and sync of gone.csv.
	refUpsertGone, refSyncGone *step
	// On a server, the summary of sluice's table after each month of the
	// current run, for the reference to match; nil if that step failed.
	sluiceSums [2][]string
}

// newBench prepares the runs on srv, or on SQLite files when srv is nil.
func newBench(cfg config, log *slog.Logger, srv server) *bench {
	b := &bench{cfg: cfg, log: log, srv: srv, names: sqliteNames}
	if srv != nil {
		b.names, b.dbTag = srv.names(), newDBTag()
	}
	return b
}

// measure performs every run. Failures are recorded on the steps, not
// returned; once ctx is done, the remaining runs fail without starting.
func (b *bench) measure(ctx context.Context) {
	for r := 1; r <= b.cfg.runs; r++ {
		b.startRun(r)
		if err := ctx.Err(); err != nil {
			for _, s := range b.steps {
				s.err = err
			}
		} else {
			b.log.Info("run", "run", r, "of", b.cfg.runs)
			if b.srv != nil {
				b.serverSluiceSteps(ctx)
				b.serverReferenceSteps(ctx)
			} else {
				b.sluiceSteps(ctx)
				b.referenceSteps(ctx)
			}
		}
		b.runs = append(b.runs, b.steps)
	}
}

// startRun makes fresh steps for run r.
func (b *bench) startRun(r int) {
	o := b.cfg.opts
	b.run = r
	b.sluiceSums = [2][]string{}
	b.refBase = &step{name: b.names.base, rows: o.RowsIn(0), note: "reference"}
	b.refRaw = &step{name: b.names.raw, rows: o.RowsIn(0), note: "lower bound"}
	b.refNext = &step{name: b.names.next, rows: o.RowsIn(1), note: "reference"}
	b.sluiceBase = &step{name: "sluice import base.csv", rows: o.RowsIn(0), ref: b.refBase}
	b.sluiceNext = &step{name: "sluice import next.csv", rows: o.RowsIn(1), ref: b.refNext}
	b.steps = []*step{b.sluiceBase, b.refBase, b.refRaw, b.sluiceNext, b.refNext}
	if b.cfg.alt != "" {
		b.altBase = &step{name: "sluice (" + b.cfg.altName + ") import base.csv", rows: o.RowsIn(0), ref: b.refBase}
		b.altNext = &step{name: "sluice (" + b.cfg.altName + ") import next.csv", rows: o.RowsIn(1), ref: b.refNext}
		b.steps = []*step{b.sluiceBase, b.altBase, b.refBase, b.refRaw, b.sluiceNext, b.altNext, b.refNext}
	}
	b.syncStepsOfRun()
}

func (b *bench) path(name string) string { return filepath.Join(b.cfg.out, name) }

// sluiceSteps imports base.csv into a fresh database and then next.csv on
// top of it. Failures are recorded on the steps, not returned.
func (b *bench) sluiceSteps(ctx context.Context) {
	if !b.haveBinary(ctx) {
		return
	}
	b.sqliteImports(ctx, b.bin, "sluice-", b.sluiceBase, b.sluiceNext, b.gone)
	if b.altBase != nil {
		b.sqliteImports(ctx, b.cfg.alt, "sluice-alt-", b.altBase, b.altNext, b.altGone)
	}
}

// sqliteImports imports both months with bin into a fresh SQLite file,
// then with -sync gone.csv twice.
func (b *bench) sqliteImports(ctx context.Context, bin, logPrefix string, base, next *step, gone syncSteps) {
	if err := removeDB(b.path(sluiceDB)); err != nil {
		base.err = err
	} else if err := b.removeRejects(); err != nil {
		base.err = err
	}
	b.sluiceImports(ctx, bin, logPrefix, base, next, nil, func(s *step, _ int) error {
		return b.checkCount(ctx, b.path(sluiceDB), "socks", s.rows)
	})
	b.sluiceSyncSteps(ctx, bin, logPrefix, next, gone, nil, func(want int) error { return b.checkCount(ctx, b.path(sluiceDB), "socks", want) })
}

// haveBinary builds or finds sluice in the first run; without one, the
// sluice steps fail.
func (b *bench) haveBinary(ctx context.Context) bool {
	if !b.binDone {
		b.bin, b.binErr = b.sluiceBinary(ctx)
		b.binDone = true
	}
	if b.binErr != nil {
		b.sluiceBase.err = b.binErr
		b.sluiceNext.err = errors.New("skipped: no sluice binary")
		return false
	}
	return true
}

func (b *bench) removeRejects() error { return os.RemoveAll(b.path(rejectsDir)) }

// sluiceImports imports base.csv and then next.csv with bin, env added
// to the environment, unless their steps failed already; its logs are
// named logPrefix and the month. check verifies the table after each
// month (0 base, 1 next).
func (b *bench) sluiceImports(ctx context.Context, bin, log string, base, next *step, env []string, check func(s *step, month int) error) {
	for month, s := range []struct {
		step *step
		file string
	}{{base, baseCSV}, {next, nextCSV}} {
		if s.step.err == nil {
			b.timeStep(ctx, s.step, log+strings.TrimSuffix(s.file, ".csv"), nil, env,
				bin, "import", "--config", b.path(benchConfig), "--job", "socks", b.path(s.file))
		}
		if s.step.err == nil {
			s.step.err = check(s.step, month)
		}
		if s.step.err != nil && s.step == base {
			next.err = errors.New("skipped: base import failed")
		}
	}
}

// sluiceBinary returns -sluice, or builds ./cmd/sluice of the module that
// contains the working directory into -out.
func (b *bench) sluiceBinary(ctx context.Context) (string, error) {
	if b.cfg.sluice != "" {
		return b.cfg.sluice, nil
	}
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the sluice module: run from the repository or pass -sluice")
	}
	bin := b.path("sluice")
	args := []string{"build", "-o", bin}
	if b.cfg.tags != "" {
		args = append(args, "-tags", b.cfg.tags)
	}
	args = append(args, "./cmd/sluice")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = filepath.Dir(gomod)
	b.log.Info("building sluice", "dir", cmd.Dir, "args", strings.Join(args, " "))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go %s: %w: %s", strings.Join(args, " "), err, lastLines(out, 5))
	}
	return bin, nil
}

// timeStep runs one child process, with env added to its environment,
// recording wall time and peak RSS on s. Its output goes to
// OUT/logs/logName.log, or logName-runN.log when there are several runs; the
// error quotes its last lines. On a server, the server settles first.
func (b *bench) timeStep(ctx context.Context, s *step, logName string, stdin io.Reader, env []string, name string, args ...string) {
	if err := ctx.Err(); err != nil {
		s.err = err
		return
	}
	if b.cfg.runs > 1 {
		logName = fmt.Sprintf("%s-run%d", logName, b.run)
	}
	logDir := b.path("logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		s.err = err
		return
	}
	logPath := filepath.Join(logDir, logName+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		s.err = err
		return
	}
	defer logFile.Close()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, logFile, logFile
	cmd.Env = append(childEnv(), env...)
	if b.srv != nil {
		b.settle(ctx)
	}
	b.log.Info("running", "step", s.name, "rows", s.rows, "run", b.run)
	start := time.Now()
	err = cmd.Run()
	s.elapsed = time.Since(start)
	if cmd.ProcessState != nil {
		s.rssKiB = peakRSSKiB(cmd.ProcessState)
	}
	if err != nil {
		out, _ := os.ReadFile(logPath)
		s.err = fmt.Errorf("%s %s: %w: %s", filepath.Base(name), strings.Join(args, " "), err, lastLines(out, 5))
		return
	}
	b.log.Info("done", "step", s.name, "run", b.run, "duration", s.elapsed.Round(time.Millisecond), "peak_rss_kib", s.rssKiB)
}

// checkCount guards against a fast step that imported nothing.
func (b *bench) checkCount(ctx context.Context, db, table string, want int) error {
	out, err := sqliteQuery(ctx, b.cfg.sqlite3, db, "SELECT count(*) FROM "+quoteIdent(table))
	if err != nil {
		return fmt.Errorf("count rows: %w", err)
	}
	got, err := strconv.Atoi(out)
	if err != nil {
		return fmt.Errorf("count rows in %s: %q: %w", db, out, err)
	}
	if got != want {
		return fmt.Errorf("%s has %d rows in %s, want %d", db, got, table, want)
	}
	return nil
}

// sqliteQuery runs one SQL statement with the sqlite3 CLI and returns its
// trimmed output.
func sqliteQuery(ctx context.Context, sqlite3, db, sql string) (string, error) {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, sqlite3, "-bail", db, sql)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("sqlite3 %s %q: %w: %s", db, sql, err, lastLines(stderr.Bytes(), 3))
	}
	return strings.TrimSpace(string(out)), nil
}

// childEnv is the environment without DATABASE_URL, which would otherwise
// override the benchmark's database URL and point sluice elsewhere.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DATABASE_URL=") {
			env = append(env, kv)
		}
	}
	return env
}

// removeDB deletes an SQLite database and its journal files.
func removeDB(path string) error {
	for _, suffix := range []string{"", "-journal", "-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}

func lastLines(out []byte, n int) string {
	text := strings.TrimSpace(string(out))
	if text == "" {
		return "(no output)"
	}
	lines := strings.Split(text, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " / ")
}
