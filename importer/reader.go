package importer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Format says how to read one job's files (it is filled from the job's
// source: block). The zero value reads comma-separated UTF-8 and rejects
// short rows.
type Format struct {
	// Delimiter separates fields; 0 means ','.
	Delimiter rune
	// Encoding is the character set of the file: "utf-8" (default, also
	// "utf8" and ""), "latin1"/"iso-8859-1", "windows-1252"/"cp1252" or
	// "utf-16" (the BOM decides the byte order; little endian without one).
	// A byte order mark at the start of the file wins over Encoding, as in
	// the WHATWG encoding standard: a BOM is an explicit statement by the
	// program that wrote the file, Encoding is a guess by the person who
	// configured the job.
	Encoding string
	// Ragged pads a record that has fewer fields than the header with ""
	// (NULL) instead of rejecting it; spreadsheet exports often drop empty
	// trailing cells.
	Ragged bool
	// MaxField is the most bytes a field may have (after decoding); a row
	// with a longer one is rejected. 0 means DefaultMaxField.
	MaxField int64
}

// DefaultMaxField is Format.MaxField when the job does not say: far more
// than any real cell, small enough that a broken file (a quote opened and
// never closed) cannot take the memory of the machine.
const DefaultMaxField = 16 << 20

// RowError is why one record is rejected. It is not fatal: the file goes
// on, and the row is written to the rejects file with this reason.
type RowError struct {
	Line   int    // physical line (1-based) where the record starts in the (decompressed) file
	Column string // header name of the offending column, "" when it is the whole row
	Reason string // plain English, meant for the person who fixes the file
}

// Error returns "line 12, column price: <reason>" or "line 12: <reason>".
func (e *RowError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return fmt.Sprintf("line %d, column %s: %s", e.Line, e.Column, e.Reason)
}

// FileError is a fatal problem with the file as a whole (not a text file,
// an unclosed quote running to the end, no header, duplicate header names,
// a corrupt gzip stream): nothing after it can be trusted, so the import of
// this file stops.
type FileError struct {
	Path   string // as given to NewReader
	Line   int    // 1-based; 0 if unknown
	Column int    // 1-based byte column; 0 if unknown
	Err    error  // the cause, for errors.Is and errors.As
}

// Error returns "path:line:column: message", leaving out the positions that
// are unknown, so editors and terminals can jump to the spot.
func (e *FileError) Error() string {
	var b strings.Builder
	b.WriteString(SafeName(e.Path))
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap lets callers match the cause (io.ErrUnexpectedEOF, gzip.ErrChecksum...).
func (e *FileError) Unwrap() error { return e.Err }

// Record is one data row.
type Record struct {
	// Line is the physical line (1-based) where the record starts; the
	// header is line 1 unless blank lines precede it.
	Line int
	// Fields has len(Header()) entries when Err is nil (padded with "" when
	// Format.Ragged); otherwise the fields as read (a field over
	// Format.MaxField left empty), or nil when the row could not be split
	// into fields. The slice is valid only until the next call to Next,
	// which reuses it; the strings stay valid.
	Fields []string
	// Raw is the row's source text, without its line end, when it could
	// not be split into fields (text after a closing quote), so that the
	// reject file can hold it as it was.
	Raw string
	// Err, when non-nil, says why this row must be rejected.
	Err *RowError
}

// Reader streams the records of one CSV file, whatever its compression and
// encoding, with the physical line numbers a person needs to find a row.
type Reader struct {
	path    string
	ragged  bool
	gzipped bool
	count   *countingReader
	split   *splitter
	header  []string
	fields  []string // reused for each record
	padded  []string // reused buffer for ragged records
	short   int64    // records padded for Format.Ragged, for sluice init
	// keysOnly skips the per-field text checks: the key scan reads every
	// row once more, and the import proper rejects what they would catch.
	keysOnly bool
	err      error // sticky: io.EOF or a *FileError
}

// countingReader counts raw bytes atomically so a progress bar on another
// goroutine can read the count while the import runs.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

const (
	bufSize   = 64 << 10
	sniffSize = 8 << 10 // how much decoded text is checked for control bytes and the line end
)

// NewReader wraps r (the raw file bytes) for the file named path, which is
// only used in error messages. It detects gzip by its magic bytes (not the
// name), drops a UTF-8 BOM, decodes f.Encoding to UTF-8 and reads the
// header row. Problems with the file are returned as *FileError; a bad
// Format is a plain error.
func NewReader(r io.Reader, path string, f Format) (*Reader, error) {
	delim := f.Delimiter
	if delim == 0 {
		delim = ','
	}
	if delim == '"' || delim == '\r' || delim == '\n' || delim == utf8.RuneError || !utf8.ValidRune(delim) {
		return nil, fmt.Errorf("source.delimiter %q cannot separate fields", delim)
	}
	enc, err := parseEncoding(f.Encoding)
	if err != nil {
		return nil, err
	}

	rd := &Reader{path: path, ragged: f.Ragged, count: &countingReader{r: r}}
	raw := bufio.NewReaderSize(rd.count, bufSize)
	text := raw
	if magic, err := raw.Peek(2); err != nil && err != io.EOF {
		return nil, rd.fileError(0, 0, fmt.Errorf("read: %w", err))
	} else if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(raw)
		if err != nil {
			return nil, rd.fileError(0, 0, fmt.Errorf("decompress: %w", err))
		}
		rd.gzipped = true
		text = bufio.NewReaderSize(gz, bufSize)
	}

	magic, err := text.Peek(len(longestSignature))
	if err != nil && err != io.EOF {
		return nil, rd.readError(0, err)
	}
	if kind := binaryKind(magic); kind != "" {
		return nil, rd.fileError(0, 0, fmt.Errorf("not a text CSV file: it is %s", kind))
	}
	bom, err := text.Peek(3)
	if err != nil && err != io.EOF {
		return nil, rd.readError(0, err)
	}
	switch {
	case bytes.HasPrefix(bom, []byte{0xef, 0xbb, 0xbf}):
		_, _ = text.Discard(3) // cannot fail: the bytes are buffered
		enc = nil
	case bytes.HasPrefix(bom, []byte{0xff, 0xfe}):
		enc = unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)
	case bytes.HasPrefix(bom, []byte{0xfe, 0xff}):
		enc = unicode.UTF16(unicode.BigEndian, unicode.UseBOM)
	}
	if enc != nil {
		text = bufio.NewReaderSize(transform.NewReader(text, enc.NewDecoder()), bufSize)
	}

	head, err := text.Peek(sniffSize)
	if err != nil && err != io.EOF {
		return nil, rd.readError(0, err)
	}
	if err := notText(head); err != nil {
		return nil, rd.fileError(err.line, 0, err)
	}

	maxField := f.MaxField
	if maxField <= 0 {
		maxField = DefaultMaxField
	}
	rd.split = newSplitter(text, utf8.AppendRune(nil, delim), lineTerminator(head), int(min(maxField, math.MaxInt32)))
	if err := rd.readHeader(); err != nil {
		return nil, err
	}
	return rd, nil
}

