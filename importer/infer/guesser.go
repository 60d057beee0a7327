package infer

import (
	"fmt"
	"hash/maphash"
	"strings"
	"unicode"

	"github.com/sluice-dev/sluice/models"
)

// Column is one column as inferred, ready to declare.
type Column struct {
	Name   string // the column's name: Header as an identifier
	Header string // the CSV header
	Type   models.Type
	Format string // date and timestamp; "" for the type's default
	// Precision and Scale are a decimal's, from the data.
	Precision, Scale int
	Required         bool
	// Empty counts the cells that are NULL for Type; Rows all cells.
	Empty, Rows int64
	// Note says why, for the comment beside the declaration.
	Note string
	// Unique: every value differs from the others (ignoring case and
	// surrounding spaces) and none is empty.
	Unique bool
	// HeaderIsValue: the header reads as a value of Type, or looks like
	// one (no letter, or very long): the file may have no header row.
	HeaderIsValue bool
	// MaxLen is the longest value, in bytes.
	MaxLen int
	// Code: every value has the same short length, as codes do (ISO
	// country codes, SKUs, zip codes), which makes a better key than
	// free text that happens to be unique.
	Code bool
}

// Guesser watches a file's rows and keeps, for each column, the
// declarations every cell so far fits.
type Guesser struct {
	cols []*colState
	seed maphash.Seed
	rows int64
	buf  []byte // a folded value, reused
}

// colState is what is known of one column so far.
type colState struct {
	header   string
	alive    []candidate
	empty    int64 // cells ""
	blank    int64 // cells empty once trimmed (NULL for every type but text)
	nonBlank int64
	// leadingZero: a value like 00501, which a number would lose.
	leadingZero string
	// boolWord: a boolean spelt as a word (true, no, t, y), not only 0/1,
	// which reads better as an integer.
	boolWord bool
	// intDigits and scale are the widest integer part and fraction seen.
	intDigits, scale int
	// minLen and maxLen are the shortest and longest values, in bytes.
	minLen, maxLen int
	// seen holds a hash of each value while every one differs; nil once
	// two are equal or one is empty.
	seen map[uint64]struct{}
	// number and word are the first value that looks like a number and
	// the first that does not, for the note of a mixed column; comma the
	// first number written with a decimal comma (1,50).
	number, word, comma string
}

// NewGuesser starts guessing the columns of a file with this header.
func NewGuesser(header []string, check Checker) (*Guesser, error) {
	g := &Guesser{seed: maphash.MakeSeed()}
	for _, h := range header {
		c, err := candidates(check)
		if err != nil {
			return nil, fmt.Errorf("infer: %w", err)
		}
		g.cols = append(g.cols, &colState{header: h, alive: c, seen: map[uint64]struct{}{}})
	}
	return g, nil
}

// Rows is how many rows the guesser has seen.
func (g *Guesser) Rows() int64 { return g.rows }

// Add shows the guesser one row, with a field per header name (a shorter
// row's missing fields are empty).
func (g *Guesser) Add(fields []string) {
	g.rows++
	for i, c := range g.cols {
		cell := ""
		if i < len(fields) {
			cell = fields[i]
		}
		c.add(cell, g.seed, &g.buf)
	}
}

func (c *colState) add(cell string, seed maphash.Seed, buf *[]byte) {
	s := strings.TrimSpace(cell)
	if cell == "" {
		c.empty++
	}
	if s == "" {
		c.blank++
		c.seen = nil
		return
	}
	c.nonBlank++
	if c.nonBlank == 1 || len(s) < c.minLen {
		c.minLen = len(s)
	}
	c.maxLen = max(c.maxLen, len(s))
	if u := strings.TrimLeft(s, "+-"); u != "" && allDigitsOrPoint(u) {
		if c.number == "" {
			c.number = s
		}
	} else if c.word == "" {
		c.word = s
	}
	if c.comma == "" && isDecimalComma(s) {
		c.comma = s
	}
	if c.seen != nil {
		*buf = fold((*buf)[:0], s)
		n := len(c.seen)
		if c.seen[maphash.Bytes(seed, *buf)] = struct{}{}; len(c.seen) == n {
			c.seen = nil // a repeat
		}
	}
	if len(c.alive) == 0 {
		return // text: nothing left to rule out
	}
	c.numeric(s)
	kept := c.alive[:0]
	var number bool // the cell passed a numeric type: the wider ones take it too
	for _, k := range c.alive {
		numeric := k.typ == models.Integer || k.typ == models.Decimal || k.typ == models.Real
		if (numeric && number) || k.ok(s) {
			kept = append(kept, k)
			number = number || numeric
		}
	}
	c.alive = kept
}

// numeric records what a numeric-looking cell says about the column: a
// leading zero, a boolean word, the digits before and after the point.
func (c *colState) numeric(s string) {
	u := strings.TrimLeft(s, "+-")
	if len(u) > 1 && u[0] == '0' && u[1] != '.' && c.leadingZero == "" && allDigitsOrPoint(u) {
		c.leadingZero = s
	}
	if !allDigitsOrPoint(u) || u == "" {
		if len(s) <= 5 && !strings.ContainsAny(s, "0123456789") {
			c.boolWord = true
		}
		return
	}
	whole, frac, _ := strings.Cut(u, ".")
	whole = strings.TrimLeft(whole, "0")
	c.intDigits = max(c.intDigits, len(whole))
	// Trailing zeros count: a price written 3.50 has two decimals.
	c.scale = max(c.scale, len(frac))
}

