package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
)

// splitCases are inputs where a CSV splitter could go wrong: quotes,
// embedded line ends, CRLF and lone CR, blank lines, a missing final line
// end, bare quotes, space after a closing quote, text after one, quotes
// left open, fields over the limit, windows cut anywhere.
var splitCases = []string{
	"h1,h2\na,b\nc,d\n",
	"h1,h2\na,b\nc,d",
	"h1,h2\r\na,b\r\nc,d\r\n",
	"h1,h2\na,b\r",
	"h1,h2\n\n\na,b\n\r\n\nc,d\n",
	"h1,h2\n\"a,1\",b\n\"c\"\"x\",\"d\"\n",
	"h1,h2\n\"line one\nline two\",b\nc,d\n",
	"h1,h2\n\"line one\r\nline two\r\n\",b\r\nc,d\r\n",
	"h1,h2\r\n\"Once upon \r\na time\",x\r\n",
	"h1,h2\na\"b,c\nd,e\n",
	"h1,h2\n37°36'37.8\"N,x\nab\"c,\"\"\n",
	"h1,h2\n\"a\"b,c\nd,e\n",
	"h1,h2\n\"Sock 1\" ,2\n\"x\"\t,\"y\"  \r\n\"z\" \n",
	"h1,h2\n\"never closed,c\nd,e\n",
	"h1,h2\nx,\"open on the last line",
	"h1,h2\nx,\"open on the last line\n",
	"h1,h2\n\"opens\n2,b\n3,\"c\",x\n4,d\n",
	"h1,h2\na,\"b\"",
	"h1,h2\n,\n,,\n\"\",\"\"\n",
	"h1,h2\n a , b \n \"a\",b\n",
	"\"h,1\",h2\na,b\n",
	"h1,h2\n\"\"\"\",x\n\"\"\"\"\"\",y\n",
	"h1,h2\na,\"\"\n\"\",b\n\"a\r\",b\n",
	"h1,h2\ra,b\rc,\"d\re\"\r\r",
	"h1,h2\ra,b\r\nc,d\r",
	"h1,h2\na\x00b,c\n",
	"h1,h2\nabcdefghijklmnop,x\n\"abcdefghijklmnopq\",y\nabcdefghijklmno\r\nz,\"" + strings.Repeat("q", 40) + "\",w\n",
	"h1,h2\n" + strings.Repeat("x", 100) + "," + strings.Repeat("y", 100) + "\n\"" + strings.Repeat("z\n", 40) + "\",w\n",
}

// refRecord is one record as refSplit reads it.
type refRecord struct {
	line   int
	fields []string
	big    int // first field over the limit, -1
	raw    string
	bad    bool
}

