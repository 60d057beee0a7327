package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/sluice-dev/sluice/models"
)

// Result is the outcome of importing one file.
type Result struct {
	Job, Path  string
	Status     string // models.StatusOK, StatusFailed or StatusSkipped
	DryRun     bool
	Rows       int64 // data records read, rejected ones included
	Counts     models.Counts
	Rejected   int64
	RejectFile string
	Duration   time.Duration
	// Previous is the earlier successful run that made this one a skip.
	Previous *models.Run
	Err      error
}

// ImportFile imports one file for job j: checksum, then one transaction
// that checks the ledger, loads the good rows and records the run. A
// failed import is rolled back and then recorded as failed. The caller
// holds the job's lock (ImportFiles takes it).
func (im *Importer) ImportFile(ctx context.Context, j *Job, path string, opt Options) Result {
	start := im.Now()
	// The ledger and the logs name files absolutely: a timer and a person
	// start from different folders.
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	res := Result{Job: j.Name, Path: path, DryRun: opt.DryRun}
	run := &models.Run{Job: j.Name, Path: path, StartedAt: start.UTC(), Forced: opt.Force}
	err := im.importFile(ctx, j, path, opt, run, &res)
	res.Duration = im.Now().Sub(start)
	run.FinishedAt = im.Now().UTC()
	log := im.Log.With("job", j.Name, "file", path)
	switch {
	case err != nil:
		res.Status, res.Err = models.StatusFailed, err
		if ctx.Err() != nil {
			res.Status = models.StatusInterrupted
		}
		run.Status, run.Error = res.Status, err.Error()
		fillRun(run, &res)
		if !opt.DryRun {
			// The data transaction is gone; the failure still belongs in
			// the ledger. Use a fresh context: a cancelled run is
			// exactly the one an operator will look for.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			if lerr := im.Ledger.Record(rctx, im.DB.Bun, run); lerr != nil {
				log.Error("could not record failed run", "err", lerr)
			}
			cancel()
		}
		log.Error("import "+res.Status, "rows", res.Rows, "rejected", res.Rejected, "reject_file", res.RejectFile, "err", err)
	case res.Status == models.StatusSkipped && opt.QuietSkips:
		log.Debug("already imported", "sha256", run.SHA256, "run", res.Previous.ID)
	case res.Status == models.StatusSkipped:
		log.Info("already imported", "sha256", run.SHA256, "run", res.Previous.ID, "imported_at", res.Previous.FinishedAt)
	default:
		log.Info("imported", "rows", res.Rows, "inserted", res.Counts.Inserted, "updated", res.Counts.Updated,
			"unchanged", res.Counts.Unchanged, "rejected", res.Rejected, "duplicates", res.Counts.Duplicates,
			"reject_file", res.RejectFile, "duration", res.Duration.Round(time.Millisecond), "dry_run", opt.DryRun)
	}
	return res
}

func fillRun(run *models.Run, res *Result) {
	run.Rows, run.Rejected, run.RejectFile = res.Rows, res.Rejected, res.RejectFile
	run.Inserted, run.Updated, run.Unchanged = res.Counts.Inserted, res.Counts.Updated, res.Counts.Unchanged
}

func (im *Importer) importFile(ctx context.Context, j *Job, path string, opt Options, run *models.Run, res *Result) error {
	size, sum, err := checksum(path)
	if err != nil {
		return err
	}
	run.Size, run.SHA256 = size, sum

	ds := j.Dataset(im.DB.Dialect)
	load, err := models.Prepare(ctx, im.DB, models.LoadSpec{Dataset: ds, Mode: j.Mode, DryRun: opt.DryRun})
	if err != nil {
		return err
	}
	defer load.Abort()
	// Asked under the job lock (ImportFiles) and inside the transaction
	// (on SQLite also the write lock): a second importer that waited for
	// the first sees its run and skips.
	prev, err := im.Ledger.Imported(ctx, load.Tx(), j.Name, sum)
	if err != nil {
		return err
	}
	if prev != nil && !opt.Force {
		res.Status, res.Previous = models.StatusSkipped, prev
		run.Status = models.StatusSkipped
		run.FinishedAt = im.Now().UTC()
		if opt.DryRun || opt.QuietSkips {
			return nil
		}
		if err := im.Ledger.Record(ctx, load.Tx(), run); err != nil {
			return err
		}
		return load.Commit()
	}
	if err := load.Start(ctx); err != nil {
		return err
	}
	// Said at the start too: a big file takes minutes, and an operator
	// watching the log should see which one is under way.
	im.Log.Info("importing", "job", j.Name, "file", path, "bytes", size, "dry_run", opt.DryRun)
	if err := im.load(ctx, j, path, ds, load, sum, res); err != nil {
		return err
	}
	res.Status = models.StatusOK
	run.Status = models.StatusOK
	run.FinishedAt = im.Now().UTC()
	fillRun(run, res)
	if !opt.DryRun {
		if err := im.Ledger.Record(ctx, load.Tx(), run); err != nil {
			return err
		}
	}
	if err := load.Commit(); err != nil {
		return fmt.Errorf("commit %s: %w", path, err)
	}
	return nil
}

