package main

import (
	"strings"

	"github.com/agnivade/levenshtein"
)

// closest is the option a mistyped word most likely meant, or "": one
// the word begins, or one a few edits away (a third of its length, at
// least one), as git and cobra suggest.
func closest(word string, options []string) string {
	best, bestDist := "", 0
	for _, o := range options {
		d := levenshtein.ComputeDistance(strings.ToLower(word), strings.ToLower(o))
		if len(word) >= 2 && strings.HasPrefix(o, word) {
			d = 1 // "forc" means "force" more surely than two edits do
		}
		if d <= max(1, len(word)/3) && (best == "" || d < bestDist) {
			best, bestDist = o, d
		}
	}
	return best
}

// didYouMean is the " (did you mean X?)" to add to a message, or "".
func didYouMean(word string, options []string, quote func(string) string) string {
	if c := closest(word, options); c != "" {
		return "; did you mean " + quote(c) + "?"
	}
	return ""
}
