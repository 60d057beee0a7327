package models

import "strings"

// The key folds the dialects hand the key scan (see Dialect.KeyFold).

// foldNone is for keys compared byte by byte.
func foldNone(s string) string { return s }

// foldPadSpace is for PAD SPACE comparisons, which ignore trailing spaces.
func foldPadSpace(s string) string { return strings.TrimRight(s, " ") }

// foldLower folds letter case, for SQLite's NOCASE (which folds ASCII
// letters only: folding more is allowed).
func foldLower(s string) string { return strings.ToLower(s) }

// foldLowerPadSpace is both.
func foldLowerPadSpace(s string) string { return strings.ToLower(strings.TrimRight(s, " ")) }

// pickFold is the fold for key columns of which some ignore case and
// some trailing spaces: folding every column by both is allowed.
func pickFold(ignoreCase, padSpace bool) func(string) string {
	switch {
	case ignoreCase && padSpace:
		return foldLowerPadSpace
	case ignoreCase:
		return foldLower
	case padSpace:
		return foldPadSpace
	}
	return foldNone
}

// textKeys are the names of ds's key columns that hold text.
func textKeys(ds *Dataset) []string {
	var names []string
	for _, c := range ds.Columns {
		if c.Key && c.Type == Text {
			names = append(names, c.Name)
		}
	}
	return names
}
