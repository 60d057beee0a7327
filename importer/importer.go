// Package importer is sluice's pipeline: it loads config.yaml, streams
// each CSV file, converts and checks its cells, stages the good rows,
// merges them into the table and records the run in the ledger.
package importer

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/sluice-dev/sluice/models"
)

// Importer runs jobs against one database.
type Importer struct {
	DB     *models.DB
	Ledger *models.Ledger
	Log    *slog.Logger
	// Progress, when set, is told how far each file has been read.
	Progress ProgressFunc
	// Now is the clock; tests may replace it.
	Now func() time.Time
	// BatchRows is how many rows go to the database at a time.
	BatchRows int
	// LockTimeout is how long a job waits for another process importing
	// it to finish.
	LockTimeout time.Duration

	// maxSuspects bounds the keys held as possibly repeated before a
	// file is staged whole; tests lower it to reach that path.
	maxSuspects int
}

// ProgressFunc starts progress reporting for a file of size bytes and
// returns the function to call as reading goes on. It may return nil to
// show nothing.
type ProgressFunc func(path string, size int64) func(Progress)

// Progress is how far the import of a file has come.
type Progress struct {
	Bytes int64 // raw bytes read (compressed bytes for gzip)
	Rows  int64 // records read, rejected ones included
	Done  bool  // the last call
}

// New returns an importer for db, creating the ledger table if needed.
func New(ctx context.Context, db *models.DB, log *slog.Logger) (*Importer, error) {
	l := models.NewLedger(db)
	if err := l.Ensure(ctx); err != nil {
		return nil, err
	}
	return &Importer{DB: db, Ledger: l, Log: log, Now: time.Now, BatchRows: 2000, LockTimeout: DefaultLockTimeout, maxSuspects: defaultMaxSuspects}, nil
}

// DefaultLockTimeout is how long a job waits for its lock unless told.
const DefaultLockTimeout = 30 * time.Second

// Options change how files are imported.
type Options struct {
	// Force re-imports files the ledger says were already imported.
	Force bool
	// DryRun does everything, then rolls back and records nothing.
	DryRun bool
	// Settle leaves files modified less than this long ago for a later
	// run: they may still be being written (see source.settle). RunJob
	// applies it; files named explicitly are imported as they are.
	Settle time.Duration
	// QuietSkips neither records nor logs (above debug) files already
	// imported, nor warns of an empty source folder: the daemon meets both
	// on every tick.
	QuietSkips bool
}

// Files returns the job's source files in name order.
func (j *Job) Files() ([]string, error) {
	files, err := filepath.Glob(j.Source.Path)
	if err != nil {
		return nil, fmt.Errorf("job %s: source.path %q: %w", j.Name, j.Source.Path, err)
	}
	slices.Sort(files)
	return files, nil
}

// RunJob imports every file of the job in name order (see ImportFiles).
func (im *Importer) RunJob(ctx context.Context, j *Job, opt Options) ([]Result, error) {
	files, err := j.Files()
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		level := slog.LevelWarn
		if opt.QuietSkips {
			level = slog.LevelDebug // an empty folder between dumps is the daemon's normal
		}
		im.Log.Log(ctx, level, "no files match source.path", "job", j.Name, "path", j.Source.Path)
		return nil, nil
	}
	if opt.Settle > 0 {
		files = im.settled(j, files, opt.Settle)
	}
	return im.ImportFiles(ctx, j, files, opt)
}

// settled drops the files modified within settle, logging each: a file
// still being copied in would otherwise be imported half-written (or fail
// its checksum check). Real time, not im.Now: mtimes are real.
func (im *Importer) settled(j *Job, files []string, settle time.Duration) []string {
	out := files[:0:0]
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			out = append(out, f) // the import reports it, naming the file
			continue
		}
		if age := time.Since(st.ModTime()); age < settle {
			im.Log.Info("file still being written, left for the next run", "job", j.Name, "file", f,
				"modified_ago", age.Round(time.Millisecond), "settle", settle)
			continue
		}
		out = append(out, f)
	}
	return out
}

// ImportFiles imports files for job j in order, holding the job's lock
// throughout: two processes never interleave one job. A failed file does
// not stop the next ones: each file is its own transaction, and a later
// month is still worth loading; the caller sees every Result.
func (im *Importer) ImportFiles(ctx context.Context, j *Job, files []string, opt Options) ([]Result, error) {
	unlock, err := im.lockJob(ctx, j)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var results []Result
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return results, err
		}
		results = append(results, im.ImportFile(ctx, j, f, opt))
	}
	return results, nil
}
