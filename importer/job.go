package importer

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/sluice-dev/sluice/models"
)

// Result is the outcome of importing one file.
type Result struct {
	Job, Path string
	Status    string // models.StatusOK, StatusFailed, StatusInterrupted or StatusSkipped
	DryRun    bool
	Rows      int64         // data records read, rejected ones included
	Counts    models.Counts // Counts.Deleted: the rows a sync deleted or marked
	// Folded are the lines whose keys the table's collation folded
	// together (MySQL _ci keys); they are among Counts.Duplicates.
	Folded []models.Folded
	// Missing is what the job's sync does with rows gone from the file
	// (delete or mark); "" for a job not in mode: sync.
	Missing    models.Missing
	Rejected   int64
	RejectFile string
	Duration   time.Duration
	// Previous is the earlier successful run that made this one a skip.
	Previous *models.Run
	// Drift is how the file's header differed from the job's columns.
	Drift Drift
	Err   error
}

// importFile imports one file for job j and logs the outcome. A failed
// import is rolled back and then recorded as failed. The caller holds the
// job's lock.
func (im *Importer) importFile(ctx context.Context, j *Job, f File, opt Options) Result {
	start := im.cfg.Now()
	res := Result{Job: j.Name, Path: f.Name, DryRun: opt.DryRun}
	if j.sync != nil {
		res.Missing = j.sync.missing
	}
	run := &models.Run{Job: j.Name, Path: f.Name, Source: ledgerSource(j.source, f), StartedAt: start.UTC(), Forced: opt.Force}
	err := im.runPasses(ctx, j, f, opt, run, &res, im.startProgress(f))
	res.Duration = im.cfg.Now().Sub(start)
	log := im.log.With("job", j.Name, "file", f.Name)
	switch {
	case err != nil:
		if ctx.Err() == nil {
			// "unexpected EOF" says nothing to an operator: the server went away.
			err = models.Lost(im.db.Target, err)
		}
		res.Status, res.Err = models.StatusFailed, err
		if ctx.Err() != nil {
			res.Status = models.StatusInterrupted
		}
		run.Status, run.Error = res.Status, err.Error()
		run.FinishedAt = im.cfg.Now().UTC()
		fillRun(run, &res)
		if !opt.DryRun {
			im.recordFailed(ctx, run, log)
		}
		log.Error("import "+res.Status, "rows", res.Rows, "rejected", res.Rejected, "reject_file", res.RejectFile, "err", err)
	case res.Status == models.StatusSkipped && opt.QuietSkips:
		log.Debug("already imported", "sha256", run.SHA256, "run", res.Previous.ID)
	case res.Status == models.StatusSkipped:
		log.Info("already imported", "sha256", run.SHA256, "run", res.Previous.ID, "imported_at", res.Previous.FinishedAt)
	default:
		log.Info("imported", "rows", res.Rows, "inserted", res.Counts.Inserted, "updated", res.Counts.Updated,
			"unchanged", res.Counts.Unchanged, "deleted", res.Counts.Deleted, "rejected", res.Rejected, "duplicates", res.Counts.Duplicates,
			"reject_file", res.RejectFile, "duration", res.Duration.Round(time.Millisecond), "dry_run", opt.DryRun)
		im.noticeSlowDriver(res)
	}
	return res
}