// parseEncoding returns the decoder for name, nil for UTF-8 (which needs no
// transform and so costs nothing).
func parseEncoding(name string) (encoding.Encoding, error) {
	switch strings.ToLower(strings.ReplaceAll(strings.TrimSpace(name), "_", "-")) {
	case "", "utf-8", "utf8":
		return nil, nil
	case "latin1", "latin-1", "iso-8859-1", "iso8859-1":
		return charmap.ISO8859_1, nil
	case "windows-1252", "cp1252":
		return charmap.Windows1252, nil
	case "utf-16", "utf16":
		return unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), nil
	}
	return nil, fmt.Errorf("unknown encoding %q (want utf-8, latin1, windows-1252 or utf-16)", name)
}

// readHeader reads and checks the first record: names must be present,
// unique and valid text, since every later message and column mapping uses
// them.
func (r *Reader) readHeader() error {
	s := r.split
	s.positions = true
	err := s.next()
	s.positions = false
	var open *errUnclosed
	switch {
	case err == io.EOF:
		return r.fileError(0, 0, errors.New("empty file: no header row"))
	case errors.As(err, &open):
		return r.fileError(open.line, 0, errors.New("header row: quoted field is never closed"))
	case err != nil:
		return r.readError(0, err)
	case s.bad != "":
		p := s.fieldPos[s.badField]
		return r.fileError(p.line, p.col, fmt.Errorf("header row: %s", s.bad))
	case s.big >= 0:
		p := s.fieldPos[s.big]
		return r.fileError(p.line, p.col, fmt.Errorf("header column %d is %s, over source.max_field", s.big+1, byteSize(s.bigSize)))
	}
	fields := s.strings(nil)
	r.header = make([]string, len(fields))
	seen := make(map[string]int, len(fields))
	for i, f := range fields {
		line, col := s.fieldPos[i].line, s.fieldPos[i].col
		if i == 0 {
			f = strings.TrimPrefix(f, "\uFEFF") // a second BOM, or one inside a UTF-16 file
		}
		if j, ok := invalidUTF8(f); !ok {
			return r.fileError(line, col, fmt.Errorf("header column %d is not valid UTF-8 (byte 0x%02X at offset %d); is the file latin1? set source.encoding", i+1, f[j], j))
		}
		name := strings.TrimSpace(f)
		if name == "" {
			return r.fileError(line, col, fmt.Errorf("header column %d has no name", i+1))
		}
		if j, dup := seen[name]; dup {
			return r.fileError(line, col, fmt.Errorf("duplicate header name %q in columns %d and %d", name, j+1, i+1))
		}
		seen[name] = i
		r.header[i] = name
	}
	return nil
}

// Header returns the header names in file order, trimmed of surrounding
// spaces. A BOM never leaks into the first name. The slice must not be
// modified.
func (r *Reader) Header() []string { return r.header }

