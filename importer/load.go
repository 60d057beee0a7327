package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-dev/sluice/models"
)

// fileLoad is one file's load pass: its reader, its plan, and what comes
// of it.
type fileLoad struct {
	im      *Importer
	j       *Job
	f       File
	r       io.ReadCloser
	hash    hash.Hash // of every byte r gave, to compare with the checksum pass
	rd      *Reader
	p       *plan
	load    *models.Load
	rejects *rejectFile
	res     *Result
	rep     *progressReport
}

// load streams the file into the table (see models.Load): it reads the
// header, scans the keys if the load needs it, writes the rows, then
// checks that the file did not change and the rejects are within bounds,
// and merges.
func (im *Importer) load(ctx context.Context, j *Job, f File, sum string, load *models.Load, res *Result, rep *progressReport) error {
	fl, err := im.openLoad(ctx, j, f, load, res)
	if err != nil {
		return err
	}
	defer fl.r.Close()
	fl.rep = rep
	var keys *keyFilter
	if load.NeedsKeyScan() {
		if keys, err = fl.scanKeys(ctx); err != nil {
			return err
		}
	}
	fl.rejects = newRejectFile(j.Rejects.Dir, j.Name, f.Name, fl.rd.Header(), im.cfg.Now())
	defer func() {
		if cerr := fl.rejects.Close(); cerr != nil {
			im.log.Error("close reject file", "err", cerr)
		}
		res.RejectFile = fl.rejects.Path()
	}()
	loadStart := time.Now()
	if err := fl.write(ctx, keys); err != nil {
		return err
	}
	im.log.Debug("rows written", "job", j.Name, "file", f.Name, "duration", time.Since(loadStart).Round(time.Millisecond))
	if err := fl.check(sum); err != nil {
		return err
	}
	if err := fl.checkSyncEmpty(); err != nil {
		return err
	}
	mergeStart := time.Now()
	res.Counts, err = load.Finish(ctx)
	im.log.Debug("merged", "job", j.Name, "file", f.Name, "duration", time.Since(mergeStart).Round(time.Millisecond))
	if err != nil {
		return err
	}
	res.Folded = load.Folded()
	im.warnFolded(j, f, res.Folded)
	if err := fl.checkSyncMissing(); err != nil {
		res.Counts = models.Counts{} // rolled back: none of it happened
		return err
	}
	return nil
}

// maxFoldWarnings is how many groups of folded keys the log names one by
// one; a table whose collation folds thousands of the file's keys gets
// their count after that.
const maxFoldWarnings = 20

// warnFolded names the lines whose keys differ in the file but are one
// key to the table (its key column's collation ignores case, accents or
// trailing spaces): only the last of them landed.
func (im *Importer) warnFolded(j *Job, f File, folds []models.Folded) {
	for i, g := range folds {
		if i == maxFoldWarnings {
			im.log.Warn("more keys folded together by the table's collation", "job", j.Name, "file", f.Name, "groups", len(folds)-i)
			return
		}
		keys := make([]string, len(g.Keys))
		for k, key := range g.Keys {
			keys[k] = strconv.Quote(strings.Join(key, ","))
		}
		im.log.Warn("keys that differ in the file are one key to the table: its collation folds them; the last line landed, the others count as duplicates",
			"job", j.Name, "file", f.Name, "lines", g.Lines, "keys", keys, "collation", g.Collation, "kept", g.Lines[len(g.Lines)-1])
	}
}

// openLoad opens the file for the load, reads its header and matches it
// to the declared columns.
func (im *Importer) openLoad(ctx context.Context, j *Job, f File, load *models.Load, res *Result) (*fileLoad, error) {
	r, err := j.source.Open(ctx, f)
	if err != nil {
		return nil, err
	}
	fl := &fileLoad{im: im, j: j, f: f, r: r, hash: sha256.New(), load: load, res: res}
	if fl.rd, err = NewReader(io.TeeReader(r, fl.hash), f.Name, j.format); err == nil {
		fl.p, err = j.newPlan(f.Name, fl.rd.Header(), im.db.Dialect, load.Dataset())
	}
	if err != nil {
		r.Close()
		return nil, err
	}
	if len(fl.p.extra) > 0 {
		im.log.Warn("ignoring CSV columns no column reads", "job", j.Name, "file", f.Name, "columns", fl.p.extra)
	}
	if len(fl.p.missing) > 0 {
		im.log.Warn("declared columns missing from the file read as NULL (columns_policy.missing: null)", "job", j.Name, "file", f.Name, "columns", fl.p.missing)
	}
	res.Drift.Extra, res.Drift.Missing = fl.p.extra, fl.p.missing
	return fl, nil
}

