// Package importer is sluice's pipeline: it loads config.yaml, streams
// each CSV file from its job's Source, converts and checks its cells,
// stages the good rows, merges them into the table and records the run in
// the ledger.
package importer

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sluice-dev/sluice/models"
)

// Config is how an Importer works. The zero value of each field is its
// default.
type Config struct {
	// Log receives a line per file and the warnings; nil discards them.
	Log *slog.Logger
	// Progress, when set, is told how far each file has been read.
	Progress ProgressFunc
	// Now is the clock of the ledger's times and reject file names; nil
	// is time.Now. Tests inject one.
	Now func() time.Time
	// BatchRows is how many rows go to the database at a time (2000).
	BatchRows int
	// LockTimeout is how long a job waits for another process importing
	// it to finish (DefaultLockTimeout); NoWait tries once.
	LockTimeout time.Duration
}

// DefaultLockTimeout is how long a job waits for its lock unless told.
const DefaultLockTimeout = 30 * time.Second

// NoWait is a LockTimeout that tries the lock once.
const NoWait time.Duration = -1

const defaultBatchRows = 2000

// Importer runs jobs against one database.
type Importer struct {
	db     *models.DB
	ledger *models.Ledger
	cfg    Config
	log    *slog.Logger

	// maxSuspects bounds the keys held as possibly repeated before a
	// file is staged whole; tests lower it to reach that path.
	maxSuspects int
	slowNotice  sync.Once // see noticeSlowDriver
}

// ProgressFunc starts progress reporting for a file of size bytes, before
// its first pass, and returns the function to call as reading goes on. It
// may return nil to show nothing.
type ProgressFunc func(name string, size int64) func(Progress)

// Progress is how far the import of a file has come: each pass (see
// PassChecksum) reads the file from its start.
type Progress struct {
	Pass  string // PassDownload, PassChecksum, PassKeys or PassLoad
	Bytes int64  // raw bytes the pass has read (compressed bytes for gzip)
	Rows  int64  // records the load has read, rejected ones included
	Done  bool   // the load has read the whole file: the last call
}

// New returns an importer for db, creating or migrating the ledger table
// if needed.
func New(ctx context.Context, db *models.DB, cfg Config) (*Importer, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.BatchRows <= 0 {
		cfg.BatchRows = defaultBatchRows
	}
	if cfg.LockTimeout <= 0 {
		cfg.LockTimeout = DefaultLockTimeout
	}
	l := models.NewLedger(db)
	if err := l.Ensure(ctx); err != nil {
		return nil, err
	}
	return &Importer{db: db, ledger: l, cfg: cfg, log: cfg.Log, maxSuspects: defaultMaxSuspects}, nil
}

// Options change how files are imported.
type Options struct {
	// Force re-imports files the ledger says were already imported.
	Force bool
	// DryRun does everything, then rolls back and records nothing.
	DryRun bool
	// Settle leaves files modified less than this long ago for a later
	// run: they may still be being written (see source.settle).
	Settle time.Duration
	// Unsettled, when set, is told of each file Settle left out and when
	// it can have settled (its modification time + Settle): the daemon
	// re-checks the job then instead of waiting for the next tick, which
	// for a monthly schedule is next month.
	Unsettled func(f File, settlesAt time.Time)
	// QuietSkips neither records nor logs (above debug) files already
	// imported, nor warns of an empty source: the daemon meets both on
	// every tick.
	QuietSkips bool
}

// RunJob imports every file the job's Source lists, in name order,
// holding the job's lock throughout: two processes never interleave one
// job. A failed file does not stop the next ones: each file is its own
// transaction, and a later month is still worth loading; the caller sees
// every Result.
func (im *Importer) RunJob(ctx context.Context, j *Job, opt Options) ([]Result, error) {
	unlock, err := im.lockJob(ctx, j)
	if err != nil {
		return nil, err
	}
	defer unlock()
	files, err := j.source.List(ctx)
	if err != nil && isRemote(j.source) && ctx.Err() == nil {
		// A server that fails to list is a failed run, recorded where an
		// operator looks, like any file's failure.
		return []Result{im.listFailed(ctx, j, opt, err)}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", j.Name, err)
	}
	if len(files) == 0 {
		if !j.Source.AllowEmpty {
			return []Result{im.noFiles(ctx, j, opt)}, nil
		}
		level := slog.LevelInfo
		if opt.QuietSkips {
			level = slog.LevelDebug // the daemon's normal, with source.allow_empty
		}
		im.log.Log(ctx, level, "no files match source.path (source.allow_empty)", "job", j.Name, "path", j.source.String())
		return nil, nil
	}
	if opt.Settle > 0 {
		files = im.settled(j, files, opt)
	}
	var results []Result
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return results, err
		}
		results = append(results, im.importFile(ctx, j, f, opt))
	}
	return results, nil
}

