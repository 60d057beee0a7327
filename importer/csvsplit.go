package importer

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"slices"
)

// splitter cuts decoded text into CSV records as RFC 4180 intends and as
// real files are written (the rules are in README.md, "Reading CSV"):
//
//   - a quoted field keeps its bytes exactly, CRLF and lone CR included,
//     with "" read as one quote;
//   - a quote inside an unquoted field is a literal character (37°36'37.8"N);
//   - spaces and tabs between a closing quote and the delimiter or line end
//     are dropped; any other text there makes the record unsplittable, and
//     it is returned with its source text (raw) to be rejected;
//   - records end at LF, CRLF, or, in a file whose first line ends in a lone
//     CR, at CR (CRLF too); blank lines are skipped but counted;
//   - no field grows past max bytes: the record is read to its end and
//     comes back with big set, so memory stays bounded by a few max.
//
// encoding/csv does not fit: it turns CRLF inside quotes into LF and
// rejects bare quotes unless LazyQuotes, which then mis-reads "a" ,b.
//
// The splitter works on the bufio.Reader's own buffer (Peek and Discard):
// most fields are found with one IndexByte and copied once into rec.
type splitter struct {
	in    *bufio.Reader
	delim []byte
	term  byte // '\n', or '\r' in a CR-only file
	max   int  // bytes a field may have

	buf     []byte // in's buffered bytes from the last Peek
	pos     int    // next byte of buf to read
	base    int64  // offset of buf[0] in the text
	eof     bool   // buf ends where the text ends
	rerr    error  // the read error that ends the text early, sticky
	lineEnd int    // index of the current line's term in buf, len(buf) when beyond it, -1 unknown
	line    int    // physical line (1-based) of buf[pos]
	lineAt  int64  // text offset where that line starts
	skipLF  bool   // CR mode: a '\n' right after the CR belongs to the line end

	// The record read by next.
	start    int    // line where it starts
	rec      []byte // the fields' content, back to back
	ends     []int  // end of each field in rec
	big      int    // index of the first field over max, -1 if none
	bigSize  int64  // that field's size in bytes
	bad      string // why the record cannot be split into fields; "" when it can
	badField int    // the field where that was found
	badLine  int    // and its line
	raw      []byte // source text of a record with bad set (up to rawMax bytes)
	rawCut   bool   // raw was longer than rawMax and is cut there
	rawMax   int
	small    int64 // a field up to this size is appended without more ado: min(max, maxRaw)
	inRec    bool
	recAt    int    // index in buf where the record's text not yet in saved starts
	saved    []byte // the record's text that was in earlier windows (up to rawMax)
	fieldLen int64  // bytes of the field being read, counted past max too
	endsCR   bool   // the last byte added to it is a CR

	// positions asks next to fill pos: the header's messages name columns.
	positions bool
	fieldPos  []fieldPos
}

// fieldPos is where a field starts: line and 1-based byte column.
type fieldPos struct{ line, col int }

// errUnclosed is next's error for a quote that runs to the end of the text
// over more than one line: every line after it was swallowed, so no record
// boundary after it can be trusted.
type errUnclosed struct{ line int }

func (e *errUnclosed) Error() string { return "quoted field never closed" }

// maxRaw bounds the source text kept of a record that cannot be split: it
// is copied for every record that spans a window, and a broken quote can
// make a record of the rest of the file.
const maxRaw = 1 << 20

func newSplitter(in *bufio.Reader, delim []byte, term byte, maxField int) *splitter {
	return &splitter{in: in, delim: delim, term: term, max: maxField, rawMax: min(maxField, maxRaw),
		small: int64(min(maxField, maxRaw)), line: 1, lineEnd: -1}
}