// refSplit is the reading rules of README.md ("Reading CSV") written as
// plainly as possible, over the whole text at once: the splitter, which
// reads through a window and searches with IndexByte, must agree with it
// on every input. It returns the records and, for a quote that runs to
// the end over more than one line, the line where it opened.
func refSplit(data, delim string, term byte, limit int) ([]refRecord, int) {
	var recs []refRecord
	n, i, line := len(data), 0, 1
	// eol is the length of the line end at j, 0 if there is none.
	eol := func(j int) int {
		switch {
		case j >= n:
			return 0
		case data[j] == term && term == '\r' && j+1 < n && data[j+1] == '\n':
			return 2
		case data[j] == term:
			return 1
		case term == '\n' && data[j] == '\r' && j+1 < n && data[j+1] == '\n':
			return 2
		}
		return 0
	}
	trimCR := func(s string) string {
		if term == '\n' {
			return strings.TrimSuffix(s, "\r")
		}
		return s
	}
	for i < n {
		if l := eol(i); l > 0 {
			i += l
			line++
			continue
		}
		if term == '\n' && data[i] == '\r' && i+1 == n {
			break
		}
		rec := refRecord{line: line, big: -1}
		start := i
		addField := func(f string) {
			if len(f) > limit {
				if rec.big < 0 {
					rec.big = len(rec.fields)
				}
				f = ""
			}
			rec.fields = append(rec.fields, f)
		}
		fail := func() {
			j := strings.IndexByte(data[i:], term)
			end := n
			if j >= 0 {
				end = i + j
			}
			raw := data[start:end]
			if rawMax := min(limit, maxRaw); len(raw) > rawMax {
				raw = raw[:rawMax]
			} else {
				raw = strings.TrimSuffix(strings.TrimSuffix(raw, "\n"), "\r")
			}
			rec.bad, rec.raw, rec.fields = true, raw, nil
			i = end
			if j >= 0 {
				i += eol(i)
				line++
			}
		}
	field:
		for {
			if i < n && data[i] == '"' {
				quoteLine := line
				i++
				var b strings.Builder
				for {
					j := strings.IndexByte(data[i:], '"')
					if j < 0 {
						rest := data[i:]
						lines := line + strings.Count(rest, string(term)) - quoteLine
						if strings.HasSuffix(data, string(term)) {
							lines--
						}
						if lines > 0 {
							return recs, quoteLine
						}
						line += strings.Count(rest, string(term))
						i = n
						fail()
						break field
					}
					b.WriteString(data[i : i+j])
					line += strings.Count(data[i:i+j], string(term))
					i += j + 1
					if i < n && data[i] == '"' {
						b.WriteByte('"')
						i++
						continue
					}
					break
				}
				for {
					switch {
					case i == n:
						addField(b.String())
						break field
					case strings.HasPrefix(data[i:], delim):
						addField(b.String())
						i += len(delim)
						continue field
					case data[i] == term:
						addField(b.String())
						i += eol(i)
						line++
						break field
					case data[i] == ' ' || data[i] == '\t' || (data[i] == '\r' && term == '\n'):
						i++
						continue
					}
					fail()
					break field
				}
			}
			end, isDelim := n, false
			if j := strings.Index(data[i:], delim); j >= 0 {
				end, isDelim = i+j, true
			}
			if j := strings.IndexByte(data[i:], term); j >= 0 && i+j < end {
				end, isDelim = i+j, false
			}
			if isDelim {
				addField(data[i:end])
				i = end + len(delim)
				continue
			}
			addField(trimCR(data[i:end]))
			i = end
			if i < n {
				i += eol(i)
				line++
			}
			break
		}
		recs = append(recs, rec)
	}
	return recs, 0
}

// compareSplit reads data with the splitter through a window of size
// bytes and compares every record with refSplit's.
func compareSplit(data, delim string, size, limit int) error {
	term := lineTerminator([]byte(data[:min(len(data), sniffSize)]))
	want, unclosed := refSplit(data, delim, term, limit)
	s := newSplitter(bufio.NewReaderSize(strings.NewReader(data), size), []byte(delim), term, limit)
	for n := 0; ; n++ {
		err := s.next()
		var open *errUnclosed
		switch {
		case errors.As(err, &open):
			if n != len(want) || open.line != unclosed || unclosed == 0 {
				return fmt.Errorf("record %d: quote opened on line %d never closed; want %d records, then unclosed %d", n, open.line, len(want), unclosed)
			}
			return nil
		case err == io.EOF:
			if n != len(want) || unclosed != 0 {
				return fmt.Errorf("EOF after %d records, want %d (unclosed %d)", n, len(want), unclosed)
			}
			return nil
		case err != nil:
			return err
		case n >= len(want):
			return fmt.Errorf("record %d %q past the %d records", n, s.strings(nil), len(want))
		}
		got := refRecord{line: s.start, big: s.big, bad: s.bad != "", raw: string(s.raw)}
		if !got.bad {
			got.fields = s.strings(nil)
		}
		if w := want[n]; !reflect.DeepEqual(got, w) {
			return fmt.Errorf("record %d = %+v, want %+v", n, got, w)
		}
	}
}