// ImportFiles imports the given local files for job j, in the order given
// (see RunJob); they need not match its source.path.
func (im *Importer) ImportFiles(ctx context.Context, j *Job, paths []string, opt Options) ([]Result, error) {
	opt.Settle = 0 // files named explicitly are imported as they are
	return im.RunJob(ctx, j.WithFiles(paths), opt)
}

// settled drops the files modified within opt.Settle, logging each: a
// file still being copied in would otherwise be imported half-written (or
// fail its checksum check). Ages are read on the importer's clock, which
// is the real one outside tests; a test's fake clock dates its files.
func (im *Importer) settled(j *Job, files []File, opt Options) []File {
	out := files[:0:0]
	now := im.cfg.Now()
	for _, f := range files {
		if age := now.Sub(f.ModTime); !f.ModTime.IsZero() && age < opt.Settle {
			at := f.ModTime.Add(opt.Settle)
			im.log.Info("file still being written; checked again once settled", "job", j.Name, "file", f.Name,
				"modified_ago", age.Round(time.Millisecond), "settle", opt.Settle, "settles_at", at.Format(time.RFC3339Nano))
			if opt.Unsettled != nil {
				opt.Unsettled(f, at)
			}
			continue
		}
		out = append(out, f)
	}
	return out
}

// noFiles is the failed run of a job whose source lists no file: a typo
// in source.path or a folder that is gone would otherwise import nothing,
// silently, on every run. It is recorded like any failure.
func (im *Importer) noFiles(ctx context.Context, j *Job, opt Options) Result {
	err := &NoFilesError{Job: j.Name, Source: j.source.String(), Reason: emptyReason(j.source)}
	now := im.cfg.Now()
	res := Result{Job: j.Name, Path: j.source.String(), Status: models.StatusFailed, DryRun: opt.DryRun, Err: err}
	if !opt.DryRun {
		run := &models.Run{Job: j.Name, Path: res.Path, StartedAt: now.UTC(), FinishedAt: now.UTC(), Status: models.StatusFailed, Error: err.Error()}
		im.recordFailed(ctx, run, im.log)
	}
	im.log.Error("import failed", "job", j.Name, "err", err)
	return res
}

// listFailed is the failed run of a job whose remote source could not be
// listed.
func (im *Importer) listFailed(ctx context.Context, j *Job, opt Options, err error) Result {
	now := im.cfg.Now()
	res := Result{Job: j.Name, Path: j.source.String(), Status: models.StatusFailed, DryRun: opt.DryRun, Err: err}
	if !opt.DryRun {
		run := &models.Run{Job: j.Name, Path: res.Path, Source: ledgerSource(j.source, File{}), StartedAt: now.UTC(), FinishedAt: now.UTC(), Status: models.StatusFailed, Error: err.Error()}
		im.recordFailed(ctx, run, im.log)
	}
	im.log.Error("import failed", "job", j.Name, "err", err)
	return res
}

// NoFilesError is a source that lists no file.
type NoFilesError struct {
	Job, Source string
	Reason      string // why, when known: "the folder … does not exist"
}

func (e *NoFilesError) Error() string {
	why := ""
	if e.Reason != "" {
		why = " (" + e.Reason + ")"
	}
	return fmt.Sprintf("no file matches source.path %s%s; fix source.path, or set source.allow_empty: true if files are moved away once imported", e.Source, why)
}

// RecordFailure puts a run of job j that failed before any file was
// reached (a panic, say) in the ledger, where an operator looks for
// failed runs.
func (im *Importer) RecordFailure(ctx context.Context, j *Job, err error) error {
	now := im.cfg.Now().UTC()
	run := &models.Run{Job: j.Name, Path: j.source.String(), StartedAt: now, FinishedAt: now, Status: models.StatusFailed, Error: err.Error()}
	return im.ledger.Record(ctx, im.db.Bun, run)
}