// refill drops what was read from the window and peeks a full one. It
// returns false when nothing is left: the end of the text, or a read error
// (in rerr).
func (s *splitter) refill() bool {
	if s.inRec {
		s.save(s.buf[s.recAt:s.pos])
		s.recAt = 0
	}
	if s.pos > 0 {
		_, _ = s.in.Discard(s.pos) // cannot fail: the bytes are buffered
		s.base += int64(s.pos)
	}
	rest := s.buf[s.pos:]
	s.pos, s.lineEnd = 0, -1
	if s.rerr != nil || s.eof {
		s.buf = rest
		return len(rest) > 0
	}
	var err error
	s.buf, err = s.in.Peek(s.in.Size())
	switch {
	case err == io.EOF:
		s.eof = true
	case err != nil && !errors.Is(err, bufio.ErrBufferFull):
		s.rerr = err
	}
	return len(s.buf) > 0
}

// more reports whether at least n bytes are in the window from pos,
// refilling when the text has more.
func (s *splitter) more(n int) bool {
	if len(s.buf)-s.pos >= n {
		return true
	}
	if s.eof || s.rerr != nil {
		return false
	}
	s.refill()
	return len(s.buf)-s.pos >= n
}

// save keeps b as source text of the current record, up to max bytes.
func (s *splitter) save(b []byte) {
	if room := s.rawMax - len(s.saved); len(b) > room {
		b, s.rawCut = b[:max(room, 0)], true
	}
	s.saved = append(s.saved, b...)
}

// add appends content to the field being read. rec keeps at most max+1
// bytes of it: one more than allowed, so that dropping the CR of a CRLF
// can bring a field back to max.
func (s *splitter) add(b []byte) {
	if n := int64(len(b)); s.fieldLen+n <= s.small {
		s.rec = append(s.rec, b...)
		s.fieldLen += n
		return
	}
	s.addLong(b)
}

// addLong is add for a field that may grow past maxRaw or max; only
// it keeps endsCR, which trimCR needs when rec does not hold the field.
func (s *splitter) addLong(b []byte) {
	if len(b) == 0 {
		return
	}
	if len(s.rec)+len(b) > cap(s.rec) && s.fieldLen+int64(len(b)) > maxRaw {
		// A field past 1 MiB may well run to the limit: one allocation of
		// what it can take, instead of a growing series of copies each
		// alive until the collector runs, which took 4 times the limit.
		rest := int64(s.max) + 1 - min(s.fieldLen, int64(s.max)+1)
		s.rec = slices.Grow(s.rec, int(rest)+bufSize)
	}
	if room := int64(s.max) + 1 - s.fieldLen; room < int64(len(b)) {
		s.rec = append(s.rec, b[:max(room, 0)]...)
	} else {
		s.rec = append(s.rec, b...)
	}
	s.fieldLen += int64(len(b))
	s.endsCR = b[len(b)-1] == '\r'
}

// addQuoted is add for quoted content, which may span lines.
func (s *splitter) addQuoted(b []byte) {
	if n := bytes.Count(b, []byte{s.term}); n > 0 {
		s.line += n
		s.lineAt = s.base + int64(s.pos) + int64(bytes.LastIndexByte(b, s.term)) + 1
	}
	s.add(b)
}

// endField closes the field that started at rec[from:].
func (s *splitter) endField(from int) {
	if s.fieldLen > int64(s.max) {
		if s.big < 0 {
			s.big, s.bigSize = len(s.ends), s.fieldLen
		}
		s.rec = s.rec[:from]
	}
	s.ends = append(s.ends, len(s.rec))
}

// findLineEnd returns the index of the current line's terminator in buf,
// or len(buf) when the line goes on past the window.
func (s *splitter) findLineEnd() int {
	if s.lineEnd < s.pos {
		s.lineEnd = len(s.buf)
		if i := bytes.IndexByte(s.buf[s.pos:], s.term); i >= 0 {
			s.lineEnd = s.pos + i
		}
	}
	return s.lineEnd
}

// endLine steps over the terminator at pos.
func (s *splitter) endLine() {
	s.pos++
	s.line++
	s.lineAt = s.base + int64(s.pos)
	s.skipLF = s.term == '\r'
}

