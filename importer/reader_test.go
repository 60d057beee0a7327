package importer

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/unicode"
)

// wantRecord is one expected Reader.Next result; err is the RowError text,
// "" for a good record.
type wantRecord struct {
	line   int
	fields []string
	err    string
	raw    string // Record.Raw
}

const shortRow = "; set source.ragged: true to read missing trailing fields as empty"

func TestReader(t *testing.T) {
	plain := readFixture(t, "plain.csv")
	plainRecords := []wantRecord{
		{line: 2, fields: []string{"1", "Socks", "4.50"}},
		{line: 3, fields: []string{"2", "Hat", "12.00"}},
		{line: 4, fields: []string{"3", "Scarf", "20"}},
	}
	raggedRecords := []wantRecord{
		{line: 2, fields: []string{"1", "a", "2", "red"}},
		{line: 3, fields: []string{"2", "b", "", ""}},
		{line: 4, fields: []string{"3", "", "", ""}},
		{line: 5, fields: []string{"4", "d", "5", "blue"}},
	}
	tooMany := []wantRecord{
		{line: 2, fields: []string{"1", "a", "extra", "more"}, err: "line 2: has 4 fields, the header has 2"},
		{line: 3, fields: []string{"2", "b"}},
	}
	utf16Text := "id,name\n1,café €\n"
	utf16Records := []wantRecord{{line: 2, fields: []string{"1", "café €"}}}
	// A checksum mismatch shows up only once the whole stream is read.
	badCRC := gz(plain)
	badCRC[len(badCRC)-8] ^= 0xff

	tests := []struct {
		name    string
		file    string // fixture in testdata/reader, or the name data is written to
		data    []byte // generated content (binary or awkward by hand); nil reads the fixture
		src     Format
		header  []string // nil: NewReader must fail with err
		records []wantRecord
		err     string // *FileError text; "" means io.EOF after records
	}{
		{name: "plain", file: "plain.csv", header: []string{"id", "name", "price"}, records: plainRecords},
		{name: "header in other order, trimmed", file: "reordered.csv", header: []string{"price", "id", "name"},
			records: []wantRecord{{line: 2, fields: []string{"4.50", "1", "Socks"}}, {line: 3, fields: []string{"12.00", "2", "Hat"}}}},
		{name: "blank lines are skipped but counted", file: "blank_lines.csv", header: []string{"id", "name"},
			records: []wantRecord{{line: 4, fields: []string{"1", "a"}}, {line: 6, fields: []string{"2", "b"}}}},
		{name: "CRLF line ends", file: "crlf.csv", data: []byte("id,name\r\n1,a\r\n2,\"x\r\ny\"\r\n3,c\r\n"), header: []string{"id", "name"},
			records: []wantRecord{{line: 2, fields: []string{"1", "a"}}, {line: 3, fields: []string{"2", "x\r\ny"}}, {line: 5, fields: []string{"3", "c"}}}},
		{name: "mixed CRLF and LF", file: "mixed.csv", data: []byte("id,name\r\n1,a\n2,\"x\ny\"\r\n\r\n3,c"), header: []string{"id", "name"},
			records: []wantRecord{{line: 2, fields: []string{"1", "a"}}, {line: 3, fields: []string{"2", "x\ny"}}, {line: 6, fields: []string{"3", "c"}}}},
		{name: "CR-only line ends", file: "cr_only.csv", header: []string{"id", "name"},
			records: []wantRecord{{line: 2, fields: []string{"1", "a"}}, {line: 3, fields: []string{"2", "x\ry"}}, {line: 6, fields: []string{"3", "c"}}}},
		{name: "quotes inside unquoted fields are text", file: "literal_quotes.csv", header: []string{"id", "where"},
			records: []wantRecord{{line: 2, fields: []string{"1", `37°36'37.8"N`}}, {line: 3, fields: []string{"2", `ab"c`}}, {line: 4, fields: []string{"3", ` "a" b`}}}},
		{name: "space after a closing quote is dropped", file: "space_after_quote.csv", header: []string{"name", "qty"},
			records: []wantRecord{{line: 2, fields: []string{"Sock 1", "2"}}, {line: 3, fields: []string{"Sock 2", "3"}}, {line: 4, fields: []string{"Sock 3", "4"}}}},
		{name: "NUL in a field rejects its row", file: "nul_field.csv", data: []byte("id,name\n1,a\x00b\n2,ok\n"), header: []string{"id", "name"},
			records: []wantRecord{
				{line: 2, fields: []string{"1", "a\x00b"}, err: "line 2, column name: NUL byte at offset 1; the field is not text"},
				{line: 3, fields: []string{"2", "ok"}},
			}},
		{name: "field over max_field", file: "big_field.csv", data: []byte("id,name\n1,abcdefghi\n2,\"abcdefgh\"\n3,\"ab\nc\"\"defg\"\n"), src: Format{MaxField: 8},
			header: []string{"id", "name"}, records: []wantRecord{
				{line: 2, fields: []string{"1", ""}, err: "line 2, column name: field 2 is 9 B, over source.max_field 8 B; it is left empty in this file"},
				{line: 3, fields: []string{"2", "abcdefgh"}},
				{line: 4, fields: []string{"3", ""}, err: "line 4, column name: field 2 is 9 B, over source.max_field 8 B; it is left empty in this file"},
			}},
		{name: "xlsx is a zip", file: "book.xlsx", data: []byte("PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00"),
			err: "book.xlsx: not a text CSV file: it is a zip archive (an .xlsx or .ods workbook is one: export it as CSV)"},
		{name: "PDF", file: "report.csv", data: []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), err: "report.csv: not a text CSV file: it is a PDF document"},
		{name: "gzip of a PNG", file: "logo.csv.gz", data: gz([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")), err: "logo.csv.gz: not a text CSV file: it is a PNG image"},
		{name: "UTF-8 BOM", file: "bom.csv", header: []string{"id", "name"}, records: []wantRecord{{line: 2, fields: []string{"1", "a"}}}},
		{name: "semicolon delimiter", file: "semicolon.csv", src: Format{Delimiter: ';'}, header: []string{"id", "name", "price"},
			records: []wantRecord{{line: 2, fields: []string{"1", "Socks, wool", "4,50"}}}},
		{name: "latin1", file: "latin1.csv", data: []byte("id,name\n1,caf\xe9 cr\xe8me\n"), src: Format{Encoding: "latin1"},
			header: []string{"id", "name"}, records: []wantRecord{{line: 2, fields: []string{"1", "café crème"}}}},
		{name: "iso-8859-1 header", file: "latin1_header.csv", data: []byte("r\xe9f,prix\nA,1\n"), src: Format{Encoding: "ISO-8859-1"},
			header: []string{"réf", "prix"}, records: []wantRecord{{line: 2, fields: []string{"A", "1"}}}},
		{name: "windows-1252", file: "cp1252.csv", data: []byte("id,price\n1,\x80 5 \x96 caf\xe9\n"), src: Format{Encoding: "windows-1252"},
			header: []string{"id", "price"}, records: []wantRecord{{line: 2, fields: []string{"1", "€ 5 – café"}}}},
		{name: "UTF-16 LE with BOM, declared utf-16", file: "utf16le.csv", data: utf16(t, utf16Text, unicode.LittleEndian, true),
			src: Format{Encoding: "utf-16"}, header: []string{"id", "name"}, records: utf16Records},
		{name: "UTF-16 BE with BOM wins over utf-8", file: "utf16be.csv", data: utf16(t, utf16Text, unicode.BigEndian, true),
			header: []string{"id", "name"}, records: utf16Records},
		{name: "UTF-16 without BOM defaults to LE", file: "utf16nobom.csv", data: utf16(t, utf16Text, unicode.LittleEndian, false),
			src: Format{Encoding: "UTF16"}, header: []string{"id", "name"}, records: utf16Records},
		{name: "UTF-16 without BOM read as utf-8", file: "utf16.csv", data: utf16(t, utf16Text, unicode.LittleEndian, false),
			err: "utf16.csv:1: not a text CSV file: it looks like UTF-16 (little endian) without a byte order mark; set source.encoding: utf-16"},
		{name: "gzip", file: "plain.csv.gz", data: gz(plain), header: []string{"id", "name", "price"}, records: plainRecords},
		{name: "gzip found by magic, not name", file: "plain_zipped.csv", data: gz(plain), header: []string{"id", "name", "price"}, records: plainRecords},
		{name: "gzip of latin1 with line numbers of the text", file: "l1.csv.gz", data: gz([]byte("id,name\n\n1,\"two\nlines\"\n2,caf\xe9\n")),
			src: Format{Encoding: "latin1"}, header: []string{"id", "name"},
			records: []wantRecord{{line: 3, fields: []string{"1", "two\nlines"}}, {line: 5, fields: []string{"2", "café"}}}},
		{name: "gzip bad header", file: "bad.csv.gz", data: []byte("\x1f\x8bnot gzip at all"),
			err: "bad.csv.gz: decompress: gzip: invalid header"},
		{name: "gzip corrupt deflate data", file: "corrupt.csv.gz", data: append(gz(nil)[:10], "\xff\xff\xff\xff garbage"...),
			err: "corrupt.csv.gz: decompress: flate: corrupt input before offset 1"},
		{name: "gzip bad checksum", file: "crc.csv.gz", data: badCRC,
			err: "crc.csv.gz: decompress: gzip: invalid checksum"},
		{name: "embedded newline then short row", file: "multiline.csv", header: []string{"id", "note", "price"},
			records: []wantRecord{
				{line: 2, fields: []string{"1", "first line\nsecond line\nthird line", "3.00"}},
				{line: 5, fields: []string{"2", "short"}, err: "line 5: has 2 fields, the header has 3" + shortRow},
				{line: 6, fields: []string{"3", "ok", "1"}},
			}},
		{name: "ragged off", file: "ragged.csv", header: []string{"id", "name", "price", "color"},
			records: []wantRecord{
				raggedRecords[0],
				{line: 3, fields: []string{"2", "b"}, err: "line 3: has 2 fields, the header has 4" + shortRow},
				{line: 4, fields: []string{"3"}, err: "line 4: has 1 field, the header has 4" + shortRow},
				raggedRecords[3],
			}},
		{name: "ragged on", file: "ragged.csv", src: Format{Ragged: true}, header: []string{"id", "name", "price", "color"}, records: raggedRecords},
		{name: "too many fields", file: "too_many.csv", header: []string{"id", "name"}, records: tooMany},
		{name: "too many fields even when ragged", file: "too_many.csv", src: Format{Ragged: true}, header: []string{"id", "name"}, records: tooMany},
		{name: "invalid UTF-8", file: "invalid_utf8.csv", data: []byte("id,name\n1,caf\xe9\n2,ok\n"), header: []string{"id", "name"},
			records: []wantRecord{
				{line: 2, fields: []string{"1", "caf\xe9"}, err: "line 2, column name: invalid UTF-8 (byte 0xE9 at offset 3); is the file latin1? set source.encoding"},
				{line: 3, fields: []string{"2", "ok"}},
			}},
		{name: "invalid UTF-8 in header", file: "invalid_header.csv", data: []byte("id,r\xe9f\n1,a\n"),
			err: "invalid_header.csv:1:4: header column 2 is not valid UTF-8 (byte 0xE9 at offset 1); is the file latin1? set source.encoding"},
		{name: "a bare quote is text, text after a closing quote rejects its row with its source", file: "bare_quote.csv", header: []string{"id", "name", "price"},
			records: []wantRecord{
				{line: 2, fields: []string{"1", "ok", "1"}},
				{line: 3, fields: []string{"2", `bad"quote`, "2"}},
				{line: 4, err: `line 4, column name: text after the closing quote of a quoted field`, raw: `3,"x"y,3`},
				{line: 5, fields: []string{"4", "fine", "4"}},
			}},
		{name: "quote left open until a later quote", file: "quote_span.csv", header: []string{"id", "name"},
			records: []wantRecord{
				{line: 2, err: `line 2, column name: text after the closing quote of a quoted field at line 4`, raw: "1,\"opens here\n2,b\n3,\"c\",x"},
				{line: 5, fields: []string{"4", "d"}},
			}},
		{name: "unclosed quote running to EOF", file: "unclosed.csv", header: []string{"id", "name"},
			records: []wantRecord{{line: 2, fields: []string{"1", "a"}}},
			err:     "unclosed.csv:3: quoted field opened on line 3 is never closed"},
		{name: "unclosed quote on the last line", file: "unclosed_last_line.csv", header: []string{"id", "name"},
			records: []wantRecord{
				{line: 2, fields: []string{"1", "a"}},
				{line: 3, err: `line 3, column name: quoted field is never closed`, raw: `2,"open`},
			}},
		{name: "binary file", file: "image.csv", data: []byte("id,name\n1,a\n\x00\x01\x02\x03"),
			err: "image.csv:3: not a text CSV file: 4 of its first 16 bytes are control characters (the first, 0x00, on line 3); is it binary?"},
		{name: "empty file", file: "empty.csv", err: "empty.csv: empty file: no header row"},
		{name: "only blank lines", file: "blank_only.csv", err: "blank_only.csv: empty file: no header row"},
		{name: "duplicate header", file: "dup_header.csv", err: `dup_header.csv:1:15: duplicate header name "name" in columns 2 and 4`},
		{name: "empty header name", file: "empty_header.csv", err: "empty_header.csv:1:4: header column 2 has no name"},
		{name: "header ending in a delimiter", file: "trailing_comma.csv", data: []byte("id,name,"), err: "trailing_comma.csv:1:9: header column 3 has no name"},
		{name: "header quote error", file: "bad_header.csv", data: []byte("id,\"na\"me\n1,2\n"),
			err: `bad_header.csv:1:4: header row: text after the closing quote of a quoted field`},
		{name: "header quote never closed", file: "open_header.csv", data: []byte("id,\"name\n1,2\n"),
			err: `open_header.csv:1: header row: quoted field is never closed`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join("testdata", "reader", tt.file)
			if tt.data != nil {
				path = filepath.Join(t.TempDir(), tt.file)
				if err := os.WriteFile(path, tt.data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			info, err := f.Stat()
			if err != nil {
				t.Fatal(err)
			}

			r, err := NewReader(f, tt.file, tt.src)
			if tt.header == nil {
				checkFileError(t, err, tt.err)
				return
			}
			if err != nil {
				t.Fatalf("NewReader: %v", err)
			}
			if got := r.Header(); !reflect.DeepEqual(got, tt.header) {
				t.Errorf("Header() = %q, want %q", got, tt.header)
			}
			var got []wantRecord
			for {
				rec, err := r.Next()
				if err == io.EOF {
					if tt.err != "" {
						t.Errorf("Next: io.EOF, want %q", tt.err)
					}
					if r.BytesRead() != info.Size() {
						t.Errorf("BytesRead() = %d after EOF, want the file size %d", r.BytesRead(), info.Size())
					}
					break
				}
				if err != nil {
					checkFileError(t, err, tt.err)
					break
				}
				w := wantRecord{line: rec.Line, fields: append([]string(nil), rec.Fields...), raw: rec.Raw}
				if rec.Err != nil {
					w.err = rec.Err.Error()
					if rec.Err.Line != rec.Line {
						t.Errorf("RowError.Line = %d, Record.Line = %d", rec.Err.Line, rec.Line)
					}
				}
				got = append(got, w)
			}
			if len(got) != len(tt.records) {
				t.Errorf("got %d records, want %d:\n%s", len(got), len(tt.records), dump(got))
			}
			for i := range min(len(got), len(tt.records)) {
				g, w := got[i], tt.records[i]
				if g.line != w.line || !reflect.DeepEqual(g.fields, w.fields) || g.err != w.err || g.raw != w.raw {
					t.Errorf("record %d = {%d %q %q %q}, want {%d %q %q %q}", i, g.line, g.fields, g.err, g.raw, w.line, w.fields, w.err, w.raw)
				}
			}
			// Errors and EOF are sticky.
			if _, err := r.Next(); err == nil {
				t.Errorf("Next after the end returned no error")
			}
		})
	}
}

// TestReaderFormat checks Format values that are configuration mistakes:
// they are plain errors, not *FileError, because the file is not at fault.
func TestReaderSource(t *testing.T) {
	tests := []struct {
		src  Format
		want string
	}{
		{Format{Encoding: "ebcdic"}, `unknown encoding "ebcdic" (want utf-8, latin1, windows-1252 or utf-16)`},
		{Format{Delimiter: '"'}, `source.delimiter '"' cannot separate fields`},
		{Format{Delimiter: '\n'}, `source.delimiter '\n' cannot separate fields`},
	}
	for _, tt := range tests {
		_, err := NewReader(strings.NewReader("a,b\n"), "x.csv", tt.src)
		var fe *FileError
		if err == nil || errors.As(err, &fe) || err.Error() != tt.want {
			t.Errorf("NewReader(%+v) error = %v, want plain error %q", tt.src, err, tt.want)
		}
	}
}

// TestReaderTruncatedGzip checks that a gzip stream cut short after the
// first buffers stops the import with a *FileError at the broken record
// instead of ending quietly with the rows read so far.
func TestReaderTruncatedGzip(t *testing.T) {
	data := gz(generateCSV(20000))
	data = data[:len(data)/2]
	r, err := NewReader(bytes.NewReader(data), "big.csv.gz", Format{})
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	n := 0
	for {
		rec, err := r.Next()
		if err != nil {
			want := fmt.Sprintf("big.csv.gz:%d: decompress: unexpected EOF", n+2)
			var fe *FileError
			if !errors.As(err, &fe) || !errors.Is(err, io.ErrUnexpectedEOF) || err.Error() != want {
				t.Fatalf("after %d records: error %v, want *FileError %q", n, err, want)
			}
			break
		}
		n++
		if rec.Err != nil || rec.Line != n+1 || rec.Fields[0] != fmt.Sprint(n) {
			t.Fatalf("record %d = line %d %q %v", n, rec.Line, rec.Fields, rec.Err)
		}
	}
	if n < 1000 || n >= 20000 {
		t.Errorf("read %d records before the cut, want some but not all", n)
	}
	if got := r.BytesRead(); got != int64(len(data)) {
		t.Errorf("BytesRead() = %d, want %d", got, len(data))
	}
}

// TestReaderBytesReadConcurrent polls BytesRead from another goroutine, as
// a progress bar does, while the file is read (run with -race).
func TestReaderBytesReadConcurrent(t *testing.T) {
	data := gz(generateCSV(50000))
	r, err := NewReader(bytes.NewReader(data), "big.csv.gz", Format{})
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	done := make(chan struct{})
	polled := make(chan []int64)
	go func() {
		var seen []int64
		for {
			select {
			case <-done:
				polled <- seen
				return
			default:
				seen = append(seen, r.BytesRead())
			}
		}
	}()
	rows := 0
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rows++
	}
	close(done)
	seen := <-polled
	for i := 1; i < len(seen); i++ {
		if seen[i] < seen[i-1] || seen[i] > int64(len(data)) {
			t.Fatalf("BytesRead went %d -> %d (file has %d bytes)", seen[i-1], seen[i], len(data))
		}
	}
	if rows != 50000 || r.BytesRead() != int64(len(data)) {
		t.Errorf("read %d rows and %d bytes, want 50000 and %d", rows, r.BytesRead(), len(data))
	}
}

func checkFileError(t *testing.T, err error, want string) {
	t.Helper()
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error = %v (%T), want *FileError %q", err, err, want)
	}
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err.Error(), want)
	}
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "reader", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// gz compresses b; writing to a bytes.Buffer cannot fail.
func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Bytes()
}

