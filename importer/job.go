package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/uptrace/bun"

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

// ImportFile imports one file for job j: checksum and ledger check, then
// one transaction that stages the good rows, merges them and records the
// run. A failed import is rolled back and then recorded as failed.
func (im *Importer) ImportFile(ctx context.Context, j *Job, path string, opt Options) Result {
	start := im.Now()
	res := Result{Job: j.Name, Path: path, DryRun: opt.DryRun}
	run := &models.Run{Job: j.Name, Path: path, StartedAt: start.UTC(), Forced: opt.Force}
	err := im.importFile(ctx, j, path, opt, run, &res)
	res.Duration = im.Now().Sub(start)
	run.FinishedAt = im.Now().UTC()
	log := im.Log.With("job", j.Name, "file", path)
	switch {
	case err != nil:
		res.Status, res.Err = models.StatusFailed, err
		run.Status, run.Error = models.StatusFailed, err.Error()
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
		log.Error("import failed", "rows", res.Rows, "rejected", res.Rejected, "reject_file", res.RejectFile, "err", err)
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
	prev, err := im.Ledger.Imported(ctx, im.DB.Bun, j.Name, sum)
	if err != nil {
		return err
	}
	if prev != nil && !opt.Force {
		res.Status, res.Previous = models.StatusSkipped, prev
		run.Status = models.StatusSkipped
		run.FinishedAt = im.Now().UTC()
		if opt.DryRun {
			return nil
		}
		return im.Ledger.Record(ctx, im.DB.Bun, run)
	}

	ds := j.Dataset(im.DB.Dialect)
	tx, err := im.DB.Bun.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction on %s: %w", im.DB.Target, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if _, err := ds.Ensure(ctx, tx, im.DB.Dialect); err != nil {
		return err
	}
	if err := im.load(ctx, j, path, ds, tx, sum, res); err != nil {
		return err
	}
	res.Status = models.StatusOK
	run.Status = models.StatusOK
	run.FinishedAt = im.Now().UTC()
	fillRun(run, res)
	if opt.DryRun {
		return tx.Rollback()
	}
	if err := im.Ledger.Record(ctx, tx, run); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit %s: %w", path, err)
	}
	return nil
}

// load streams the file into the stage and merges it. The reading and
// converting goroutine runs ahead of the database writer through a
// bounded channel, so parsing overlaps with writing and memory stays flat.
func (im *Importer) load(ctx context.Context, j *Job, path string, ds *models.Dataset, tx bun.Tx, sum string, res *Result) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
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
	p, err := j.newPlan(path, rd.Header())
	if err != nil {
		return err
	}
	if len(p.extra) > 0 {
		im.Log.Warn("ignoring CSV columns no column reads", "job", j.Name, "file", path, "columns", p.extra)
	}
	load, err := models.NewLoad(ctx, im.DB, tx, ds, j.Mode == ModeUpsert)
	if err != nil {
		return err
	}
	rejects := newRejectFile(j.Rejects.Dir, j.Name, path, rd.Header(), im.Now())
	defer func() {
		if cerr := rejects.Close(); cerr != nil {
			im.Log.Error("close reject file", "err", cerr)
		}
		res.RejectFile = rejects.Path()
	}()

	var progress func(int64, bool)
	if im.Progress != nil {
		progress = im.Progress(path, st.Size())
	}
	batches := make(chan []models.Row, 4)
	prodCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	prodErr := make(chan error, 1)
	go func() {
		defer close(batches)
		prodErr <- im.produce(prodCtx, j, p, ds, rd, rejects, batches, res, progress)
	}()
	var writeErr error
	var written int64
	for b := range batches {
		if writeErr != nil {
			continue // drain so the producer can finish
		}
		if writeErr = load.Write(ctx, b); writeErr != nil {
			cancel()
		}
		written += int64(len(b))
	}
	if err := <-prodErr; err != nil {
		return err
	}
	if writeErr != nil {
		return writeErr
	}
	if progress != nil {
		progress(rd.BytesRead(), true)
	}
	if _, err := io.Copy(hash, f); err != nil { // bytes after the last record
		return fmt.Errorf("read %s: %w", path, err)
	}
	if got := hex.EncodeToString(hash.Sum(nil)); got != sum {
		return fmt.Errorf("%s changed while it was being imported (sha256 %s before, %s after); try again when it is complete", path, sum[:12], got[:12])
	}
	if j.rejectLimit.exceeded(res.Rejected, res.Rows) {
		return fmt.Errorf("%s: %d of %d rows rejected, more than rejects.max %s allows; nothing was imported (see %s)",
			path, res.Rejected, res.Rows, j.rejectLimit, rejects.Path())
	}
	res.Counts, err = load.Finish(ctx, written)
	return err
}

// produce reads, converts and batches rows; rejects go to the reject file.
// It stops early once a count limit on rejects is broken, since the file
// will fail anyway.
func (im *Importer) produce(ctx context.Context, j *Job, p *plan, ds *models.Dataset, rd *Reader, rejects *rejectFile,
	out chan<- []models.Row, res *Result, progress func(int64, bool)) error {
	width := len(j.Columns)
	batch := im.BatchRows
	// One backing array per batch: rows of a sent batch are never touched
	// again, so the writer may hold them while the next fills.
	newBatch := func() ([]models.Row, []any) {
		return make([]models.Row, 0, batch), make([]any, batch*width)
	}
	rows, vals := newBatch()
	for {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		res.Rows++
		rowErr := rec.Err
		var values []any
		if rowErr == nil {
			values = vals[len(rows)*width : (len(rows)+1)*width : (len(rows)+1)*width]
			rowErr = p.convert(rec, values)
		}
		if rowErr != nil {
			res.Rejected++
			if err := rejects.Add(rowErr, rec.Fields); err != nil {
				return err
			}
			if !j.rejectLimit.isPct && j.rejectLimit.exceeded(res.Rejected, res.Rows) {
				return fmt.Errorf("%s: more than rejects.max %s rows rejected (stopped at line %d); nothing was imported (see %s)",
					rd.path, j.rejectLimit, rec.Line, rejects.Path())
			}
			continue
		}
		for i, v := range values {
			values[i] = im.DB.Dialect.Encode(ds.Columns[i], v)
		}
		rows = append(rows, models.Row{Line: int64(rec.Line), Values: values})
		if len(rows) == batch {
			select {
			case out <- rows:
			case <-ctx.Done():
				return ctx.Err()
			}
			if progress != nil {
				progress(rd.BytesRead(), false)
			}
			rows, vals = newBatch()
		}
	}
	if len(rows) > 0 {
		select {
		case out <- rows:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// checksum returns the file's size and SHA-256, the ledger's identity of a
// file: a renamed dump is still the same dump.
func checksum(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", fmt.Errorf("read %s: %w", path, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}
