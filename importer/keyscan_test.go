package importer

import (
	"bufio"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"testing"
)

// keyScanCases are inputs where a CSV splitter could drift from
// encoding/csv: quotes, embedded newlines, CRLF, blank lines, a missing
// final newline, errors.
var keyScanCases = []string{
	"h1,h2\na,b\nc,d\n",
	"h1,h2\na,b\nc,d",
	"h1,h2\r\na,b\r\nc,d\r\n",
	"h1,h2\na,b\r",
	"h1,h2\n\n\na,b\n\r\n\nc,d\n",
	"h1,h2\n\"a,1\",b\n\"c\"\"x\",\"d\"\n",
	"h1,h2\n\"line one\nline two\",b\nc,d\n",
	"h1,h2\n\"line one\r\nline two\r\n\",b\r\nc,d\r\n",
	"h1,h2\na\"b,c\nd,e\n",
	"h1,h2\n\"a\"b,c\nd,e\n",
	"h1,h2\n\"never closed,c\nd,e\n",
	"h1,h2\na,\"b\"",
	"h1,h2\n,\n,,\n\"\",\"\"\n",
	"h1,h2\n a , b \n",
	"\"h,1\",h2\na,b\n",
	"h1,h2\n\"\"\"\",x\n\"\"\"\"\"\",y\n",
	"h1,h2\na,\"\"\n\"\",b\n\"a\r\",b\n",
	"h1,h2\n" + strings.Repeat("x", 100) + "," + strings.Repeat("y", 100) + "\n\"" + strings.Repeat("z\n", 40) + "\",w\n",
	// Longer than the read buffer: the line is gathered in pieces.
	"h1,h2\n" + strings.Repeat("x", 70<<10) + ",y\nc,\"" + strings.Repeat("q", 70<<10) + "\nq\"\n",
}

// TestKeyRecordsAgreesWithCSV runs keyRecords and encoding/csv over the
// same inputs and checks that every record the splitter returns is the
// one encoding/csv returns, and that it gives up no later than
// encoding/csv reports an error.
func TestKeyRecordsAgreesWithCSV(t *testing.T) {
	t.Parallel()
	for _, in := range keyScanCases {
		for _, delim := range []byte{',', ';', '\t'} {
			data := in
			if delim != ',' {
				data = strings.ReplaceAll(in, ",", string(delim))
			}
			if n, err := compareKeyRecords(data, delim); err != nil {
				t.Errorf("delim %q, %.200q: record %d: %v", delim, data, n, err)
			}
		}
	}
}

func FuzzKeyRecords(f *testing.F) {
	for _, c := range keyScanCases {
		f.Add(c, byte(','))
	}
	f.Fuzz(func(t *testing.T, data string, delim byte) {
		if delim == 0 || delim == '"' || delim == '\r' || delim == '\n' || delim >= 0x80 {
			t.Skip()
		}
		if n, err := compareKeyRecords(data, delim); err != nil {
			t.Fatalf("delim %q, %q: record %d: %v", delim, data, n, err)
		}
	})
}

// compareKeyRecords returns which record differs and how, or nil. The
// header is read by encoding/csv from the same buffered reader, as
// NewReader does, so the hand-over is checked too.
func compareKeyRecords(data string, delim byte) (int, error) {
	want := csv.NewReader(strings.NewReader(data))
	want.Comma, want.FieldsPerRecord = rune(delim), -1
	text := bufio.NewReaderSize(strings.NewReader(data), bufSize)
	head := csv.NewReader(text)
	head.Comma, head.FieldsPerRecord = rune(delim), -1
	if _, err := want.Read(); err != nil {
		return 0, nil // no header: the Reader fails the file before any scan
	}
	if _, err := head.Read(); err != nil {
		return 0, errors.New("the header reads in one reader but not the other")
	}
	all := make([]int, 40)
	for i := range all {
		all[i] = i
	}
	got := newKeyRecords(text, delim, all)
	for n := 1; ; n++ {
		rec, werr := want.Read()
		count, fields, gerr := got.next()
		switch {
		case errors.Is(gerr, errIrregular):
			// Giving up stages every row, which is always right; it must
			// still only happen where encoding/csv reports an error, or
			// good files would lose the fast path.
			if werr == nil || werr == io.EOF {
				return n, errors.New("keyRecords gave up on a record encoding/csv reads")
			}
			return n, nil
		case werr == io.EOF && gerr == io.EOF:
			return n, nil
		case werr != nil || gerr != nil:
			return n, errors.New("encoding/csv says " + errString(werr) + ", keyRecords says " + errString(gerr))
		case count != len(rec):
			return n, errors.New("field count differs")
		}
		for i := 0; i < len(fields); i++ {
			if fields[i] != rec[i] {
				return n, errors.New("field " + rec[i] + " read as " + fields[i])
			}
		}
	}
}

func errString(err error) string {
	if err == nil {
		return "a record"
	}
	return err.Error()
}
