package main

import "github.com/sluice-dev/sluice/importer/didyoumean"

// didYouMean is the "; did you mean X?" to add to a message, or "".
func didYouMean(word string, options []string, quote func(string) string) string {
	if c := didyoumean.Closest(word, options); c != "" {
		return "; did you mean " + quote(c) + "?"
	}
	return ""
}
