package importer

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ncruces/go-strftime"

	"github.com/sluice-dev/sluice/models"
)

// Converter turns the text of one cell into the Go value documented on
// models.Type. It is built once per column, when the config is loaded, so
// the per-cell path does no setup work; it holds no mutable state and is
// safe for concurrent use.
type Converter struct {
	typ       models.Type
	required  bool // an empty cell is an error instead of NULL
	key       bool // part of the natural key: an empty cell is always an error
	precision int  // decimal: total significant digits allowed, 0 = unchecked
	// scale is the number of decimal digits allowed after the point. It
	// is checked only when precision > 0 or scaleSet, so that "scale: 0"
	// in the config can be told apart from no scale at all.
	scale    int
	scaleSet bool
	layout   string // date and timestamp
	form     string // layout as shown in error messages
}

// ColumnRuleError is a column declaration that cannot work. Field names
// the setting at fault ("type", "format", "precision", "scale"), or is
// empty when it is the column as a whole.
type ColumnRuleError struct {
	Column string
	Field  string
	Reason string
}

func (e *ColumnRuleError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("column %s: %s", e.Column, e.Reason)
	}
	return fmt.Sprintf("column %s: %s: %s", e.Column, e.Field, e.Reason)
}

// maxPrecision is the widest decimal every database takes (MySQL's).
const maxPrecision = 65

