package importer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"golang.org/x/text/transform"

	"github.com/sluice-dev/sluice/importer/infer"
	"github.com/sluice-dev/sluice/models"
)

// DefaultInferRows is how many rows sluice init reads of a file at most:
// the distinct values of the key's candidates are held in memory.
const DefaultInferRows = 1_000_000

// InferOptions change what InferFile looks for.
type InferOptions struct {
	// Key names the key's columns (by CSV header or column name): they
	// are checked instead of searched for.
	Key []string
	// MaxRows bounds the rows read; 0 is DefaultInferRows.
	MaxRows int64
}

// InferError is a problem in the file that the inferred config cannot
// take: rows the reader rejects whatever the types.
type InferError struct {
	Path string
	Rows []*RowError // the first few
	N    int64
}

func (e *InferError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d row(s) no declaration can import:", e.Path, e.N)
	for _, r := range e.Rows {
		fmt.Fprintf(&b, "\n  %v", r)
	}
	return b.String()
}

// InferFile reads the local file at path and infers a job's
// declaration from it: delimiter, encoding, columns and key, over every
// row up to o.MaxRows. Rows the reader rejects whatever the declaration
// (too many fields, a broken quote) come back as an *InferError beside
// the result.
func InferFile(ctx context.Context, path string, o InferOptions) (*infer.Result, error) {
	src := newFileList([]string{path})
	files, err := src.List(ctx)
	if err != nil {
		return nil, err
	}
	if len(files) != 1 {
		return nil, fmt.Errorf("%s: no such file", path)
	}
	return inferFile(ctx, src, files[0], o)
}

func inferFile(ctx context.Context, src Source, f File, o InferOptions) (*infer.Result, error) {
	if o.MaxRows <= 0 {
		o.MaxRows = DefaultInferRows
	}
	res := &infer.Result{MaxRows: o.MaxRows}
	head, err := sniffFile(ctx, src, f, res)
	if err != nil {
		return nil, err
	}
	res.Delimiter = infer.Delimiter(head)
	format := Format{Delimiter: res.Delimiter, Encoding: res.Encoding.Name, Ragged: true}
	var g *infer.Guesser
	var ragged bool
	bad := &InferError{Path: f.Name}
	err = eachRecord(ctx, src, f, format, o.MaxRows, func(header []string) error {
		g, err = infer.NewGuesser(header, CellCheck)
		return err
	}, func(rec Record, short bool) {
		if rec.Err != nil {
			if bad.N++; len(bad.Rows) < 5 {
				bad.Rows = append(bad.Rows, rec.Err)
			}
			return
		}
		ragged = ragged || short
		g.Add(rec.Fields)
	})
	if err != nil && !errors.Is(err, errRowLimit) {
		return nil, err
	}
	res.Sampled = errors.Is(err, errRowLimit)
	res.Rows = g.Rows()
	res.Columns = g.Columns()
	res.Ragged = ragged
	if res.Key, err = inferKey(ctx, src, f, format, res, o); err != nil {
		return nil, err
	}
	for _, k := range res.Key.Columns {
		res.Columns[k].Required = true
	}
	if bad.N > 0 {
		return res, bad
	}
	return res, nil
}

// CellCheck is the infer.Checker of sluice's own converters: what a
// guess lets through is exactly what the import will read.
func CellCheck(typ models.Type, format string) (func(string) bool, error) {
	conv, err := NewConverter(ColumnConfig{Name: "guess", Type: string(typ), Format: format}, false)
	if err != nil {
		return nil, err
	}
	return func(cell string) bool { _, err := conv.Convert(cell); return err == nil }, nil
}

// sniffHead is how much of the file the delimiter is guessed from.
const sniffHead = 64 << 10