// runPasses is an import's passes over the file: the checksum, then in
// one transaction the ledger's check, the key scan, the load and the
// record of the run.
func (im *Importer) runPasses(ctx context.Context, j *Job, f File, opt Options, run *models.Run, res *Result, rep *progressReport) error {
	if isRemote(j.source) {
		run.FileVersion = version(f)
		if skip, err := im.skipListed(ctx, j, f, opt, run, res); skip || err != nil {
			return err
		}
		rep.begin(PassDownload)
		sp, err := im.spool(ctx, j.source, f, rep)
		if err != nil {
			return err
		}
		defer sp.remove()
		j = j.withSource(sp)
	}
	rep.begin(PassChecksum)
	size, sum, err := checksum(ctx, rep.source(j.source), f)
	if err != nil {
		return err
	}
	run.Size, run.SHA256 = size, sum
	f.Size = size
	j, add, err := im.withNewColumns(ctx, j, f)
	if err != nil {
		return err
	}
	ds := j.Dataset(im.db.Dialect)
	sync, err := j.syncSpec(im.db.Dialect, ds, run.StartedAt)
	if err != nil {
		return err
	}
	load, err := models.Prepare(ctx, im.db, models.LoadSpec{Dataset: ds, Mode: j.Mode, DryRun: opt.DryRun, Sync: sync, AddColumns: add})
	if err != nil {
		return err
	}
	defer load.Abort()
	if skip, err := im.skipImported(ctx, j, load, opt, run, res); skip || err != nil {
		return err
	}
	if err := load.Start(ctx); err != nil {
		return err
	}
	im.noteAdded(j, f, load, res)
	// Said at the start too: a big file takes minutes, and an operator
	// watching the log should see which one is under way.
	im.log.Info("importing", "job", j.Name, "file", f.Name, "bytes", size, "dry_run", opt.DryRun)
	if err := im.load(ctx, j, f, sum, load, res, rep); err != nil {
		return err
	}
	res.Status, run.Status = models.StatusOK, models.StatusOK
	run.FinishedAt = im.cfg.Now().UTC()
	fillRun(run, res)
	if !opt.DryRun {
		if err := im.ledger.Record(ctx, load.Tx(), run); err != nil {
			return err
		}
	}
	if err := load.Commit(); err != nil {
		return fmt.Errorf("commit %s: %w", SafeName(f.Name), err)
	}
	return nil
}

// skipImported reports whether the ledger has a successful run of this
// file (by checksum), recording the skip. It asks under the job lock and
// inside the load's transaction (on SQLite also the write lock): a second
// importer that waited for the first sees its run and skips.
func (im *Importer) skipImported(ctx context.Context, j *Job, load *models.Load, opt Options, run *models.Run, res *Result) (bool, error) {
	prev, err := im.ledger.Imported(ctx, load.Tx(), j.Name, run.SHA256)
	if err != nil || prev == nil || opt.Force {
		return false, err
	}
	res.Status, res.Previous = models.StatusSkipped, prev
	run.Status = models.StatusSkipped
	run.FinishedAt = im.cfg.Now().UTC()
	if opt.DryRun || opt.QuietSkips {
		return true, nil
	}
	if err := im.ledger.Record(ctx, load.Tx(), run); err != nil {
		return true, err
	}
	return true, load.Commit()
}

// skipListed reports whether the ledger has a successful run of this
// remote file as the server lists it now (name, size and ETag or mtime),
// recording the skip: its body is then never downloaded. A file whose
// listing changed is downloaded, and may still be skipped by checksum.
// The job's lock keeps another importer from recording the same file
// meanwhile.
func (im *Importer) skipListed(ctx context.Context, j *Job, f File, opt Options, run *models.Run, res *Result) (bool, error) {
	if opt.Force || run.FileVersion == "" || f.Size < 0 {
		return false, nil
	}
	prev, err := im.ledger.ImportedAs(ctx, im.db.Bun, j.Name, f.Name, f.Size, run.FileVersion)
	if err != nil || prev == nil {
		return false, err
	}
	res.Status, res.Previous = models.StatusSkipped, prev
	run.Status, run.Size, run.SHA256 = models.StatusSkipped, prev.Size, prev.SHA256
	run.FinishedAt = im.cfg.Now().UTC()
	if opt.DryRun || opt.QuietSkips {
		return true, nil
	}
	return true, im.ledger.Record(ctx, im.db.Bun, run)
}

// recordFailed puts a failed run in the ledger. The data transaction is
// gone; the failure still belongs there. It uses a fresh context: a
// cancelled run is exactly the one an operator will look for.
func (im *Importer) recordFailed(ctx context.Context, run *models.Run, log *slog.Logger) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := im.ledger.Record(rctx, im.db.Bun, run); err != nil {
		log.Error("could not record failed run", "err", err)
	}
}

func fillRun(run *models.Run, res *Result) {
	run.Rows, run.Rejected, run.RejectFile = res.Rows, res.Rejected, res.RejectFile
	run.Inserted, run.Updated, run.Unchanged = res.Counts.Inserted, res.Counts.Updated, res.Counts.Unchanged
	run.Duplicates, run.Deleted = res.Counts.Duplicates, res.Counts.Deleted
}