// NewConverter checks the rules of column c, declared in config.yaml, and
// returns its converter; key says c is part of the natural key. It is the
// one owner of those rules: config validation asks it, and a
// *ColumnRuleError says which setting is wrong. The type's default
// format is "2006-01-02" for date and RFC 3339 (with or without a
// fraction) for timestamp; a layout without a zone reads times as UTC.
func NewConverter(c ColumnConfig, key bool) (*Converter, error) {
	fail := func(field, format string, args ...any) error {
		return &ColumnRuleError{Column: c.Name, Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	t, err := models.ParseType(c.Type)
	if err != nil {
		return nil, fail("type", "%v", err)
	}
	conv := &Converter{typ: t, required: c.Required, key: key}
	if c.Format != "" && t != models.Date && t != models.Timestamp {
		return nil, fail("format", "only date and timestamp columns take a format")
	}
	if (c.Precision != nil || c.Scale != nil) && t != models.Decimal {
		return nil, fail("", "only decimal columns take precision and scale")
	}
	if p := c.Precision; p != nil {
		if *p < 1 || *p > maxPrecision {
			return nil, fail("precision", "%d is out of range (1 to %d)", *p, maxPrecision)
		}
		conv.precision = *p
	}
	if s := c.Scale; s != nil {
		if *s < 0 || (c.Precision != nil && *s > *c.Precision) {
			return nil, fail("scale", "%d is out of range (0 to precision)", *s)
		}
		conv.scale, conv.scaleSet = *s, true
	}
	switch t {
	case models.Date:
		conv.layout, conv.form = c.Format, c.Format
		if conv.layout == "" {
			conv.layout, conv.form = time.DateOnly, time.DateOnly
		}
	case models.Timestamp:
		conv.layout, conv.form = c.Format, c.Format
		if conv.layout == "" {
			conv.layout, conv.form = time.RFC3339Nano, time.RFC3339+" (RFC 3339)"
		}
	default:
		return conv, nil
	}
	if strings.Contains(conv.layout, "%") {
		layout, err := strftimeLayout(conv.layout)
		if err != nil {
			return nil, fail("format", "%q %v", c.Format, err)
		}
		conv.layout = layout
	}
	if err := checkLayout(conv.layout); err != nil {
		return nil, fail("format", "%q %v", c.Format, err)
	}
	return conv, nil
}

// strftimeLayout turns a strftime format (%Y-%m-%d, as Python and the
// C library write them; told apart from a Go layout by its '%') into the
// Go layout the converter parses with, once. Fractions of a second
// (.%f microseconds, .%L milliseconds, .%N nanoseconds) need nothing: Go
// reads a fraction after the seconds whatever the layout says.
func strftimeLayout(format string) (string, error) {
	f := format
	for _, frac := range []string{".%f", ",%f", ".%L", ",%L", ".%N", ",%N"} {
		f = strings.ReplaceAll(f, frac, "")
	}
	layout, err := strftime.Layout(f)
	if err != nil {
		why := strings.TrimSpace(strings.TrimPrefix(err.Error(), "strftime: "))
		return "", fmt.Errorf("is not a strftime format sluice can read (%s; a fraction of a second reads as .%%f after %%S)", why)
	}
	return layout, nil
}

// checkLayout catches layouts that parse but can never give a full date,
// most often "YYYY-MM-DD" written instead of Go's reference time: it formats
// a reference date with the layout and requires it to come back whole.
func checkLayout(layout string) error {
	ref := time.Date(2026, time.March, 14, 15, 9, 26, 0, time.UTC)
	back, err := time.Parse(layout, ref.Format(layout))
	if err != nil || back.Year() != ref.Year() || back.Month() != ref.Month() || back.Day() != ref.Day() {
		return errors.New("does not hold a full date; write the year, month and day as in Go's reference time, e.g. 2006-01-02 or 02/01/2006, or as strftime does, e.g. %Y-%m-%d or %d/%m/%Y")
	}
	return nil
}

// Convert returns the typed value of cell, nil for NULL. The error is the
// plain reason, without line or column, e.g. `"12x" is not an integer`; the
// caller adds the position.
func (c *Converter) Convert(cell string) (any, error) {
	if c.typ == models.Text {
		if cell == "" {
			return c.empty()
		}
		return cell, nil // text is data: its spaces are kept
	}
	s := strings.TrimSpace(cell)
	if s == "" {
		return c.empty()
	}
	switch c.typ {
	case models.Integer:
		return convertInteger(s)
	case models.Real:
		return convertReal(s)
	case models.Decimal:
		return c.decimal(s)
	case models.Boolean:
		return convertBoolean(s)
	case models.Date:
		t, err := time.Parse(c.layout, s)
		if err != nil {
			return nil, fmt.Errorf("%q is not a date in the form %s: %s", s, c.form, timeReason(err))
		}
		y, m, d := t.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
	default: // models.Timestamp; NewConverter admits no other type
		t, err := time.Parse(c.layout, s)
		if err != nil {
			return nil, fmt.Errorf("%q is not a timestamp in the form %s: %s", s, c.form, timeReason(err))
		}
		return t.UTC(), nil
	}
}

// empty is the value of an empty cell: NULL unless the column forbids it.
func (c *Converter) empty() (any, error) {
	switch {
	case c.key:
		return nil, errors.New("key value is empty")
	case c.required:
		return nil, errors.New("required value is empty")
	}
	return nil, nil
}

func convertInteger(s string) (any, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return nil, fmt.Errorf("integer %s is out of range (64-bit)", s)
		}
		return nil, fmt.Errorf("%q is not an integer", s)
	}
	return n, nil
}

func convertReal(s string) (any, error) {
	f, err := strconv.ParseFloat(s, 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return nil, fmt.Errorf("real %s is out of range (64-bit)", s)
	case err != nil:
		return nil, fmt.Errorf("%q is not a real number", s)
	case math.IsNaN(f) || math.IsInf(f, 0):
		// SQL engines disagree on storing them; most reject them.
		return nil, fmt.Errorf("%q is not a finite real number", s)
	}
	return f, nil
}

func convertBoolean(s string) (any, error) {
	switch len(s) {
	case 1:
		switch s[0] {
		case '1', 't', 'T', 'y', 'Y':
			return true, nil
		case '0', 'f', 'F', 'n', 'N':
			return false, nil
		}
	case 2:
		if strings.EqualFold(s, "no") {
			return false, nil
		}
	case 3:
		if strings.EqualFold(s, "yes") {
			return true, nil
		}
	case 4:
		if strings.EqualFold(s, "true") {
			return true, nil
		}
	case 5:
		if strings.EqualFold(s, "false") {
			return false, nil
		}
	}
	return nil, fmt.Errorf("%q is not a boolean (use true/false, 1/0, yes/no, t/f)", s)
}