func utf16(t *testing.T, s string, order unicode.Endianness, bom bool) []byte {
	t.Helper()
	policy := unicode.IgnoreBOM
	if bom {
		policy = unicode.UseBOM
	}
	b, err := unicode.UTF16(order, policy).NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func dump(recs []wantRecord) string {
	var b strings.Builder
	for _, r := range recs {
		fmt.Fprintf(&b, "  {%d %q %q}\n", r.line, r.fields, r.err)
	}
	return b.String()
}

// generateCSV returns a header and rows of 9 columns shaped like a product
// export: ids, text with the odd quoted comma, decimals, dates, timestamps.
func generateCSV(rows int) []byte {
	var b bytes.Buffer
	b.WriteString("id,sku,name,price,qty,active,day,updated,note\n")
	for i := 1; i <= rows; i++ {
		note := "plain note"
		if i%10 == 0 {
			note = `"with, a comma and ""quotes"""`
		}
		fmt.Fprintf(&b, "%d,SKU-%06d,Product %d,%d.%02d,%d,%t,2026-%02d-%02d,2026-03-14T15:%02d:%02dZ,%s\n",
			i, i, i, i%1000, i%100, i%50, i%2 == 0, i%12+1, i%28+1, i%60, i%60, note)
	}
	return b.Bytes()
}

func BenchmarkReader(b *testing.B) {
	const rows = 100_000
	plain := generateCSV(rows)
	for _, bc := range []struct {
		name string
		data []byte
	}{{"plain", plain}, {"gzip", gz(plain)}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(plain)))
			b.ReportAllocs()
			for b.Loop() {
				r, err := NewReader(bytes.NewReader(bc.data), "bench.csv", Format{})
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for {
					rec, err := r.Next()
					if err == io.EOF {
						break
					}
					if err != nil || rec.Err != nil {
						b.Fatal(err, rec.Err)
					}
					n++
				}
				if n != rows {
					b.Fatalf("read %d rows, want %d", n, rows)
				}
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
