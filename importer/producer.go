package importer

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/sluice-dev/sluice/models"
)

// batch is rows on their way to the writer, of one kind. The rows'
// values live in vals.
type batch struct {
	rows []models.Row
	vals []any
	kind int
}

const (
	batchDirect = iota // keys once in the file
	batchStaged        // keys that may repeat in the file
	batchKeys          // a sync's keys of rejected rows (Load.WriteKeys)
)

// producer reads, converts, encodes and batches rows; rejects go to the
// reject file. It runs on its own goroutine, ahead of the writer.
type producer struct {
	p       *plan
	width   int // values a row
	size    int // rows a batch
	rd      *Reader
	rejects *rejectFile
	limit   rejectLimit
	keys    *keyFilter // nil: no key repeats matter (the table is empty)
	// syncKeys sends the keys of rejected rows to the writer: the load
	// syncs, and never takes them for gone (see Load.WriteKeys).
	syncKeys bool
	out      chan<- *batch
	free     <-chan *batch // written batches, for reuse
	res      *Result
	progress func(Progress)
}

// run stops early once a count limit on rejects is broken, since the file
// will fail anyway.
func (pr *producer) run(ctx context.Context) error {
	width, size := pr.width, pr.size
	// A batch is never touched once sent until the writer hands it back.
	newBatch := func(kind int) *batch {
		select {
		case b := <-pr.free:
			b.rows, b.kind = b.rows[:0], kind
			return b
		default:
			return &batch{rows: make([]models.Row, 0, size), vals: make([]any, size*width), kind: kind}
		}
	}
	pending := [3]*batch{newBatch(batchDirect), newBatch(batchStaged), newBatch(batchKeys)}
	send := func(i int) error {
		select {
		case pr.out <- pending[i]:
		case <-ctx.Done():
			return ctx.Err()
		}
		pending[i] = newBatch(i)
		return nil
	}
	// add copies values to the end of pending[i] when that is not where
	// they are already, and sends it when full.
	add := func(i int, line int, values []any) error {
		if i != batchDirect {
			m := len(pending[i].rows)
			values = append(pending[i].vals[m*width:m*width:(m+1)*width], values...)
		}
		pending[i].rows = append(pending[i].rows, models.Row{Line: int64(line), Values: values})
		if len(pending[i].rows) < size {
			return nil
		}
		if err := send(i); err != nil {
			return err
		}
		if pr.progress != nil {
			pr.progress(Progress{Bytes: pr.rd.BytesRead(), Rows: pr.res.Rows})
		}
		return nil
	}
	var key []byte
	for {
		rec, err := pr.rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		pr.res.Rows++
		// Convert into the slot the row would take in the direct batch;
		// a staged row is copied to its own batch below.
		n := len(pending[0].rows)
		values := pending[0].vals[n*width : (n+1)*width : (n+1)*width]
		rowErr := rec.Err
		if rowErr == nil {
			if rowErr = pr.p.convert(rec, values); rowErr == nil {
				rowErr = pr.p.outOfScope(rec.Line, values)
			}
		}
		if rowErr != nil {
			if err := pr.reject(rowErr, rec); err != nil {
				return err
			}
			if pr.syncKeys {
				if err := pr.rejectKey(rowErr, rec, values); err != nil {
					return err
				}
				if err := add(batchKeys, rec.Line, values); err != nil {
					return err
				}
			}
			continue
		}
		dest := batchDirect
		if pr.keys != nil {
			if !pr.keys.overflow {
				key = pr.p.appendKey(key[:0], values)
			}
			if pr.keys.suspect(key) {
				dest = batchStaged
			}
		}
		if err := add(dest, rec.Line, values); err != nil {
			return err
		}
	}
	for i := range pending {
		if len(pending[i].rows) > 0 {
			if err := send(i); err != nil {
				return err
			}
		}
	}
	return nil
}

func (pr *producer) reject(e *RowError, rec Record) error {
	pr.res.Rejected++
	if err := pr.rejects.Add(e, rec); err != nil {
		return err
	}
	if lim := pr.limit; !lim.isPct && lim.exceeded(pr.res.Rejected, pr.res.Rows) {
		return fmt.Errorf("%s: more than rejects.max %s rows rejected (stopped at line %d); nothing was imported (see %s)",
			SafeName(pr.rd.path), lim, rec.Line, SafeName(pr.rejects.Path()))
	}
	return nil
}
