package importer

import (
	"bytes"
	"fmt"

	"github.com/dustin/go-humanize"
)

// signatures are the first bytes of files people drop where a CSV should
// be; naming the kind says what to do (export the workbook as CSV…).
// gzip is not here: the Reader reads it.
var signatures = []struct {
	magic, kind string
}{
	{"PK\x03\x04", "a zip archive (an .xlsx or .ods workbook is one: export it as CSV)"},
	{"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an OLE document (an old .xls workbook is one: export it as CSV)"},
	{"%PDF-", "a PDF document"},
	{"\x89PNG\r\n\x1a\n", "a PNG image"},
	{"\xff\xd8\xff", "a JPEG image"},
	{"GIF87a", "a GIF image"},
	{"GIF89a", "a GIF image"},
	{"BZh91AY&SY", "bzip2 compressed (decompress it first)"},
	{"\xfd7zXZ\x00", "xz compressed (decompress it first)"},
	{"\x28\xb5\x2f\xfd", "zstd compressed (decompress it first)"},
	{"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"},
	{"SQLite format 3\x00", "an SQLite database"},
	{"PAR1", "a Parquet file"},
	{"\x7fELF", "an ELF executable"},
}

// longestSignature is as long as the longest magic.
const longestSignature = "SQLite format 3\x00"

// binaryKind names the kind of binary file b starts like, or "".
func binaryKind(b []byte) string {
	for _, s := range signatures {
		if bytes.HasPrefix(b, []byte(s.magic)) {
			return s.kind
		}
	}
	// bzip2's block size digit varies.
	if len(b) >= 10 && string(b[:3]) == "BZh" && b[3] >= '1' && b[3] <= '9' && string(b[4:10]) == "1AY&SY" {
		return "bzip2 compressed (decompress it first)"
	}
	return ""
}

// textError is why the start of a file is not CSV text.
type textError struct {
	line   int
	reason string
}

func (e *textError) Error() string { return "not a text CSV file: " + e.reason }

// notText looks at the first block of decoded text. A few control bytes (a
// NUL in one field, say) are a problem of their rows, which the Reader
// rejects; a block where they are more than one byte in 20 is not text.
// UTF-16 without a byte order mark is told by its NULs on every other byte.
func notText(head []byte) *textError {
	ctrl, nulEven, nulOdd, first := 0, 0, 0, -1
	for i, c := range head {
		if c >= 0x20 || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' {
			continue
		}
		ctrl++
		if first < 0 {
			first = i
		}
		if c == 0 {
			if i%2 == 0 {
				nulEven++
			} else {
				nulOdd++
			}
		}
	}
	if ctrl < 4 || ctrl*20 <= len(head) {
		return nil
	}
	line := bytes.Count(head[:first], []byte{'\n'}) + 1
	switch {
	case nulOdd*4 > len(head) && nulEven*20 < nulOdd:
		return &textError{line, "it looks like UTF-16 (little endian) without a byte order mark; set source.encoding: utf-16"}
	case nulEven*4 > len(head) && nulOdd*20 < nulEven:
		return &textError{line, "it looks like UTF-16 big endian without a byte order mark; convert it to UTF-8, or save it with a BOM"}
	}
	return &textError{line, fmt.Sprintf("%d of its first %d bytes are control characters (the first, 0x%02X, on line %d); is it binary?",
		ctrl, len(head), head[first], line)}
}

// lineTerminator is '\r' for a file whose first line ends in a lone CR
// (old Mac files), '\n' otherwise: LF and CRLF.
func lineTerminator(head []byte) byte {
	i := bytes.IndexAny(head, "\r\n")
	if i >= 0 && head[i] == '\r' && i+1 < len(head) && head[i+1] != '\n' {
		return '\r'
	}
	return '\n'
}

// byteSize prints n as people write sizes: 16 MiB, 100 MiB, 512 B.
func byteSize(n int64) string { return humanize.IBytes(uint64(n)) }
