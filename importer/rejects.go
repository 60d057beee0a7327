package importer

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-dev/sluice/models"
)

// rejectFile collects a file's bad rows as CSV: line, column, reason, then
// the original fields under the source's own header, so a person can fix
// the rows and feed the file back in. A row that could not be split into
// fields (text after a closing quote) follows line, column and reason as
// its source text, byte for byte: fixed there, it reads like the rest.
// The file is created on the first reject only: a clean import leaves no
// empty files behind.
type rejectFile struct {
	dir, path string
	header    []string
	created   bool
	f         *os.File
	buf       *bufio.Writer
	w         *csv.Writer
	count     int64
	row       []string
}

func newRejectFile(dir, job, source string, header []string, now time.Time) *rejectFile {
	base := fileSafe(filepath.Base(source))
	for _, ext := range []string{".gz", ".csv", ".tsv", ".txt"} {
		base = strings.TrimSuffix(base, ext)
	}
	name := fmt.Sprintf("%s-%s-%s.csv", job, base, now.UTC().Format("20060102T150405.000Z"))
	return &rejectFile{dir: dir, path: filepath.Join(dir, name), header: header}
}

// Add writes one rejected row: its fields, or its source text when it has
// no fields.
func (r *rejectFile) Add(e *RowError, rec Record) error {
	if r.f == nil {
		if err := os.MkdirAll(r.dir, models.PrivateDirMode); err != nil {
			return fmt.Errorf("create rejects folder: %w", err)
		}
		f, err := createUnique(r.path)
		if err != nil {
			return fmt.Errorf("create reject file: %w", err)
		}
		r.path = f.Name()
		r.f, r.buf, r.created = f, bufio.NewWriter(f), true
		r.w = csv.NewWriter(r.buf)
		if err := r.w.Write(append([]string{"line", "column", "reason"}, r.header...)); err != nil {
			return fmt.Errorf("write %s: %w", r.path, err)
		}
	}
	r.row = append(r.row[:0], strconv.Itoa(e.Line), e.Column, e.Reason)
	if rec.Fields == nil && rec.Raw != "" {
		return r.addRaw(rec.Raw)
	}
	r.row = append(r.row, rec.Fields...)
	if err := r.w.Write(r.row); err != nil {
		return fmt.Errorf("write %s: %w", r.path, err)
	}
	r.count++
	return nil
}

// addRaw writes r.row, quoted as CSV, then raw as it is.
func (r *rejectFile) addRaw(raw string) error {
	r.w.Flush() // the rows before come first
	for _, f := range r.row {
		if strings.ContainsAny(f, ",\"\r\n") || strings.HasPrefix(f, " ") {
			f = `"` + strings.ReplaceAll(f, `"`, `""`) + `"`
		}
		r.buf.WriteString(f)
		r.buf.WriteByte(',')
	}
	r.buf.WriteString(raw)
	if err := r.buf.WriteByte('\n'); err != nil {
		return fmt.Errorf("write %s: %w", r.path, err)
	}
	r.count++
	return nil
}

// Path is the reject file's path, or "" when no row was rejected.
func (r *rejectFile) Path() string {
	if !r.created {
		return ""
	}
	return r.path
}

// Close flushes the file to disk.
func (r *rejectFile) Close() error {
	if r.f == nil {
		return nil
	}
	r.w.Flush()
	err := r.w.Error()
	if err == nil {
		err = r.buf.Flush()
	}
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	r.f = nil
	if err != nil {
		return fmt.Errorf("write %s: %w", r.path, err)
	}
	return nil
}

// createUnique creates path, or path with -2, -3… before the extension
// when it exists: two imports of a same-named file in the same
// millisecond must not share (or fail on) one reject file.
func createUnique(path string) (*os.File, error) {
	ext := filepath.Ext(path)
	base := strings.TrimSuffix(path, ext)
	for i := 1; ; i++ {
		p := path
		if i > 1 {
			p = fmt.Sprintf("%s-%d%s", base, i, ext)
		}
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, models.PrivateFileMode)
		if !errors.Is(err, fs.ErrExist) || i == 100 {
			return f, err
		}
	}
}
