package importer

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
)

func TestConvert(t *testing.T) {
	text := colSpec{ColumnConfig{Name: "note", Type: "text"}, false}
	integer := colSpec{ColumnConfig{Name: "qty", Type: "integer"}, false}
	float := colSpec{ColumnConfig{Name: "weight", Type: "real"}, false}
	decimal := colSpec{ColumnConfig{Name: "price", Type: "decimal"}, false}
	dec52 := colSpec{ColumnConfig{Name: "price", Type: "decimal", Precision: ptr(5), Scale: ptr(2)}, false}
	dec22 := colSpec{ColumnConfig{Name: "rate", Type: "decimal", Precision: ptr(2), Scale: ptr(2)}, false}
	dec3 := colSpec{ColumnConfig{Name: "count", Type: "decimal", Precision: ptr(3)}, false}
	scale0 := colSpec{ColumnConfig{Name: "whole", Type: "decimal", Scale: ptr(0)}, false}
	boolean := colSpec{ColumnConfig{Name: "active", Type: "boolean"}, false}
	date := colSpec{ColumnConfig{Name: "day", Type: "date"}, false}
	dateEU := colSpec{ColumnConfig{Name: "day", Type: "date", Format: "02/01/2006"}, false}
	dateTime := colSpec{ColumnConfig{Name: "day", Type: "date", Format: "2006-01-02 15:04"}, false}
	dateZone := colSpec{ColumnConfig{Name: "day", Type: "date", Format: "2006-01-02 -0700"}, false}
	ts := colSpec{ColumnConfig{Name: "at", Type: "timestamp"}, false}
	tsLocal := colSpec{ColumnConfig{Name: "at", Type: "timestamp", Format: "2006-01-02 15:04:05"}, false}
	tsZone := colSpec{ColumnConfig{Name: "at", Type: "timestamp", Format: "02 Jan 2006 15:04 -0700"}, false}
	// strftime, as Python writes formats.
	dateStrf := colSpec{ColumnConfig{Name: "day", Type: "date", Format: "%Y-%m-%d"}, false}
	dateStrfEU := colSpec{ColumnConfig{Name: "day", Type: "date", Format: "%d/%m/%Y"}, false}
	tsStrf := colSpec{ColumnConfig{Name: "at", Type: "timestamp", Format: "%d/%m/%Y %H:%M"}, false}
	tsStrfFrac := colSpec{ColumnConfig{Name: "at", Type: "timestamp", Format: "%Y-%m-%d %H:%M:%S.%f"}, false}
	tsStrfZone := colSpec{ColumnConfig{Name: "at", Type: "timestamp", Format: "%Y-%m-%dT%H:%M:%S%z"}, false}
	required := func(c colSpec) colSpec { c.Required = true; return c }
	key := func(c colSpec) colSpec { c.key = true; return c }
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

	tests := []struct {
		spec colSpec
		in   string
		want any
		err  string
	}{
		// text: kept as is, only "" is empty
		{spec: text, in: "  hello, world ", want: "  hello, world "},
		{spec: text, in: "", want: nil},
		{spec: text, in: " ", want: " "},
		{spec: required(text), in: "", err: "required value is empty"},
		{spec: key(text), in: "", err: "key value is empty"},
		{spec: key(required(text)), in: "", err: "key value is empty"},

		// integer
		{spec: integer, in: "42", want: int64(42)},
		{spec: integer, in: " -7 ", want: int64(-7)},
		{spec: integer, in: "+15", want: int64(15)},
		{spec: integer, in: "007", want: int64(7)},
		{spec: integer, in: "9223372036854775807", want: int64(9223372036854775807)},
		{spec: integer, in: "-9223372036854775808", want: int64(-9223372036854775808)},
		{spec: integer, in: "99999999999999999999", err: "integer 99999999999999999999 is out of range (64-bit)"},
		{spec: integer, in: "-9223372036854775809", err: "integer -9223372036854775809 is out of range (64-bit)"},
		{spec: integer, in: "12x", err: `"12x" is not an integer`},
		{spec: integer, in: " 1.5 ", err: `"1.5" is not an integer`},
		{spec: integer, in: "1_000", err: `"1_000" is not an integer`},
		{spec: integer, in: "0x10", err: `"0x10" is not an integer`},
		{spec: integer, in: "   ", want: nil},
		{spec: required(integer), in: "   ", err: "required value is empty"},
		{spec: key(integer), in: "", err: "key value is empty"},

		// real
		{spec: float, in: "3.25", want: 3.25},
		{spec: float, in: " -1e3 ", want: -1000.0},
		{spec: float, in: ".5", want: 0.5},
		{spec: float, in: "1e400", err: "real 1e400 is out of range (64-bit)"},
		{spec: float, in: "NaN", err: `"NaN" is not a finite real number`},
		{spec: float, in: "-Inf", err: `"-Inf" is not a finite real number`},
		{spec: float, in: "infinity", err: `"infinity" is not a finite real number`},
		{spec: float, in: "abc", err: `"abc" is not a real number`},
		{spec: float, in: "1,5", err: `"1,5" is not a real number`},
		{spec: float, in: "", want: nil},

		// decimal: canonical form
		{spec: decimal, in: "12.50", want: "12.50"},
		{spec: decimal, in: "-12.50", want: "-12.50"},
		{spec: decimal, in: " 007.50 ", want: "7.50"},
		{spec: decimal, in: ".5", want: "0.5"},
		{spec: decimal, in: "-.5", want: "-0.5"},
		{spec: decimal, in: "-0.00", want: "0.00"},
		{spec: decimal, in: "-0", want: "0"},
		{spec: decimal, in: "000", want: "0"},
		{spec: decimal, in: "5.", want: "5"},
		{spec: decimal, in: "+3.10", want: "3.10"},
		{spec: decimal, in: "-007.5", want: "-7.5"},
		{spec: decimal, in: "0.000", want: "0.000"},
		{spec: decimal, in: "123456789012345678901234567890.123456789", want: "123456789012345678901234567890.123456789"},
		{spec: decimal, in: "", want: nil},
		{spec: key(decimal), in: " ", err: "key value is empty"},
		{spec: decimal, in: "1e5", err: `"1e5" is not a decimal: exponents are not allowed`},
		{spec: decimal, in: "1.5E-3", err: `"1.5E-3" is not a decimal: exponents are not allowed`},
		{spec: decimal, in: "1,000.50", err: `"1,000.50" is not a decimal: thousands separators are not allowed (the decimal separator is '.')`},
		{spec: decimal, in: "12,50", err: `"12,50" is not a decimal: thousands separators are not allowed (the decimal separator is '.')`},
		{spec: decimal, in: "1 000", err: `"1 000" is not a decimal: thousands separators are not allowed (the decimal separator is '.')`},
		{spec: decimal, in: "1.2.3", err: `"1.2.3" is not a decimal: it has more than one '.'`},
		{spec: decimal, in: ".", err: `"." is not a decimal`},
		{spec: decimal, in: "-", err: `"-" is not a decimal`},
		{spec: decimal, in: "--1", err: `"--1" is not a decimal`},
		{spec: decimal, in: "12x", err: `"12x" is not a decimal`},
		{spec: decimal, in: "NaN", err: `"NaN" is not a decimal`},
		// decimal: precision and scale
		{spec: dec52, in: "123.45", want: "123.45"},
		{spec: dec52, in: "-000123.40", want: "-123.40"},
		{spec: dec52, in: "1.2", want: "1.2"},
		{spec: dec52, in: "1.234", err: "decimal 1.234 has 3 digits after the point; the column allows 2"},
		{spec: dec52, in: "1234.5", err: "decimal 1234.5 has 4 digits before the point; the column allows 3 (precision 5, scale 2)"},
		{spec: dec22, in: "0.99", want: "0.99"},
		{spec: dec22, in: "-.99", want: "-0.99"},
		{spec: dec22, in: "1.00", err: "decimal 1.00 has 1 digit before the point; the column allows 0 (precision 2, scale 2)"},
		{spec: dec3, in: "999", want: "999"},
		{spec: dec3, in: "1000", err: "decimal 1000 has 4 digits before the point; the column allows 3 (precision 3, scale 0)"},
		{spec: dec3, in: "1.0", want: "1"},
		{spec: dec3, in: "1.5", err: "decimal 1.5 has 1 digit after the point; the column allows 0"},
		{spec: dec52, in: "1.230", want: "1.23"},
		{spec: dec52, in: "-0.100", want: "-0.10"},
		{spec: scale0, in: "123456789", want: "123456789"},
		{spec: scale0, in: "1.5", err: "decimal 1.5 has 1 digit after the point; the column allows 0"},

		// boolean: every spelling, any case, spaces trimmed
		{spec: boolean, in: "true", want: true},
		{spec: boolean, in: "TRUE", want: true},
		{spec: boolean, in: "True", want: true},
		{spec: boolean, in: "1", want: true},
		{spec: boolean, in: "yes", want: true},
		{spec: boolean, in: "YES", want: true},
		{spec: boolean, in: "t", want: true},
		{spec: boolean, in: "T", want: true},
		{spec: boolean, in: "y", want: true},
		{spec: boolean, in: " Y ", want: true},
		{spec: boolean, in: "false", want: false},
		{spec: boolean, in: "FALSE", want: false},
		{spec: boolean, in: "0", want: false},
		{spec: boolean, in: "no", want: false},
		{spec: boolean, in: "No", want: false},
		{spec: boolean, in: "f", want: false},
		{spec: boolean, in: "F", want: false},
		{spec: boolean, in: "n", want: false},
		{spec: boolean, in: "N", want: false},
		{spec: boolean, in: "", want: nil},
		{spec: boolean, in: "maybe", err: `"maybe" is not a boolean (use true/false, 1/0, yes/no, t/f)`},
		{spec: boolean, in: "2", err: `"2" is not a boolean (use true/false, 1/0, yes/no, t/f)`},
		{spec: boolean, in: "tru", err: `"tru" is not a boolean (use true/false, 1/0, yes/no, t/f)`},
		{spec: boolean, in: "on", err: `"on" is not a boolean (use true/false, 1/0, yes/no, t/f)`},

		// date
		{spec: date, in: "2026-03-14", want: day(2026, time.March, 14)},
		{spec: date, in: " 2024-02-29 ", want: day(2024, time.February, 29)},
		{spec: date, in: "", want: nil},
		{spec: required(date), in: "", err: "required value is empty"},
		{spec: date, in: "2026-13-01", err: `"2026-13-01" is not a date in the form 2006-01-02: month out of range`},
		{spec: date, in: "2026-02-30", err: `"2026-02-30" is not a date in the form 2006-01-02: day out of range`},
		{spec: date, in: "14/03/2026", err: `"14/03/2026" is not a date in the form 2006-01-02: cannot parse "14/03/2026" as "2006"`},
		{spec: date, in: "2026-03", err: `"2026-03" is not a date in the form 2006-01-02: it ends where "-" was expected`},
		{spec: date, in: "2026-03-14T10:00", err: `"2026-03-14T10:00" is not a date in the form 2006-01-02: extra text: "T10:00"`},
		{spec: dateEU, in: "14/03/2026", want: day(2026, time.March, 14)},
		{spec: dateEU, in: "03/14/2026", err: `"03/14/2026" is not a date in the form 02/01/2006: month out of range`},
		{spec: dateTime, in: "2026-03-14 23:59", want: day(2026, time.March, 14)},
		{spec: dateZone, in: "2026-03-14 +0900", want: day(2026, time.March, 14)}, // the date as written, not shifted to UTC

		// timestamp
		{spec: ts, in: "2026-03-14T15:09:26Z", want: time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)},
		{spec: ts, in: "2026-03-14T15:09:26.123456789+02:00", want: time.Date(2026, 3, 14, 13, 9, 26, 123456789, time.UTC)},
		{spec: ts, in: "2026-03-14T23:30:00-05:00", want: time.Date(2026, 3, 15, 4, 30, 0, 0, time.UTC)},
		{spec: ts, in: "2026-03-14 15:09:26", err: `"2026-03-14 15:09:26" is not a timestamp in the form 2006-01-02T15:04:05Z07:00 (RFC 3339): cannot parse " 15:09:26" as "T"`},
		{spec: ts, in: "2026-03-14T25:00:00Z", err: `"2026-03-14T25:00:00Z" is not a timestamp in the form 2006-01-02T15:04:05Z07:00 (RFC 3339): hour out of range`},
		{spec: key(ts), in: "", err: "key value is empty"},
		{spec: tsLocal, in: "2026-03-14 15:09:26", want: time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)},
		{spec: tsLocal, in: "2026-03-14 15:09:26.5", want: time.Date(2026, 3, 14, 15, 9, 26, 500000000, time.UTC)},
		{spec: tsZone, in: "14 Mar 2026 01:00 +0300", want: time.Date(2026, 3, 13, 22, 0, 0, 0, time.UTC)},
		{spec: tsZone, in: "14 Mar 2026 01:00", err: `"14 Mar 2026 01:00" is not a timestamp in the form 02 Jan 2006 15:04 -0700: it ends where "-0700" was expected`},

		// strftime formats
		{spec: dateStrf, in: "2026-03-14", want: day(2026, 3, 14)},
		{spec: dateStrf, in: "14/03/2026", err: `"14/03/2026" is not a date in the form %Y-%m-%d: cannot parse "14/03/2026" as "2006"`},
		{spec: dateStrfEU, in: "14/03/2026", want: day(2026, 3, 14)},
		{spec: tsStrf, in: "14/03/2026 15:09", want: time.Date(2026, 3, 14, 15, 9, 0, 0, time.UTC)},
		{spec: tsStrfFrac, in: "2026-03-14 15:09:26.123456", want: time.Date(2026, 3, 14, 15, 9, 26, 123456000, time.UTC)},
		{spec: tsStrfFrac, in: "2026-03-14 15:09:26", want: time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)},
		{spec: tsStrfZone, in: "2026-03-14T15:09:26+0200", want: time.Date(2026, 3, 14, 13, 9, 26, 0, time.UTC)},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%s/%s/%q", tt.spec.Type, tt.spec.Name, tt.in)
		t.Run(name, func(t *testing.T) {
			c, err := NewConverter(tt.spec.ColumnConfig, tt.spec.key)
			if err != nil {
				t.Fatalf("NewConverter: %v", err)
			}
			got, err := c.Convert(tt.in)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("Convert(%q) = %#v, %v; want error %q", tt.in, got, err, tt.err)
				}
				if got != nil {
					t.Errorf("Convert(%q) returned %#v with its error, want nil", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Convert(%q): %v", tt.in, err)
			}
			if want, ok := tt.want.(time.Time); ok {
				g, ok := got.(time.Time)
				if !ok || !g.Equal(want) || g.Location() != time.UTC {
					t.Fatalf("Convert(%q) = %#v, want %v in UTC", tt.in, got, want)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Convert(%q) = %#v (%T), want %#v (%T)", tt.in, got, got, tt.want, tt.want)
			}
		})
	}
}

