package importer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
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
}

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
	b.WriteString(e.Path)
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
	// Format.Ragged); otherwise the raw fields as read, or nil when the row
	// could not be split (a quote error). The slice is valid only until the
	// next call to Next, which reuses it; the strings stay valid.
	Fields []string
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
	csv     *csv.Reader
	text    *bufio.Reader // what csv reads, line by line; the key scan reads it too
	delim   rune
	header  []string
	padded  []string    // reused buffer for ragged records
	pending *readResult // record read ahead after a quote error
	short   int64       // records padded for Format.Ragged, for sluice init
	// keysOnly skips the per-field text checks: the key scan reads every
	// row once more, and the import proper rejects what they would catch.
	keysOnly bool
	err      error // sticky: io.EOF or a *FileError
}

// readResult is one csv.Reader.Read outcome with the start line captured
// before the next Read overwrites the positions.
type readResult struct {
	fields []string
	err    error
	line   int // 0 when no field was read
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
	sniffSize = 8 << 10 // how much decoded text is checked for NUL bytes
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
	if i := bytes.IndexByte(head, 0); i >= 0 {
		line := bytes.Count(head[:i], []byte{'\n'}) + 1
		return nil, rd.fileError(line, 0, fmt.Errorf("not a text CSV file: NUL byte at line %d, is it binary or UTF-16 without a BOM?", line))
	}

	// csv.NewReader keeps text as is: it is already a large enough *bufio.Reader.
	rd.csv = csv.NewReader(text)
	rd.text, rd.delim = text, delim
	rd.csv.Comma = delim
	rd.csv.FieldsPerRecord = -1 // counts are checked here, with our message
	rd.csv.ReuseRecord = true
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
	fields, err := r.csv.Read()
	switch {
	case err == io.EOF:
		return r.fileError(0, 0, errors.New("empty file: no header row"))
	case err != nil:
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return r.fileError(pe.Line, pe.Column, fmt.Errorf("header row: %w", pe.Err))
		}
		return r.readError(0, err)
	}
	r.header = make([]string, len(fields))
	seen := make(map[string]int, len(fields))
	for i, f := range fields {
		line, col := r.csv.FieldPos(i)
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
	res := r.read()
	switch {
	case res.err == nil:
		return r.record(res.line, res.fields), nil
	case res.err == io.EOF:
		r.err = io.EOF
		return Record{}, io.EOF
	}
	var pe *csv.ParseError
	if !errors.As(res.err, &pe) {
		r.err = r.readError(res.line, res.err)
		return Record{}, r.err
	}
	rowErr := &RowError{Line: pe.StartLine, Column: r.columnName(len(res.fields)), Reason: pe.Err.Error()}
	if pe.Line != pe.StartLine {
		rowErr.Reason += fmt.Sprintf(" at line %d", pe.Line)
	}
	if errors.Is(pe.Err, csv.ErrQuote) {
		// encoding/csv reports a quote left open at the end of the file
		// like any other quote error; it is told apart by what follows.
		// Reporting it as one bad row would hide that every line after
		// the quote was swallowed.
		next := r.read()
		if next.err == io.EOF && pe.Line > pe.StartLine {
			r.err = r.fileError(pe.StartLine, 0, fmt.Errorf("quoted field opened on line %d is never closed", pe.StartLine))
			return Record{}, r.err
		}
		r.pending = &next
	}
	return Record{Line: pe.StartLine, Err: rowErr}, nil
}

// read returns the record read ahead, if any, or reads one.
func (r *Reader) read() readResult {
	if p := r.pending; p != nil {
		r.pending = nil
		return *p
	}
	fields, err := r.csv.Read()
	res := readResult{fields: fields, err: err}
	if len(fields) > 0 {
		res.line, _ = r.csv.FieldPos(0)
	}
	return res
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
