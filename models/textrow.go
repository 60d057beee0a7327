package models

import (
	"fmt"
	"strconv"
	"time"
)

// appendTextValue writes v in the tab-separated text form that MySQL's
// LOAD DATA (ESCAPED BY '\\') and PostgreSQL's COPY (FORMAT text) both
// read: \N for NULL, backslash escapes for the separators, 1/0 for
// booleans, ISO dates, and timestamps in UTC followed by zone (empty for
// MySQL's zoneless DATETIME).
func appendTextValue(b []byte, t Type, v any, zone string) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, `\N`...)
	case string:
		for i := 0; i < len(x); i++ {
			switch c := x[i]; c {
			case '\\':
				b = append(b, `\\`...)
			case '\t':
				b = append(b, `\t`...)
			case '\n':
				b = append(b, `\n`...)
			case '\r':
				b = append(b, `\r`...)
			case 0:
				b = append(b, `\0`...)
			default:
				b = append(b, c)
			}
		}
		return b
	case int64:
		return strconv.AppendInt(b, x, 10)
	case float64:
		return strconv.AppendFloat(b, x, 'g', -1, 64)
	case bool:
		if x {
			return append(b, '1')
		}
		return append(b, '0')
	case time.Time:
		if t == Date {
			return x.AppendFormat(b, time.DateOnly)
		}
		return append(x.UTC().AppendFormat(b, "2006-01-02 15:04:05.000000"), zone...)
	}
	return fmt.Append(b, v)
}