// BytesRead returns how many raw bytes (compressed bytes for gzip) have been
// consumed so far, for a progress bar. It is safe to call from another
// goroutine while Next runs.
func (r *Reader) BytesRead() int64 { return r.count.n.Load() }

// Next returns the next record. A record whose Err is set is rejected but
// reading goes on. Next returns io.EOF after the last record and a
// *FileError for a problem that makes the rest of the file unreadable; both
// are repeated by later calls.
func (r *Reader) Next() (Record, error) {
	if r.err != nil {
		return Record{}, r.err
	}
	if err := r.split.next(); err != nil {
		r.err = r.splitError(err)
		return Record{}, r.err
	}
	s := r.split
	line := s.start
	if s.bad != "" {
		return Record{Line: line, Raw: string(s.raw), Err: r.unsplit()}, nil
	}
	r.fields = s.strings(r.fields)
	if s.big >= 0 {
		return Record{Line: line, Fields: r.fields, Err: &RowError{Line: line, Column: r.columnName(s.big),
			Reason: fmt.Sprintf("field %d is %s, over source.max_field %s; it is left empty in this file", s.big+1, byteSize(s.bigSize), byteSize(int64(s.max)))}}, nil
	}
	return r.record(line, r.fields), nil
}

// splitError is the *FileError (or io.EOF) for an error of the splitter.
func (r *Reader) splitError(err error) error {
	var open *errUnclosed
	switch {
	case err == io.EOF:
		return io.EOF
	case errors.As(err, &open):
		return r.fileError(open.line, 0, fmt.Errorf("quoted field opened on line %d is never closed", open.line))
	}
	return r.readError(r.split.start, err)
}

// unsplit is the RowError of a record the splitter could not cut into
// fields.
func (r *Reader) unsplit() *RowError {
	s := r.split
	e := &RowError{Line: s.start, Column: r.columnName(s.badField), Reason: s.bad}
	if s.badLine != s.start {
		e.Reason += fmt.Sprintf(" at line %d", s.badLine)
	}
	if s.rawCut {
		e.Reason += fmt.Sprintf("; only its first %s are kept here", byteSize(int64(s.rawMax)))
	}
	return e
}

// record checks a well-formed CSV record against the header.
func (r *Reader) record(line int, fields []string) Record {
	n, want := len(fields), len(r.header)
	switch {
	case n > want:
		return Record{Line: line, Fields: fields, Err: &RowError{Line: line,
			Reason: fmt.Sprintf("has %s, the header has %d", plural(n, "field"), want)}}
	case n < want && !r.ragged:
		return Record{Line: line, Fields: fields, Err: &RowError{Line: line,
			Reason: fmt.Sprintf("has %s, the header has %d; set source.ragged: true to read missing trailing fields as empty", plural(n, "field"), want)}}
	case n < want:
		r.short++
		r.padded = append(r.padded[:0], fields...)
		for len(r.padded) < want {
			r.padded = append(r.padded, "")
		}
		fields = r.padded
	}
	if r.keysOnly {
		return Record{Line: line, Fields: fields}
	}
	for i, f := range fields {
		if j, ok := invalidUTF8(f); !ok {
			return Record{Line: line, Fields: fields, Err: &RowError{Line: line, Column: r.header[i],
				Reason: fmt.Sprintf("invalid UTF-8 (byte 0x%02X at offset %d); is the file latin1? set source.encoding", f[j], j)}}
		}
		// A NUL is valid UTF-8 but never text: it is a sign of a binary
		// or corrupted file, and databases refuse or truncate it.
		if j := strings.IndexByte(f, 0); j >= 0 {
			return Record{Line: line, Fields: fields, Err: &RowError{Line: line, Column: r.header[i],
				Reason: fmt.Sprintf("NUL byte at offset %d; the field is not text", j)}}
		}
	}
	return Record{Line: line, Fields: fields}
}

// columnName returns the header name of field i, "" past the header.
func (r *Reader) columnName(i int) string {
	if i < len(r.header) {
		return r.header[i]
	}
	return ""
}

func (r *Reader) fileError(line, col int, err error) *FileError {
	return &FileError{Path: r.path, Line: line, Column: col, Err: err}
}

// readError wraps an I/O failure of the underlying stream, naming the
// decompression when that is where it comes from.
func (r *Reader) readError(line int, err error) *FileError {
	if r.gzipped {
		return r.fileError(line, 0, fmt.Errorf("decompress: %w", err))
	}
	return r.fileError(line, 0, fmt.Errorf("read: %w", err))
}

// invalidUTF8 returns the offset of the first byte of s that is not valid
// UTF-8, and false; or 0, true when s is valid.
func invalidUTF8(s string) (int, bool) {
	if utf8.ValidString(s) {
		return 0, true
	}
	for i := 0; i < len(s); {
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size <= 1 {
			return i, false
		}
		i += size
	}
	return 0, true
}

// plural returns "1 field" or "5 fields".
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