func TestSplitterAgreesWithRules(t *testing.T) {
	t.Parallel()
	for _, in := range splitCases {
		for _, delim := range []string{",", ";", "\t", "¦"} {
			data := strings.ReplaceAll(in, ",", delim)
			for _, size := range []int{16, 17, 23, 64, bufSize} {
				for _, limit := range []int{16, DefaultMaxField} {
					if err := compareSplit(data, delim, size, limit); err != nil {
						t.Errorf("delim %q, window %d, max %d, %.200q: %v", delim, size, limit, data, err)
					}
				}
			}
		}
	}
}

func FuzzSplitter(f *testing.F) {
	for _, c := range splitCases {
		f.Add(c, byte(','), uint8(0), uint8(16))
	}
	f.Fuzz(func(t *testing.T, data string, delim byte, size, limit uint8) {
		if delim == 0 || delim == '"' || delim == '\r' || delim == '\n' || delim >= 0x80 {
			t.Skip()
		}
		if err := compareSplit(data, string(delim), 16+int(size), 1+int(limit)); err != nil {
			t.Fatalf("delim %q, window %d, max %d, %q: %v", delim, 16+int(size), 1+int(limit), data, err)
		}
		if err := compareKeyRecords(data, delim); err != nil {
			t.Fatalf("delim %q, %q: %v", delim, data, err)
		}
	})
}

// TestKeyRecordsAgreeWithReader checks that the key scan sees every record
// the Reader returns, with the same fields, and rejects the same ones.
func TestKeyRecordsAgreeWithReader(t *testing.T) {
	t.Parallel()
	for _, in := range splitCases {
		for _, delim := range []byte{',', ';', '\t'} {
			data := strings.ReplaceAll(in, ",", string(delim))
			if err := compareKeyRecords(data, delim); err != nil {
				t.Errorf("delim %q, %.200q: %v", delim, data, err)
			}
		}
	}
}

// compareKeyRecords reads data with Reader.Next and with keyRecordsFrom,
// the key scan's reader, with every field a key field.
func compareKeyRecords(data string, delim byte) error {
	format := Format{Delimiter: rune(delim)}
	full, err := NewReader(strings.NewReader(data), "x.csv", format)
	if err != nil {
		return nil // the file fails before any scan
	}
	full.keysOnly = true
	keys, err := NewReader(strings.NewReader(data), "x.csv", format)
	if err != nil {
		return errors.New("the header reads in one reader but not the other")
	}
	p := &plan{j: &Job{}}
	for i := range keys.Header() {
		p.j.keyIdx = append(p.j.keyIdx, i)
		p.fields = append(p.fields, i)
	}
	next := keyRecordsFrom(keys, p)
	for n := 1; ; n++ {
		want, werr := full.Next()
		got, gerr := next()
		switch {
		case werr != nil || gerr != nil:
			if fmt.Sprint(werr) != fmt.Sprint(gerr) {
				return fmt.Errorf("record %d: Reader says %v, the key scan %v", n, werr, gerr)
			}
			return nil
		case (want.Err == nil) != (got.Err == nil):
			return fmt.Errorf("record %d: Reader's error %v, the key scan's %v", n, want.Err, got.Err)
		case want.Err == nil && !reflect.DeepEqual(want.Fields, got.Fields):
			return fmt.Errorf("record %d: Reader reads %q, the key scan %q", n, want.Fields, got.Fields)
		}
	}
}

// BenchmarkSplit reads the same 100,000 rows with the splitter and with
// encoding/csv (ReuseRecord, as the Reader used it), both making every
// field a string, so the two can be compared in one run.
func BenchmarkSplit(b *testing.B) {
	data := generateCSV(100_000)
	b.Run("splitter", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			s := newSplitter(bufio.NewReaderSize(bytes.NewReader(data), bufSize), []byte{','}, '\n', DefaultMaxField)
			var fields []string
			for s.next() == nil {
				fields = s.strings(fields)
			}
		}
	})
	b.Run("encoding-csv", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			r := csv.NewReader(bufio.NewReaderSize(bytes.NewReader(data), bufSize))
			r.ReuseRecord, r.FieldsPerRecord = true, -1
			for {
				if _, err := r.Read(); err != nil {
					break
				}
			}
		}
	})
}