// decimal parses s by hand rather than through float64, which would lose
// digits, and returns its canonical form: no '+', integer part without
// leading zeros (at least "0"), fraction digits as written, no "-0". In
// the common case the result is a substring of s, so nothing is copied.
func (c *Converter) decimal(s string) (any, error) {
	i, neg := 0, false
	if s[0] == '+' || s[0] == '-' {
		neg, i = s[0] == '-', 1
	}
	intStart := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intEnd, fracStart, fracEnd := i, i, i
	if i < len(s) && s[i] == '.' {
		i++
		fracStart = i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		fracEnd = i
	}
	digits := intEnd > intStart || fracEnd > fracStart
	if i < len(s) || !digits {
		return nil, decimalSyntaxError(s, i, digits)
	}

	z := intStart // integer part without leading zeros, keeping one
	for z < intEnd-1 && s[z] == '0' {
		z++
	}
	intPart, frac := s[z:intEnd], s[fracStart:fracEnd]
	zero := strings.Trim(intPart, "0") == "" && strings.Trim(frac, "0") == ""
	neg = neg && !zero
	end := intEnd
	if frac != "" {
		end = fracEnd
	}
	var canon string
	switch {
	case intPart == "" && neg: // "-.5"
		canon = "-0." + frac
	case intPart == "": // ".5"
		canon = "0." + frac
	case !neg:
		canon = s[z:end]
	case z == intStart: // '-' is right before the digits
		canon = s[intStart-1 : end]
	default: // "-007.5"
		canon = "-" + s[z:end]
	}

	if c.precision > 0 || c.scaleSet {
		if len(frac) > c.scale {
			// Trailing zeros past the scale change nothing ("1.230" is
			// 1.23); only significant digits would be lost.
			if sig := len(strings.TrimRight(frac, "0")); sig > c.scale {
				return nil, fmt.Errorf("decimal %s has %s after the point; the column allows %d", canon, plural(sig, "digit"), c.scale)
			}
			cut := len(frac) - c.scale
			if c.scale == 0 {
				cut++ // the point too
			}
			canon = canon[:len(canon)-cut]
		}
	}
	if c.precision > 0 {
		intDigits := len(intPart)
		if intPart == "0" || intPart == "" {
			intDigits = 0 // 0.99 fits NUMERIC(2,2)
		}
		if allowed := c.precision - c.scale; intDigits > allowed {
			return nil, fmt.Errorf("decimal %s has %s before the point; the column allows %d (precision %d, scale %d)",
				canon, plural(intDigits, "digit"), allowed, c.precision, c.scale)
		}
	}
	return canon, nil
}

// decimalSyntaxError explains why s, which stopped parsing at byte i, is
// not a decimal, naming the two usual causes: exponents and separators.
func decimalSyntaxError(s string, i int, digits bool) error {
	if i < len(s) && digits {
		switch s[i] {
		case 'e', 'E':
			return fmt.Errorf("%q is not a decimal: exponents are not allowed", s)
		case ',', '_', '\'', ' ':
			return fmt.Errorf("%q is not a decimal: thousands separators are not allowed (the decimal separator is '.')", s)
		case '.':
			return fmt.Errorf("%q is not a decimal: it has more than one '.'", s)
		}
	}
	return fmt.Errorf("%q is not a decimal", s)
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// timeReason returns the part of a time.Parse error that says what is
// wrong, without the repeated value and layout.
func timeReason(err error) string {
	var pe *time.ParseError
	if !errors.As(err, &pe) {
		return err.Error()
	}
	switch {
	case pe.Message != "":
		return strings.TrimPrefix(pe.Message, ": ")
	case pe.ValueElem == "":
		return fmt.Sprintf("it ends where %q was expected", pe.LayoutElem)
	}
	return fmt.Sprintf("cannot parse %q as %q", pe.ValueElem, pe.LayoutElem)
}
