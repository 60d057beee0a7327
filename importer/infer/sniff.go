package infer

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"unicode/utf8"
)

// Encoding is what a file's bytes say of their character set.
type Encoding struct {
	Name string // as source.encoding takes it: utf-8, utf-16, windows-1252
	BOM  bool   // the file starts with a byte order mark
	Note string
}

// EncodingOf looks at the first bytes of a file for a byte order mark
// or the zero bytes of UTF-16 without one.
func EncodingOf(head []byte) Encoding {
	switch {
	case bytes.HasPrefix(head, []byte{0xef, 0xbb, 0xbf}):
		return Encoding{Name: "utf-8", BOM: true, Note: "UTF-8 with a byte order mark, which is dropped"}
	case bytes.HasPrefix(head, []byte{0xff, 0xfe}), bytes.HasPrefix(head, []byte{0xfe, 0xff}):
		return Encoding{Name: "utf-16", BOM: true, Note: "UTF-16: its byte order mark says which way round"}
	}
	if n := min(len(head), 512); n >= 4 {
		odd := 0
		for i := 1; i < n; i += 2 {
			if head[i] == 0 {
				odd++
			}
		}
		if odd*4 > n { // over half the odd bytes are zero: ASCII in UTF-16LE
			return Encoding{Name: "utf-16", Note: "UTF-16 little endian without a byte order mark"}
		}
	}
	return Encoding{Name: "utf-8"}
}

// UTF8Check tells, over a stream written to it in pieces, whether all of
// it is valid UTF-8.
type UTF8Check struct {
	carry []byte // an incomplete character at the end of the last piece
	bad   bool
}

// Write checks the next piece; it never fails.
func (u *UTF8Check) Write(p []byte) (int, error) {
	n := len(p)
	if u.bad {
		return n, nil
	}
	if len(u.carry) > 0 {
		p = append(u.carry, p...)
		u.carry = nil
	}
	// Hold back a character cut at the end of the piece.
	cut := len(p)
	for i := len(p) - 1; i >= 0 && i >= len(p)-utf8.UTFMax; i-- {
		if utf8.RuneStart(p[i]) {
			if !utf8.FullRune(p[i:]) {
				cut = i
			}
			break
		}
	}
	if !utf8.Valid(p[:cut]) {
		u.bad = true
		return n, nil
	}
	u.carry = append([]byte(nil), p[cut:]...)
	return n, nil
}

// Valid reports whether everything written was UTF-8.
func (u *UTF8Check) Valid() bool { return !u.bad && len(u.carry) == 0 }

// delimiters are the separators tried, in the order that wins a tie.
var delimiters = []rune{',', ';', '\t', '|'}

// Delimiter picks the separator of a file from its first decoded text:
// the one that splits the header and the lines under it into the same
// number of fields, more than one, on the most lines (the most fields on
// a tie). A file no separator splits has one column: ','.
func Delimiter(head []byte) rune {
	if i := bytes.LastIndexByte(head, '\n'); i >= 0 {
		head = head[:i+1] // a cut line would count short
	}
	best, bestLines, bestFields := ',', 0, 1
	for _, d := range delimiters {
		r := csv.NewReader(bytes.NewReader(head))
		r.Comma, r.FieldsPerRecord, r.LazyQuotes = d, -1, true
		width, lines := 0, 0
		for {
			rec, err := r.Read()
			if errors.Is(err, io.EOF) || (err != nil && lines > 0) {
				break
			}
			if err != nil {
				break
			}
			if width == 0 {
				width = len(rec)
			}
			if len(rec) == width {
				lines++
			}
		}
		if width > 1 && (lines > bestLines || (lines == bestLines && width > bestFields)) {
			best, bestLines, bestFields = d, lines, width
		}
	}
	return best
}