// fold appends s in lower case to b, as the key comparison of the most
// lenient database sees it, without allocating for ASCII.
func fold(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return append(b[:0], strings.ToLower(s)...)
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// isDecimalComma reports whether s is a number like 1,50 or -0,5.
func isDecimalComma(s string) bool {
	whole, frac, ok := strings.Cut(strings.TrimLeft(s, "+-"), ",")
	return ok && whole != "" && frac != "" && len(frac) != 3 && allDigitsOrPoint(whole+frac) && !strings.Contains(whole+frac, ".")
}

func allDigitsOrPoint(s string) bool {
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && s[i] != '.' {
			return false
		}
	}
	return true
}

// maxCodeLen is the longest value a code column has.
const maxCodeLen = 16

// decimalHeadroom is how many more digits before the point a decimal
// column allows than the file has: next month's largest value may have
// one more.
const decimalHeadroom = 2

// Columns returns the guess for each column, in header order, with the
// names made unique identifiers.
func (g *Guesser) Columns() []Column {
	out := make([]Column, len(g.cols))
	names := columnNames(g.headers())
	for i, c := range g.cols {
		out[i] = c.column(names[i], g.rows)
	}
	return out
}

func (g *Guesser) headers() []string {
	h := make([]string, len(g.cols))
	for i, c := range g.cols {
		h[i] = c.header
	}
	return h
}

// column is the first declaration still standing, with its note.
func (c *colState) column(name string, rows int64) Column {
	col := Column{Name: name, Header: c.header, Type: models.Text, Rows: rows, Empty: c.blank}
	col.Unique = c.seen != nil && rows > 0
	col.MaxLen = c.maxLen
	col.Code = c.nonBlank > 0 && c.minLen == c.maxLen && c.maxLen <= maxCodeLen
	if c.nonBlank == 0 {
		col.Note = "always empty: text until the data says more"
		col.Required = false
		return col
	}
	pick, why := c.pick()
	col.Type, col.Format, col.Note = pick.typ, pick.format, why
	col.HeaderIsValue = (pick.ok != nil && pick.ok(c.header)) || !strings.ContainsFunc(c.header, unicode.IsLetter) || len(c.header) > 40
	if col.Type == models.Decimal {
		col.Scale = c.scale
		col.Precision = min(c.intDigits+decimalHeadroom+c.scale, 65)
		col.Note = fmt.Sprintf("up to %s before the point and %d after in the data, %d more allowed before",
			plural(c.intDigits, "digit"), c.scale, decimalHeadroom)
	}
	if col.Type == models.Text {
		col.Empty = c.empty
	}
	col.Required = col.Empty == 0
	return col
}

// pick chooses among the declarations every cell fits, and says why.
func (c *colState) pick() (candidate, string) {
	text := candidate{typ: models.Text}
	if len(c.alive) == 0 {
		return text, c.mixed()
	}
	var numeric bool
	for _, k := range c.alive {
		if k.typ == models.Integer || k.typ == models.Decimal || k.typ == models.Real {
			numeric = true
		}
	}
	if numeric && c.leadingZero != "" {
		return text, fmt.Sprintf("leading zeros (%q): text keeps them", c.leadingZero)
	}
	for _, k := range c.alive {
		switch {
		case k.typ == models.Boolean && !c.boolWord:
			continue // only 0 and 1: an integer says less
		case k.typ == models.Decimal && c.intDigits+decimalHeadroom+c.scale > 65:
			continue
		case k.typ == models.Date || k.typ == models.Timestamp:
			return k, c.timeNote(k)
		case k.typ == models.Integer:
			return k, "every value a whole number"
		case k.typ == models.Real:
			return k, "numbers with exponents or too many digits for a decimal"
		case k.typ == models.Boolean:
			return k, "every value a yes/no word or 0/1"
		}
		return k, ""
	}
	return text, c.mixed()
}

// mixed is the note of a text column: said only when some values are
// numbers, which a person may have expected the column to be.
func (c *colState) mixed() string {
	if c.comma != "" {
		return fmt.Sprintf("decimal commas (%q): sluice reads numbers with a '.', so text", c.comma)
	}
	if c.number == "" || c.word == "" {
		return ""
	}
	return fmt.Sprintf("mixed values (%q, %q): text", c.number, c.word)
}

// timeNote explains a date or timestamp format, saying when the day and
// month could be either way round.
func (c *colState) timeNote(k candidate) string {
	form := k.format
	if form == "" {
		form = "RFC 3339"
	}
	note := "every value reads as " + form
	swapped, dayFirst, ok := dayMonth(k.format)
	if !ok {
		return note
	}
	for _, o := range c.alive {
		if o.typ == k.typ && o.format == swapped {
			order := "day/month"
			if !dayFirst {
				order = "month/day"
			}
			return fmt.Sprintf("AMBIGUOUS: every value reads both as day/month and month/day; %s chosen, check it", order)
		}
	}
	if dayFirst {
		return note + " (a day above 12 comes first: day/month)"
	}
	return note + " (a day above 12 comes second: month/day)"
}

func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
