package importer

import (
	"bytes"
	"compress/gzip"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/sluice-dev/sluice/models"
)

func gzipText(t testing.TB, s string) string {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestImportFormats: compression, byte order marks, encodings, line
// endings and short rows, end to end.
func TestImportFormats(t *testing.T) {
	t.Parallel()
	sep := readImportFixture(t, "socks-2026-09.csv")
	latin1, err := charmap.ISO8859_1.NewEncoder().String(sep)
	if err != nil {
		t.Fatal(err)
	}
	utf16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(sep)
	if err != nil {
		t.Fatal(err)
	}
	const header = "sku,name,Color,price,quantity,in_stock,updated_on,restocked_at\n"
	const raggedRows = "SK-001,Merino Argyle,Navy,12.50,10,true,2026-09-01,2026-09-30T20:00:00+02:00\n" +
		"SK-002,Short Sock\n" +
		"SK-003,Shorter,Red,5\n"
	const shortRow = "; set source.ragged: true to read missing trailing fields as empty"
	withRejects := func(o outcome, n int64) outcome { o.Rejected = n; return o }

	tests := []struct {
		name    string
		job     socksOpts
		file    string
		data    string
		want    outcome
		rows    [][]string
		rejects [][]string // reject rows after the header; nil: no reject file
	}{
		{name: "gzip", file: "in/socks-2026-09.csv.gz", data: gzipText(t, sep), want: ok(4, 4, 0, 0), rows: socksSep},
		{name: "gzip without the .gz name", file: "in/socks-2026-09.csv", data: gzipText(t, sep), want: ok(4, 4, 0, 0), rows: socksSep},
		{name: "UTF-8 BOM", file: "in/socks-2026-09.csv", data: "\uFEFF" + sep, want: ok(4, 4, 0, 0), rows: socksSep},
		{name: "UTF-8 BOM in gzip", file: "in/socks-2026-09.csv.gz", data: gzipText(t, "\uFEFF"+sep), want: ok(4, 4, 0, 0), rows: socksSep},
		{name: "CRLF line endings", file: "in/socks-2026-09.csv", data: strings.ReplaceAll(sep, "\n", "\r\n"), want: ok(4, 4, 0, 0), rows: socksSep},
		{name: "latin1", job: socksOpts{Encoding: "latin1"}, file: "in/socks-2026-09.csv", data: latin1, want: ok(4, 4, 0, 0), rows: socksSep},
		{name: "latin1 spelt ISO-8859-1", job: socksOpts{Encoding: "ISO-8859-1"}, file: "in/socks-2026-09.csv", data: latin1, want: ok(4, 4, 0, 0), rows: socksSep},
		{name: "a UTF-8 BOM wins over encoding latin1", job: socksOpts{Encoding: "latin1"}, file: "in/socks-2026-09.csv", data: "\uFEFF" + sep, want: ok(4, 4, 0, 0), rows: socksSep},
		{name: "UTF-16 with BOM", file: "in/socks-2026-09.csv", data: utf16, want: ok(4, 4, 0, 0), rows: socksSep},
		{
			name: "latin1 read as UTF-8: the row is rejected, not mangled",
			file: "in/socks-2026-09.csv", data: latin1,
			want: withRejects(ok(4, 3, 0, 0), 1),
			rows: [][]string{socksSep[0], socksSep[1], socksSep[3]},
			rejects: [][]string{{"4", "name", "invalid UTF-8 (byte 0xE8 at offset 2); is the file latin1? set source.encoding",
				"SK-003", "Cr\xe8me Br\xfbl\xe9e Stripe", "", "7", "5", "1", "2026-09-03", ""}},
		},
		{
			name: "ragged: short rows land with NULLs",
			job:  socksOpts{Ragged: true},
			file: "in/socks-2026-09.csv", data: header + raggedRows,
			want: ok(3, 3, 0, 0),
			rows: [][]string{
				socksSep[0],
				{"'SK-002'", "'Short Sock'", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL"},
				{"'SK-003'", "'Shorter'", "'Red'", "5", "NULL", "NULL", "NULL", "NULL"},
			},
		},
		{
			name: "ragged: a short row missing a required value is still rejected",
			job:  socksOpts{Ragged: true},
			file: "in/socks-2026-09.csv", data: header + "SK-002\n",
			want:    withRejects(ok(1, 0, 0, 0), 1),
			rows:    [][]string{},
			rejects: [][]string{{"2", "name", "required value is empty", "SK-002", "", "", "", "", "", "", ""}},
		},
		{
			name: "not ragged: short rows rejected",
			file: "in/socks-2026-09.csv", data: header + raggedRows,
			want: withRejects(ok(3, 1, 0, 0), 2),
			rows: [][]string{socksSep[0]},
			rejects: [][]string{
				{"3", "", "has 2 fields, the header has 8" + shortRow, "SK-002", "Short Sock"},
				{"4", "", "has 4 fields, the header has 8" + shortRow, "SK-003", "Shorter", "Red", "5"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newImportEnv(t, socksJob(tt.job))
			res := e.importFile("socks", e.write(tt.file, tt.data), Options{})
			checkResult(t, "import", res, tt.want)
			checkRows(t, "socks", e.socks(), tt.rows)
			switch {
			case tt.rejects == nil && res.RejectFile != "":
				t.Errorf("unexpected reject file: %q", readRejects(t, res.RejectFile))
			case tt.rejects != nil && res.RejectFile == "":
				t.Errorf("no reject file, want rows %q", tt.rejects)
			case tt.rejects != nil:
				got := readRejects(t, res.RejectFile)
				checkRows(t, "reject file", got[1:], tt.rejects)
			}
		})
	}
}

// TestImportBadFiles: a file that cannot be read as CSV fails as a whole
// with an error that says why and where; nothing is written but the
// failed run.
func TestImportBadFiles(t *testing.T) {
	t.Parallel()
	const header = "sku,name,Color,price,quantity,in_stock,updated_on,restocked_at\n"
	r := rand.New(rand.NewPCG(1, 2))
	noise := make([]byte, 4096)
	for i := range noise {
		noise[i] = byte(r.UintN(256))
	}
	noise[0], noise[1], noise[200] = 'x', 'y', 0 // not gzip's magic; a NUL on line 1 at the latest
	utf16NoBOM, err := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder().String(header)
	if err != nil {
		t.Fatal(err)
	}
	truncated := gzipText(t, header+strings.Repeat("SK-001,Merino Argyle,Navy,12.50,10,true,2026-09-01,\n", 50))
	truncated = truncated[:len(truncated)/2]

	tests := []struct {
		name string
		data string
		line int // the *FileError's line; 0: unknown
		err  []string
	}{
		{name: "random bytes with a NUL", data: string(noise), err: []string{"not a text CSV file", "control characters"}},
		{name: "a PNG", data: "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", err: []string{"socks-2026-09.csv: not a text CSV file: it is a PNG image"}},
		{name: "UTF-16 without a BOM", data: utf16NoBOM, line: 1, err: []string{"not a text CSV file"}},
		{
			name: "unclosed quote running to the end",
			data: header +
				"SK-001,Merino Argyle,Navy,12.50,10,true,2026-09-01,\n" +
				"SK-002,\"Never closed,Red,1,1,1,2026-09-02,\n" +
				"SK-003,Bamboo Dot,White,0.10,250,no,2026-09-04,\n" +
				"SK-004,Bamboo Dot,White,0.10,250,no,2026-09-04,\n",
			line: 3,
			err:  []string{"socks-2026-09.csv:3:", "quoted field opened on line 3 is never closed"},
		},
		{name: "empty", data: "", err: []string{"empty file: no header row"}},
		{name: "truncated gzip", data: truncated, err: []string{"decompress", "unexpected EOF"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newImportEnv(t, socksJob(socksOpts{}))
			path := e.write("in/socks-2026-09.csv", tt.data)
			res := e.importFile("socks", path, Options{})
			if res.Status != models.StatusFailed || res.Err == nil {
				t.Fatalf("Status = %q, Err = %v; want failed", res.Status, res.Err)
			}
			checkResult(t, "import", res, outcome{Status: models.StatusFailed, Rows: res.Rows}, tt.err...)
			var fe *FileError
			if !errors.As(res.Err, &fe) {
				t.Errorf("error %v is not a *FileError", res.Err)
			} else if tt.line != 0 && fe.Line != tt.line {
				t.Errorf("FileError.Line = %d, want %d", fe.Line, tt.line)
			}
			if e.tableExists("socks") {
				t.Errorf("table socks exists after a failed import: %q", e.socks())
			}
			runs := e.runs()
			if len(runs) != 1 || runs[0].Status != models.StatusFailed || runs[0].Error != res.Err.Error() {
				t.Errorf("sluice_runs = %+v, want one failed run with error %q", runs, res.Err)
			}
		})
	}
}