// load streams the file into the table (see models.Load). The reading and
// converting goroutine runs ahead of the database writer through a
// bounded channel, so parsing overlaps with writing and memory stays flat.
func (im *Importer) load(ctx context.Context, j *Job, path string, ds *models.Dataset, load *models.Load, sum string, res *Result) error {
	f, err := os.Open(path)
	if err != nil {
		return err // a *PathError: it names the file
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat %s: %w", path, err)
	}
	hash := sha256.New()
	rd, err := NewReader(io.TeeReader(f, hash), path, j.source)
	if err != nil {
		return err
	}
	p, err := j.newPlan(path, rd.Header(), ds, im.DB.Dialect)
	if err != nil {
		return err
	}
	if len(p.extra) > 0 {
		im.Log.Warn("ignoring CSV columns no column reads", "job", j.Name, "file", path, "columns", p.extra)
	}
	var keys *keyFilter
	if load.NeedsKeyScan() {
		scanStart := time.Now()
		if keys, err = j.scanKeys(path, p, im.maxSuspects); err != nil {
			return err
		}
		im.Log.Debug("keys scanned", "job", j.Name, "file", path, "suspects", len(keys.suspects),
			"stage_all", keys.overflow, "duration", time.Since(scanStart).Round(time.Millisecond))
	}
	rejects := newRejectFile(j.Rejects.Dir, j.Name, path, rd.Header(), im.Now())
	defer func() {
		if cerr := rejects.Close(); cerr != nil {
			im.Log.Error("close reject file", "err", cerr)
		}
		res.RejectFile = rejects.Path()
	}()

	var progress func(Progress)
	if im.Progress != nil {
		progress = im.Progress(path, st.Size())
	}
	batches := make(chan *batch, 4)
	// Written batches come back for reuse: at a million rows, allocating
	// each anew was a third of all allocation and so of the collector's work.
	free := make(chan *batch, cap(batches)+2)
	prodCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	prodErr := make(chan error, 1)
	pr := &producer{im: im, j: j, p: p, ds: ds, rd: rd, rejects: rejects, keys: keys, out: batches, free: free, res: res, progress: progress}
	go func() {
		defer close(batches)
		prodErr <- pr.run(prodCtx)
	}()
	var writeErr error
	loadStart := time.Now()
	for b := range batches {
		if writeErr != nil {
			continue // drain so the producer can finish
		}
		if b.staged {
			writeErr = load.WriteStaged(ctx, b.rows)
		} else {
			writeErr = load.Write(ctx, b.rows)
		}
		if writeErr != nil {
			cancel()
		}
		select {
		case free <- b:
		default:
		}
	}
	// The writer's error first: the producer then only saw the cancel.
	if err := <-prodErr; writeErr == nil && err != nil {
		return err
	}
	if writeErr != nil {
		return writeErr
	}
	if progress != nil {
		progress(Progress{Bytes: rd.BytesRead(), Rows: res.Rows, Done: true})
	}
	if _, err := io.Copy(hash, f); err != nil { // bytes after the last record
		return err // a *PathError: it names the file
	}
	if got := hex.EncodeToString(hash.Sum(nil)); got != sum {
		return fmt.Errorf("%s changed while it was being imported (sha256 %s before, %s after); try again when it is complete", path, sum[:12], got[:12])
	}
	if j.rejectLimit.exceeded(res.Rejected, res.Rows) {
		return fmt.Errorf("%s: %d of %d rows rejected, more than rejects.max %s allows; nothing was imported (see %s)",
			path, res.Rejected, res.Rows, j.rejectLimit, rejects.Path())
	}
	im.Log.Debug("rows written", "job", j.Name, "file", path, "duration", time.Since(loadStart).Round(time.Millisecond))
	mergeStart := time.Now()
	res.Counts, err = load.Finish(ctx)
	im.Log.Debug("merged", "job", j.Name, "file", path, "duration", time.Since(mergeStart).Round(time.Millisecond))
	return err
}

// checksum returns the file's size and SHA-256, the ledger's identity of a
// file: a renamed dump is still the same dump.
func checksum(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err // a *PathError: it names the file
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", err // a *PathError: it names the file
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}