// scanKeys is the key pass: it finds the keys that may repeat in the file,
// as the table's key compares them. When that comparison cannot be folded
// here (a case-insensitive MySQL collation, say), every row is staged
// and the database finds the repeats.
func (fl *fileLoad) scanKeys(ctx context.Context) (*keyFilter, error) {
	if fl.p.foldKey = fl.load.KeyFold(); fl.p.foldKey == nil {
		fl.im.log.Info("the table's key comparison folds text in its own way; every row goes through the stage",
			"job", fl.j.Name, "file", fl.f.Name, "table", fl.j.Table)
		return stageAll(), nil
	}
	start := time.Now()
	fl.rep.begin(PassKeys)
	keys, err := scanKeys(ctx, fl.rep.source(fl.j.source), fl.f, fl.p, fl.im.maxSuspects)
	if err != nil {
		return nil, err
	}
	fl.im.log.Debug("keys scanned", "job", fl.j.Name, "file", fl.f.Name, "suspects", len(keys.suspects),
		"stage_all", keys.overflow, "duration", time.Since(start).Round(time.Millisecond))
	return keys, nil
}

// write runs the reading and converting goroutine ahead of the database
// writer through a bounded channel, so parsing overlaps with writing and
// memory stays flat.
func (fl *fileLoad) write(ctx context.Context, keys *keyFilter) error {
	var progress func(Progress)
	if fl.rep.fn != nil {
		fl.rep.begin(PassLoad)
		progress = fl.rep.report
	}
	batches := make(chan *batch, 4)
	// Written batches come back for reuse: at a million rows, allocating
	// each anew was a third of all allocation and so of the collector's work.
	free := make(chan *batch, cap(batches)+2)
	prodCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	prodErr := make(chan error, 1)
	pr := &producer{p: fl.p, width: fl.j.width(), size: fl.im.cfg.BatchRows, rd: fl.rd, rejects: fl.rejects,
		limit: fl.j.rejectLimit, keys: keys, syncKeys: fl.load.Syncs(), out: batches, free: free, res: fl.res, progress: progress}
	go func() {
		defer close(batches)
		prodErr <- pr.run(prodCtx)
	}()
	writeErr := fl.drain(ctx, batches, free, cancel)
	// The writer's error first: the producer then only saw the cancel.
	if err := <-prodErr; writeErr == nil && err != nil {
		return err
	}
	if writeErr == nil && progress != nil {
		progress(Progress{Bytes: fl.rd.BytesRead(), Rows: fl.res.Rows, Done: true})
	}
	return writeErr
}

// drain writes the batches as they come, handing each back for reuse.
// After an error it reads on without writing, so the producer can finish.
func (fl *fileLoad) drain(ctx context.Context, batches <-chan *batch, free chan<- *batch, cancel func()) error {
	var err error
	for b := range batches {
		if err == nil {
			switch b.kind {
			case batchStaged:
				err = fl.load.WriteStaged(ctx, b.rows)
			case batchKeys:
				err = fl.load.WriteKeys(ctx, b.rows)
			default:
				err = fl.load.Write(ctx, b.rows)
			}
			if err != nil {
				cancel()
			}
		}
		select {
		case free <- b:
		default:
		}
	}
	return err
}

// check compares what the load read with the checksum pass, and the
// rejects with the job's limit.
func (fl *fileLoad) check(sum string) error {
	if _, err := io.Copy(fl.hash, fl.r); err != nil { // bytes after the last record
		return readError(fl.f.Name, err)
	}
	if got := hex.EncodeToString(fl.hash.Sum(nil)); got != sum {
		return fmt.Errorf("%s changed while it was being imported (sha256 %s before, %s after); try again when it is complete", SafeName(fl.f.Name), sum[:12], got[:12])
	}
	if fl.j.rejectLimit.exceeded(fl.res.Rejected, fl.res.Rows) {
		return fmt.Errorf("%s: %d of %d rows rejected, more than rejects.max %s allows; nothing was imported (see %s)",
			SafeName(fl.f.Name), fl.res.Rejected, fl.res.Rows, fl.j.rejectLimit, SafeName(fl.rejects.Path()))
	}
	return nil
}