// skipBlank steps over blank lines before a record. It returns false at
// the end of the text.
func (s *splitter) skipBlank() bool {
	for s.more(1) {
		c := s.buf[s.pos]
		switch {
		case c == '\n' && s.skipLF:
			s.pos++
			s.lineAt++
		case c == s.term:
			s.endLine()
			continue
		case c == '\r' && s.term == '\n':
			// CRLF, or a lone CR at the very end, is an empty line;
			// another lone CR starts a field.
			if !s.more(2) {
				s.pos++
				continue
			}
			if s.buf[s.pos+1] != '\n' {
				return true
			}
			s.pos++
			s.endLine()
			continue
		default:
			return true
		}
		s.skipLF = false
	}
	return false
}

const (
	stField = iota
	stUnquoted
	stQuoted
	stAfterQuote
)

// next reads the next record. It returns io.EOF at the end of the text,
// *errUnclosed, or the read error that cut the text short (the partial
// record is dropped).
func (s *splitter) next() error {
	if cap(s.rec) > 4*bufSize {
		s.rec = nil // one huge field must not hold its memory for the rest of the file
	}
	s.rec, s.ends, s.fieldPos = s.rec[:0], s.ends[:0], s.fieldPos[:0]
	s.big, s.bigSize, s.bad, s.raw, s.saved, s.rawCut = -1, 0, "", s.raw[:0], s.saved[:0], false
	if !s.skipBlank() {
		if s.rerr != nil {
			return s.rerr
		}
		return io.EOF
	}
	s.skipLF = false
	s.start, s.inRec, s.recAt = s.line, true, s.pos
	defer func() { s.inRec = false }()
	st, from, quoteLine := stField, 0, 0
	for {
		if s.pos == len(s.buf) && !s.refill() {
			if s.rerr != nil {
				return s.rerr
			}
			switch {
			case st == stQuoted && s.swallowed(quoteLine):
				return &errUnclosed{line: quoteLine}
			case st == stQuoted:
				// Nothing after the quote was swallowed: only this row is bad.
				s.fail("quoted field is never closed")
				s.badLine = s.start
				return nil
			case st == stUnquoted:
				s.trimCR(from)
			case st == stField: // a delimiter ends the text: one more, empty field
				from = s.startField()
			}
			s.endField(from)
			return nil
		}
		switch st {
		case stField:
			from = s.startField()
			st = stUnquoted
			if s.buf[s.pos] == '"' {
				st, quoteLine = stQuoted, s.line
				s.pos++
			}
		case stUnquoted:
			end := s.findLineEnd()
			seg := s.buf[s.pos:end]
			i := s.indexDelim(seg)
			// The common case: unquoted fields one after the other on
			// the line, split here without going round the state loop.
			for i >= 0 {
				s.add(seg[:i])
				s.pos += i + len(s.delim)
				s.endField(from)
				if s.pos == len(s.buf) || (s.pos < end && s.buf[s.pos] == '"') {
					break // a quoted field, or one the window does not show yet
				}
				from = s.startField()
				seg = s.buf[s.pos:end]
				i = s.indexDelim(seg)
			}
			if i >= 0 {
				st = stField
				continue
			}
			if end == len(s.buf) {
				// The line goes on in the next window; a delimiter of
				// several bytes may be cut at its edge.
				keep := 0
				if len(s.delim) > 1 && !s.eof {
					keep = partialSuffix(seg, s.delim)
				}
				s.add(seg[:len(seg)-keep])
				s.pos = end - keep
				if keep > 0 {
					s.refill()
				}
				continue
			}
			s.add(seg)
			s.pos = end
			s.trimCR(from)
			s.endField(from)
			s.endLine()
			return nil
		case stQuoted:
			i := bytes.IndexByte(s.buf[s.pos:], '"')
			if i < 0 {
				s.addQuoted(s.buf[s.pos:])
				s.pos = len(s.buf)
				continue
			}
			s.addQuoted(s.buf[s.pos : s.pos+i])
			s.pos += i
			if !s.more(2) {
				if s.rerr != nil {
					s.pos = len(s.buf)
					continue
				}
				s.pos++ // the closing quote ends the text
				st = stAfterQuote
				continue
			}
			if s.buf[s.pos+1] == '"' {
				s.add(s.buf[s.pos : s.pos+1])
				s.pos += 2
				continue
			}
			s.pos++
			st = stAfterQuote
		case stAfterQuote:
			c := s.buf[s.pos]
			switch {
			case c == s.delim[0] && (len(s.delim) == 1 || s.hasDelim()):
				s.pos += len(s.delim)
				s.endField(from)
				st = stField
			case c == s.term:
				s.endField(from)
				s.endLine()
				return nil
			case c == ' ' || c == '\t' || (c == '\r' && s.term == '\n'):
				s.pos++
			default:
				s.fail("text after the closing quote of a quoted field")
				return nil
			}
		}
	}
}

