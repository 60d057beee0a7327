package models

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// FoldKey folds at least as much as MySQL's default collations
// (utf8mb4_general_ci, utf8mb4_unicode_ci, …): case, accents, and the
// trailing spaces PAD SPACE collations ignore. Under a binary or
// case-sensitive collation it folds more than needed, which only stages
// more rows.
func (*mysqlDialect) FoldKey(s string) string {
	s = strings.TrimRight(s, " ")
	if isASCII(s) {
		return strings.ToLower(s)
	}
	// Decompose, drop the combining marks, fold case (ß → ss, as the
	// unicode collations compare it).
	t := transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)), cases.Fold())
	out, _, err := transform.String(t, s)
	if err != nil {
		return strings.ToLower(s) // not reached: these transforms do not fail on valid UTF-8
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
