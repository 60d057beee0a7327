// Package didyoumean finds the word a typo probably meant: the command,
// flag or config key it is close to.
package didyoumean

import (
	"strings"

	"github.com/agnivade/levenshtein"
)

// Closest is the option word most likely meant, or "": one that begins
// with word, or one a few edits away (a third of word's length, at least
// one, and fewer than its letters), as git and cobra suggest. Case is
// ignored.
func Closest(word string, options []string) string {
	best, bestDist := "", 0
	lw := strings.ToLower(word)
	for _, o := range options {
		lo := strings.ToLower(o)
		d := levenshtein.ComputeDistance(lw, lo)
		if len(lw) >= 2 && strings.HasPrefix(lo, lw) {
			d = 1 // "forc" means "force" more surely than two edits do
		}
		// A word must keep some of its letters: "x" means no "n".
		if d <= max(1, len(lw)/3) && d < len(lw) && (best == "" || d < bestDist) {
			best, bestDist = o, d
		}
	}
	return best
}