// swallowed reports whether a quote opened on line and still open at the
// end of the text took in a line with text after its own: an LF that ends
// the text is no such line.
func (s *splitter) swallowed(line int) bool {
	lines := s.line - line
	if s.lineAt == s.base+int64(len(s.buf)) {
		lines--
	}
	return lines > 0
}

// startField begins a field at pos; it returns where its content starts
// in rec.
func (s *splitter) startField() int {
	s.fieldLen, s.endsCR = 0, false
	if s.positions {
		s.fieldPos = append(s.fieldPos, fieldPos{s.line, int(s.base+int64(s.pos)-s.lineAt) + 1})
	}
	return len(s.rec)
}

// hasDelim reports whether the delimiter starts at pos, refilling the
// window when it may be cut at the edge.
func (s *splitter) hasDelim() bool {
	return s.more(len(s.delim)) && bytes.HasPrefix(s.buf[s.pos:], s.delim)
}

func (s *splitter) indexDelim(b []byte) int {
	if len(s.delim) == 1 {
		return bytes.IndexByte(b, s.delim[0])
	}
	return bytes.Index(b, s.delim)
}

// trimCR drops the CR of a CRLF from the unquoted field at rec[from:]
// that ends its line.
func (s *splitter) trimCR(from int) {
	if s.term != '\n' {
		return
	}
	if s.fieldLen <= s.small {
		if n := len(s.rec); n > from && s.rec[n-1] == '\r' {
			s.rec = s.rec[:n-1]
			s.fieldLen--
		}
		return
	}
	if s.endsCR {
		if s.fieldLen <= int64(s.max)+1 {
			s.rec = s.rec[:len(s.rec)-1]
		}
		s.fieldLen--
	}
}

// fail marks the record as one that cannot be split: it reads on to the
// end of the physical line, and raw gets the record's source text
// without its line end.
func (s *splitter) fail(reason string) {
	s.bad, s.badField, s.badLine = reason, len(s.ends), s.line
	for {
		end := s.findLineEnd()
		if end < len(s.buf) {
			s.pos = end
			break
		}
		s.pos = end
		if !s.refill() {
			break
		}
	}
	s.save(s.buf[s.recAt:s.pos])
	s.raw = append(s.raw, s.saved...)
	if !s.rawCut {
		s.raw = bytes.TrimSuffix(bytes.TrimSuffix(s.raw, []byte{'\n'}), []byte{'\r'})
	}
	if s.pos < len(s.buf) {
		s.endLine()
	}
}

// partialSuffix returns how many bytes at the end of b are a proper prefix
// of delim.
func partialSuffix(b, delim []byte) int {
	for n := min(len(delim)-1, len(b)); n > 0; n-- {
		if bytes.HasSuffix(b, delim[:n]) {
			return n
		}
	}
	return 0
}

// fieldCount is the number of fields of the record.
func (s *splitter) fieldCount() int { return len(s.ends) }

// strings sets dst to the record's fields, which share one string.
func (s *splitter) strings(dst []string) []string {
	str := string(s.rec)
	dst = dst[:0]
	start := 0
	for _, end := range s.ends {
		dst = append(dst, str[start:end])
		start = end
	}
	return dst
}

// field returns field i as a new string.
func (s *splitter) field(i int) string {
	start := 0
	if i > 0 {
		start = s.ends[i-1]
	}
	return string(s.rec[start:s.ends[i]])
}
