package infer

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// ColumnName turns a CSV header into a column name: lower case, letters
// and digits kept (accents dropped), every run of anything else one '_'
// ("Zip Code" → zip_code, "Unit Price (€)" → unit_price); a name that
// would start with a digit gets a leading "c_", one with no letter or
// digit is "column".
func ColumnName(header string) string {
	var b strings.Builder
	under := false
	for _, r := range norm.NFD.String(header) {
		switch {
		case unicode.Is(unicode.Mn, r): // an accent, after NFD
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = false
			b.WriteRune(unicode.ToLower(r))
		default:
			under = true
		}
	}
	name := b.String()
	switch {
	case name == "":
		return "column"
	case name[0] >= '0' && name[0] <= '9':
		name = "c_" + name
	}
	if len(name) > maxName {
		name = strings.TrimRight(name[:maxName], "_")
	}
	return name
}

// maxName keeps a name inside PostgreSQL's 63 bytes (it cuts longer ones
// silently) and MySQL's 64, with room for a _2.
const maxName = 56

// columnNames names every header, numbering the names that come out
// the same ("Size" and "size!" → size, size_2).
func columnNames(headers []string) []string {
	out := make([]string, len(headers))
	used := map[string]bool{}
	for i, h := range headers {
		base := ColumnName(h)
		name := base
		for n := 2; used[name]; n++ {
			name = fmt.Sprintf("%s_%d", base, n)
		}
		used[name] = true
		out[i] = name
	}
	return out
}