// sniffFile reads the raw file once: its first bytes say the encoding
// when they hold a byte order mark, and otherwise the whole of it must be
// UTF-8 to be read as UTF-8 (else windows-1252, which takes any byte). It
// returns the start of the file as text, for the delimiter.
func sniffFile(ctx context.Context, src Source, f File, res *infer.Result) ([]byte, error) {
	r, err := src.Open(ctx, f)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	br := bufio.NewReaderSize(r, bufSize)
	var text io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, &FileError{Path: f.Name, Err: fmt.Errorf("decompress: %w", err)}
		}
		text = gz
	}
	head := make([]byte, sniffHead)
	n, err := io.ReadFull(text, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, readError(f.Name, err)
	}
	head = head[:n]
	res.Encoding = infer.EncodingOf(head)
	if res.Encoding.Name == "utf-8" {
		var u infer.UTF8Check
		u.Write(bytes.TrimPrefix(head, []byte{0xef, 0xbb, 0xbf}))
		if _, err := io.Copy(&u, text); err != nil {
			return nil, readError(f.Name, err)
		}
		if !u.Valid() {
			res.Encoding = infer.Encoding{Name: "windows-1252", Note: "not valid UTF-8: read as windows-1252 (latin1 and more), check the accents"}
		}
	}
	enc, _ := parseEncoding(res.Encoding.Name)
	if enc == nil {
		return bytes.TrimPrefix(head, []byte{0xef, 0xbb, 0xbf}), nil
	}
	// A character cut at the end of head decodes as an error: what came
	// before it is enough.
	text8, _ := io.ReadAll(transform.NewReader(bytes.NewReader(head), enc.NewDecoder()))
	return text8, nil
}

// errRowLimit stops eachRecord at its row limit.
var errRowLimit = errors.New("row limit reached")

// eachRecord reads the file's records, up to max, handing each to fn
// with whether it was shorter than the header.
func eachRecord(ctx context.Context, src Source, f File, format Format, max int64, header func([]string) error, fn func(rec Record, short bool)) error {
	r, err := src.Open(ctx, f)
	if err != nil {
		return err
	}
	defer r.Close()
	rd, err := NewReader(r, f.Name, format)
	if err != nil {
		return err
	}
	if err := header(rd.Header()); err != nil {
		return err
	}
	for n := int64(0); ; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		short := rd.short
		rec, err := rd.Next()
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return err
		case n >= max: // a record past the limit: the file is sampled
			return errRowLimit
		}
		fn(rec, rd.short > short)
	}
}

// inferKey checks the key given with --key, or looks for one: a column
// unique and never empty, else a pair, read again from the file.
func inferKey(ctx context.Context, src Source, f File, format Format, res *infer.Result, o InferOptions) (infer.Key, error) {
	if len(o.Key) > 0 {
		return givenKey(ctx, src, f, format, res, o)
	}
	if k, ok := infer.SingleKey(res.Columns, res.Rows); ok {
		return k, nil
	}
	pairs := infer.PairCandidates(res.Columns)
	scan := infer.NewKeyScan(pairs)
	if len(pairs) > 0 {
		if err := scanRecords(ctx, src, f, format, o.MaxRows, scan); err != nil {
			return infer.Key{}, err
		}
	}
	return infer.PairKey(res.Columns, scan, res.Rows), nil
}

// givenKey finds the columns --key names and says whether they are unique.
func givenKey(ctx context.Context, src Source, f File, format Format, res *infer.Result, o InferOptions) (infer.Key, error) {
	var set []int
	for _, name := range o.Key {
		i := slices.IndexFunc(res.Columns, func(c infer.Column) bool {
			return strings.EqualFold(c.Name, name) || strings.EqualFold(c.Header, strings.TrimSpace(name))
		})
		if i < 0 {
			return infer.Key{}, fmt.Errorf("--key %s: no such column in %s (it has %s)", name, f.Name, strings.Join(columnList(res.Columns), ", "))
		}
		set = append(set, i)
	}
	scan := infer.NewKeyScan([][]int{set})
	if err := scanRecords(ctx, src, f, format, o.MaxRows, scan); err != nil {
		return infer.Key{}, err
	}
	k := infer.Key{Columns: set, Note: "given with --key: unique and never empty over the rows read"}
	if _, ok := scan.Unique(); !ok {
		k.Note = "given with --key, but NOT unique or sometimes empty in this file: rows repeating a key replace each other"
	}
	return k, nil
}

func columnList(cols []infer.Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

// scanRecords shows the key scan every good record while some set may
// still be a key.
func scanRecords(ctx context.Context, src Source, f File, format Format, max int64, scan *infer.KeyScan) error {
	err := eachRecord(ctx, src, f, format, max, func([]string) error { return nil }, func(rec Record, _ bool) {
		if rec.Err == nil && scan.Live() {
			scan.Add(rec.Fields)
		}
	})
	if errors.Is(err, errRowLimit) {
		return nil
	}
	return err
}
