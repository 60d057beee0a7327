package infer

import (
	"strings"

	"github.com/sluice-dev/sluice/models"
)

// Checker returns the test a cell must pass to be read as a column of
// type typ in format (empty for the type's default), or an error for a
// declaration that cannot work. The importer hands in its converter: the
// one owner of what each type accepts.
type Checker func(typ models.Type, format string) (func(cell string) bool, error)

// candidate is one declaration a column may still have.
type candidate struct {
	typ    models.Type
	format string
	ok     func(string) bool
}

// dateLayouts are the date forms tried, in the order of preference among
// those every cell fits. A zero-padded layout comes before the one
// without padding, which also reads padded values. Day/month and
// month/day orders are both tried: the data decides (ambiguous reports
// when it cannot).
var dateLayouts = []string{
	"2006-01-02", "2006/01/02", "2006.01.02",
	"02/01/2006", "01/02/2006", "2/1/2006", "1/2/2006",
	"02.01.2006", "01.02.2006", "2.1.2006", "1.2.2006", "02-01-2006", "01-02-2006",
	"Jan 2 2006", "Jan 2, 2006", "January 2 2006", "January 2, 2006",
	"2 Jan 2006", "02-Jan-2006", "2-Jan-2006", "02 Jan 2006",
}

// timeSuffixes complete a date layout into a timestamp layout. Go reads a
// fraction of a second after the seconds whatever the layout says.
var timeSuffixes = []string{" 15:04:05", "T15:04:05", " 15:04", "T15:04", " 3:04:05 PM", " 3:04 PM"}

// zoneSuffixes follow a time in a timestamp layout.
var zoneSuffixes = []string{"", "Z07:00", " -0700"}

// candidates lists every declaration tried, most specific first: the
// first one left standing when the rows are done is the guess. Integer,
// decimal and real come in that order, each reading every value the one
// before reads (the guesser skips their checks once one passes).
func candidates(check Checker) ([]candidate, error) {
	var out []candidate
	add := func(t models.Type, format string) error {
		ok, err := check(t, format)
		if err != nil {
			return err
		}
		out = append(out, candidate{typ: t, format: format, ok: ok})
		return nil
	}
	for _, t := range []models.Type{models.Boolean, models.Integer, models.Decimal, models.Real} {
		if err := add(t, ""); err != nil {
			return nil, err
		}
	}
	for _, l := range dateLayouts {
		if err := add(models.Date, l); err != nil {
			return nil, err
		}
	}
	// RFC 3339 is the timestamp type's own default: no format to write.
	if err := add(models.Timestamp, ""); err != nil {
		return nil, err
	}
	for _, d := range dateLayouts {
		for _, t := range timeSuffixes {
			for _, z := range zoneSuffixes {
				if z == "Z07:00" && !strings.HasPrefix(t, "T") {
					continue // RFC 3339 without its T: rare, and above
				}
				if err := add(models.Timestamp, d+t+z); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// dayMonth reports, for a date layout whose day and month are both
// numbers, the layout with the two swapped ("02/01/2006" for
// "01/02/2006"), and whether the layout puts the day first.
func dayMonth(layout string) (swapped string, dayFirst, ok bool) {
	pairs := [][2]string{{"02/01", "01/02"}, {"2/1", "1/2"}, {"02.01", "01.02"}, {"2.1", "1.2"}, {"02-01", "01-02"}}
	for _, p := range pairs {
		switch {
		case strings.HasPrefix(layout, p[0]):
			return p[1] + layout[len(p[0]):], true, true
		case strings.HasPrefix(layout, p[1]):
			return p[0] + layout[len(p[1]):], false, true
		}
	}
	return "", false, false
}
