package importer

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// errIrregular stops the key scan at input the fast splitter does not
// handle (a quote error, a line it cannot read): the caller then stages
// every row, which is always correct.
var errIrregular = errors.New("irregular CSV")

// keyRecords splits the records that follow the header the way
// encoding/csv does (comma set, no comments, no lazy quotes, no trimming),
// but only turns the fields the key needs into strings. Most lines have no
// quote at all and are split with a few byte searches; a line with a
// quote goes through a port of encoding/csv's field parser. Agreeing with
// encoding/csv on every record boundary is what keeps the counts exact,
// so FuzzKeyRecords checks the two against each other.
type keyRecords struct {
	text   *bufio.Reader
	delim  byte
	need   []bool // need[i]: field i is returned
	fields []string
	raw    []byte // a line longer than the bufio buffer
	rec    []byte // the unquoted content of a record with quotes
	ends   []int  // end of each field in rec
}

// newKeyRecords reads from text, which must be positioned at the start
// of a record; fields is the set of field indexes wanted.
func newKeyRecords(text *bufio.Reader, delim byte, fields []int) *keyRecords {
	k := &keyRecords{text: text, delim: delim}
	for _, f := range fields {
		for len(k.need) <= f {
			k.need = append(k.need, false)
		}
		k.need[f] = true
	}
	return k
}

// next returns the next record's field count and its fields, of which
// only the needed ones are set. It returns io.EOF at the end, and
// errIrregular where encoding/csv would report an error.
func (k *keyRecords) next() (int, []string, error) {
	var line []byte
	var errRead error
	for errRead == nil {
		line, errRead = k.readLine()
		if errRead == nil && len(line) == lengthNL(line) {
			continue // empty line
		}
		break
	}
	if errRead == io.EOF {
		return 0, nil, io.EOF
	}
	if errRead != nil {
		return 0, nil, errIrregular
	}
	if bytes.IndexByte(line, '"') < 0 {
		return k.split(line[:len(line)-lengthNL(line)])
	}
	return k.parseQuoted(line)
}

// readLine is encoding/csv's readLine: one line with \r\n made \n, and a
// trailing \r dropped at the end of the input.
func (k *keyRecords) readLine() ([]byte, error) {
	line, err := k.text.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		k.raw = append(k.raw[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = k.text.ReadSlice('\n')
			k.raw = append(k.raw, line...)
		}
		line = k.raw
	}
	if len(line) > 0 && err == io.EOF {
		err = nil
		if line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
	}
	if n := len(line); n >= 2 && line[n-2] == '\r' && line[n-1] == '\n' {
		line[n-2] = '\n'
		line = line[:n-1]
	}
	return line, err
}

// split handles a record on one line without quotes.
func (k *keyRecords) split(line []byte) (int, []string, error) {
	n := bytes.Count(line, []byte{k.delim}) + 1
	k.fields = k.fields[:0]
	for i := 0; i < len(k.need) && i < n; i++ {
		end := bytes.IndexByte(line, k.delim)
		if end < 0 {
			end = len(line)
		}
		f := ""
		if k.need[i] {
			f = string(line[:end])
		}
		k.fields = append(k.fields, f)
		if end < len(line) {
			line = line[end+1:]
		}
	}
	return n, k.fields, nil
}

// parseQuoted is encoding/csv's readRecord field loop, for a record that
// has a quote somewhere; it may read more lines.
func (k *keyRecords) parseQuoted(line []byte) (int, []string, error) {
	k.rec, k.ends = k.rec[:0], k.ends[:0]
	var errRead error
parseField:
	for {
		if len(line) == 0 || line[0] != '"' {
			i := bytes.IndexByte(line, k.delim)
			field := line
			if i >= 0 {
				field = field[:i]
			} else {
				field = field[:len(field)-lengthNL(field)]
			}
			if bytes.IndexByte(field, '"') >= 0 {
				return 0, nil, errIrregular // bare quote
			}
			k.rec = append(k.rec, field...)
			k.ends = append(k.ends, len(k.rec))
			if i >= 0 {
				line = line[i+1:]
				continue parseField
			}
			break parseField
		}
		line = line[1:]
		for {
			i := bytes.IndexByte(line, '"')
			switch {
			case i >= 0:
				k.rec = append(k.rec, line[:i]...)
				line = line[i+1:]
				switch {
				case len(line) > 0 && line[0] == '"':
					k.rec = append(k.rec, '"')
					line = line[1:]
				case len(line) > 0 && line[0] == k.delim:
					line = line[1:]
					k.ends = append(k.ends, len(k.rec))
					continue parseField
				case lengthNL(line) == len(line):
					k.ends = append(k.ends, len(k.rec))
					break parseField
				default:
					return 0, nil, errIrregular // extraneous quote
				}
			case len(line) > 0:
				k.rec = append(k.rec, line...)
				if errRead != nil {
					return 0, nil, errIrregular
				}
				line, errRead = k.readLine()
				if errRead == io.EOF {
					errRead = nil
				}
			default:
				return 0, nil, errIrregular // quote never closed
			}
		}
	}
	k.fields = k.fields[:0]
	start := 0
	for i, end := range k.ends {
		if i >= len(k.need) {
			break
		}
		f := ""
		if k.need[i] {
			f = string(k.rec[start:end])
		}
		k.fields = append(k.fields, f)
		start = end
	}
	return len(k.ends), k.fields, nil
}

// lengthNL reports the number of bytes for the trailing \n.
func lengthNL(b []byte) int {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return 1
	}
	return 0
}