// colSpec is a column declaration and whether it is part of the key.
type colSpec struct {
	ColumnConfig
	key bool
}

func ptr(n int) *int { return &n }

func TestNewConverterErrors(t *testing.T) {
	tests := []struct {
		col ColumnConfig
		err string
	}{
		{ColumnConfig{Name: "x", Type: "money"}, `column x: type: unknown type "money" (want one of text, integer, real, decimal, boolean, date, timestamp)`},
		{ColumnConfig{Name: "d", Type: "date", Format: "YYYY-MM-DD"},
			`column d: format: "YYYY-MM-DD" does not hold a full date; write the year, month and day as in Go's reference time, e.g. 2006-01-02 or 02/01/2006, or as strftime does, e.g. %Y-%m-%d or %d/%m/%Y`},
		{ColumnConfig{Name: "d", Type: "date", Format: "2006-01"},
			`column d: format: "2006-01" does not hold a full date; write the year, month and day as in Go's reference time, e.g. 2006-01-02 or 02/01/2006, or as strftime does, e.g. %Y-%m-%d or %d/%m/%Y`},
		{ColumnConfig{Name: "t", Type: "timestamp", Format: "15:04:05"},
			`column t: format: "15:04:05" does not hold a full date; write the year, month and day as in Go's reference time, e.g. 2006-01-02 or 02/01/2006, or as strftime does, e.g. %Y-%m-%d or %d/%m/%Y`},
		{ColumnConfig{Name: "n", Type: "integer", Format: "2006"}, `column n: format: only date and timestamp columns take a format`},
		{ColumnConfig{Name: "t", Type: "timestamp", Format: "%H:%M"},
			`column t: format: "%H:%M" does not hold a full date; write the year, month and day as in Go's reference time, e.g. 2006-01-02 or 02/01/2006, or as strftime does, e.g. %Y-%m-%d or %d/%m/%Y`},
		{ColumnConfig{Name: "t", Type: "timestamp", Format: "%s"},
			`column t: format: "%s" is not a strftime format sluice can read (unsupported directive: %s; a fraction of a second reads as .%f after %S)`},
		{ColumnConfig{Name: "s", Type: "text", Precision: ptr(5)}, `column s: only decimal columns take precision and scale`},
		{ColumnConfig{Name: "p", Type: "decimal", Precision: ptr(-1)}, `column p: precision: -1 is out of range (1 to 65)`},
		{ColumnConfig{Name: "p", Type: "decimal", Precision: ptr(0)}, `column p: precision: 0 is out of range (1 to 65)`},
		{ColumnConfig{Name: "p", Type: "decimal", Precision: ptr(2), Scale: ptr(3)}, `column p: scale: 3 is out of range (0 to precision)`},
		{ColumnConfig{Name: "p", Type: "decimal", Scale: ptr(-1)}, `column p: scale: -1 is out of range (0 to precision)`},
	}
	for _, tt := range tests {
		c, err := NewConverter(tt.col, false)
		var re *ColumnRuleError
		if err == nil || err.Error() != tt.err || !errors.As(err, &re) {
			t.Errorf("NewConverter(%+v) = %v, %v; want a *ColumnRuleError %q", tt.col, c, err, tt.err)
		}
	}
	// An empty type is text, as in config.yaml.
	c, err := NewConverter(ColumnConfig{Name: "plain"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Convert(" a "); got != " a " || err != nil {
		t.Errorf("untyped column Convert(\" a \") = %#v, %v; want \" a \"", got, err)
	}
}

func BenchmarkConvert(b *testing.B) {
	for _, bc := range []struct {
		col   ColumnConfig
		cells []string
	}{
		{ColumnConfig{Name: "qty", Type: "integer"}, []string{"1", "42", "-17", "123456789", " 7 ", "+3", "9001", "65535"}},
		{ColumnConfig{Name: "price", Type: "decimal", Precision: ptr(12), Scale: ptr(2)}, []string{"12.50", "0.99", "1234.5", "-3.10", "007.50", ".5", "100", "99999.99"}},
		{ColumnConfig{Name: "day", Type: "date"}, []string{"2026-03-14", "1999-12-31", "2024-02-29", "2000-01-01"}},
		{ColumnConfig{Name: "at", Type: "timestamp"}, []string{"2026-03-14T15:09:26Z", "2026-03-14T15:09:26.123+02:00"}},
	} {
		b.Run(bc.col.Type, func(b *testing.B) {
			c, err := NewConverter(bc.col, false)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if _, err := c.Convert(bc.cells[n%len(bc.cells)]); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
